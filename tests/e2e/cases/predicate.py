# SPDX-License-Identifier: MIT
"""Predicates ('PROBE ARGS... if EXPR') keep only the events EXPR holds for; each count
checked against a truth that shares nothing with uptrace:

- libc malloc of 4 KiB and more in a deterministic python3 run: bpftrace's count of
  uprobe:libc:malloc with the same filter on the same run;
- fib(15)'s recursion, computed here: entry predicates with && || ! ( ) on n, return
  predicates on $retval, $comm, $tid and $pid;
- the usdt fixture's labels (a string argument compared by content);
and every malformed EXPR is a usage error (exit 2) that names its position."""

import os
import shutil
import subprocess
import tempfile
from collections import Counter

from driver import counts, events, json_lines

PY = "/usr/bin/python3"
SCRIPT = "d = {str(i): [i] * (i % 7) for i in range(2000)}; print(sum(map(len, d.values())))"
ENV = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0", "LC_ALL": "C"}
BIG = 4096


def bpftrace_count(ctx, cmd, filt):
    bt = shutil.which("bpftrace")
    if not bt:
        return None, "bpftrace is not installed"
    if not os.path.exists("/sys/kernel/tracing/uprobe_events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                       capture_output=True)
    proc = ctx.run(["env", "-i", *[f"{k}={v}" for k, v in ENV.items()], bt, "-e",
                    f"uprobe:libc:malloc /pid == cpid && {filt}/ {{ @n = count(); }}",
                    "-c", " ".join(cmd)], timeout=120)
    for line in proc.stdout.splitlines():
        if line.startswith("@n:"):
            return int(line.split(":")[1]), ""
    return None, f"bpftrace cannot run here (exit {proc.returncode}): {proc.stderr[-300:]}"


def check_malloc(ctx):
    if not os.access(PY, os.X_OK):
        print(f"note: {PY} is missing: no malloc check")
        return
    with tempfile.TemporaryDirectory(prefix="uptrace-e2e.") as tmp:
        script = os.path.join(tmp, "malloc.py")
        with open(script, "w") as f:
            f.write(SCRIPT + "\n")
        cmd = [PY, "-I", "-S", script]
        want, why = bpftrace_count(ctx, cmd, f"arg0 >= {BIG}")
        again, _ = bpftrace_count(ctx, cmd, f"arg0 >= {BIG}")
        if want is None or want != again:
            print(f"note: no bpftrace comparison: {why or 'not deterministic here'}")
            return
        ctx.check(want > 0, f"python3 makes large mallocs ({want})")
        proc = ctx.run([ctx.uptrace_path, "--count", "--json",
                        f"libc:malloc size=$arg1:u64 if size >= {BIG}", "--", *cmd],
                       env=ENV, timeout=120)
        ctx.check_exit(proc, 0, "uptrace --count 'libc:malloc size=$arg1:u64 if size >= 4096'")
        ctx.check_equal(proc.stdout.strip(), "5995", "python3's output")
        ctx.check_equal(counts(proc.stderr, ctx), {"libc.so.6:malloc": want},
                        "mallocs of 4 KiB and more vs bpftrace's count with the same filter")
        proc = ctx.run([ctx.uptrace_path, "--json", "libc:malloc size=$arg1:u64 if size >= "
                        f"{BIG} && size < 0x10000", "--", *cmd], env=ENV, timeout=120)
        sizes = [e["args"]["size"] for e in events(json_lines(proc.stderr, ctx=ctx))]
        ctx.check(sizes and all(BIG <= s < 0x10000 for s in sizes),
                  f"events printed are only those kept: {len(sizes)} sizes in [4096, 65536)")


def fib_calls(n, acc):
    acc[n] += 1
    if n >= 2:
        fib_calls(n - 1, acc)
        fib_calls(n - 2, acc)


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def check_fib(ctx):
    exe = ctx.fixture("fib")
    calls = Counter()
    fib_calls(15, calls)
    total = sum(calls.values())

    def n_where(pred):
        return sum(c for n, c in calls.items() if pred(n))

    cases = [
        ("fib if n >= 10", "fib", n_where(lambda n: n >= 10)),
        ("fib if n > 10 && n != 12", "fib", n_where(lambda n: n > 10 and n != 12)),
        ("fib if n < 2 || n == 7", "fib", n_where(lambda n: n < 2 or n == 7)),
        ("fib if !(n <= 3) && (n == 4 || n >= 13)", "fib",
         n_where(lambda n: n > 3 and (n == 4 or n >= 13))),
        ("fib if n", "fib", n_where(lambda n: n != 0)),
        ("fib if !n", "fib", n_where(lambda n: n == 0)),
        ("fib if $arg1 == 5", "fib", n_where(lambda n: n == 5)),
        ("fib x=$arg1 if x <= -1", "fib", 0),
        ("fib%return if $retval > 100", "fib%return", n_where(lambda n: fib(n) > 100)),
        ("fib%return if $retval == 1", "fib%return", n_where(lambda n: fib(n) == 1)),
        ("fib if $comm == \"fib\"", "fib", total),
        ("fib if $comm != \"fib\"", "fib", 0),
        ("fib if $comm < \"fic\" && $comm > \"fia\"", "fib", total),
        ("fib if $tid == $pid && $pid > 0", "fib", total),
    ]
    for probe, key, want in cases:
        proc = ctx.uptrace("--count", "--json", probe, "--", exe, timeout=60)
        ctx.check_exit(proc, 0, probe)
        ctx.check_equal(counts(proc.stderr, ctx), {key: want}, f"'{probe}' count")

    proc = ctx.uptrace("fib if n == 14", "--", exe, timeout=60)
    lines = [line.split(None, 2)[2] for line in proc.stderr.splitlines() if " fib " in line]
    ctx.check_equal(lines, ["fib n=14"], "text: only the event kept is printed")


def check_strings(ctx):
    exe = ctx.fixture("usdt")
    n = 12
    proc = ctx.uptrace("--count", "--json",
                       'usdt:fixture:item label=$arg3:string if label == "beta" || '
                       'label == "delta"', "--", exe, str(n))
    ctx.check_exit(proc, 0, "usdt string predicate")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {"usdt:fixture:item": sum(1 for i in range(n) if i % 4 in (1, 3))},
                    "a string argument compared by content")
    proc = ctx.uptrace("--json", 'usdt:fixture:guarded i=$arg1 d=$arg2:string if d >= "step-5"',
                       "--", exe, str(n))
    got = sorted(e["args"]["d"] for e in events(json_lines(proc.stderr, ctx=ctx)))
    ctx.check_equal(got, sorted(f"step-{i}" for i in range(n) if f"step-{i}" >= "step-5"),
                    "string order is bytewise")


