# SPDX-License-Identifier: MIT
"""Detach under load: loadbusy's 8 threads loop snprintf/strlen/strchr/malloc/free/usleep;
20 rounds of `uptrace -p PID --count --timeout 1 'libc:*str*'` (hundreds of probes, some
thread always inside one of them, so traps are on their way at every detach), in turn
trap-free, with --breakpoints-only, and with events (the ring) instead of --count. After every
round the process still runs, is no longer traced, and the text of every module is
byte-identical to its file; at the end it exits 0 with its own checks passed."""

import subprocess

from driver import counts
from cases.attach import exec_mappings, text_identical, tracer_pid

ROUNDS = 20
# Each path in turn: --count (trap-free where the site allows), the breakpoint path, and
# events (on the trap-free path's ring where they can be; written to /dev/null).
MODES = (("--count",), ("--count", "--breakpoints-only"), ("-o", "/dev/null"))


def run(ctx):
    with ctx.started("loadbusy", "-", stdin=subprocess.PIPE) as (busy, pid):
        before = exec_mappings(pid)
        for r in range(ROUNDS):
            mode = MODES[r % len(MODES)]
            proc = ctx.uptrace("-p", str(pid), *mode, "--json", "--timeout", "1",
                               "libc:*str*", timeout=60)
            said = [ln for ln in proc.stderr.splitlines() if ln.startswith("uptrace:")]
            ctx.check_exit(proc, 0, f"round {r}: uptrace -p {' '.join(mode)} --timeout 1 "
                           f"'libc:*str*' {said[:3]}")
            if "--count" in mode:
                got = counts(proc.stderr, ctx) or {}
                ctx.check(len(got) > 100 and sum(got.values()) > 100,
                          f"round {r}: {len(got)} probes, {sum(got.values())} hits")
            if not ctx.check(busy.poll() is None, f"round {r}: loadbusy still runs"):
                break
            ctx.check_equal(tracer_pid(pid), 0, f"round {r}: TracerPid after the detach")
            text_identical(ctx, pid, f"round {r}: after the detach")
            now = exec_mappings(pid)
            ctx.check(now == before, f"round {r}: no executable mapping added or removed: "
                      f"+{sorted(set(now) - set(before))} -{sorted(set(before) - set(now))}")
        rest, _ = busy.communicate(timeout=60)  # stdin ends: loadbusy stops
        ctx.check_equal(busy.returncode, 0, "loadbusy's exit status")
        ctx.check("loadbusy: ok" in rest, f"loadbusy's own checks passed: {rest.strip()!r}")
