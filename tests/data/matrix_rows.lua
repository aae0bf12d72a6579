-- matrix_rows.lua -- the step tests/e2e/matrix.sh computes over each case of
-- the bad-input matrix: every firm row as loaded (year, firm, region,
-- employees, revenue), so a case can check the values the reader produced.
indicator {
  name = "matrix_rows", version = "1.0.0",
  description = "every firm row as loaded (tests only)",
  inputs = { firms = {"year", "firm", "region", "employees", "revenue"} },
  columns = { {"year", "int"}, {"firm", "text"}, {"region", "text"},
              {"employees", "int"}, {"revenue", "num"} },
  keys = 2,
  compute = function(k)
    for row in k.rows("firms") do
      k.emit(row.year, row.firm, row.region, row.employees, row.revenue)
    end
  end,
}
