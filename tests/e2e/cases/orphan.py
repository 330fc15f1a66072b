# SPDX-License-Identifier: MIT
"""Under --qemu (riscv64): the tracer killed with SIGKILL while the program sleeps with a
breakpoint in it: qemu, and the program with it, must not run on (PR_SET_PDEATHSIG).
Natively the same is tracer_sigkill's (the kernel's fallback for a dead tracer)."""

import os
import signal
import subprocess
import time

TRANSPORTS = ("qemu",)
QEMU_ARCHES = ("riscv64",)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def run(ctx):
    exe = ctx.fixture("boundary")
    argv = [ctx.uptrace_path, "--qemu", "rv_bnd", "--", exe, "30"]
    ctx.log("$ " + " ".join(argv))
    up = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          start_new_session=True)
    try:
        line = up.stdout.readline()
        if not ctx.check("calls=1000" in line, f"the program ran: {line!r}"):
            return
        tracers = children(up.pid)
        qemus = children(tracers[0]) if len(tracers) == 1 else []
        if not ctx.check(len(qemus) == 1,
                         f"guardian -> tracer -> qemu: {up.pid} -> {tracers} -> {qemus}"):
            return
        os.kill(tracers[0], signal.SIGKILL)
        deadline = time.monotonic() + 5
        while alive(qemus[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        gone = not alive(qemus[0])
        if not gone:
            os.kill(qemus[0], signal.SIGKILL)
        ctx.check(gone, f"qemu (pid {qemus[0]}) ended with the tracer that held it")
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
        up.wait()
