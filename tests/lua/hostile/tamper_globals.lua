-- tamper_globals.lua -- wrecks its own globals and libraries: only this
-- script's own state suffers; the bridge does not use them, so the step
-- still runs.
-- expect-status: 0
-- expect-output: 2021,7
local emit_ok = true
error, pairs, ipairs, tostring, tonumber, type, select, next = nil, nil, nil, nil, nil, nil, nil, nil
string.format, string.rep, table.concat, table.sort = nil, nil, nil, nil
math = nil
rawset(_G, "k", "not the k object")
indicator {
    name = "hostile_tamper_globals",
    version = "1.0.0",
    description = "hostile test script: wrecks globals",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        indicator = nil
        setmetatable = nil
        for g in k.groups("firms", {"year"}) do
            k.emit(g.year, g:count())
        end
    end,
}
