-- median_revenue.lua -- the median firm revenue of each cluster: a
-- statistic the host does not aggregate, so it reads the values themselves
-- with g:values (the slow path: one Lua value per row).  A parameter sets
-- how many reporting firms a cluster needs.
local function median(xs)
    table.sort(xs)
    local n = #xs
    if n % 2 == 1 then
        return xs[(n + 1) // 2]
    end
    return (xs[n // 2] + xs[n // 2 + 1]) / 2
end

indicator {
    name = "example_median_revenue",
    version = "1.0.0",
    description = "Median revenue of the firms of each cluster",
    source = "klaster documentation example",
    inputs = {
        firms = {"year", "region", "cluster", "revenue"},
    },
    columns = {
        {"year", "int"},
        {"region", "text"},
        {"cluster", "text"},
        {"median_revenue", "num", unit = "UZS", description = "median over firms reporting revenue"},
    },
    keys = 3,
    params = {
        {"min_firms", default = "2", description = "fewer reporting firms: no median"},
    },
    compute = function(k)
        local min_firms = tonumber(k.param("min_firms"))
        if not min_firms then
            error("min_firms must be a number, not " .. k.param("min_firms"))
        end
        for g in k.groups("firms", {"year", "region", "cluster"}) do
            local values = g:values("revenue") -- {v1, v2, ..., n = rows}, nil = missing
            local xs = {}
            for i = 1, values.n do
                if values[i] then
                    xs[#xs + 1] = values[i]
                end
            end
            k.emit(g.year, g.region, g.cluster, #xs >= min_firms and median(xs) or nil)
        end
    end,
}
