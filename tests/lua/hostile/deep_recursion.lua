-- deep_recursion.lua -- recursion without end
-- expect-status: 70
-- expect-error: stack overflow
indicator {
    name = "hostile_deep_recursion",
    version = "1.0.0",
    description = "hostile test script: recursion without end",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local function f(n) return 1 + f(n + 1) end
        f(1)
    end,
}
