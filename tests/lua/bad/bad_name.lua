-- bad_name.lua -- a step name with characters klaster does not allow
-- expect-status: 64
-- expect-error: plugin name 'Bad-Name' is not valid
indicator {
    name = "Bad-Name",
    version = "1.0.0",
    description = "bad name",
    inputs = {firms = {"year"}},
    columns = {{"year", "int"}},
    compute = function(k) end,
}
