# SPDX-License-Identifier: MIT
"""--timeout: uptrace detaches after the given seconds; the program runs on to a right end."""

import time


def run(ctx):
    exe = ctx.fixture("busy")
    t0 = time.monotonic()
    proc = ctx.uptrace("--count", "--timeout", "1", "busy_add", "--", exe, "3", timeout=60)
    took = time.monotonic() - t0
    ctx.check_exit(proc, 0, "uptrace --timeout 1 -- busy 3")
    ctx.check("busy: ok" in proc.stdout, "busy ran on to a right end after the detach")
    ctx.check(took >= 1.0, f"uptrace ran at least 1 s ({took:.2f} s)")
    ctx.check("busy_add" in proc.stderr, "a count of busy_add was printed")
