-- collectgarbage.lua -- drives the collector (CVE-2025-49844 needs it)
-- expect-status: 70
-- expect-error: attempt to call a nil value (global 'collectgarbage')
indicator {
    name = "hostile_collectgarbage",
    version = "1.0.0",
    description = "hostile test script: drives the collector (CVE-2025-49844 needs it)",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        collectgarbage("collect")
    end,
}
