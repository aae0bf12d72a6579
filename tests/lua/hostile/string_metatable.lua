-- string_metatable.lua -- tampers with the string metatable
-- expect-status: 70
-- expect-error: attempt to index a nil value (field '__index')
indicator {
    name = "hostile_string_metatable",
    version = "1.0.0",
    description = "hostile test script: tampers with the string metatable",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        -- getmetatable("") is locked: it returns a string, not the table
        local mt = getmetatable("")
        mt.__index.upper = function() return "pwned" end
    end,
}
