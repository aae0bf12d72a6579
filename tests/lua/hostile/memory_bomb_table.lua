-- memory_bomb_table.lua -- a table that grows without end
-- expect-status: 70
-- expect-error: exceeded the memory limit
-- limits: --lua-memory 16M
indicator {
    name = "hostile_memory_bomb_table",
    version = "1.0.0",
    description = "hostile test script: a table that grows without end",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local t = {}
        for i = 1, math.maxinteger do
            t[i] = {i}
        end
    end,
}
