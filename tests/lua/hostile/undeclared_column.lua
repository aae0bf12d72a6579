-- undeclared_column.lua -- aggregates a column it did not declare
-- expect-status: 64
-- expect-error: reads firms.revenue, which the script does not declare
indicator {
    name = "hostile_undeclared_column",
    version = "1.0.0",
    description = "hostile test script: aggregates a column it did not declare",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        for g in k.groups("firms", {"year"}) do
            k.emit(g.year, g:sum("revenue"))
        end
    end,
}
