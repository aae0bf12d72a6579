-- close_loop.lua -- a to-be-closed variable whose __close never ends, run
-- while an error unwinds: Lua runs __close with hooks on, so the
-- instruction limit stops it.
-- expect-status: 70
-- expect-error: exceeded the instruction limit
-- limits: --lua-instructions 10000000
indicator {
    name = "hostile_close_loop",
    version = "1.0.0",
    description = "hostile test script: endless __close",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local guard <close> = setmetatable({}, {__close = function() while true do end end})
        error("unwind through the endless __close")
    end,
}
