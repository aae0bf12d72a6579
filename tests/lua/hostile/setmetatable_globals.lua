-- setmetatable_globals.lua -- setmetatable(_G, nil) (redis#2854)
-- expect-status: 70
-- expect-error: cannot change a protected metatable
indicator {
    name = "hostile_setmetatable_globals",
    version = "1.0.0",
    description = "hostile test script: setmetatable(_G, nil) (redis#2854)",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        setmetatable(_G, nil)
    end,
}
