# SPDX-License-Identifier: MIT
"""Attached without a time limit to a process that then exits by itself: uptrace must notice,
print its summary and exit 0; the process's own checks pass. Probes on libc and on the
program in the same attach."""

from driver import counts


def run(ctx):
    with ctx.started("busy", "1.5") as (busy, pid):
        proc = ctx.uptrace("-p", str(pid), "--count", "--json", "busy_mix", "libc:nanosleep",
                           timeout=30)
        ctx.check_exit(proc, 0, f"uptrace -p {pid} until the process exits")
        got = counts(proc.stderr, ctx) or {}
        ctx.check(got.get("busy_mix", 0) > 100 and got.get("libc.so.6:nanosleep", 0) > 0,
                  f"counts of busy_mix and libc:nanosleep while attached: {got}")
        rest, _ = busy.communicate(timeout=30)
        ctx.check_equal(busy.returncode, 0, "busy's exit status")
        ctx.check("busy: ok" in rest, f"busy's own checks passed: {rest.strip()!r}")
