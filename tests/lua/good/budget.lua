-- budget.lua -- uses most of its instruction and memory budget in every
-- compute call: the budgets are per call, so every run succeeds.  The unit
-- test loads it with --lua-instructions 10000000 --lua-memory 16M.
indicator {
    name = "good_budget",
    version = "1.0.0",
    description = "per-call budgets",
    inputs = {firms = {"year"}},
    columns = {{"run", "int"}},
    keys = 1,
    compute = function(k)
        local x = 0
        for i = 1, 1500000 do -- about 6 million instructions
            x = x + i
        end
        local big = {}
        for i = 1, 40 do -- about 10 MB, garbage once compute returns
            big[i] = string.rep(("y"):rep(1024), 256) .. i
        end
        RUNS = (RUNS or 0) + 1
        k.emit(RUNS)
    end,
}
