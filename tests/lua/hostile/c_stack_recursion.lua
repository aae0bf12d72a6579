-- c_stack_recursion.lua -- recursion through C (gsub callbacks, __index functions)
-- expect-status: 70
-- expect-error: stack overflow
indicator {
    name = "hostile_c_stack_recursion",
    version = "1.0.0",
    description = "hostile test script: recursion through C (gsub callbacks, __index functions)",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local function f(s) return (s:gsub(".", f)) end
        f("ab")
    end,
}
