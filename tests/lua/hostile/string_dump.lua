-- string_dump.lua -- makes bytecode with string.dump
-- expect-status: 70
-- expect-error: attempt to call a nil value (field 'dump')
indicator {
    name = "hostile_string_dump",
    version = "1.0.0",
    description = "hostile test script: makes bytecode with string.dump",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local bytecode = string.dump(function() return 1 end)
        k.warn(#bytecode)
    end,
}
