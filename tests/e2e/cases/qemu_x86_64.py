# SPDX-License-Identifier: MIT
"""The GDB-remote target on this host: the x86_64 fixtures run under qemu-x86_64 with
--qemu, traced through its gdbstub. Every instruction of insns.S against stepcount, fib's
arguments and return values, return probes through longjmp, a libc probe armed before libc
runs, threads and signals (skipped when qemu-x86_64 is not installed)."""

import shutil
from collections import Counter

from driver import counts, events, instruction_offsets, json_lines, render, symbols

N = "200"


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def run(ctx):
    if not shutil.which("qemu-x86_64"):
        ctx.skip("qemu-x86_64 is not installed")

    exe = ctx.fixture("fib")
    proc = ctx.uptrace("--qemu", "--json", "fib n", "fib%return", "--", exe, "10", timeout=120)
    ctx.check_exit(proc, 0, "--qemu fib 10")
    ctx.check_equal(proc.stdout.strip(), "fib(10)=55 calls=177", "fib's output under qemu")
    evs = events(json_lines(proc.stderr, ctx=ctx))
    entries = Counter(e.get("args", {}).get("n") for e in evs if e.get("event") == "entry")
    returns = Counter(e.get("retval") for e in evs if e.get("event") == "return")
    want = Counter()
    stack = [10]
    while stack:
        n = stack.pop()
        want[n] += 1
        if n >= 2:
            stack += [n - 1, n - 2]
    ctx.check_equal(dict(entries), dict(want), "multiset of n under qemu")
    want_r = Counter()
    for n, c in want.items():
        want_r[fib(n)] += c
    ctx.check_equal(dict(returns), dict(want_r), "multiset of return values under qemu")

    exe = ctx.fixture("insns")
    syms = symbols(exe)
    funcs = ["insns_loop", "insns_leaf_direct", "insns_leaf_indirect", "insns_leaf_reg"]
    lo = min(syms[f][0] for f in funcs)
    hi = max(syms[f][0] + syms[f][1] for f in funcs)
    steps, _ = ctx.stepcount(lo, hi, [exe, N], start=syms["main"][0])
    probes, want = [], {}
    for func in funcs:
        addr, _, offs = instruction_offsets(exe, func)
        for off in offs:
            probes.append(f"{func}+{off}")
            want[func if off == 0 else f"{func}+0x{off:x}"] = steps.get(addr + off, 0)
    proc = ctx.uptrace("--qemu", "--count", "--json", *probes, "--", exe, N, timeout=300)
    ctx.check_exit(proc, 0, f"--qemu insns with {len(probes)} probes")
    ctx.check(proc.stdout.startswith(f"insns: n={N} ") and proc.stdout.strip().endswith(" ok"),
              f"insns' output under qemu: {proc.stdout.strip()!r}")
    got = counts(proc.stderr, ctx) or {}
    bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
    ctx.check(not bad, f"every instruction's count under qemu equals stepcount's "
              f"(differ: {dict(list(bad.items())[:8])})")

    exe = ctx.fixture("jump")
    proc = ctx.uptrace("--qemu", "--json", "dive depth jump", "dive%return",
                       "greet name:string x=p->x y=p->y", "sum8 a b c d e f g h", "sum8%return",
                       "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "--qemu jump")
    ctx.compare_expected([render(e) for e in events(json_lines(proc.stderr, ctx=ctx))],
                         "jump.out")

    exe = ctx.fixture("libcputs")
    proc = ctx.uptrace("--qemu", "--count", "--json", "libc:__libc_start_main", "libc:puts",
                       "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "--qemu libcputs")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {"libc.so.6:__libc_start_main": 1, "libc.so.6:puts": 7},
                    "libc probes armed before libc runs, under qemu")

    # Threads and signals through the gdbstub. qemu-user 7.2's stub serves one stopped
    # thread at a time, so threads that hit probes at the same moment are a known limit
    # (man page): one worker thread here. It reports every signal (no QPassSignals), so
    # the timer ticks every 20 ms rather than the native case's 200 us.
    print("note: qemu 7.2 limits: one probing thread at a time, 20 ms timer", flush=True)
    exe = ctx.fixture("threads")
    proc = ctx.uptrace("--qemu", "--count", "--json", "work", "work%return", "--", exe, "1",
                       "2000", timeout=90)
    ctx.check_exit(proc, 0, "--qemu threads 1 x 2000")
    ctx.check("calls=2000 ok" in proc.stdout, f"threads' output under qemu: {proc.stdout!r}")
    ctx.check_equal(counts(proc.stderr, ctx), {"work": 2000, "work%return": 2000},
                    "counts of a worker thread under qemu")

    exe = ctx.fixture("signals")
    proc = ctx.uptrace("--qemu", "--count", "--json", "work", "--", exe, "20000", timeout=90)
    ctx.check_exit(proc, 0, "--qemu signals")
    ctx.check_equal(proc.stdout.strip(), "signals: calls=5050 usr1=50 ok",
                    "signals' output under qemu")
    ctx.check_equal(counts(proc.stderr, ctx), {"work": 5050}, "count under qemu with signals")
