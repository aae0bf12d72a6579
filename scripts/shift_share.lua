--[[
shift_share -- classic shift-share decomposition of each cluster's
employment change (Dunn 1960).

For a cluster c (key year, region, cluster of `firms`), base year t0 and end
year t, with E the sum of `employees` (a missing headcount adds nothing):

    g_N = E_N(t) / E_N(t0) - 1     the "nation": every firm row of the
                                   dataset, clustered or not, any region,
                                   any sector (an empty sector too)
    g_S = E_S(t) / E_S(t0) - 1     the cluster's sector: every firm row of
                                   the dataset whose 2-digit sector (the part
                                   of `sector` before the first ".") is the
                                   2-digit part of the cluster's `sector` in
                                   clusters.csv
    g_c = E_c(t) / E_c(t0) - 1     the cluster itself

    national_effect  NS = E_c(t0) · g_N            (had it grown like the nation)
    industry_mix     IM = E_c(t0) · (g_S - g_N)    (its sector grew faster/slower)
    regional_effect  RS = E_c(t0) · (g_c - g_S)    (the competitive, local part)

    NS + IM + RS = E_c(t) - E_c(t0) = change.

The effects are computed as NS = E_c(t0)·ΔE_N/E_N(t0), IM = E_c(t0)·ΔE_S/E_S(t0)
- NS and RS = change - E_c(t0)·ΔE_S/E_S(t0), which are the formulas above
rearranged so that the identity holds to the last bit and the differences
of integers are exact.

Base year: t0 = t - 1 by default (a row for every year t of the cluster);
the parameter base_year fixes t0 for every t > base_year instead, and
end_year keeps only the rows of year t = end_year.

Rows: one per cluster group with firm rows in year t (spec section 2; a
cluster whose firms all left has no row).  Missing values:
  - `firms` has no row at all in t0 (the first year, a gap, a base year
    outside the data): employment_base, change, every growth rate and effect
    are missing;
  - the cluster had no firm rows in t0 (E_c(t0) = 0): employment_base 0,
    change = E_c(t); cluster_growth and the three effects are missing (a
    growth rate from nothing is undefined);
  - the cluster is not in clusters.csv or has no sector, or its sector had
    no employment in t0: sector, sector_growth, industry_mix and
    regional_effect are missing (national_effect is still shown);
  - E_N(t0) = 0: every growth rate and effect is missing.
Growth rates are written in percent.

Output: year, region, cluster, base_year, sector, employment_base,
employment, change, national_growth, sector_growth, cluster_growth,
national_effect, industry_mix, regional_effect.

Source: Dunn, E. S. (1960) "A statistical and analytical technique for
regional analysis", Papers and Proceedings of the Regional Science
Association 6, 97-112.  (Esteban-Marquillas (1972) adds a homothetic
employment term to separate specialisation from competitiveness; not done
here.)
]]

local function two_digit(sector)
    if sector == nil then
        return nil
    end
    local s = sector:match("^([^.]*)")
    if s == nil or s == "" then
        return nil
    end
    return s
end

local function int_param(k, name)
    local v = k.param(name)
    if v == nil or v == "" then
        return nil
    end
    local n = math.tointeger(tonumber(v))
    if n == nil then
        error(string.format("shift_share: parameter %s must be a year (an integer), not '%s'", name, v))
    end
    return n
end

