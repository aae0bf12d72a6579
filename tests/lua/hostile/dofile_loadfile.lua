-- dofile_loadfile.lua -- reads files with dofile/loadfile
-- expect-status: 70
-- expect-error: attempt to call a nil value (global 'dofile')
indicator {
    name = "hostile_dofile_loadfile",
    version = "1.0.0",
    description = "hostile test script: reads files with dofile/loadfile",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        assert(loadfile == nil, "loadfile is reachable")
        dofile("/etc/passwd")
    end,
}
