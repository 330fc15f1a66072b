# SPDX-License-Identifier: MIT
"""Every instruction of insns.S probed at once (FUNC+OFF, --count --json): each count must
equal stepcount's single-step count, and the program's output its untraced output."""

import re
import subprocess

from driver import counts, instruction_offsets, symbols

FUNCS = ["insns_loop", "insns_leaf_direct", "insns_leaf_indirect", "insns_leaf_reg"]
N = "1000"


def one_by_one(ctx, exe, probes, want):
    """After a failed run with every probe: which instructions fail alone, and how."""
    text = disassembly(exe)
    for probe in probes:
        proc = ctx.uptrace("--count", "--json", probe, "--", exe, N, timeout=60)
        got = counts(proc.stderr) or {}
        key = probe.replace("+0", "") if probe.endswith("+0") else \
            "{}+0x{:x}".format(*probe.split("+")[:1], int(probe.split("+")[1]))
        if proc.returncode or got.get(key) != want.get(key):
            ctx.fail(f"alone: {probe} [{text.get(probe, '?')}]: exit {proc.returncode}, "
                     f"count {got.get(key)} (want {want.get(key)}) "
                     f"{proc.stderr.strip()[-120:]!r}")


def disassembly(exe):
    """{'func+off': 'mnemonic operands'} for the probed functions, from objdump."""
    out = {}
    for func in FUNCS:
        addr, size, offs = instruction_offsets(exe, func)
        proc = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                               f"--start-address=0x{addr:x}",
                               f"--stop-address=0x{addr + size:x}", exe],
                              capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            m = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", line)
            if m:
                out[f"{func}+{int(m.group(1), 16) - addr}"] = " ".join(m.group(2).split())
    return out


def run(ctx):
    exe = ctx.fixture("insns")
    syms = symbols(exe)
    plain = ctx.run([exe, N])
    ctx.check_exit(plain, 0, "insns untraced")

    probes, want = [], {}
    lo = min(syms[f][0] for f in FUNCS)
    hi = max(syms[f][0] + syms[f][1] for f in FUNCS)
    steps, sc = ctx.stepcount(lo, hi, [exe, N], start=syms["main"][0])
    ctx.check_equal(sc.stderr.strip(), plain.stdout.strip(), "insns output under stepcount")
    # The oracle itself: the loop head runs N+1 times, the entry once.
    addr, _, offs = instruction_offsets(exe, "insns_loop")
    ctx.check_equal(steps.get(addr), 1, "stepcount: insns_loop entry count")
    ctx.check(any(v == int(N) + 1 for v in steps.values()), "stepcount: a loop head ran N+1 times")

    for func in FUNCS:
        addr, _, offs = instruction_offsets(exe, func)
        for off in offs:
            probes.append(f"{func}+{off}")
            want[func if off == 0 else f"{func}+0x{off:x}"] = steps.get(addr + off, 0)
    ctx.log(f"{len(probes)} probes")

    proc = ctx.uptrace("--count", "--json", *probes, "--", exe, N, timeout=120)
    ctx.check_exit(proc, 0, "uptrace --count on insns")
    ctx.check_equal(proc.stdout, plain.stdout, "insns output under uptrace")
    got = counts(proc.stderr, ctx)
    if got is None:
        ctx.fail(f"no counts object in uptrace's output: {proc.stderr[-2000:]}")
        one_by_one(ctx, exe, probes, want)
        return
    bad = 0
    for key, n in want.items():
        if got.get(key) != n:
            bad += 1
            ctx.fail(f"count of {key}: got {got.get(key)}, stepcount says {n}")
    extra = set(got) - set(want)
    ctx.check(not extra, f"no unexpected count keys ({sorted(extra)[:5]})")
    ctx.check(bad == 0, f"all {len(want)} per-instruction counts equal stepcount's")
