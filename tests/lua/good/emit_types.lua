-- emit_types.lua -- how Lua values become cells: integers and integral
-- floats in int columns, NaN and infinities as missing, text only in text
-- columns.  The unit test checks the table this emits.
indicator {
    name = "good_emit_types",
    version = "1.0.0",
    description = "emit conversions",
    inputs = {firms = {"year"}},
    columns = {{"k", "int"}, {"i", "int"}, {"n", "num"}, {"t", "text"}},
    keys = 1,
    compute = function(k)
        k.emit(1, 2.0, 3, "x")
        k.emit(2, nil, nil, nil)
        k.emit(3, 0 / 0, math.huge, "")
        k.emit {k = 4, i = 2 ^ 53, n = -7, t = "Toshkent shahri"}
        k.emit(5, -3, 0.5, "x")
        local bad = {
            {6, 2.5, 1, "x"},        -- a fraction in an int column
            {6, 1e19, 1, "x"},       -- beyond int64
            {6, 1, "1", "x"},        -- text in a number column
            {6, 1, 1, 7},            -- a number in a text column
            {6, 1, 1, "a\0b"},       -- a NUL byte
            {6, true, 1, "x"},       -- a boolean
            {6, 1, 1},               -- too few values
        }
        for i, row in ipairs(bad) do
            assert(not pcall(k.emit, table.unpack(row, 1, #row)), "bad row " .. i .. " accepted")
        end
        assert(not pcall(k.emit, {k = 6, nope = 1}))
        assert(not pcall(k.emit, {k = 6, [1] = 1}))
    end,
}
