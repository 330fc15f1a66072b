# SPDX-License-Identifier: MIT
"""The trap-free path (--count), with truth from the fixtures' sources, stepcount and objdump:

- fastsites: two sites take the trap-free path (-v says so) and three whose code enters the
  window in its first 5 bytes are refused with their reason (had uptrace patched them, the
  program would abort: it checks the instructions it branches into before every call);
  counts are exact and the output is the untraced one;
- joined: a return probe that joins a point queued for the trap-free path takes it to the
  breakpoint path (its count comes from its own hits, not the entry's);
- threads: 8 threads x 50,000 calls of a trap-free probe, every one counted;
- insns: every instruction of the torture fixture as a site, in six runs whose windows cannot
  overlap: counts equal stepcount's and the breakpoint path's, the output is untraced, and a
  site that stays on the breakpoint path says why (a reason of the analysis, never a failure);
- busy: 20 rounds of attach and detach with hundreds of trap-free probes: after each, no
  tracer, text byte-identical to the files and to what /proc/PID/mem held before the first
  round, no mapping of ours left (executable or not), and busy's own checks."""

import re
import time

from cases.attach import exec_mappings, text_identical, tracer_pid
from driver import counts, instruction_offsets, symbols

TRAP_FREE = re.compile(r"^uptrace: probe '([^']+)'(?: \(and \d+ more\))? at 0x[0-9a-f]+: "
                       r"(trap-free|breakpoint)(?: \((.*)\))?$", re.M)
# reasons the analysis gives (arch/x86_64/fastpath.c, src/core/fastpath.c)
ANALYSIS = ("a call", "a return", "a branch", "a loop", "the function ends",
            "indirect jump", "the address taken", "another probe", "inside the trap-free window",
            "code elsewhere", "cannot decode", "system call", "window would be longer")


def text_snapshot(pid):
    """{range: bytes} of every executable mapping of pid, read through /proc/PID/mem."""
    out = {}
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            f = line.split()
            if "x" not in f[1] or (len(f) > 5 and f[5] == "[vsyscall]"):
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            try:
                mem.seek(lo)
                out[f[0]] = mem.read(hi - lo)
            except OSError:
                out[f[0]] = None
    return out


def ours_left(pid):
    """Mappings uptrace makes (memfd:uptrace-fast, memfd:uptrace-fallback) still in pid."""
    with open(f"/proc/{pid}/maps") as maps:
        return [line.strip() for line in maps if "uptrace" in line]


def paths(stderr):
    """{key: (path, reason)} from uptrace -v."""
    return {m.group(1): (m.group(2), m.group(3) or "") for m in TRAP_FREE.finditer(stderr)}


def fastsites(ctx):
    exe = ctx.fixture("fastsites")
    plain = ctx.run([exe, "1000"])
    ctx.check_exit(plain, 0, "fastsites untraced")
    proc = ctx.uptrace("-v", "--count", "--json", "fs_ok", "fs_long", "fs_loop", "fs_cold",
                       "fs_jt", "--", exe, "1000", timeout=60)
    ctx.check_exit(proc, 0, "uptrace --count on fastsites")
    ctx.check_equal(proc.stdout, plain.stdout, "fastsites output under uptrace")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {"fs_ok": 1000, "fs_long": 1000, "fs_loop": 1000, "fs_cold": 1001,
                     "fs_jt": 1000}, "fastsites counts (from its source)")
    got = paths(proc.stderr)
    ctx.check_equal(got.get("fs_ok", ("?",))[0], "trap-free", "fs_ok's path")
    ctx.check_equal(got.get("fs_long", ("?",))[0], "trap-free", "fs_long's path")
    for key, why in (("fs_loop", "a branch at"), ("fs_cold", "code elsewhere in its module"),
                     ("fs_jt", "indirect jump")):
        path, reason = got.get(key, ("?", ""))
        ctx.check(path == "breakpoint" and why in reason,
                  f"{key} stays on the breakpoint path ({why}): {path} ({reason})")
    # a return probe on the same function (with a predicate: its count differs from the
    # entry's) takes the point to the breakpoint path; fs_ok is called with 1..1000
    proc = ctx.uptrace("-v", "--count", "--json", "fs_ok", "fs_ok%return n=$arg1:s64 if n > 500",
                       "fs_long", "--", exe, "1000", timeout=60)
    ctx.check_exit(proc, 0, "uptrace --count fs_ok fs_ok%return")
    ctx.check_equal(counts(proc.stderr, ctx), {"fs_ok": 1000, "fs_ok%return": 500,
                                               "fs_long": 1000},
                    "counts of an entry and a return probe on one point")
    got = paths(proc.stderr)
    ctx.check("return probe" in got.get("fs_ok", ("", ""))[1] and
              got.get("fs_long", ("?",))[0] == "trap-free",
              f"fs_ok with a return probe on the breakpoint path, fs_long trap-free: {got}")
    # --breakpoints-only: the same counts, nothing trap-free
    proc = ctx.uptrace("-v", "--breakpoints-only", "--count", "--json", "fs_ok", "fs_long",
                       "--", exe, "1000", timeout=60)
    ctx.check_exit(proc, 0, "uptrace --breakpoints-only")
    ctx.check_equal(counts(proc.stderr, ctx), {"fs_ok": 1000, "fs_long": 1000},
                    "counts with --breakpoints-only")
    ctx.check_equal(sorted(set(p for p, _ in paths(proc.stderr).values())), ["breakpoint"],
                    "paths with --breakpoints-only")


