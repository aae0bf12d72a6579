-- error_handler_loop.lua -- an xpcall handler and a __tostring that never end
-- expect-status: 70
-- expect-error: exceeded the instruction limit
-- limits: --lua-instructions 10000000
indicator {
    name = "hostile_error_handler_loop",
    version = "1.0.0",
    description = "hostile test script: an xpcall handler and a __tostring that never end",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local loop = setmetatable({}, {__tostring = function() while true do end end})
        xpcall(function() error(loop) end, function() while true do end end)
        error(loop)
    end,
}
