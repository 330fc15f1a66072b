# SPDX-License-Identifier: MIT
"""C++ exceptions through functions under return probes (the fixture throws through several
of them, catches at different depths, rethrows, unwinds cleanup-only frames, throws and
catches inside a destructor while another exception unwinds, catches (...), and leaves a
thread by pthread_exit), in 4 threads at once, at -O0 and -O2, and linked statically (the
unwinder in the program itself). The program's output and exit
status are those of an untraced run; every return that happened is reported exactly once
(the fixture counts its own calls and returns); entries and returns pair up per thread, the
frames an exception unwound left open and never reported; --stack is whole while an
exception unwinds; a detach while one is in flight (-n reached inside the personality
routine, or -p with --timeout) leaves the program to finish right."""

import re
import subprocess
import time

from driver import counts, events, json_lines, program_counts

FUNCS = ["leaf", "level3", "level2", "level1", "top", "tidy", "dive", "exiter"]
RETURNS = [f + "%return" for f in FUNCS]


def pairing(ctx, evs, what):
    """Per thread, each return closes the innermost open entry of its function; entries
    above it were unwound. Returns {func: returns}; a return with no open entry fails."""
    open_, returns, orphans = {}, {}, 0
    for e in evs:
        stack = open_.setdefault(e["tid"], [])
        if e["event"] == "entry":
            stack.append(e["func"])
            continue
        returns[e["func"]] = returns.get(e["func"], 0) + 1
        if e["func"] not in stack:
            orphans += 1
            continue
        del stack[len(stack) - 1 - stack[::-1].index(e["func"]):]
    ctx.check_equal(orphans, 0, f"{what}: returns with no open entry of their function")
    return returns


def stack_names(frames):
    return [m.group(1) for m in (re.search(r"\((\w+)\+", f) for f in frames) if m]


def run(ctx):
    for name in ("cxxthrow", "cxxthrow_O2", "cxxthrow_static"):
        exe = ctx.fixture(name)
        plain = ctx.run([exe], timeout=60)
        ctx.check_exit(plain, 0, f"{name} untraced")
        calls = program_counts(plain.stdout, "calls")
        rets = program_counts(plain.stdout, "returns")

        proc = ctx.uptrace("--count", "--json", *RETURNS, "--", exe, timeout=120)
        ctx.check_exit(proc, 0, f"{name} under return probes")
        ctx.check_equal(proc.stdout, plain.stdout, f"{name}'s output under return probes")
        ctx.check_equal(counts(proc.stderr, ctx), {f + "%return": rets[f] for f in FUNCS},
                        f"{name}: returns counted, as the program counted them")

        proc = ctx.uptrace("--json", *FUNCS, *RETURNS, "--", exe, timeout=120)
        ctx.check_exit(proc, 0, f"{name} under entry and return probes")
        ctx.check_equal(proc.stdout, plain.stdout, f"{name}'s output under entry and return")
        evs = events(json_lines(proc.stderr, ctx=ctx))
        entries = {f: sum(1 for e in evs if e["event"] == "entry" and e["func"] == f)
                   for f in FUNCS}
        ctx.check_equal(entries, calls, f"{name}: entries, as the program counted its calls")
        got = pairing(ctx, evs, name)
        ctx.check_equal({f: got.get(f, 0) for f in FUNCS}, rets,
                        f"{name}: returns paired with entries, unwound frames not reported")

    exe = ctx.fixture("cxxthrow")
    plain = ctx.run([exe], timeout=60)

    # --stack at tidy: called by destructors while exceptions unwind and on normal exits
    proc = ctx.uptrace("--json", "--stack", "tidy", *RETURNS, "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "cxxthrow with --stack")
    stacks = [stack_names(e.get("stack", [])) for e in events(json_lines(proc.stderr, ctx=ctx))
              if e["func"] == "tidy" and e["event"] == "entry"]
    ctx.check_equal(len(stacks), program_counts(plain.stdout, "calls")["tidy"],
                    "tidy's entries with --stack")
    whole = [s for s in stacks if s and s[-1] in ("_start", "__clone3", "clone", "clone3")]
    ctx.check_equal(len(whole), len(stacks), "tidy's stacks that go down to _start or clone")
    chained = [s for s in stacks if "level3" in s]
    in_order = [s for s in chained if s[s.index("level3"):s.index("level3") + 4] ==
                ["level3", "level2", "level1", "top"]]
    ctx.check(chained and len(in_order) == len(chained),
              f"level3 <- level2 <- level1 <- top in all {len(chained)} stacks through level3")

    # detach while an exception is in flight: the n-th event is a personality routine call
    for n in (1, 2, 3, 7, 20):
        proc = ctx.uptrace("-n", str(n), "libstdc++:__gxx_personality_v0", *RETURNS, "--", exe,
                           timeout=120)
        ctx.check_exit(proc, 0, f"detach after {n} events, inside the unwinder")
        ctx.check_equal(proc.stdout, plain.stdout, f"output after a detach inside the unwinder")

    # attach and detach again and again while the threads throw
    prog = subprocess.Popen([exe, "loop", "8"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    for i in range(4):
        proc = ctx.uptrace("-p", str(prog.pid), "--timeout", "0.8", "--count", "--json",
                           "libstdc++:__gxx_personality_v0", *RETURNS, timeout=60)
        ctx.check_exit(proc, 0, f"attach {i + 1} to the throwing threads")
        got = counts(proc.stderr, ctx) or {}
        ctx.check(got.get("top%return", 0) > 0, f"attach {i + 1} saw returns: {got}")
    out, _ = prog.communicate(timeout=60)
    ctx.check_equal(prog.returncode, 0, "the program after 4 attach/detach rounds: exit status")
    ctx.check(" ok\n" in out, f"the program's own check after the detaches: {out!r}")

    # an exception nobody catches: std::terminate, as without uptrace
    plain = ctx.run([exe, "uncaught"], timeout=60)
    proc = ctx.uptrace(*RETURNS, "--", exe, "uncaught", timeout=60)
    ctx.check_equal(plain.returncode, -6, "uncaught untraced: SIGABRT")
    ctx.check_exit(proc, 128 + 6, "uncaught under return probes")
    ctx.check_equal(proc.stdout, plain.stdout, "uncaught: output")
    ctx.check("terminate called after throwing" in proc.stderr,
              f"uncaught: std::terminate's message: {proc.stderr[-300:]!r}")
