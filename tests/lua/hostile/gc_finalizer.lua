-- gc_finalizer.lua -- a finalizer that never ends.  Lua runs finalizers
-- with debug hooks off, so no instruction limit could stop it: scripts may
-- not set __gc at all.
-- expect-status: 70
-- expect-error: gc_finalizer.lua:14: setmetatable: finalizers (__gc) are not allowed
indicator {
    name = "hostile_gc_finalizer",
    version = "1.0.0",
    description = "hostile test script: endless finalizer",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        KEEP = setmetatable({}, {__gc = function() while true do end end})
        k.emit(2020, 1)
    end,
}
