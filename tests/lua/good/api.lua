-- api.lua -- exercises the k API against tests/fixtures/lua/data (without
-- clusters and exports: the unit test leaves them out).  Every check is an
-- assert, so a wrong answer fails the step naming this file and line.
indicator {
    name = "good_api",
    version = "1.0.0",
    description = "checks the k API",
    source = "tests/unit/test_lua.c",
    inputs = {
        firms = {"year", "region", "cluster", "firm", "employees", "revenue", "rd_spend"},
        regions = {columns = {"year", "region", "employment"}, optional = true},
        clusters = {columns = {"cluster", "type"}, optional = true},
    },
    columns = {{"check", "text"}, {"value", "num"}},
    keys = 1,
    params = {{"label", default = "x"}, {"factor", default = 2}, {"unset"}},
    compute = function(k)
        assert(k.name == "good_api")

        -- groups come in key order; rows with a missing key (F4: no cluster)
        -- belong to none
        local seen = {}
        for g in k.groups("firms", {"year", "region", "cluster"}) do
            seen[#seen + 1] = tostring(g)
        end
        assert(#seen == 8, #seen)
        assert(seen[1] == "group(year=2020, region=UZ-AN, cluster=AN-AGR)", seen[1])
        assert(seen[8] == "group(year=2021, region=UZ-TO, cluster=TO-TEX)", seen[8])

        -- a grouping object: size, find, index
        local gr = k.grouping("firms", {"year", "cluster"})
        assert(#gr == 8 and gr:size() == 8)
        local g = gr:find(2021, "AN-TEX")
        assert(g and g.year == 2021 and math.type(g.year) == "integer" and g.cluster == "AN-TEX")
        assert(g:key(1) == 2021 and g:key("cluster") == "AN-TEX")
        assert(gr[1].year == 2020 and gr[0] == nil and gr[9] == nil)
        assert(gr:find(2019, "AN-TEX") == nil)
        assert(gr:find(2021, "NO-SUCH-CLUSTER") == nil) -- a text no input holds
        assert(gr:find(2021.5, "AN-TEX") == nil)
        assert(gr:find(2021.0, "AN-TEX").cluster == "AN-TEX")
        local n = 0
        for h in gr:groups() do
            n = n + 1
        end
        assert(n == 8)

        -- aggregates (F1 12 + F2 15 employees in 2021; F2 had no rd_spend in 2020)
        assert(g:count() == 2 and g:rows() == 2)
        assert(g:sum("employees") == 27)
        assert(g:sum("revenue", "rd_spend") == 3700)
        assert(g:present("rd_spend") == 2 and math.type(g:present("rd_spend")) == "integer")
        assert(g:mean("employees") == 13.5)
        assert(g:min("employees") == 12 and g:max("employees") == 15)
        local ids = g:values("firm")
        assert(ids.n == 2 and ids[1] == "F1" and ids[2] == "F2")
        local before = g:prev()
        assert(before and before.year == 2020 and before:sum("employees") == 30)
        assert(before:sum("revenue", "rd_spend") == 1000)
        assert(g:prev("year").year == 2020 and before:prev() == nil)

        -- missing values: nil in values, left out of aggregates
        local agr = gr:find(2021, "AN-AGR")
        local rev = agr:values("revenue")
        assert(rev.n == 2 and rev[1] == nil and rev[2] == 300)
        assert(agr:sum("revenue") == 300 and agr:present("revenue") == 1)
        local none = gr:find(2021, "TO-AGR")
        assert(none:mean("employees") == nil and none:sum("employees") == 0)
        assert(none:min("employees") == nil and none:present("employees") == 0)

        -- require: rows with a missing rd_spend leave the grouping
        local req = k.grouping("firms", {"year", "cluster"}, {"rd_spend"})
        assert(req:find(2020, "AN-TEX"):count() == 1)
        assert(k.grouping("firms", "year"):size() == 2) -- one key as a string

        -- a join: regions by (year, region)
        local regions = k.grouping("regions", {"year", "region"})
        assert(regions:find(2021, "UZ-TO"):sum("employment") == 850)

        -- whole rows
        local rows, f3 = 0, nil
        for row in k.rows("firms", {"year", "firm", "revenue"}) do
            rows = rows + 1
            if row.firm == "F3" and row.year == 2021 then
                f3 = row
            end
        end
        assert(rows == 13 and k.nrows("firms") == 13)
        assert(f3 and f3.revenue == nil)
        for row in k.rows("regions") do
            assert(row.year and row.region and row.employment)
        end
        assert(k.available("firms") and k.available("regions"))

        -- an absent optional input
        assert(k.available("clusters") == false and k.nrows("clusters") == nil)
        assert(k.grouping("clusters", {"cluster"}) == nil)
        for _ in k.groups("clusters", {"cluster"}) do
            error("an absent input has no groups")
        end
        for _ in k.rows("clusters") do
            error("an absent input has no rows")
        end

        -- parameters (text; defaults)
        assert(k.param("label") == "x" and k.param("factor") == "2" and k.param("unset") == nil)
        assert(not pcall(k.param, "undeclared"))

        -- argument errors are ordinary Lua errors
        assert(not pcall(k.emit, 1, 2, 3))
        local ok, e = pcall(function() return g.no_such_key end)
        assert(not ok and e:find("no key or method 'no_such_key'", 1, true), e)
        assert(not pcall(k.groups, "firms", {}))
        assert(not pcall(k.groups, "firms", {"revenue"})) -- a number column is no key
        assert(getmetatable(g) == "locked by klaster")

        -- the sandbox's own versions of library functions behave as usual
        local okx, ex = xpcall(function() error("x", 0) end, function(m) return "handled " .. m end)
        assert(not okx and ex == "handled x", ex)
        assert(select("#", xpcall(function(a, b) return a, b end, error, 1, 2)) == 3)
        local obj = setmetatable({}, {__index = function(_, key) return key .. "!" end})
        assert(obj.hi == "hi!" and setmetatable(obj, nil) == obj and obj.hi == nil)
        assert(load("return 1 + ...")(2) == 3)
        assert(load("return x", "=env", "t", {x = 5})() == 5)
        assert(("abc"):upper() == "ABC" and getmetatable("") == "locked by klaster")
        assert(string.dump == nil and io == nil and os == nil and debug == nil)
        assert(require == nil and package == nil and collectgarbage == nil and coroutine == nil)

        -- print and k.warn are warnings
        k.warn("a warning", 1, nil, true)

        k.emit("groups", #seen)
        k.emit {check = "nan", value = 0 / 0}
        k.emit {check = "inf", value = -math.huge}
        k.emit("int", 3)
        k.emit {check = "missing"}
    end,
}
