-- os_execute.lua -- runs a command with os.execute
-- expect-status: 70
-- expect-error: attempt to index a nil value (global 'os')
indicator {
    name = "hostile_os_execute",
    version = "1.0.0",
    description = "hostile test script: runs a command with os.execute",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        os.execute("touch /tmp/klaster-pwned")
    end,
}