def joined(ctx):
    """A library's function with an entry and a return probe, both pending until the library
    loads: the return probe joins a point queued for the trap-free path, which must then take
    the breakpoint path. sonames.c: 10 deflate() calls, only the last (Z_FINISH, the output
    fits) returns non-zero (Z_STREAM_END)."""
    proc = ctx.uptrace("-v", "--count", "--json", "libz.so.1:deflate",
                       "libz.so.1:deflate%return if $retval != 0", "--",
                       ctx.fixture("sonames"), timeout=60)
    ctx.check_exit(proc, 0, "uptrace --count deflate deflate%return")
    got = {k.split(":", 1)[1]: v for k, v in (counts(proc.stderr, ctx) or {}).items()}
    ctx.check_equal(got, {"deflate": 10, "deflate%return": 1},
                    "deflate's entries, and its returns with a non-zero value")
    got = list(paths(proc.stderr).values())
    ctx.check(len(got) == 1 and got[0][0] == "breakpoint" and "return probe" in got[0][1],
              f"deflate on the breakpoint path because of its return probe: {got}")


def threads(ctx):
    exe = ctx.fixture("threads")
    proc = ctx.uptrace("-v", "--count", "--json", "work", "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "uptrace --count work on 8 threads")
    ctx.check("calls=400000 ok" in proc.stdout, f"threads' own check: {proc.stdout.strip()!r}")
    ctx.check_equal(paths(proc.stderr).get("work", ("?",))[0], "trap-free", "work's path")
    ctx.check_equal(counts(proc.stderr, ctx), {"work": 400000}, "8 x 50,000 hits counted")


def insns(ctx):
    exe = ctx.fixture("insns")
    funcs = ["insns_loop", "insns_leaf_direct", "insns_leaf_indirect", "insns_leaf_reg"]
    syms = symbols(exe)
    plain = ctx.run([exe, "1000"])
    lo = min(syms[f][0] for f in funcs)
    hi = max(syms[f][0] + syms[f][1] for f in funcs)
    steps, _ = ctx.stepcount(lo, hi, [exe, "1000"], start=syms["main"][0])
    sites = []
    for func in funcs:
        addr, _, offs = instruction_offsets(exe, func)
        sites += [(func, off, steps.get(addr + off, 0)) for off in offs]
    fast, refused = 0, {}
    # a window holds at most 5 instructions: probes 6 apart never share one
    for phase in range(6):
        chosen = sites[phase::6]
        probes = [f"{func}+{off}" for func, off, _ in chosen]
        want = {(func if off == 0 else f"{func}+0x{off:x}"): n for func, off, n in chosen}
        proc = ctx.uptrace("-v", "--count", "--json", *probes, "--", exe, "1000", timeout=120)
        ctx.check_exit(proc, 0, f"insns phase {phase}")
        ctx.check_equal(proc.stdout, plain.stdout, f"insns phase {phase}: output")
        got = counts(proc.stderr, ctx) or {}
        bad = [k for k in want if got.get(k) != want[k]]
        ctx.check(not bad, f"insns phase {phase}: {len(want)} counts equal stepcount's "
                  f"{[(k, got.get(k), want[k]) for k in bad][:5]}")
        for key, (path, why) in paths(proc.stderr).items():
            if path == "trap-free":
                fast += 1
            else:
                refused[key] = why
    ctx.check(fast >= 15, f"{fast} of {len(sites)} insns sites trap-free")
    odd = {k: w for k, w in refused.items() if not any(a in w for a in ANALYSIS)}
    ctx.check(not odd, f"every insns site on the breakpoint path says an analysis reason {odd}")
    # the breakpoint path agrees, site by site (one run, every site)
    proc = ctx.uptrace("--breakpoints-only", "--count", "--json",
                       *[f"{f}+{o}" for f, o, _ in sites], "--", exe, "1000", timeout=120)
    ctx.check_equal({k: v for k, v in (counts(proc.stderr, ctx) or {}).items()},
                    {(f if o == 0 else f"{f}+0x{o:x}"): n for f, o, n in sites},
                    "insns counts on the breakpoint path")


def busy_rounds(ctx):
    with ctx.started("busy", "50") as (busy, pid):
        time.sleep(0.3)
        before = exec_mappings(pid)
        text_before = text_snapshot(pid)
        for rnd in range(20):
            proc = ctx.uptrace("-v", "-p", str(pid), "--timeout", "0.3", "--count", "--json",
                               "busy_add", "busy_mix", "libc:*str*", "libc:pthread_mutex_*",
                               timeout=60)
            got = counts(proc.stderr, ctx) or {}
            fast = sum(1 for p, _ in paths(proc.stderr).values() if p == "trap-free")
            ok = (proc.returncode == 0 and fast >= 200 and got.get("busy_add", 0) > 0 and
                  busy.poll() is None and tracer_pid(pid) == 0)
            ctx.check(ok, f"round {rnd}: exit {proc.returncode}, {fast} trap-free probes, "
                      f"busy_add {got.get('busy_add')}, tracer {tracer_pid(pid)}")
            if busy.poll() is not None:
                break
            text_identical(ctx, pid, f"round {rnd}")
            after = text_snapshot(pid)
            differ = [r for r in text_before if after.get(r) != text_before[r]]
            ctx.check(after.keys() == text_before.keys() and not differ,
                      f"round {rnd}: /proc/{pid}/mem of the text as before the first round "
                      f"{differ[:3]}")
            ctx.check_equal(exec_mappings(pid), before, f"round {rnd}: executable mappings")
            ctx.check_equal(ours_left(pid), [], f"round {rnd}: mappings of ours left")
        rest, _ = busy.communicate(timeout=90)
        ctx.check_equal(busy.returncode, 0, "busy's exit status")
        ctx.check("busy: ok" in rest, f"busy's own checks passed: {rest.strip()!r}")


def run(ctx):
    ctx.require_uptrace()
    fastsites(ctx)
    joined(ctx)
    threads(ctx)
    insns(ctx)
    busy_rounds(ctx)
