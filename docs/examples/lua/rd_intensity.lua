-- rd_intensity.lua -- R&D spending as a share of revenue, per cluster and
-- year: the ratio of two sums over the firms that report both fields.
-- The fast path: k.groups + g:sum, computed in C once for all groups.
indicator {
    name = "example_rd_intensity",
    version = "1.0.0",
    description = "R&D spending as a share of revenue, per cluster and year",
    source = "OECD/Eurostat (2018) Oslo Manual, 4th edition, section 4",
    inputs = {
        firms = {"year", "region", "cluster", "rd_spend", "revenue"},
    },
    columns = {
        {"year", "int"},
        {"region", "text"},
        {"cluster", "text"},
        {"firms", "int", unit = "firms", description = "firms reporting both rd_spend and revenue"},
        {"rd_intensity", "num", unit = "%",
         description = "100 * sum(rd_spend) / sum(revenue) over those firms"},
    },
    keys = 3,
    compute = function(k)
        for g in k.groups("firms", {"year", "region", "cluster"}) do
            local revenue = g:sum("revenue", "rd_spend") -- rows where both are present
            local rd = g:sum("rd_spend", "revenue")
            local share = nil                           -- nil = a missing value
            if revenue > 0 then
                share = 100 * rd / revenue
            end
            k.emit(g.year, g.region, g.cluster, g:present("revenue", "rd_spend"), share)
        end
    end,
}
