# SPDX-License-Identifier: MIT
"""8 threads x 50,000 calls of work(): --count must show exactly 400000 entries (and as
many returns with a return probe: one return stack per thread)."""

from driver import counts


def run(ctx):
    exe = ctx.fixture("threads")
    proc = ctx.uptrace("--count", "--json", "work", "--", exe, timeout=300)
    ctx.check_exit(proc, 0, "threads under uptrace")
    ctx.check("calls=400000 ok" in proc.stdout, "threads computed its sums right")
    got = counts(proc.stderr, ctx)
    ctx.check_equal(got, {"work": 400000}, "--count --json of work")

    proc = ctx.uptrace("--count", "--json", "work", "work%return", "--", exe, timeout=300)
    ctx.check_exit(proc, 0, "threads under uptrace with a return probe")
    ctx.check("calls=400000 ok" in proc.stdout, "threads computed its sums right (returns)")
    ctx.check_equal(counts(proc.stderr, ctx), {"work": 400000, "work%return": 400000},
                    "--count --json of work and work%return")

    proc = ctx.uptrace("--count", "work", "--", exe, timeout=300)
    ctx.check_exit(proc, 0, "threads under uptrace --count (text)")
    ctx.check("400000" in proc.stderr, "text --count summary shows 400000")
