--[[
export_rca -- revealed comparative advantage (Balassa index) of each region
in each product, per year.

    RCA(r,p,t) = ( x(r,p) / x(r) ) / ( x(p) / x )

x(r,p) is the export value of region r in product p in year t, x(r) the
region's total, x(p) the product's total over every region of the dataset,
x the grand total; all sums run over the rows of `exports` that the
export_diversification indicator does not ignore (spec section 6): value
present and > 0, product and partner not empty.  Rows of firms in no cluster
count too: this is the region's comparative advantage, not a cluster's.

RCA > 1 means the region exports relatively more of the product than the
whole dataset does (a "revealed" comparative advantage).  With the regions of
one country as the dataset, the reference is the country's own export
structure; with countries (as in the test on world trade data), the world's.

Output: one row per (year, region, product) with x(r,p) > 0, sorted by year,
region, product (text order): export_value = x(r,p), rca.

Source: Balassa, B. (1965) "Trade liberalisation and 'revealed' comparative
advantage", The Manchester School 33(2), 99-123; as computed by UNCTAD and
WITS ("Revealed comparative advantage").
]]

local function positive_sum(g)
    -- Sum of the group's values that are > 0 (the rows section 6 keeps);
    -- the common case -- every value positive -- is one aggregate in C.
    if g:count() == 0 then
        return 0
    end
    local lo = g:min("value")
    if lo ~= nil and lo > 0 then
        return g:sum("value")
    end
    local s = 0
    local values = g:values("value")
    for i = 1, values.n do
        local v = values[i]
        if v ~= nil and v > 0 then
            s = s + v
        end
    end
    return s
end

indicator {
    name = "export_rca",
    version = "1.0.0",
    description = "Revealed comparative advantage (Balassa RCA) of each region in each product, per year",
    source = "Balassa (1965), The Manchester School 33(2); UNCTAD/WITS revealed comparative advantage",
    inputs = {
        exports = {"year", "region", "product", "partner", "value"},
    },
    columns = {
        {"year", "int", description = "year"},
        {"region", "text", description = "region code"},
        {"product", "text", description = "product code (HS), as in exports"},
        {"export_value", "num", unit = "USD",
         description = "x(r,p): exports of the region in the product (rows with value > 0, product and partner present)"},
        {"rca", "num", unit = "",
         description = "Balassa RCA = (x(r,p)/x(r)) / (x(p)/x); > 1 = revealed comparative advantage"},
    },
    keys = 3,
    compute = function(k)
        -- x(r,p) per year; the group's keys exclude empty products, the
        -- `require` list rows with an empty partner or a missing value.
        local years = {}   -- year -> {cells = {...}, xr = {}, xp = {}, x = 0}
        for g in k.groups("exports", {"year", "region", "product"}, {"partner", "value"}) do
            local v = positive_sum(g)
            if v > 0 then
                local y = years[g.year]
                if not y then
                    y = {cells = {}, xr = {}, xp = {}, x = 0}
                    years[g.year] = y
                end
                y.cells[#y.cells + 1] = {g.region, g.product, v}
                y.xr[g.region] = (y.xr[g.region] or 0) + v
                y.xp[g.product] = (y.xp[g.product] or 0) + v
                y.x = y.x + v
            end
        end
        for year, y in pairs(years) do
            for _, c in ipairs(y.cells) do
                local region, product, v = c[1], c[2], c[3]
                local rca = (v / y.xr[region]) / (y.xp[product] / y.x)
                k.emit {year = year, region = region, product = product,
                        export_value = v, rca = rca}
            end
        end
    end,
}
