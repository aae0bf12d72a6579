-- pipeline.lua -- the weekly run for the bundled Uzbekistan example.
--
-- `make demo` runs it; `klaster schedule examples/uzbekistan/pipeline.lua
-- --on-calendar 'Mon *-*-* 03:00'` turns it into a systemd timer.  Paths
-- are relative to this file.  docs/pipelines.md describes every setting.
pipeline {
  name = "uzbekistan",
  data = ".",                               -- the datasets' folder
  datasets = {
    firms = "firms.csv.gz",
    exports = { path = "exports.csv.gz", delimiter = "," },
    regions = "regions.csv",
    clusters = "clusters.csv",
  },
  steps = {
    -- the four mission indicators (C plugins)
    "jobs_created",
    "budget_revenue",
    "innovation_activity",
    "export_diversification",
    -- the shipped Lua scripts (found on the script path by name)
    "cluster_efficiency",
    "location_quotient",
    "export_rca",
    { name = "cluster_stage" },
    { name = "shift_share" },
  },
  output = { dir = "../../demo-output/uzbekistan", format = "csv", keep = 10 },
  report = "report.html",                   -- the HTML report, in each run folder
}
