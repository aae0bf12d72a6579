-- require_package.lua -- require, the way to package.loadlib
-- expect-status: 70
-- expect-error: attempt to call a nil value (global 'require')
indicator {
    name = "hostile_require_package",
    version = "1.0.0",
    description = "hostile test script: require, the way to package.loadlib",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local os = require("os")
        os.execute("touch /tmp/klaster-pwned")
    end,
}
