-- duplicate_column.lua -- two output columns with one name
-- expect-status: 64
-- expect-error: output column 'year' declared twice
indicator {
    name = "bad_duplicate_column",
    version = "1.0.0",
    description = "duplicate column",
    inputs = {firms = {"year"}},
    columns = {{"year", "int"}, {"year", "num"}},
    compute = function(k) end,
}
