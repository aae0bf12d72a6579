--[[
cluster_efficiency -- one composite index per cluster and year of what the
cluster delivers to its region, built as the JRC/OECD Handbook on
Constructing Composite Indicators (2008) recommends for a first, transparent
index: min-max normalisation, equal weights, arithmetic mean.

Units: the clusters with firm rows in the year (jobs_created rows at cluster
level with firms > 0), all regions together.  A cluster whose firms all left
(jobs_created writes it with firms 0) is not a unit, nor is a cluster that
only appears in `exports`.  Region rows (cluster "*") are not units.

Components (higher = better), each read from the base indicator's row of the
unit (no row, or an empty cell = missing):
    net_rate            jobs_created            net job creation rate
    budget_share        budget_revenue          share of the local budget
    innovating_share    innovation_activity     share of innovating firms
    rd_intensity        innovation_activity     R&D spend / revenue
    export diversity    export_diversification  1 - hhi_products_norm

Normalisation, per year and component, across the units with a value:
    norm = 100 · (v - min) / (max - min)
all values equal -> 50 (also when one unit alone has a value); a missing
value stays missing.  "Equal" allows for rounding: max - min within a
relative 1e-9 of the values counts as equal, so values that are the same
mathematically but were computed along different paths do not become 0 and
100.

index = arithmetic mean of the unit's present normalised components (equal
weights); fewer than 3 present -> missing.

rank, within the year: 1 = highest index; ties share the lowest rank
("1224" competition ranking: rank = 1 + number of units with a strictly
higher index); a missing index has a missing rank.  Indices within a relative
1e-9 of each other (at least 1e-9 absolute on the 0-100 scale) are ties,
the tolerance to which klaster's results are exact.

Output: year, region, cluster, the five normalised components, index, rank;
sorted by year, region, cluster.

Source: OECD & JRC (2008), Handbook on Constructing Composite Indicators:
Methodology and User Guide, OECD Publishing (sections 5 "Normalisation",
6 "Weighting and aggregation").
]]

local TOL = 1e-9

-- component: output column, source step, source column, transform
local COMPONENTS = {
    {"norm_net_rate", "jobs_created", "net_rate"},
    {"norm_budget_share", "budget_revenue", "budget_share"},
    {"norm_innovating_share", "innovation_activity", "innovating_share"},
    {"norm_rd_intensity", "innovation_activity", "rd_intensity"},
    {"norm_export_diversity", "export_diversification", "hhi_products_norm",
     function(h) return 1 - h end},
}
local MIN_COMPONENTS = 3

local function key(year, region, cluster)
    return year .. "\0" .. region .. "\0" .. cluster
end

-- a strictly better than b, beyond rounding
local function better(a, b)
    return a - b > TOL * math.max(1, math.abs(a), math.abs(b))
end

indicator {
    name = "cluster_efficiency",
    version = "1.0.0",
    description = "Composite efficiency index (0-100) and rank of each cluster per year: jobs, budget, innovation, R&D, export diversity",
    source = "OECD & JRC (2008) Handbook on Constructing Composite Indicators: min-max normalisation, equal weights, arithmetic mean",
    inputs = {
        jobs_created = {"year", "region", "cluster", "firms", "net_rate"},
        budget_revenue = {"year", "region", "cluster", "budget_share"},
        innovation_activity = {"year", "region", "cluster", "innovating_share", "rd_intensity"},
        export_diversification = {"year", "region", "cluster", "hhi_products_norm"},
    },
    columns = {
        {"year", "int", description = "year"},
        {"region", "text", description = "region code"},
        {"cluster", "text", description = "cluster id"},
        {"norm_net_rate", "num", unit = "0-100", description = "net job creation rate, min-max normalised across the year's clusters"},
        {"norm_budget_share", "num", unit = "0-100", description = "share of the local budget revenue, normalised"},
        {"norm_innovating_share", "num", unit = "0-100", description = "share of innovating firms, normalised"},
        {"norm_rd_intensity", "num", unit = "0-100", description = "R&D intensity, normalised"},
        {"norm_export_diversity", "num", unit = "0-100", description = "export diversity 1 - hhi_products_norm, normalised"},
        {"index", "num", unit = "0-100", description = "mean of the present normalised components (missing when fewer than 3)"},
        {"rank", "int", unit = "", description = "1 = best index within the year; ties share the lowest rank"},
    },
    keys = 3,
    compute = function(k)
        -- the units, per year
        local units = {}      -- year -> list of {region, cluster, key}
        for row in k.rows("jobs_created", {"year", "region", "cluster", "firms"}) do
            if row.cluster ~= "*" and row.firms ~= nil and row.firms > 0 then
                local list = units[row.year]
                if not list then
                    list = {}
                    units[row.year] = list
                end
                list[#list + 1] = {region = row.region, cluster = row.cluster,
                                   key = key(row.year, row.region, row.cluster)}
            end
        end

        -- raw component values, by unit key
        local raw = {}        -- component index -> key -> value
        for i, c in ipairs(COMPONENTS) do
            local src, col, f = c[2], c[3], c[4]
            local m = {}
            for row in k.rows(src, {"year", "region", "cluster", col}) do
                local v = row[col]
                if v ~= nil and row.cluster ~= "*" then
                    m[key(row.year, row.region, row.cluster)] = f and f(v) or v
                end
            end
            raw[i] = m
        end

        for year, list in pairs(units) do
            -- normalise each component across the year's units
            local norm = {}   -- component index -> key -> value
            for i = 1, #COMPONENTS do
                local lo, hi
                for _, u in ipairs(list) do
                    local v = raw[i][u.key]
                    if v ~= nil then
                        if lo == nil or v < lo then lo = v end
                        if hi == nil or v > hi then hi = v end
                    end
                end
                local n = {}
                if lo ~= nil then
                    local equal = hi - lo <= TOL * math.max(math.abs(lo), math.abs(hi))
                    for _, u in ipairs(list) do
                        local v = raw[i][u.key]
                        if v ~= nil then
                            n[u.key] = equal and 50 or 100 * (v - lo) / (hi - lo)
                        end
                    end
                end
                norm[i] = n
            end
            -- index
            for _, u in ipairs(list) do
                local sum, count = 0, 0
                for i = 1, #COMPONENTS do
                    local v = norm[i][u.key]
                    if v ~= nil then
                        sum = sum + v
                        count = count + 1
                    end
                end
                if count >= MIN_COMPONENTS then
                    u.index = sum / count
                end
            end
            -- competition rank: sorted by index, highest first, the units
            -- better than unit i form a prefix that grows with i
            local ranked = {}
            for _, u in ipairs(list) do
                if u.index ~= nil then
                    ranked[#ranked + 1] = u
                end
            end
            table.sort(ranked, function(a, b) return a.index > b.index end)
            local j = 1
            for i, u in ipairs(ranked) do
                while j < i and better(ranked[j].index, u.index) do
                    j = j + 1
                end
                u.rank = j
            end
            for _, u in ipairs(list) do
                k.emit {
                    year = year, region = u.region, cluster = u.cluster,
                    norm_net_rate = norm[1][u.key],
                    norm_budget_share = norm[2][u.key],
                    norm_innovating_share = norm[3][u.key],
                    norm_rd_intensity = norm[4][u.key],
                    norm_export_diversity = norm[5][u.key],
                    index = u.index, rank = u.rank,
                }
            end
        end
    end,
}
