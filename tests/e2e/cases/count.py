# SPDX-License-Identifier: MIT
"""--count --json on fib(15), natively and under --qemu on every arch: the summary is
exactly {"counts": {"fib": 1973, "fib%return": 1973}} (the calls fib(15) makes) and the
program prints fib(15)=610."""

from driver import json_lines

TRANSPORTS = ("native", "qemu")
QEMU_ARCHES = ("x86_64", "aarch64", "riscv64", "loongarch64")


def run(ctx):
    exe = ctx.fixture("fib")
    proc = ctx.uptrace("--count", "--json", "fib", "fib%return", "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "uptrace --count fib fib%return")
    ctx.check(proc.stdout.startswith("fib(15)=610"), f"fib's output: {proc.stdout.strip()!r}")
    objs = json_lines(proc.stderr, ctx=ctx)
    ctx.check_equal(objs[-1] if objs else None, {"counts": {"fib": 1973, "fib%return": 1973}},
                    "the last JSON line, the counts")
