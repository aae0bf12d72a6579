-- cycle_a.lua / cycle_b.lua -- two test steps that read each other.
indicator {
  name = "cycle_a", version = "1.0.0", description = "reads cycle_b (tests only)",
  inputs = { cycle_b = {"year"} },
  columns = { {"year", "int"} }, keys = 1,
  compute = function(k) end,
}
