-- no_indicator.lua -- never calls indicator{}
-- expect-status: 64
-- expect-error: the script never calls indicator{...}
local function compute(k) end
