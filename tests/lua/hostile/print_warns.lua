-- print_warns.lua -- print() has no standard output to write to: it becomes
-- a warning of the step, like k.warn (at most 100 per run are shown).
-- expect-status: 0
-- expect-output: 2020,1
-- expect-stderr: hello from print 42
indicator {
    name = "hostile_print_warns",
    version = "1.0.0",
    description = "hostile test script: prints",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        for i = 1, 1000 do
            print("hello from print", 42)
        end
        k.emit(2020, 1)
    end,
}
