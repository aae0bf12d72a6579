-- same_name_b.lua -- shares its name with same_name_a.lua
-- expect-status: 64
-- expect-error: two steps are named 'bad_same_name'
-- together: bad/same_name_a.lua
indicator {
    name = "bad_same_name",
    version = "1.0.0",
    description = "second of two",
    inputs = {firms = {"year"}},
    columns = {{"year", "int"}},
    compute = function(k) end,
}
