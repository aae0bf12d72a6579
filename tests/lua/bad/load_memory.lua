-- load_memory.lua -- exhausts memory while loading
-- expect-status: 64
-- expect-error: exceeded the memory limit of 16777216 bytes while loading
-- limits: --lua-memory 16M
local t = {}
for i = 1, 1e9 do t[i] = tostring(i) end
