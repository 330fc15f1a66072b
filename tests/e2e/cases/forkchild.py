# SPDX-License-Identifier: MIT
"""A traced program forks a child that calls the probed function: without -f the child runs
untraced and must not die of SIGTRAP from an inherited breakpoint (its calls not counted);
with -f the child's calls are traced too."""

from driver import counts


def run(ctx):
    exe = ctx.fixture("forkchild")
    proc = ctx.uptrace("--count", "--json", "work", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "forkchild without -f")
    ctx.check_equal(proc.stdout.strip(), "forkchild: parent=20 child=20 ok",
                    "forkchild's output without -f")
    ctx.check_equal(counts(proc.stderr, ctx), {"work": 20}, "count without -f (parent only)")

    proc = ctx.uptrace("-f", "--count", "--json", "work", "work%return", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "forkchild with -f")
    ctx.check_equal(proc.stdout.strip(), "forkchild: parent=20 child=20 ok",
                    "forkchild's output with -f")
    ctx.check_equal(counts(proc.stderr, ctx), {"work": 40, "work%return": 40},
                    "count with -f (parent and child)")
