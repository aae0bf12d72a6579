-- debug_library.lua -- reaches the debug library
-- expect-status: 70
-- expect-error: attempt to index a nil value (global 'debug')
indicator {
    name = "hostile_debug_library",
    version = "1.0.0",
    description = "hostile test script: reaches the debug library",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        debug.sethook()
    end,
}
