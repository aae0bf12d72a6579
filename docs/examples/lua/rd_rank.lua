-- rd_rank.lua -- ranks the clusters of each year by R&D intensity, reading
-- the output of another step (example_rd_intensity, from rd_intensity.lua):
-- `klaster compute example_rd_rank` runs that step first.  k.rows hands
-- over whole rows as tables, which suits small tables like a step's output.
indicator {
    name = "example_rd_rank",
    version = "1.0.0",
    description = "Rank of each cluster by R&D intensity within its year",
    source = "klaster documentation example",
    inputs = {
        example_rd_intensity = {"year", "region", "cluster", "rd_intensity"},
    },
    columns = {
        {"year", "int"},
        {"cluster", "text"},
        {"rd_intensity", "num", unit = "%"},
        {"rank", "int", description = "1 = the highest R&D intensity of the year"},
    },
    keys = 2,
    compute = function(k)
        local years = {}
        for row in k.rows("example_rd_intensity") do
            if row.rd_intensity then -- a missing value is nil
                local list = years[row.year] or {}
                years[row.year] = list
                list[#list + 1] = row
            end
        end
        for year, list in pairs(years) do
            table.sort(list, function(a, b)
                if a.rd_intensity ~= b.rd_intensity then
                    return a.rd_intensity > b.rd_intensity
                end
                return a.cluster < b.cluster
            end)
            for rank, row in ipairs(list) do
                k.emit(year, row.cluster, row.rd_intensity, rank)
            end
        end
    end,
}
