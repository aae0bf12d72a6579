-- bench/lua/rd_intensity_lua.lua -- the Lua half of the bridge's speed
-- comparison (bench/plugins/rd_intensity_c.c is the C half): R&D spending
-- as a share of revenue per (year, region, cluster), as the ratio of two
-- sums over the firms where both fields are present.
indicator {
    name = "rd_intensity_lua",
    version = "1.0.0",
    description = "R&D spending as a share of revenue, per cluster (Lua; benchmark)",
    source = "OECD/Eurostat (2018) Oslo Manual, 4th ed.",
    inputs = { firms = {"year", "region", "cluster", "rd_spend", "revenue"} },
    columns = {
        {"year", "int"}, {"region", "text"}, {"cluster", "text"},
        {"firms", "int", unit = "firms", description = "firm rows of the cluster"},
        {"rd_intensity", "num", unit = "%", description = "100 * sum(rd_spend) / sum(revenue)"},
    },
    keys = 3,
    compute = function(k)
        for g in k.groups("firms", {"year", "region", "cluster"}) do
            local rev = g:sum("revenue", "rd_spend")
            local rd = g:sum("rd_spend", "revenue")
            k.emit(g.year, g.region, g.cluster, g:count(), rev > 0 and 100 * rd / rev or nil)
        end
    end,
}
