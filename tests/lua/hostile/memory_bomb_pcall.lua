-- memory_bomb_pcall.lua -- catches the memory error with pcall and goes on
-- expect-status: 70
-- expect-error: exceeded the memory limit
-- limits: --lua-memory 16M
indicator {
    name = "hostile_memory_bomb_pcall",
    version = "1.0.0",
    description = "hostile test script: catches the memory error with pcall and goes on",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local keep = {}
        for i = 1, 100 do
            pcall(function()
                keep[#keep + 1] = string.rep(("x"):rep(1024), 4096) .. i
            end)
        end
        local more = string.rep(("y"):rep(1024), 65536)
        k.emit(2020, #more)
    end,
}
