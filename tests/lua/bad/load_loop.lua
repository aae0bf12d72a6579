-- load_loop.lua -- never finishes loading
-- expect-status: 64
-- expect-error: exceeded the instruction limit of 10000000 while loading
-- limits: --lua-instructions 10000000
while true do end
