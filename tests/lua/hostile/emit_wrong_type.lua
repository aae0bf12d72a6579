-- emit_wrong_type.lua -- emits text into an integer column
-- expect-status: 70
-- expect-error: k.emit: column 'n' takes integers, got string
indicator {
    name = "hostile_emit_wrong_type",
    version = "1.0.0",
    description = "hostile test script: emits text into an integer column",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        k.emit(2020, "many")
    end,
}
