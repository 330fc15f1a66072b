# SPDX-License-Identifier: MIT
"""Attached without a time limit to a process that then exits by itself: uptrace must notice,
print its summary and exit 0; the process's own checks pass. Probes on libc and on the
program in the same attach."""

import subprocess

from driver import counts


def run(ctx):
    exe = ctx.fixture("busy")
    busy = subprocess.Popen([exe, "1.5"], stdout=subprocess.PIPE, text=True)
    try:
        ready = busy.stdout.readline().split()
        if len(ready) != 3 or ready[1] != "ready":
            ctx.fail(f"busy did not start: {ready}")
            return
        pid = ready[2]
        proc = ctx.uptrace("-p", pid, "--count", "--json", "busy_mix", "libc:nanosleep",
                           timeout=30)
        ctx.check_exit(proc, 0, f"uptrace -p {pid} until the process exits")
        got = counts(proc.stderr, ctx) or {}
        ctx.check(got.get("busy_mix", 0) > 100 and got.get("libc.so.6:nanosleep", 0) > 0,
                  f"counts of busy_mix and libc:nanosleep while attached: {got}")
        rest, _ = busy.communicate(timeout=30)
        ctx.check_equal(busy.returncode, 0, "busy's exit status")
        ctx.check("busy: ok" in rest, f"busy's own checks passed: {rest.strip()!r}")
    finally:
        if busy.poll() is None:
            busy.kill()
            busy.wait()
