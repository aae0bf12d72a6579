-- bad_type.lua -- a column type that does not exist
-- expect-status: 64
-- expect-error: column 'share' has type 'float' (use int, num or text)
indicator {
    name = "bad_bad_type",
    version = "1.0.0",
    description = "float is not a type",
    inputs = {firms = {"year"}},
    columns = {{"year", "int"}, {"share", "float"}},
    compute = function(k) end,
}
