-- error_object.lua -- error() with a table
-- expect-status: 70
-- expect-error: (error object is a table value)
indicator {
    name = "hostile_error_object",
    version = "1.0.0",
    description = "hostile test script: error() with a table",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        error({code = 42})
    end,
}