indicator {
    name = "shift_share",
    version = "1.0.0",
    description = "Shift-share decomposition of each cluster's employment change: national growth, industry mix, regional (competitive) effect",
    source = "Dunn (1960), Papers and Proceedings of the Regional Science Association 6: 97-112",
    inputs = {
        firms = {"year", "region", "cluster", "sector", "employees"},
        clusters = {"cluster", "sector"},
    },
    columns = {
        {"year", "int", description = "end year t"},
        {"region", "text", description = "region code"},
        {"cluster", "text", description = "cluster id"},
        {"base_year", "int", description = "base year t0"},
        {"sector", "text", description = "2-digit sector of the cluster (clusters.csv), whose growth is g_S"},
        {"employment_base", "int", unit = "persons", description = "E_c(t0): employees of the cluster's firms in the base year"},
        {"employment", "int", unit = "persons", description = "E_c(t): employees of the cluster's firms in year t"},
        {"change", "int", unit = "persons", description = "E_c(t) - E_c(t0) = national_effect + industry_mix + regional_effect"},
        {"national_growth", "num", unit = "%", description = "100 g_N: employment growth of all firms of the dataset"},
        {"sector_growth", "num", unit = "%", description = "100 g_S: employment growth of all firms of the cluster's 2-digit sector"},
        {"cluster_growth", "num", unit = "%", description = "100 g_c: employment growth of the cluster"},
        {"national_effect", "num", unit = "persons", description = "E_c(t0) g_N: change had the cluster grown like the whole dataset"},
        {"industry_mix", "num", unit = "persons", description = "E_c(t0) (g_S - g_N): effect of the sector growing faster or slower than the whole"},
        {"regional_effect", "num", unit = "persons", description = "E_c(t0) (g_c - g_S): the cluster's own, competitive effect"},
    },
    keys = 3,
    params = {
        {"base_year", default = "", description = "base year t0 for every later year (empty: t0 = t - 1)"},
        {"end_year", default = "", description = "only this end year t (empty: every year)"},
    },
    compute = function(k)
        local base_param = int_param(k, "base_year")
        local end_param = int_param(k, "end_year")

        -- the nation and the sectors, per year
        local nation = {}      -- year -> employees
        for g in k.groups("firms", {"year"}) do
            nation[g.year] = g:sum("employees")
        end
        local sectors = {}     -- year -> 2-digit sector -> employees
        for g in k.groups("firms", {"year", "sector"}) do
            local s = two_digit(g.sector)
            if s then
                local y = sectors[g.year]
                if not y then
                    y = {}
                    sectors[g.year] = y
                end
                y[s] = (y[s] or 0) + g:sum("employees")
            end
        end
        local sector_of = {}   -- cluster -> 2-digit sector
        for row in k.rows("clusters", {"cluster", "sector"}) do
            sector_of[row.cluster] = two_digit(row.sector)
        end

        local clusters = k.grouping("firms", {"year", "region", "cluster"})
        for g in clusters:groups() do
            local t = g.year
            local t0 = base_param or (t - 1)
            if t > t0 and (end_param == nil or t == end_param) then
                local s = sector_of[g.cluster]
                local e1 = g:sum("employees")
                local row = {year = t, region = g.region, cluster = g.cluster,
                             base_year = t0, sector = s, employment = e1}
                local n0, n1 = nation[t0], nation[t]
                if n0 ~= nil then
                    local base = clusters:find(t0, g.region, g.cluster)
                    local e0 = base and base:sum("employees") or 0
                    row.employment_base = e0
                    row.change = e1 - e0
                    if n0 > 0 then
                        local dn = n1 - n0
                        row.national_growth = 100 * dn / n0
                        local es0 = s and sectors[t0] and sectors[t0][s] or 0
                        local es1 = s and sectors[t] and sectors[t][s] or 0
                        local sector_ok = s ~= nil and es0 > 0
                        if sector_ok then
                            row.sector_growth = 100 * (es1 - es0) / es0
                        end
                        if e0 > 0 then
                            row.cluster_growth = 100 * (e1 - e0) / e0
                            local ns = e0 * dn / n0
                            row.national_effect = ns
                            if sector_ok then
                                local shift = e0 * (es1 - es0) / es0   -- NS + IM
                                row.industry_mix = shift - ns
                                row.regional_effect = (e1 - e0) - shift
                            end
                        end
                    end
                end
                k.emit(row)
            end
        end
    end,
}
