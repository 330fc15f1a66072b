# SPDX-License-Identifier: MIT
"""--help and man/uptrace.1 say what the code does: every option either names is one the
binary accepts (not 'unrecognized'), both name the same options, and what they say of
--stack, --hist and the PROBE forms matches what the other cases exercise (CFI unwinding,
value histograms, USDT, predicates, C++ names)."""

import os
import re


def long_options(text):
    return set(re.findall(r"(?<![\w-])--([a-z][a-z-]*)", text))


def short_options(text):
    """The short options of the option lines ("  -p, --pid PID ...")."""
    return set(re.findall(r"^\s+-([a-zA-Z]),", text, re.M))


def man_text(ctx):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(ctx.expected_dir))))
    path = os.path.join(root, "man", "uptrace.1")
    with open(path) as f:
        text = f.read()
    # roff: "\-\-hist" is "--hist", "\fB" fonts go
    return re.sub(r"\\f[BIRP]", "", text.replace("\\-", "-"))


def run(ctx):
    proc = ctx.uptrace("--help", timeout=10)
    ctx.check_exit(proc, 0, "uptrace --help")
    helptext = proc.stdout
    man = man_text(ctx)
    opts_section = man[man.index(".SH OPTIONS"):man.index(".SH OUTPUT")]

    for opt in sorted(long_options(helptext)):
        p = ctx.uptrace(f"--{opt}", timeout=10)
        ctx.check("unrecognized option" not in p.stderr and "invalid option" not in p.stderr,
                  f"--{opt} (in --help) is an option uptrace accepts")
    for opt in sorted(short_options(helptext)):
        p = ctx.uptrace(f"-{opt}", timeout=10)
        ctx.check("invalid option" not in p.stderr, f"-{opt} (in --help) is accepted")
    ctx.check_equal(long_options(helptext), long_options(opts_section),
                    "--help and the man page's OPTIONS name the same long options")

    stack = re.search(r"--stack\s+(.*?)\n\s+--", helptext, re.S).group(1)
    ctx.check("call frame information" in stack,
              f"--help: --stack unwinds from CFI, not only frame pointers: {stack!r}")
    for what in ["--hist=ARG", "usdt:[MODULE:]PROVIDER:NAME", "if EXPR", "--no-demangle",
                 "'ns::K::f(int)'"]:
        ctx.check(what in helptext, f"--help mentions {what}")
    for what in ["call frame information", "--hist=ARG", "usdt:[MODULE:]PROVIDER:NAME",
                 "Predicates", "--no-demangle", "ns::K::f(int)", "single :"]:
        ctx.check(what in man, f"the man page mentions {what}")
