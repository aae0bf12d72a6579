-- undeclared_pcall.lua -- hides a refused read in pcall
-- expect-status: 64
-- expect-error: reads table 'exports', which the script does not declare
indicator {
    name = "hostile_undeclared_pcall",
    version = "1.0.0",
    description = "hostile test script: hides a refused read in pcall",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local ok = pcall(k.nrows, "exports")
        k.emit(2020, ok and 1 or 0)
    end,
}