def check_floats(ctx):
    """values.c calls scale(0.1, 3.0f, -2) and halve(5.0f) (-> 2.5f) once per round."""
    exe = ctx.fixture("values")
    rounds = 3
    cases = [
        ("scale x f n if x > 0.05 && x < 0.11 && f == 3.0 && n == -2", "scale", rounds),
        ("scale x f n if x >= 0.2 || f < 3", "scale", 0),
        ("scale x f n if f > -1e3 && x == 0.1 && f != 3.1", "scale", rounds),
        ("halve%return if $retval == 2.5", "halve%return", rounds),
        ("halve%return if $retval > 2.5", "halve%return", 0),
    ]
    for probe, key, want in cases:
        proc = ctx.uptrace("--count", "--json", probe, "--", exe, str(rounds), timeout=60)
        ctx.check_exit(proc, 0, probe)
        ctx.check_equal(counts(proc.stderr, ctx), {key: want}, f"'{probe}' count (as doubles)")


BAD = [
    ("fib if", "predicate at 1 (its end): empty: 'if' needs an expression"),
    ("fib if n >> 4", "predicate at 3 ('>> 4'): unknown operator (== != < <= > >=)"),
    ("fib if n = 4", "predicate at 3 ('= 4'): '=' compares as '=='"),
    ("fib if (n == 3", "predicate at 8 (its end): ')' expected (for the '(' at 1)"),
    ("fib if n == 3)", "predicate at 7 (')'): ')' without its '('"),
    ("fib if n == \"x", "predicate at 6 ('\"x'): the string has no closing '\"'"),
    ("fib if $comm == 3", "predicate at 1 ('$comm == 3'): compares a string with a number"),
    ("fib if $retval > 1", "predicate at 1 ('$retval > 1'): $retval needs a %return probe"),
    ("fib if $cpu == 1", "predicate at 1 ('$cpu == 1'): unknown variable '$cpu'"),
    ("fib if n == 3 &&", "predicate at 10 (its end): a value expected"),
    ("fib if m > 1", "probe 'fib': predicate at 1: no argument 'm' (the probe's arguments: n)"),
    ("fib if n == \"three\"", "probe 'fib': predicate at 1: compares a string with a number"),
    ("fib if n > 1.5.2", "predicate at 5 ('1.5.2'): not a number"),
]


def check_errors(ctx):
    exe = ctx.fixture("fib")
    for probe, msg in BAD:
        proc = ctx.uptrace(probe, "--", exe, timeout=30)
        ctx.check(proc.returncode == 2 and msg in proc.stderr and "fib(15)" not in proc.stdout,
                  f"'{probe}': exit {proc.returncode}, {proc.stderr.strip()[:160]!r}")


def run(ctx):
    check_fib(ctx)
    check_floats(ctx)
    check_strings(ctx)
    check_errors(ctx)
    check_malloc(ctx)
