-- package_loadlib.lua -- package.loadlib (CVE-2022-0543)
-- expect-status: 70
-- expect-error: attempt to index a nil value (global 'package')
indicator {
    name = "hostile_package_loadlib",
    version = "1.0.0",
    description = "hostile test script: package.loadlib (CVE-2022-0543)",
    inputs = {firms = {"year", "region", "cluster", "employees"}},
    columns = {{"year", "int"}, {"n", "int"}},
    keys = 1,
    compute = function(k)
        local system = package.loadlib("libc.so.6", "system")
        system("touch /tmp/klaster-pwned")
    end,
}
