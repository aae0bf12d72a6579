-- undeclared_table.lua -- reads a table it did not declare
-- expect-status: 64
-- expect-error: reads table 'regions', which the script does not declare
indicator {
    name = "hostile_undeclared_table",
    version = "1.0.0",
    description = "hostile test script: reads a table it did not declare",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        for row in k.rows("regions") do
            k.emit(row.year, row.employment)
        end
    end,
}
