-- reads_failing.lua -- a test step reading the output of tp_fails, which
-- always fails: the run must report this step as skipped, not failed.
indicator {
  name = "reads_failing", version = "1.0.0", description = "depends on a failing step (tests only)",
  inputs = { tp_fails = {"year", "region"} },
  columns = { {"year", "int"}, {"region", "text"} },
  keys = 2,
  compute = function(k)
    for row in k.rows("tp_fails") do k.emit(row.year, row.region) end
  end,
}
