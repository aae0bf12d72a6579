--[[
location_quotient -- employment location quotient of each region in each
2-digit sector, per year, and the US Cluster Mapping "strong cluster" flag.

Over ALL firm rows of `firms` (cluster members or not):

    LQ(r,s,t) = ( E(r,s) / E(r) ) / ( E(s) / E )

E(r,s) is the employment (sum of `employees`; a missing headcount adds
nothing) of region r in sector s in year t; E(r), E(s) and E the region's,
the sector's and the dataset's totals that year.  The sector is the 2-digit
division of `sector`: the part before the first "." ("13.20" -> "13", a code
without a dot is taken whole); rows with an empty sector are left out of
every sum (and of `firms`).  `firms` counts every firm row of the region and
sector, a row with a missing headcount too.  LQ is missing when E(r) = 0 or
E(s) = 0.

strong = 1 when all of
    LQ >= 1 and LQ >= P75(LQ),
    employment > P25(employment)  (strictly greater),
    firms > P25(firms)            (strictly greater),
where the percentiles are taken across the regions with employment > 0 in
that sector and year, with linear interpolation (R's quantile type 7:
h = (n - 1) p + 1, Q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])).
strong = 0 otherwise, and always when employment is 0 or LQ is missing.

LQ is computed as E(r,s)·E / (E(r)·E(s)) while those products are exact in a
double (below 2^53; employments are integers), so a mathematically exact
LQ = 1 compares as 1; beyond that as (E(r,s)/E(r)) / (E(s)/E).

Output: year, region, sector, employment, firms, lq, strong; sorted by year,
region, sector.

Sources: Porter, M. (2003) "The economic performance of regions", Regional
Studies 37(6-7); Delgado, Porter & Stern (2014, 2016) and the U.S. Cluster
Mapping Project's "strong cluster" criteria; R Core Team, ?quantile (type 7,
Hyndman & Fan 1996).
]]

local EXACT = 2 ^ 53

local function two_digit(sector)
    local s = sector:match("^([^.]*)")
    if s == nil or s == "" then
        return nil
    end
    return s
end

-- R's quantile type 7 of the sorted array x (n >= 1) at probability p.
local function quantile7(x, p)
    local n = #x
    local h = (n - 1) * p + 1
    local j = math.floor(h)
    local f = h - j
    if j >= n or f == 0 then
        return x[math.min(j, n)]
    end
    return x[j] + f * (x[j + 1] - x[j])
end

local function sorted(t)
    local c = {}
    for i = 1, #t do
        c[i] = t[i]
    end
    table.sort(c)
    return c
end

local function lq_of(ers, er, es, e)
    if er <= 0 or es <= 0 then
        return nil
    end
    local num, den = ers * e, er * es
    if num < EXACT and den < EXACT then
        return num / den
    end
    return (ers / er) / (es / e)
end

indicator {
    name = "location_quotient",
    version = "1.0.0",
    description = "Employment location quotient by region and 2-digit sector, with the US Cluster Mapping strong-cluster flag",
    source = "Porter (2003) Regional Studies 37(6-7); Delgado, Porter & Stern (2016) US Cluster Mapping; R quantile type 7",
    inputs = {
        firms = {"year", "region", "sector", "employees"},
    },
    columns = {
        {"year", "int", description = "year"},
        {"region", "text", description = "region code"},
        {"sector", "text", description = "2-digit sector: the part of firms.sector before the first '.'"},
        {"employment", "int", unit = "persons", description = "E(r,s): employees of all firms of the region in the sector"},
        {"firms", "int", unit = "firms", description = "firm rows of the region in the sector"},
        {"lq", "num", unit = "", description = "location quotient (E(r,s)/E(r)) / (E(s)/E); missing when E(r) or E(s) is 0"},
        {"strong", "int", unit = "0/1",
         description = "1 = LQ >= 1 and >= its 75th percentile, employment and firms above their 25th percentiles (across regions with employment > 0)"},
    },
    keys = 3,
    compute = function(k)
        -- year -> { cells = {region -> {sector -> {emp, firms}}},
        --           er = {}, es = {}, e = 0 }
        local years = {}
        for g in k.groups("firms", {"year", "region", "sector"}) do
            local s = two_digit(g.sector)
            if s then
                local y = years[g.year]
                if not y then
                    y = {cells = {}, er = {}, es = {}, e = 0}
                    years[g.year] = y
                end
                local byreg = y.cells[g.region]
                if not byreg then
                    byreg = {}
                    y.cells[g.region] = byreg
                end
                local c = byreg[s]
                if not c then
                    c = {emp = 0, firms = 0}
                    byreg[s] = c
                end
                local emp = g:sum("employees")
                c.emp = c.emp + emp
                c.firms = c.firms + g:count()
                y.er[g.region] = (y.er[g.region] or 0) + emp
                y.es[s] = (y.es[s] or 0) + emp
                y.e = y.e + emp
            end
        end

        for year, y in pairs(years) do
            -- LQ of every cell, and per sector the values of the regions
            -- with employment > 0 for the percentiles
            local pool = {}   -- sector -> {lq = {}, emp = {}, firms = {}}
            for region, byreg in pairs(y.cells) do
                for s, c in pairs(byreg) do
                    c.lq = lq_of(c.emp, y.er[region], y.es[s], y.e)
                    if c.emp > 0 then
                        local p = pool[s]
                        if not p then
                            p = {lq = {}, emp = {}, firms = {}}
                            pool[s] = p
                        end
                        p.lq[#p.lq + 1] = c.lq
                        p.emp[#p.emp + 1] = c.emp
                        p.firms[#p.firms + 1] = c.firms
                    end
                end
            end
            local cut = {}    -- sector -> {lq75, emp25, firms25}
            for s, p in pairs(pool) do
                cut[s] = {
                    lq75 = quantile7(sorted(p.lq), 0.75),
                    emp25 = quantile7(sorted(p.emp), 0.25),
                    firms25 = quantile7(sorted(p.firms), 0.25),
                }
            end
            for region, byreg in pairs(y.cells) do
                for s, c in pairs(byreg) do
                    local strong = 0
                    local q = cut[s]
                    if c.emp > 0 and c.lq ~= nil and q and c.lq >= 1 and c.lq >= q.lq75
                        and c.emp > q.emp25 and c.firms > q.firms25 then
                        strong = 1
                    end
                    k.emit {year = year, region = region, sector = s,
                            employment = c.emp, firms = c.firms, lq = c.lq, strong = strong}
                end
            end
        end
    end,
}
