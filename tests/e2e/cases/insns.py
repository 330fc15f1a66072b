# SPDX-License-Identifier: MIT
"""Every instruction of the insns fixture's assembly functions probed at once (FUNC+OFF,
--count --json): each count must equal the number of times the instruction ran by an
oracle that shares nothing with uptrace, and the program's output its untraced output.

x86_64 (natively and under --qemu): insns.S's four functions; the oracle is stepcount,
which single-steps the program natively. The foreign arches (under --qemu):
tests/fixtures/ARCH/insns.S's functions (the arch's prefix); the oracle is qemu's own
execution log, one instruction per block (-singlestep -d exec). Instruction starts come
from the arch's objdump."""

import collections
import os
import re
import subprocess

from driver import ARCHES, counts

TRANSPORTS = ("native", "qemu")
QEMU_ARCHES = ("x86_64", "aarch64", "riscv64", "loongarch64")

FUNCS = ["insns_loop", "insns_leaf_direct", "insns_leaf_indirect", "insns_leaf_reg"]
N = "1000"  # the x86_64 fixture's loop count (natively)
N_QEMU = "200"  # under qemu, where a hit costs a gdbstub round trip


def key(func, off):
    return func if off == 0 else f"{func}+0x{off:x}"


def one_by_one(ctx, exe, argv, probes, want):
    """After a failed run with every probe: which instructions fail alone, and how."""
    text = disassembly(ctx, exe)
    for probe in probes:
        proc = ctx.uptrace("--count", "--json", probe, "--", exe, *argv, timeout=60)
        got = counts(proc.stderr) or {}
        func, off = probe.split("+")
        k = key(func, int(off))
        if proc.returncode or got.get(k) != want.get(k):
            ctx.fail(f"alone: {probe} [{text.get(probe, '?')}]: exit {proc.returncode}, "
                     f"count {got.get(k)} (want {want.get(k)}) "
                     f"{proc.stderr.strip()[-120:]!r}")


def disassembly(ctx, exe):
    """{'func+off': 'mnemonic operands'} for the probed functions, from objdump."""
    out = {}
    for func in functions(ctx, exe):
        addr, size, offs = ctx.instruction_offsets(exe, func)
        proc = subprocess.run(ARCHES[ctx.arch]["objdump"] +
                              ["-d", "--no-show-raw-insn", f"--start-address=0x{addr:x}",
                               f"--stop-address=0x{addr + size:x}", exe],
                              capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            m = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", line)
            if m:
                out[f"{func}+{int(m.group(1), 16) - addr}"] = " ".join(m.group(2).split())
    return out


def functions(ctx, exe):
    if ctx.arch == "x86_64":
        return FUNCS
    prefix = ARCHES[ctx.arch]["prefix"]
    return sorted(f for f, (_, size) in ctx.symbols(exe).items()
                  if f.startswith(prefix) and size)


def stepcount_oracle(ctx, exe, argv, lo, hi, plain):
    """x86_64: stepcount's single-step counts, with checks of the oracle itself."""
    syms = ctx.symbols(exe)
    steps, sc = ctx.stepcount(lo, hi, [exe, *argv], start=syms["main"][0])
    ctx.check_equal(sc.stderr.strip(), plain.stdout.strip(), "insns output under stepcount")
    # The oracle itself: the loop head runs N+1 times, the entry once.
    addr, _, _ = ctx.instruction_offsets(exe, "insns_loop")
    ctx.check_equal(steps.get(addr), 1, "stepcount: insns_loop entry count")
    ctx.check(any(v == int(argv[0]) + 1 for v in steps.values()),
              "stepcount: a loop head ran N+1 times")
    return lambda addr: steps.get(addr, 0)


def first_exec_vaddr(prog):
    """The lowest executable PT_LOAD's address: qemu's start_code is where it landed."""
    r = subprocess.run(["readelf", "-lW", prog], capture_output=True, text=True)
    addrs = []
    for line in r.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == "LOAD" and "E" in parts[6:-1]:
            addrs.append(int(parts[2], 16))
    return min(addrs) if addrs else 0


def qemu_oracle(ctx, exe, plain):
    """A foreign arch: PC -> executions from qemu's one-instruction-per-block log."""
    log = os.path.join(os.path.dirname(exe), "oracle.log")
    r = ctx.run(ctx.qemu_cmd() + ["-singlestep", "-d", "page,exec,nochain", "-D", log, exe],
                timeout=300)
    ctx.check_exit(r, 0, "the oracle's run (qemu -singlestep -d exec)")
    ctx.check_equal(r.stdout, plain.stdout, "insns output under the oracle's qemu")
    execs = collections.Counter()
    start_code = None
    with open(log) as f:
        for line in f:
            if line.startswith("Trace "):
                m = re.search(r"\[[0-9a-f]+/([0-9a-f]+)/", line)
                if m:
                    execs[int(m.group(1), 16)] += 1
            elif start_code is None and line.startswith("start_code"):
                start_code = int(line.split()[1], 16)
    os.unlink(log)
    if not ctx.check(start_code is not None, "qemu logged start_code"):
        start_code = 0
    bias = start_code - first_exec_vaddr(exe)
    return lambda addr: execs.get(bias + addr, 0)


def run(ctx):
    exe = ctx.fixture("insns")
    argv = [] if ctx.arch != "x86_64" else [N if ctx.native else N_QEMU]
    funcs = functions(ctx, exe)
    ctx.check(len(funcs) > 0, f"the fixture's assembly functions: {funcs}")
    plain = ctx.untraced([exe, *argv])
    ctx.check_exit(plain, 0, "insns untraced")

    syms = ctx.symbols(exe)
    lo = min(syms[f][0] for f in funcs)
    hi = max(syms[f][0] + syms[f][1] for f in funcs)
    if ctx.arch == "x86_64":
        executed = stepcount_oracle(ctx, exe, argv, lo, hi, plain)
    else:
        executed = qemu_oracle(ctx, exe, plain)

    probes, want, seen = [], {}, set()
    for func in funcs:
        addr, _, offs = ctx.instruction_offsets(exe, func)
        for off in offs:
            if addr + off in seen:
                continue  # a label inside another function: probe the address once
            seen.add(addr + off)
            probes.append(f"{func}+{off}")
            want[key(func, off)] = executed(addr + off)
    ctx.log(f"{len(probes)} probes")
    ctx.check(any(want.values()), f"the oracle saw the probed instructions run "
              f"({sum(1 for v in want.values() if v)} of {len(want)})")

    proc = ctx.uptrace("--count", "--json", *probes, "--", exe, *argv, timeout=300)
    ctx.check_exit(proc, 0, f"uptrace --count on insns ({len(probes)} probes)")
    ctx.check_equal(proc.stdout, plain.stdout, "insns output under uptrace")
    got = counts(proc.stderr, ctx)
    if got is None:
        ctx.fail(f"no counts object in uptrace's output: {proc.stderr[-2000:]}")
        one_by_one(ctx, exe, argv, probes, want)
        return
    bad = 0
    for k, n in want.items():
        if got.get(k) != n:
            bad += 1
            ctx.fail(f"count of {k}: got {got.get(k)}, the oracle says {n}")
    extra = set(got) - set(want)
    ctx.check(not extra, f"no unexpected count keys ({sorted(extra)[:5]})")
    ctx.check(bad == 0, f"all {len(want)} per-instruction counts equal the oracle's")
