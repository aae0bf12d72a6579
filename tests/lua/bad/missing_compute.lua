-- missing_compute.lua -- declares no compute function
-- expect-status: 64
-- expect-error: field 'compute' must be a function compute(k)
indicator {
    name = "bad_missing_compute",
    version = "1.0.0",
    description = "no compute",
    inputs = {firms = {"year"}},
    columns = {{"year", "int"}},
}
