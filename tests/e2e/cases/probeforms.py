# SPDX-License-Identifier: MIT
"""The other spellings of a probe (cli.md): 0xADDR, FILE:LINE, globs, %REG, $comm, $tid,
explicit types; each must hit exactly where and as often as the program says."""

import os
from collections import Counter

from driver import counts, events, json_lines, symbols


def fib_ns(n, acc):
    acc[n] += 1
    if n >= 2:
        fib_ns(n - 1, acc)
        fib_ns(n - 2, acc)


def source_line(path, text):
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if text in line:
                return i
    return None


def run(ctx):
    fib = ctx.fixture("fib")
    want = Counter()
    fib_ns(15, want)
    addr = symbols(fib)["fib"][0]

    proc = ctx.uptrace("--count", "--json", f"0x{addr:x}", "--", fib, timeout=60)
    ctx.check_exit(proc, 0, f"probe 0x{addr:x} (fib)")
    got = counts(proc.stderr, ctx) or {}
    ctx.check_equal(list(got.values()), [1973], f"hits of 0x{addr:x}")

    tests = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    src = os.path.join(tests, "fixtures", "x86_64", "fib.c")
    line = source_line(src, "calls++;")
    proc = ctx.uptrace("--count", "--json", f"fib.c:{line}", "--", fib, timeout=60)
    ctx.check_exit(proc, 0, f"probe fib.c:{line}")
    got = counts(proc.stderr, ctx) or {}
    ctx.check_equal(list(got.values()), [1973], f"hits of fib.c:{line}")

    proc = ctx.uptrace("--json", "fib r=%rdi:s32 c=$comm t=$tid n2=n:x32", "--", fib,
                       timeout=60)
    ctx.check_exit(proc, 0, "probe with %REG, $comm, $tid and a type")
    evs = events(json_lines(proc.stderr, ctx=ctx))
    ctx.check_equal(dict(Counter(e.get("args", {}).get("r") for e in evs)), dict(want),
                    "%rdi as s32: the multiset of n")
    ctx.check_equal({e.get("args", {}).get("c") for e in evs}, {"fib"}, "$comm")
    ctx.check(evs and all(e.get("args", {}).get("t") == e.get("tid") for e in evs), "$tid")
    hexes = {e.get("args", {}).get("n2") for e in evs}
    ctx.check(hexes <= {hex(n) for n in want} | {f"0x{n:08x}" for n in want}
              and len(hexes) == 16, f"n as x32 is a hex string ({sorted(map(str, hexes))[:4]})")

    insns = ctx.fixture("insns")
    proc = ctx.uptrace("--count", "--json", "insns_leaf_*", "--", insns, "100", timeout=60)
    ctx.check_exit(proc, 0, "glob insns_leaf_*")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {"insns_leaf_direct": 100, "insns_leaf_indirect": 100, "insns_leaf_reg": 100},
                    "one probe per glob match")
