# SPDX-License-Identifier: MIT
"""Rust panics (Debian's rustc 1.63) through functions under return probes: caught by
std::panic::catch_unwind inside a probed function and in main, through a frame whose guard
runs a drop, and in a thread that is joined; at -O0 and -O2. The program's output and exit
status are those of an untraced run and every return that happened is reported once (the
fixture counts its own); a panic nobody catches ends the program with exit 101 and the same
message and backtrace (RUST_BACKTRACE=1: _Unwind_Backtrace under return probes) as
untraced; a detach inside the personality routine leaves the program to finish right."""

import os

from driver import counts, events, json_lines, program_counts

FUNCS = ["boom", "mid", "outer", "tidy"]
RETURNS = [f + "%return" for f in FUNCS]


def panic_report(stderr):
    """The panic message and backtrace lines, without uptrace's own."""
    lines = stderr.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("thread 'main' panicked")),
                 None)
    if start is None:
        return []
    out = []
    for line in lines[start:]:
        out.append(line)
        if line.startswith("note:"):
            break
    return out


def run(ctx):
    for name in ("rspanic", "rspanic_O2"):
        exe = ctx.fixture(name)
        plain = ctx.run([exe], timeout=60)
        ctx.check_exit(plain, 0, f"{name} untraced")
        rets = program_counts(plain.stdout, "returns")

        proc = ctx.uptrace("--count", "--json", *RETURNS, "--", exe, timeout=120)
        ctx.check_exit(proc, 0, f"{name} under return probes")
        ctx.check_equal(proc.stdout, plain.stdout, f"{name}'s output under return probes")
        ctx.check_equal(counts(proc.stderr, ctx), {f + "%return": rets[f] for f in FUNCS},
                        f"{name}: returns counted, as the program counted them")

        proc = ctx.uptrace("--json", *FUNCS, *RETURNS, "--", exe, timeout=120)
        ctx.check_exit(proc, 0, f"{name} under entry and return probes")
        open_, got, orphans = {}, {}, 0
        for e in events(json_lines(proc.stderr, ctx=ctx)):
            stack = open_.setdefault(e["tid"], [])
            if e["event"] == "entry":
                stack.append(e["func"])
                continue
            got[e["func"]] = got.get(e["func"], 0) + 1
            if e["func"] not in stack:
                orphans += 1
            else:
                del stack[len(stack) - 1 - stack[::-1].index(e["func"]):]
        ctx.check_equal(orphans, 0, f"{name}: returns with no open entry of their function")
        ctx.check_equal({f: got.get(f, 0) for f in FUNCS}, rets,
                        f"{name}: returns paired with entries, unwound frames not reported")

        for n in (1, 3, 10):
            proc = ctx.uptrace("-n", str(n), "rust_eh_personality", *RETURNS, "--", exe,
                               timeout=120)
            ctx.check_exit(proc, 0, f"{name}: detach after {n} events, inside the unwinder")
            ctx.check_equal(proc.stdout, plain.stdout, f"{name}: output after that detach")

    exe = ctx.fixture("rspanic")
    env = dict(os.environ, RUST_BACKTRACE="1")
    plain = ctx.run([exe, "uncaught"], timeout=60, env=env)
    proc = ctx.uptrace(*RETURNS, "--", exe, "uncaught", timeout=60, env=env)
    ctx.check_exit(plain, 101, "uncaught untraced")
    ctx.check_exit(proc, 101, "uncaught under return probes")
    ctx.check_equal(proc.stdout, plain.stdout, "uncaught: output")
    want = panic_report(plain.stderr)
    ctx.check(len(want) > 3 and any(" mid" in l for l in want),
              f"the untraced panic report has a backtrace through mid: {want}")
    ctx.check_equal(panic_report(proc.stderr), want,
                    "uncaught: the panic message and backtrace under return probes")
