--[[
cluster_stage -- places each cluster, each year, in one of the four
development stages of the cluster-policy paper (seed: "cluster policy and
the stages of infrastructure support for regional clusters"):

  1 identification      Step 1: the permanent participants of the cluster
                        are being identified and the regional clustering
                        strategy developed.
  2 pilot projects      Step 2: pilot projects on the cluster's priorities,
                        first infrastructure (business incubators, guarantee
                        funds, procurement systems, technology transfer).
  3 strategic projects  Step 3: strategic development projects -- technoparks
                        or technopolises (innovation-oriented clusters),
                        logistics centres and trade sites (vertically
                        integrated ones).
  4 self-regulating     Step 4: independent, self-regulating development
                        (own economic zones, information and marketing
                        centres); the cluster no longer depends on the state
                        to grow.

The paper gives the stages for all three cluster types (innovation-oriented,
vertically integrated, conglomerate) with different institutions but the
same sequence, so one rule serves all three; the `type` (clusters.csv) is
written beside the stage.

THE RULE (evaluated per cluster row of jobs_created with firms > 0; every
threshold is a parameter, defaults in brackets; age = year - founded from
clusters.csv):

  Stage 1  if  age <= young_age [2]  or  firms < min_firms [5].
           A cluster in its first years, or with fewer firms than a
           cluster needs to be more than a few partners, is still
           identifying its participants.
  Stage 3  if  age >= strategic_age [4]  and  firms >= strategic_firms [10]
           and innovating_share >= strategic_innovating_share [20 %]
           and products >= strategic_products [3].
           Strategic projects presuppose a settled, sizeable membership,
           innovation that a technopark can build on (at least one firm in
           five innovating) and an export base beyond one or two goods that
           a logistics centre can serve.
  Stage 4  if  stage 3's checks hold  and  age >= mature_age [6]
           and innovating_share >= mature_innovating_share [30 %]
           and rd_intensity >= mature_rd_intensity [1 %]
           and products >= mature_products [5]
           and hhi_products_norm <= mature_hhi_norm [0.25]
           and net_rate >= mature_net_rate [0 %].
           Self-regulating development: innovation has become routine
           (R&D at least 1 % of sales, a third of the firms innovating),
           exports are diversified (normalised HHI at most 0.25 -- 0.25 is
           the US merger guidelines' "highly concentrated" line), and the
           cluster keeps its jobs without outside help (no net job loss).
  Stage 2  otherwise (past stage 1, below stage 3).

Missing values: a missing indicator fails the check that needs it (the
cluster has not shown it meets it): no export rows means products and
hhi_products_norm are missing.  Two exceptions: a missing age (cluster not in
clusters.csv, or no `founded`) does not make a cluster stage 1 (it fails the
age checks of stages 3 and 4), and a missing net_rate (the first year of the
data, or a gap) is not checked: it reflects the data's coverage, not the
cluster.

Why these defaults (judgements, documented so they can be argued with):
Uzbekistan's clusters date from the 2017-2019 decrees, so the defaults keep
a cluster's first three years (age 0-2) in stage 1 and let strategic
projects start from year 4 and independent development from year 6.  Ten
firms is the smallest membership at which a technopark or logistics centre
serves a network rather than a few partners.  The innovation thresholds
follow the paper's emphasis on innovating small businesses: one firm in five
innovating for stage 3, three in ten for stage 4 (EU Community Innovation
Survey shares of innovation-active firms are around one half).  R&D at 1 %
of sales is roughly the intensity of medium-low-technology manufacturing in
OECD statistics, far above the near-zero spending of a young cluster.  0.25
for the normalised HHI borrows the "highly concentrated" line of the 2010 US
Horizontal Merger Guidelines (HHI 2500).  Set them in a pipeline to suit
another country or programme.

`reason` states the thresholds that decided, with the values (6
significant digits):
  stage 1: "stage 1: age 1 <= 2" (each holding stage-1 condition)
  stage 2: "past stage 1: age 5 > 2 and firms 8 >= 5; below stage 3:
            firms 8 < 10 and products missing" (each failing stage-3 check)
  stage 3: "stage 3: <each stage-3 check>; below stage 4: <each failing
            stage-4 check>"
  stage 4: "stage 3: <each stage-3 check>; stage 4: <each stage-4 check>"
            + " (net_rate missing: not checked)" when it is missing
Rows: one per cluster row of jobs_created with firms > 0 (a cluster whose
firms all left that year has none).

Inputs: jobs_created (firms, net_rate), innovation_activity
(innovating_share, rd_intensity), export_diversification (products,
hhi_products_norm), clusters (type, founded).  Cluster level only (no "*"
rows).

Source: the stages and types of the seed paper on cluster policy
(European Journal of Molecular & Clinical Medicine 7(9), 2020); thresholds
documented above.
]]

local PARAMS = {
    {"young_age", "2", "stage 1 while year - founded <= this"},
    {"min_firms", "5", "stage 1 while the cluster has fewer firms than this"},
    {"strategic_age", "4", "stage 3 needs year - founded >= this"},
    {"strategic_firms", "10", "stage 3 (and 4) needs at least this many firms"},
    {"strategic_innovating_share", "20", "stage 3 needs innovating_share (%) >= this"},
    {"strategic_products", "3", "stage 3 needs at least this many exported products"},
    {"mature_age", "6", "stage 4 needs year - founded >= this"},
    {"mature_innovating_share", "30", "stage 4 needs innovating_share (%) >= this"},
    {"mature_rd_intensity", "1", "stage 4 needs rd_intensity (%) >= this"},
    {"mature_products", "5", "stage 4 needs at least this many exported products"},
    {"mature_hhi_norm", "0.25", "stage 4 needs hhi_products_norm <= this"},
    {"mature_net_rate", "0", "stage 4 needs net_rate (%) >= this (not checked when missing)"},
}

local STAGE_NAME = {"identification", "pilot projects", "strategic projects", "self-regulating"}

local function fmt(v)
    if v == nil then
        return "missing"
    end
    if v == math.floor(v) and math.abs(v) < 1e15 then
        return string.format("%d", math.tointeger(v) or math.floor(v))
    end
    return string.format("%.6g", v)
end

local function key(year, region, cluster)
    return year .. "\0" .. region .. "\0" .. cluster
end

-- A check: {text, ok}.  `op` is ">=" or "<="; the text shows the relation
-- that actually holds ("firms 8 < 10" when it fails).
local function check(name, v, op, limit)
    if v == nil then
        return {name .. " missing", false}
    end
    local ok
    if op == ">=" then
        ok = v >= limit
    else
        ok = v <= limit
    end
    local shown = op
    if not ok then
        shown = op == ">=" and "<" or ">"
    end
    return {string.format("%s %s %s %s", name, fmt(v), shown, fmt(limit)), ok}
end

local function texts(checks, want_ok)
    local out = {}
    for _, c in ipairs(checks) do
        if want_ok == nil or c[2] == want_ok then
            out[#out + 1] = c[1]
        end
    end
    return table.concat(out, " and ")
end

local function all_ok(checks)
    for _, c in ipairs(checks) do
        if not c[2] then
            return false
        end
    end
    return true
end

local param_defs = {}
for i, p in ipairs(PARAMS) do
    param_defs[i] = {p[1], default = p[2], description = p[3]}
end

indicator {
    name = "cluster_stage",
    version = "1.0.0",
    description = "Development stage (1-4) of each cluster per year, after the cluster-policy paper's four steps, with the deciding thresholds",
    source = "Stages and cluster types of the seed cluster-policy paper (EJMCM 7(9), 2020); thresholds documented in the script",
    inputs = {
        clusters = {"cluster", "type", "founded"},
        jobs_created = {"year", "region", "cluster", "firms", "net_rate"},
        innovation_activity = {"year", "region", "cluster", "innovating_share", "rd_intensity"},
        export_diversification = {"year", "region", "cluster", "products", "hhi_products_norm"},
    },
    columns = {
        {"year", "int", description = "year"},
        {"region", "text", description = "region code"},
        {"cluster", "text", description = "cluster id"},
        {"type", "text", description = "cluster type from clusters.csv: innovation, vertical or conglomerate"},
        {"age", "int", unit = "years", description = "year - founded (clusters.csv)"},
        {"firms", "int", unit = "firms", description = "firm rows of the cluster (jobs_created)"},
        {"net_rate", "num", unit = "%", description = "net job creation rate (jobs_created)"},
        {"innovating_share", "num", unit = "%", description = "share of innovating firms (innovation_activity)"},
        {"rd_intensity", "num", unit = "%", description = "R&D spend / revenue (innovation_activity)"},
        {"products", "int", unit = "products", description = "exported products (export_diversification)"},
        {"hhi_products_norm", "num", unit = "", description = "normalised HHI of export products (export_diversification)"},
        {"stage", "int", unit = "1-4", description = "development stage: 1 identification, 2 pilot projects, 3 strategic projects, 4 self-regulating"},
        {"stage_name", "text", description = "name of the stage"},
        {"reason", "text", description = "the thresholds that decided the stage, with the cluster's values"},
    },
    keys = 3,
    params = param_defs,
    compute = function(k)
        local P = {}
        for _, p in ipairs(PARAMS) do
            local v = tonumber(k.param(p[1]))
            if v == nil then
                error(string.format("cluster_stage: parameter %s must be a number, not '%s'",
                                    p[1], tostring(k.param(p[1]))))
            end
            P[p[1]] = v
        end

        local info = {}       -- cluster -> {type, founded}
        for row in k.rows("clusters", {"cluster", "type", "founded"}) do
            info[row.cluster] = {type = row.type, founded = row.founded}
        end
        local innov, expo = {}, {}
        for row in k.rows("innovation_activity",
                          {"year", "region", "cluster", "innovating_share", "rd_intensity"}) do
            if row.cluster ~= "*" then
                innov[key(row.year, row.region, row.cluster)] = row
            end
        end
        for row in k.rows("export_diversification",
                          {"year", "region", "cluster", "products", "hhi_products_norm"}) do
            if row.cluster ~= "*" then
                expo[key(row.year, row.region, row.cluster)] = row
            end
        end

        for row in k.rows("jobs_created", {"year", "region", "cluster", "firms", "net_rate"}) do
            if row.cluster ~= "*" and row.firms ~= nil and row.firms > 0 then
                local kk = key(row.year, row.region, row.cluster)
                local ci = info[row.cluster] or {}
                local ia = innov[kk] or {}
                local ed = expo[kk] or {}
                local age = ci.founded and (row.year - ci.founded) or nil
                local firms = row.firms
                local v = {
                    age = age, firms = firms, net_rate = row.net_rate,
                    innovating_share = ia.innovating_share, rd_intensity = ia.rd_intensity,
                    products = ed.products, hhi_products_norm = ed.hhi_products_norm,
                }

                local stage, reason
                -- stage 1
                local young = {}
                if age ~= nil and age <= P.young_age then
                    young[#young + 1] = string.format("age %s <= %s", fmt(age), fmt(P.young_age))
                end
                if firms < P.min_firms then
                    young[#young + 1] = string.format("firms %s < %s", fmt(firms), fmt(P.min_firms))
                end
                if #young > 0 then
                    stage = 1
                    reason = "stage 1: " .. table.concat(young, " and ")
                else
                    local s3 = {
                        check("age", age, ">=", P.strategic_age),
                        check("firms", firms, ">=", P.strategic_firms),
                        check("innovating_share", v.innovating_share, ">=", P.strategic_innovating_share),
                        check("products", v.products, ">=", P.strategic_products),
                    }
                    if not all_ok(s3) then
                        stage = 2
                        local past = string.format("past stage 1: age %s and firms %s >= %s",
                            age == nil and "missing" or (fmt(age) .. " > " .. fmt(P.young_age)),
                            fmt(firms), fmt(P.min_firms))
                        reason = past .. "; below stage 3: " .. texts(s3, false)
                    else
                        local s4 = {
                            check("age", age, ">=", P.mature_age),
                            check("innovating_share", v.innovating_share, ">=", P.mature_innovating_share),
                            check("rd_intensity", v.rd_intensity, ">=", P.mature_rd_intensity),
                            check("products", v.products, ">=", P.mature_products),
                            check("hhi_products_norm", v.hhi_products_norm, "<=", P.mature_hhi_norm),
                        }
                        if v.net_rate ~= nil then
                            s4[#s4 + 1] = check("net_rate", v.net_rate, ">=", P.mature_net_rate)
                        end
                        reason = "stage 3: " .. texts(s3)
                        if all_ok(s4) then
                            stage = 4
                            reason = reason .. "; stage 4: " .. texts(s4)
                            if v.net_rate == nil then
                                reason = reason .. " (net_rate missing: not checked)"
                            end
                        else
                            stage = 3
                            reason = reason .. "; below stage 4: " .. texts(s4, false)
                        end
                    end
                end

                k.emit {
                    year = row.year, region = row.region, cluster = row.cluster,
                    type = ci.type, age = age, firms = firms, net_rate = v.net_rate,
                    innovating_share = v.innovating_share, rd_intensity = v.rd_intensity,
                    products = v.products, hhi_products_norm = v.hhi_products_norm,
                    stage = stage, stage_name = STAGE_NAME[stage], reason = reason,
                }
            end
        end
    end,
}
