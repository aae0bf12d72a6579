-- cycle_a.lua / cycle_b.lua -- two test steps that read each other.
indicator {
  name = "cycle_b", version = "1.0.0", description = "reads cycle_a (tests only)",
  inputs = { cycle_a = {"year"} },
  columns = { {"year", "int"} }, keys = 1,
  compute = function(k) end,
}
