# SPDX-License-Identifier: MIT
"""-l (with -v arguments), --hist, --stack: what they print names the right things."""

import re


def run(ctx):
    fib = ctx.fixture("fib")
    jump = ctx.fixture("jump")

    proc = ctx.uptrace("-l", "fib*", "--", fib, timeout=30)
    ctx.check_exit(proc, 0, "uptrace -l 'fib*'")
    out = proc.stdout + proc.stderr
    ctx.check(re.search(r"\bfib\b", out) and "main" not in out, f"-l lists fib only: {out!r}")

    # a started program's libraries are listed too: it runs until they are loaded
    proc = ctx.uptrace("-l", "libc:mall*", "--", fib, timeout=30)
    ctx.check_exit(proc, 0, "uptrace -l 'libc:mall*'")
    lines = proc.stdout.split()
    ctx.check("libc.so.6:malloc" in lines and all(l.startswith("libc.so.6:mall") for l in lines),
              f"-l 'libc:mall*' lists libc's malloc and the like only: {lines}")
    ctx.check("fib(15)" not in proc.stdout, "the listed program did not run its main")

    proc = ctx.uptrace("-l", "-v", "sum8", "--", jump, timeout=30)
    ctx.check_exit(proc, 0, "uptrace -l -v sum8")
    out = proc.stdout + proc.stderr
    ctx.check(all(re.search(rf"\b{a}\b", out) for a in "abcdefgh"),
              f"-l -v shows sum8's 8 arguments: {out!r}")

    proc = ctx.uptrace("--hist", "fib%return", "--", fib, timeout=60)
    ctx.check_exit(proc, 0, "uptrace --hist fib%return")
    ctx.check("fib%return" in proc.stderr and "|" in proc.stderr,
              f"a histogram is printed: {proc.stderr[-600:]!r}")
    nums = [int(m) for m in re.findall(r"\s(\d+)\s*\|", proc.stderr)]
    ctx.check_equal(sum(nums), 1973, "histogram buckets add up to the 1973 returns")

    proc = ctx.uptrace("--stack", "-n", "3", "dive", "--", jump, timeout=60)
    ctx.check_exit(proc, 0, "uptrace --stack")
    ctx.check("main" in proc.stderr, f"--stack shows main below dive: {proc.stderr[-600:]!r}")
