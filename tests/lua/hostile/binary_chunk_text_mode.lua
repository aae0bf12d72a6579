-- binary_chunk_text_mode.lua -- loads a binary chunk with load's default mode
-- expect-status: 70
-- expect-error: attempt to load a binary chunk
indicator {
    name = "hostile_binary_chunk_text_mode",
    version = "1.0.0",
    description = "hostile test script: loads a binary chunk with load's default mode",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local chunk = "\27Lua\84\0\25\147\13\10\26\10\4\8\8\120\86"
        assert(load(chunk))
    end,
}
