-- binary_chunk.lua -- loads a binary chunk through load(..., "b")
-- expect-status: 70
-- expect-error: only text chunks
indicator {
    name = "hostile_binary_chunk",
    version = "1.0.0",
    description = "hostile test script: loads a binary chunk through load(..., \"b\")",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        -- a precompiled chunk starts with ESC "Lua"; crafted bytecode can
        -- crash the VM, so only text may be loaded
        local chunk = "\27Lua\84\0\25\147\13\10\26\10\4\8\8\120\86"
        assert(load(chunk, "=evil", "b"))
    end,
}
