-- slow_count.lua -- a test step that takes a few seconds (so a test can
-- kill a run in the middle, or start a second run while it works), then
-- counts firm rows per year.
indicator {
  name = "slow_count", version = "1.0.0",
  description = "firm rows per year, slowly (tests only)",
  inputs = { firms = {"year"} },
  columns = { {"year", "int"}, {"rows", "int", description = "firm rows"} },
  keys = 1,
  params = { {"spin", default = "30000000", description = "empty loop iterations first"} },
  compute = function(k)
    local n = 0
    for i = 1, tonumber(k.param("spin")) do n = n + 1 end
    for g in k.groups("firms", {"year"}) do
      k.emit(g.year, g:count())
    end
  end,
}
