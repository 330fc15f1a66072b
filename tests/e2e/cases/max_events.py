# SPDX-License-Identifier: MIT
"""-n N: exactly N events, then uptrace detaches and the program still completes right."""

from driver import events, json_lines


def run(ctx):
    exe = ctx.fixture("fib")
    proc = ctx.uptrace("--json", "-n", "10", "fib n", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "uptrace -n 10")
    ctx.check_equal(proc.stdout.strip(), "fib(15)=610 calls=1973", "fib's output after -n")
    evs = events(json_lines(proc.stderr, ctx=ctx))
    ctx.check_equal(len(evs), 10, "events with -n 10")
    ctx.check_equal([e.get("args", {}).get("n") for e in evs],
                    [15, 14, 13, 12, 11, 10, 9, 8, 7, 6], "the first 10 n values")

    exe = ctx.fixture("threads")
    proc = ctx.uptrace("--json", "-n", "1000", "work", "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "uptrace -n 1000 on 8 threads")
    ctx.check("calls=400000 ok" in proc.stdout, "threads completes right after -n")
    ctx.check_equal(len(events(json_lines(proc.stderr, ctx=ctx))), 1000,
                    "events with -n 1000 on 8 threads")
