-- stale.lua -- keeps a grouping, a group and a row iterator in globals and
-- uses them in the next compute call, after the host has taken back what
-- they pointed to: each use is an error, never a crash.
indicator {
    name = "good_stale",
    version = "1.0.0",
    description = "objects kept across compute calls",
    inputs = {firms = {"year", "employees"}},
    columns = {{"run", "int"}},
    keys = 1,
    compute = function(k)
        if SAVED_GROUP then
            local ok, e = pcall(function() return SAVED_GROUP:sum("employees") end)
            assert(not ok and e:find("after the compute call", 1, true), e)
            assert(not pcall(function() return SAVED_GROUPING:size() end))
            assert(not pcall(function() return SAVED_GROUP.year end))
            assert(not pcall(SAVED_ROWS))
            assert(tostring(SAVED_GROUP) == "group (of an ended compute call)")
            k.emit(2)
        else
            SAVED_GROUPING = k.grouping("firms", {"year"})
            SAVED_GROUP = SAVED_GROUPING[1]
            SAVED_ROWS = k.rows("firms")
            k.emit(1)
        end
    end,
}
