# SPDX-License-Identifier: MIT
"""A traced program forks a child that calls the probed function: without -f the child runs
untraced and must not die of SIGTRAP from an inherited breakpoint (its calls not counted);
with -f the child's calls are traced too. The same with vfork(), whose child shares the
parent's memory and so its breakpoints."""

from driver import counts


def run(ctx):
    exe = ctx.fixture("forkchild")
    ok = "forkchild: fork parent=20 child=20 ok"
    proc = ctx.uptrace("--count", "--json", "work", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "forkchild without -f")
    ctx.check_equal(proc.stdout.strip(), ok, "forkchild's output without -f")
    ctx.check_equal(counts(proc.stderr, ctx), {"work": 20}, "count without -f (parent only)")

    proc = ctx.uptrace("--count", "--json", "work", "work%return", "--", exe, "vfork",
                       timeout=60)
    ctx.check_exit(proc, 0, "forkchild vfork without -f")
    ctx.check_equal(proc.stdout.strip(), ok.replace("fork ", "vfork "),
                    "forkchild's output with vfork, without -f (no SIGTRAP in the child)")
    got = counts(proc.stderr, ctx) or {}
    ctx.check(got.get("work") in (20, 40) and got.get("work%return") == got.get("work"),
              f"vfork: the parent's 20 calls counted, the child's 20 either all or none: {got}")

    proc = ctx.uptrace("-f", "--count", "--json", "work", "work%return", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "forkchild with -f")
    ctx.check_equal(proc.stdout.strip(), ok, "forkchild's output with -f")
    ctx.check_equal(counts(proc.stderr, ctx), {"work": 40, "work%return": 40},
                    "count with -f (parent and child)")
