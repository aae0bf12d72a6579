-- unknown_field.lua -- a misspelled field must not pass silently
-- expect-status: 64
-- expect-error: indicator: indicator{} has no field 'colums'
indicator {
    name = "bad_unknown_field",
    version = "1.0.0",
    description = "misspells columns",
    inputs = {firms = {"year"}},
    colums = {{"year", "int"}},
    compute = function(k) end,
}
