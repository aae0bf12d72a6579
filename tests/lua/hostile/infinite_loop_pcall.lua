-- infinite_loop_pcall.lua -- an endless loop inside pcall, in an endless loop
-- expect-status: 70
-- expect-error: exceeded the instruction limit
-- limits: --lua-instructions 10000000
indicator {
    name = "hostile_infinite_loop_pcall",
    version = "1.0.0",
    description = "hostile test script: an endless loop inside pcall, in an endless loop",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        while true do
            pcall(function() while true do end end)
        end
    end,
}
