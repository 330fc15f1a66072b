# SPDX-License-Identifier: MIT
"""Soak: 50 attach/detach cycles to the soak fixture (tests/fixtures/x86_64/soak.c: worker
threads, a thread forking children that exec /bin/true, posix_spawn children and children
that just exit, a thread creating and joining threads, a 2 ms SIGALRM timer whose handler
calls the probed functions), each with return probes and hundreds of entry probes
(soak_* and 'libc:*str*'). After every cycle: the process runs, is no longer traced, the
text of every module is byte-identical to its file, no executable mapping was added (no
XOL page left), and every call that entered while traced returned through its probe but
for the few in flight at the detach. At the end the program exits 0 with every one of its
own checks right (results, exit statuses of its children, the signal handler's sums); each
forked child first checks that the probed functions' entries hold their own bytes, so a
breakpoint left in a child forked as a detach began fails it."""

import subprocess

from driver import counts
from cases.attach import exec_mappings, text_identical, tracer_pid

CYCLES = 50
PROBES = ["soak_mid", "soak_mid%return", "soak_leaf", "soak_leaf%return", "soak_rec",
          "soak_rec%return", "libc:*str*"]


def run(ctx):
    with ctx.started("soak", stdin=subprocess.PIPE) as (soak, pid):
        before = exec_mappings(pid)
        for n in range(CYCLES):
            if not cycle(ctx, n, pid, soak, before):
                break
        rest, _ = soak.communicate(timeout=60)  # stdin ends: soak stops
        ctx.check_equal(soak.returncode, 0, "soak's exit status")
        ctx.check(rest.startswith("soak: ok"), f"soak's own checks passed: {rest.strip()!r}")


def cycle(ctx, n, pid, soak, before):
    proc = ctx.uptrace("-p", str(pid), "--count", "--json", "--timeout", "0.4", *PROBES,
                       timeout=60)
    said = [ln for ln in proc.stderr.splitlines() if ln.startswith("uptrace:")]
    ctx.check_exit(proc, 0, f"cycle {n}: uptrace -p with {len(PROBES)} specs {said[:3]}")
    got = counts(proc.stderr, ctx) or {}
    ctx.check(len(got) > 100, f"cycle {n}: {len(got)} probes")
    # Returns reported = entries but for the calls in flight at the detach (a few threads;
    # soak_rec nests 21 deep) and those entered before the attach.
    ctx.check(got.get("soak_mid", 0) > 0, f"cycle {n}: soak_mid was hit ({got.get('soak_mid')})")
    for name, slack in (("soak_mid", 16), ("soak_leaf", 16), ("soak_rec", 21 * 8)):
        entries, returns = got.get(name, 0), got.get(name + "%return", 0)
        ctx.check(abs(entries - returns) <= slack,
                  f"cycle {n}: {name} entries {entries}, returns {returns}")
    if not ctx.check(soak.poll() is None, f"cycle {n}: soak still runs"):
        return False
    ctx.check_equal(tracer_pid(pid), 0, f"cycle {n}: TracerPid after the detach")
    text_identical(ctx, pid, f"cycle {n}: after the detach")
    now = exec_mappings(pid)
    ctx.check(now == before, f"cycle {n}: no executable mapping added or removed: "
                             f"+{sorted(set(now) - set(before))} -{sorted(set(before) - set(now))}")
    return True
