-- infinite_loop.lua -- while true do end
-- expect-status: 70
-- expect-error: exceeded the instruction limit
-- limits: --lua-instructions 10000000
indicator {
    name = "hostile_infinite_loop",
    version = "1.0.0",
    description = "hostile test script: while true do end",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        while true do end
    end,
}
