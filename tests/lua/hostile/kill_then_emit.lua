-- kill_then_emit.lua -- catches the kill with pcall and tries to finish normally
-- expect-status: 70
-- expect-error: exceeded the instruction limit
-- limits: --lua-instructions 10000000
indicator {
    name = "hostile_kill_then_emit",
    version = "1.0.0",
    description = "hostile test script: catches the kill with pcall and tries to finish normally",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local ok = pcall(function() while true do end end)
        k.emit(2020, ok and 1 or 0)
    end,
}
