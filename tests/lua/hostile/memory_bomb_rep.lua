-- memory_bomb_rep.lua -- string.rep past the memory limit (no hook runs inside C)
-- expect-status: 70
-- expect-error: exceeded the memory limit
-- limits: --lua-memory 16M
indicator {
    name = "hostile_memory_bomb_rep",
    version = "1.0.0",
    description = "hostile test script: string.rep past the memory limit (no hook runs inside C)",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local s = string.rep("x", 64 * 1024 * 1024)
        k.warn(#s)
    end,
}
