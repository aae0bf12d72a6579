-- metamethod_recursion.lua -- an __index function that indexes itself
-- expect-status: 70
-- expect-error: stack overflow
indicator {
    name = "hostile_metamethod_recursion",
    version = "1.0.0",
    description = "hostile test script: an __index function that indexes itself",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local t = setmetatable({}, {})
        getmetatable(t).__index = function(self, key) return self[key] end
        k.warn(t.anything)
    end,
}
