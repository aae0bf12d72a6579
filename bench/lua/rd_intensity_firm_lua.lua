-- bench/lua/rd_intensity_firm_lua.lua -- the bridge's worst case for the
-- speed comparison: the same ratio of sums as rd_intensity_lua.lua, but per
-- firm and year, so the Lua loop body runs once per row of firms.
indicator {
    name = "rd_intensity_firm_lua",
    version = "1.0.0",
    description = "R&D spending as a share of revenue, per firm (Lua; benchmark)",
    inputs = { firms = {"year", "firm", "rd_spend", "revenue"} },
    columns = {
        {"year", "int"}, {"firm", "text"},
        {"rd_intensity", "num", unit = "%", description = "100 * rd_spend / revenue"},
    },
    keys = 2,
    compute = function(k)
        for g in k.groups("firms", {"year", "firm"}) do
            local rev = g:sum("revenue", "rd_spend")
            k.emit(g.year, g.firm, rev > 0 and 100 * g:sum("rd_spend", "revenue") / rev or nil)
        end
    end,
}
