-- compute_error.lua -- error() in compute
-- expect-status: 70
-- expect-error: hostile/compute_error.lua:12: no data for this year
indicator {
    name = "hostile_compute_error",
    version = "1.0.0",
    description = "hostile test script: error() in compute",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        error("no data for this year")
    end,
}
