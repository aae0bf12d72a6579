-- pipeline.lua -- the small pipeline `make torture` runs (tests/torture/run.sh
-- fills in the paths): a C plugin and a Lua script over tests/fixtures/check/clean,
-- and the HTML report, so that the sweeps go through the report writer too.
pipeline {
  data = "data",
  plugin_path = "@PLUGINS@",
  script_path = "@SCRIPTS@",
  steps = { "jobs_created", { name = "slow_count", params = { spin = 10 } } },
  report = "report.html",
  output = { dir = "out", keep = 10 },
}
