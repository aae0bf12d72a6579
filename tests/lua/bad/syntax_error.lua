-- syntax_error.lua -- does not compile
-- expect-status: 64
-- expect-error: bad/syntax_error.lua:6: unexpected symbol near '+'
indicator {
    name = "bad_syntax_error",
    version = + "1.0.0",
}
