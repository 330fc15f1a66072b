# SPDX-License-Identifier: MIT
"""-f with return probes live in a parent and its forked child, then a detach (--timeout,
and -n): both processes run on and end right, the child's events carry its own pid, and
the counts add up (every entry has its return, but for calls in flight at the detach)."""

import json

from driver import counts


def run(ctx):
    exe = ctx.fixture("forkloop")
    ok = "forkloop: parent ok child status 0"
    probes = ["mid%return", "leaf", "leaf%return"]

    proc = ctx.uptrace("-f", "--timeout", "0.5", "--count", "--json", *probes, "--", exe,
                       timeout=60)
    ctx.check_exit(proc, 0, "forkloop with -f, detached after 0.5 s")
    ctx.check_equal(proc.stdout.strip(), ok, "forkloop's output after the detach")
    got = counts(proc.stderr, ctx) or {}
    ctx.check(got.get("leaf", 0) > 100 and
              abs(got.get("leaf", 0) - got.get("leaf%return", 0)) <= 2 and
              abs(got.get("leaf", 0) - got.get("mid%return", 0)) <= 2,
              f"counts of both processes before the detach: {got}")

    proc = ctx.uptrace("-f", "--json", "-n", "400", "leaf", "--", exe, "1", timeout=60)
    ctx.check_exit(proc, 0, "forkloop with -f -n 400")
    ctx.check_equal(proc.stdout.strip(), ok, "forkloop's output after -n")
    pids = set()
    for line in proc.stderr.splitlines():
        if line.startswith("{") and '"event"' in line:
            ev = json.loads(line)
            pids.add(ev["pid"])
    ctx.check_equal(len(pids), 2, "events of 2 processes (parent and child) with -f")
