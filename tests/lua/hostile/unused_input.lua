-- unused_input.lua -- declares inputs it never reads: allowed (they are
-- loaded for nothing, that is all).
-- expect-status: 0
-- expect-output: 2020,6
indicator {
    name = "hostile_unused_input",
    version = "1.0.0",
    description = "hostile test script: declares inputs it does not read",
    inputs = {
        firms = {"year", "region", "cluster", "employees"},
        exports = {"year", "value"},
        regions = {columns = {"year", "employment"}, optional = true},
    },
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        for g in k.groups("firms", {"year"}) do
            k.emit(g.year, g:count())
        end
    end,
}
