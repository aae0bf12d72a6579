-- gc_finalizer_late.lua -- adds __gc to a metatable after setmetatable:
-- Lua marks an object for finalization only when setmetatable sees __gc,
-- so the endless finalizer never runs (not even at lua_close).
-- expect-status: 0
-- expect-output: 2020,1
local mt = {}
KEEP = setmetatable({}, mt)
mt.__gc = function() while true do end end
indicator {
    name = "hostile_gc_finalizer_late",
    version = "1.0.0",
    description = "hostile test script: __gc added late",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        KEEP = nil -- garbage now, but never marked for finalization
        k.emit(2020, 1)
    end,
}
