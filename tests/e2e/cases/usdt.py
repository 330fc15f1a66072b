# SPDX-License-Identifier: MIT
"""USDT probes (usdt:PROVIDER:NAME) on the usdt fixture (<sys/sdt.h>, -O2), against
independent truths:

- bpftrace's usdt: probes on the same run: every argument value (registers, base+disp,
  base+index*scale, constants, a string) and every count;
- the fixture's own formulas (fixture:total's operand names a global, which bpftrace 0.17
  cannot read);
- readelf -n for -l 'usdt:*' (one line per note, with its argument specs);
- the fixture's own report of its semaphore-guarded code: it runs only while uptrace is
  attached (spawned, attached with -p then detached, forked children with and without -f).

Natively and under --qemu (the same usdt.c cross-built for aarch64 and riscv64): the
spawned run (every event, in order, against the formulas; the counts), -l and the errors.
Native only: bpftrace, -p attach and detach, fork.
"""

import collections
import os
import re
import shutil
import subprocess
import time

from driver import counts, events, json_lines

TRANSPORTS = ("native", "qemu")
QEMU_ARCHES = ("x86_64", "aarch64", "riscv64")

LABELS = ["alpha", "beta", "gamma", "delta"]
N = 12


def fixture_sum(n):
    return sum((i % 64) ** 2 - 7 + i % 5 - 2 for i in range(n))


def want_events(n):
    """Per key, the multiset of argument tuples the fixture's source says it fires."""
    total, tot = [], 0
    for i in range(n):
        tot += i % 5 - 2
        total.append((tot,))
    return {
        "usdt:fixture:item": [(1000 + i, i % 5 - 2, LABELS[i % 4], (i % 64) ** 2 - 7, i & 0xff)
                              for i in range(n)],
        "usdt:fixture:pair": [t for i in range(n) for t in ((1, (1000 + i) * 3), (2, -i))],
        "usdt:fixture:elem": [(j, j * j - 7) for j in range(0, 64, 3)],
        "usdt:fixture:guarded": [(i, f"step-{i}") for i in range(n)],
        "usdt:fixture:total": total,
    }


PROBES = ["usdt:fixture:item a=$arg1 b=$arg2 c=$arg3:string d=$arg4 e=$arg5",
          "usdt:fixture:pair", "usdt:fixture:elem",
          "usdt:fixture:guarded a=$arg1 b=$arg2:string", "usdt:fixture:total"]


def uptrace_events(text, ctx):
    got = collections.defaultdict(list)
    for e in events(json_lines(text, ctx=ctx)):
        got[e["probe"]].append(tuple(e["args"].values()))
    return got


BPFTRACE_SCRIPT = """
usdt:{exe}:fixture:item /pid == cpid/ {{ @item[arg0, arg1, str(arg2), arg3, arg4] = count(); }}
usdt:{exe}:fixture:pair /pid == cpid/ {{ @pair[arg0, arg1] = count(); }}
usdt:{exe}:fixture:elem /pid == cpid/ {{ @elem[arg0, arg1] = count(); }}
usdt:{exe}:fixture:guarded /pid == cpid/ {{ @guarded[arg0, str(arg1)] = count(); }}
"""


