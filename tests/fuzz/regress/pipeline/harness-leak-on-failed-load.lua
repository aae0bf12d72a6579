-- pipeline.lua -- the small pipeline `make torture` runs (tests/torture/run.sh
-- fills in the paths): a C plugin and a Lua script over tests/fixtures/check/clean.
pipeline {
  data = "data",
  plugin_path = "@PLUGINS@",
  script_path = "@SCRIPTS@",
  steps = { "jobs_created", { name = "slow_count", params = { spin = 10 } } },
  output = { dir = "out", keep = 10 },
}
