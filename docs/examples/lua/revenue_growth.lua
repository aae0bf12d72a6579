-- revenue_growth.lua -- year-on-year revenue growth of each cluster, with
-- g:prev() (the same cluster one year earlier).
indicator {
    name = "example_revenue_growth",
    version = "1.0.0",
    description = "Revenue of each cluster and its growth on the year before",
    source = "klaster documentation example",
    inputs = {
        firms = {"year", "region", "cluster", "revenue"},
    },
    columns = {
        {"year", "int"},
        {"region", "text"},
        {"cluster", "text"},
        {"revenue", "num", unit = "UZS", description = "sum of the firms' revenue"},
        {"growth", "num", unit = "%", description = "100 * (revenue / revenue a year earlier - 1)"},
    },
    keys = 3,
    compute = function(k)
        for g in k.groups("firms", {"year", "region", "cluster"}) do
            local revenue = g:sum("revenue")
            local before = g:prev()          -- nil in the first year
            local growth
            if before and before:sum("revenue") > 0 then
                growth = 100 * (revenue / before:sum("revenue") - 1)
            end
            k.emit(g.year, g.region, g.cluster, revenue, growth)
        end
    end,
}
