-- indicator_twice.lua -- declares itself twice
-- expect-status: 64
-- expect-error: bad/indicator_twice.lua:13: indicator{...} may be called only once per script
local decl = {
    name = "bad_indicator_twice",
    version = "1.0.0",
    description = "declares itself twice",
    inputs = {firms = {"year"}},
    columns = {{"year", "int"}},
    compute = function(k) end,
}
indicator(decl)
indicator(decl)
