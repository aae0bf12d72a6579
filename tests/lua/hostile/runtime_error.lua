-- runtime_error.lua -- arithmetic on a missing field
-- expect-status: 70
-- expect-error: attempt to perform arithmetic on a nil value (field 'revenue')
indicator {
    name = "hostile_runtime_error",
    version = "1.0.0",
    description = "hostile test script: arithmetic on a missing field",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        for row in k.rows("firms") do
            k.emit(row.year, row.revenue * 2)
        end
    end,
}
