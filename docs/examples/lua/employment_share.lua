-- employment_share.lua -- each cluster's share of its region's employment.
-- Joins two datasets: firms grouped by cluster, regions looked up by
-- (year, region) with gr:find.  `regions` is optional: without it the
-- share is left empty and a warning says why.
indicator {
    name = "example_employment_share",
    version = "1.0.0",
    description = "Employees of each cluster and their share of regional employment",
    source = "klaster documentation example",
    inputs = {
        firms = {"year", "region", "cluster", "employees"},
        regions = {columns = {"year", "region", "employment"}, optional = true},
    },
    columns = {
        {"year", "int"},
        {"region", "text"},
        {"cluster", "text"},
        {"employees", "int", unit = "persons", description = "sum of the firms' employees"},
        {"share", "num", unit = "%", description = "100 * employees / regional employment"},
    },
    keys = 3,
    compute = function(k)
        local regions = k.grouping("regions", {"year", "region"}) -- nil when absent
        if not regions then
            k.warn("no regions dataset: the share is left empty")
        end
        for g in k.groups("firms", {"year", "region", "cluster"}) do
            local employees = nil                -- no firm reports it: missing
            if g:present("employees") > 0 then
                employees = g:sum("employees")
            end
            local share
            local r = regions and regions:find(g.year, g.region)
            local employment = r and r:sum("employment")
            if employees and employment and employment > 0 then
                share = 100 * employees / employment
            end
            k.emit {year = g.year, region = g.region, cluster = g.cluster,
                    employees = employees, share = share}
        end
    end,
}
