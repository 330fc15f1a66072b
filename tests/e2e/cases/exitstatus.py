# SPDX-License-Identifier: MIT
"""With `--`, uptrace exits with COMMAND's status: N for exit(N), 128+N for signal N."""


def run(ctx):
    exe = ctx.fixture("exitcode")
    for how, n, want in (("exit", 0, 0), ("exit", 3, 3), ("exit", 42, 42),
                         ("signal", 15, 128 + 15), ("signal", 11, 128 + 11),
                         ("signal", 6, 128 + 6)):
        proc = ctx.uptrace("--count", "work", "--", exe, how, str(n), timeout=30)
        ctx.check_exit(proc, want, f"uptrace -- exitcode {how} {n}")
        ctx.check("work" in proc.stderr, f"count printed although the program {how}ed")
