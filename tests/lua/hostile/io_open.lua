-- io_open.lua -- opens a file with io
-- expect-status: 70
-- expect-error: attempt to index a nil value (global 'io')
indicator {
    name = "hostile_io_open",
    version = "1.0.0",
    description = "hostile test script: opens a file with io",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local f = io.open("/etc/passwd")
        k.warn(f:read("a"))
    end,
}
