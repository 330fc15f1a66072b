# SPDX-License-Identifier: MIT
"""Signals while probed functions run: SIGUSR1 raised synchronously (its handler calls the
probed function too) and SIGALRM from an interval timer. The program must run to a right end
and the count must be every call: 5000 from main plus 50 from the handler."""

from driver import counts


def run(ctx):
    exe = ctx.fixture("signals")
    for probes in (["work"], ["work", "work%return"]):
        proc = ctx.uptrace("--count", "--json", *probes, "--", exe, timeout=120)
        ctx.check_exit(proc, 0, f"signals with {probes}")
        ctx.check_equal(proc.stdout.strip(), "signals: calls=5050 usr1=50 ok",
                        f"signals' output with {probes}")
        ctx.check_equal(counts(proc.stderr, ctx), {p: 5050 for p in probes},
                        f"counts with {probes}")