def bpftrace_events(ctx, exe, n):
    """{key: sorted argument tuples} from bpftrace's usdt: probes, or None (cannot run)."""
    bt = shutil.which("bpftrace")
    if not bt:
        return None, "bpftrace is not installed"
    if not os.path.exists("/sys/kernel/tracing/uprobe_events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                       capture_output=True)
    proc = ctx.run([bt, "-e", BPFTRACE_SCRIPT.format(exe=exe), "-c", f"{exe} {n}"],
                   timeout=120)
    if proc.returncode != 0 or "@item[" not in proc.stdout:
        return None, f"bpftrace cannot run here (exit {proc.returncode}): {proc.stderr[-300:]}"
    got = collections.defaultdict(list)
    for line in proc.stdout.splitlines():
        m = re.match(r"^@(\w+)\[(.*)\]: (\d+)$", line)
        if not m:
            continue
        vals = tuple(int(v) if re.fullmatch(r"-?\d+", v) else v for v in m.group(2).split(", "))
        got["usdt:fixture:" + m.group(1)] += [vals] * int(m.group(3))
    return {k: sorted(v, key=repr) for k, v in got.items()}, proc.stdout


def relocated_operands(exe):
    """{key: argument spec} of the notes whose operands name a relocation (readelf -n)."""
    notes = subprocess.run(["readelf", "-n", exe], capture_output=True, text=True).stdout
    return {f"usdt:{prov}:{name}": args.strip() for prov, name, args in re.findall(
        r"Provider: (\S+)\s+Name: (\S+)\s+Location:[^\n]*\n\s+Arguments: ([^\n]*)", notes)
        if ":lo12:" in args}


def check_spawned(ctx, exe):
    untraced = ctx.untraced([exe, str(N)])
    ctx.check_equal(untraced.stdout.strip(), f"n={N} sum={fixture_sum(N)} guarded=0",
                    "untraced: the guarded code does not run")
    proc = ctx.uptrace("--json", *PROBES, "--", exe, str(N))
    ctx.check_exit(proc, 0, "uptrace usdt:fixture:* -- usdt")
    ctx.check_equal(proc.stdout.strip(), f"n={N} sum={fixture_sum(N)} guarded={N}",
                    "traced: the semaphore was raised before the program ran")
    got = uptrace_events(proc.stderr, ctx)
    unreadable = relocated_operands(exe)
    for key, want in want_events(N).items():
        if key in unreadable:
            # aarch64 -O2 names fixture:total's global through a relocation (readelf -n):
            # uptrace says it cannot read it and counts the hits, every one of them
            ctx.check(f"{key} at" in proc.stderr and "a relocation cannot be read" in
                      proc.stderr, f"{key} ({unreadable[key]}): uptrace says why it reads "
                      "no argument")
            want = [()] * len(want)
        ctx.check_equal(got.get(key, []), want,
                        f"{key}: argument values, in the order fired (the fixture's formulas)")

    bt, why = bpftrace_events(ctx, exe, N) if ctx.native else (None, "not over --qemu")
    if bt is None:
        print(f"note: no bpftrace comparison: {why}")
    else:
        for key, want in bt.items():
            ctx.check_equal(sorted(got.get(key, []), key=repr), want,
                            f"{key}: argument values and count equal bpftrace's")

    proc = ctx.uptrace("--count", "--json", "usdt:fixture:*", "--", exe, str(N))
    ctx.check_exit(proc, 0, "uptrace --count usdt:fixture:*")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {k: len(v) for k, v in want_events(N).items()},
                    "counts per usdt:PROVIDER:NAME key (two sites of pair count as one)")


