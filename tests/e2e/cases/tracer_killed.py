# SPDX-License-Identifier: MIT
"""uptrace killed with SIGKILL while attached (design.md: a guardian and an in-process
fallback close that gap): the traced process must not die of its breakpoints; it runs on
to a right end, and in the end its text equals the file again."""

import os
import signal
import subprocess
import time

from cases.attach import text_identical, tracer_pid


def run(ctx):
    with ctx.started("busy", "4") as (busy, pid):
        up = subprocess.Popen([ctx.uptrace_path, "-p", str(pid), "busy_add", "busy_mix%return"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        ctx.check(up.poll() is None, "uptrace is attached and running")
        os.kill(up.pid, signal.SIGKILL)
        up.wait()
        time.sleep(1.0)
        ctx.check(busy.poll() is None,
                  f"busy survives its tracer's SIGKILL (exit {busy.returncode})")
        if busy.poll() is None:
            ctx.check_equal(tracer_pid(pid), 0, "TracerPid a second after the tracer died")
            text_identical(ctx, pid, "a second after the tracer died")
        rest, _ = busy.communicate(timeout=30)
        ctx.check_equal(busy.returncode, 0, "busy's exit status")
        ctx.check("busy: ok" in rest, f"busy's own checks passed: {rest.strip()!r}")
