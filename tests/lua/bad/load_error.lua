-- load_error.lua -- fails while loading, before declaring itself
-- expect-status: 64
-- expect-error: bad/load_error.lua:4: attempt to index a nil value (global 'config')
local threshold = config.threshold