def check_attach_detach(ctx, exe):
    """Attached for a while, then detached: the semaphore is up only in between."""
    prog = subprocess.Popen([exe, "60", "slow"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.6)
        proc = ctx.uptrace("--count", "--json", "usdt:fixture:guarded", "-p", str(prog.pid),
                           "--timeout", "1", timeout=30)
        ctx.check_exit(proc, 0, "uptrace -p PID --timeout 1 usdt:fixture:guarded")
        out, _ = prog.communicate(timeout=30)
    finally:
        if prog.poll() is None:
            prog.kill()
    lines = re.findall(r"i=(\d+) semaphore=(\d+) guarded=(\d+)", out)
    ctx.check(len(lines) == 60, f"the program ran to its end ({len(lines)} of 60 lines)")
    sema = [int(s) for _, s, _ in lines]
    ctx.check(sema and sema[0] == 0 and sema[-1] == 0 and 1 in sema and set(sema) <= {0, 1},
              f"semaphore 0 before attach, 1 while attached, 0 after detach: {sema}")
    guarded = int(lines[-1][2]) if lines else -1
    hits = (counts(proc.stderr, ctx) or {}).get("usdt:fixture:guarded")
    ctx.check_equal(hits, guarded, "guarded hits while attached = the times its code ran")
    ctx.check(0 < guarded < 60, f"the guarded code ran only while attached ({guarded} of 60)")


def check_fork(ctx, exe):
    n, s = 5, fixture_sum(5)
    proc = ctx.uptrace("--count", "--json", "usdt:fixture:guarded", "--", exe, str(n), "fork")
    ctx.check_exit(proc, 0, "usdt fork without -f")
    ctx.check_equal(proc.stdout.splitlines(),
                    [f"child n={n} sum={s} guarded=0", f"n={n} sum={s} guarded={n}"],
                    "without -f: the child let go untraced gets its semaphore back to 0")
    ctx.check_equal(counts(proc.stderr, ctx), {"usdt:fixture:guarded": n}, "count without -f")
    proc = ctx.uptrace("-f", "--count", "--json", "usdt:fixture:guarded", "--", exe, str(n),
                       "fork")
    ctx.check_exit(proc, 0, "usdt fork with -f")
    ctx.check_equal(proc.stdout.splitlines(),
                    [f"child n={n} sum={s} guarded={n}", f"n={n} sum={s} guarded={n}"],
                    "with -f: the followed child has the semaphore raised too")
    ctx.check_equal(counts(proc.stderr, ctx), {"usdt:fixture:guarded": 2 * n},
                    "count with -f (parent and child)")


def check_list(ctx, exe):
    notes = subprocess.run(["readelf", "-n", exe], capture_output=True, text=True).stdout
    want = []
    for prov, name, args in re.findall(
            r"Provider: (\S+)\s+Name: (\S+)\s+Location:[^\n]*\n\s+Arguments: ([^\n]*)", notes):
        want.append(f"usdt:{prov}:{name} {args.strip()}".strip())
    proc = ctx.uptrace("-l", "usdt:*", "--", exe)
    ctx.check_exit(proc, 0, "uptrace -l 'usdt:*'")
    ctx.check_equal(sorted(proc.stdout.splitlines()), sorted(want),
                    "-l 'usdt:*' lists every note of readelf -n with its argument specs")
    proc = ctx.uptrace("-l", "usdt:fixture:p*", "--", exe)
    ctx.check_equal(sorted(proc.stdout.splitlines()),
                    sorted(w for w in want if w.startswith("usdt:fixture:p")),
                    "-l 'usdt:fixture:p*' (a glob)")


def check_errors(ctx, exe):
    proc = ctx.uptrace("usdt:fixture:nosuch", "--", exe, "1")
    ctx.check(proc.returncode == 1 and "no USDT probe matching 'fixture:nosuch'" in proc.stderr,
              f"an unknown USDT probe is named: {proc.stderr.strip()[-200:]}")
    proc = ctx.uptrace("usdt:fixture:pair $arg3", "--", exe, "1")
    ctx.check(proc.returncode == 1 and "$arg3: the probe has 2 arguments" in proc.stderr,
              f"$argN past the note's arguments is named: {proc.stderr.strip()[-200:]}")
    for bad in ["usdt:pair", "usdt:fixture:pair%return", "usdt:fixture:pair+4", "usdt:a:b c:d"]:
        proc = ctx.uptrace(bad, "--", exe, "1")
        ctx.check(proc.returncode == 2 and f"probe '{bad}'" in proc.stderr,
                  f"'{bad}' is a usage error naming it: {proc.stderr.strip()[:200]}")


def run(ctx):
    exe = ctx.fixture("usdt")
    check_spawned(ctx, exe)
    if ctx.native:
        check_attach_detach(ctx, exe)
        check_fork(ctx, exe)
    check_list(ctx, exe)
    check_errors(ctx, exe)
