# SPDX-License-Identifier: MIT
"""Small usage errors, told as such and with the target untouched:

- `%nosuchreg` is a usage error (exit 2) naming the register and listing the architecture's
  registers, with -- (the command's constructor and main never run: the marker fixture) and
  with -p (the process runs on untraced, its text equal to its files);
- -p of a kernel thread (PF_KTHREAD in /proc/PID/stat, an independent truth) says it is a
  kernel thread, not "another user's process";
- -p of a process that has exited and is not reaped yet (a zombie: state Z in /proc/PID/stat)
  says so, not "another user's process"."""

import glob
import os
import subprocess
import tempfile
import time

from cases.attach import text_identical, tracer_pid

PF_KTHREAD = 0x00200000


def kernel_thread():
    """(pid, comm) of a kernel thread visible here, or None."""
    for stat in sorted(glob.glob("/proc/[0-9]*/stat"), key=lambda p: int(p.split("/")[2])):
        try:
            with open(stat) as f:
                text = f.read()
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[6]) & PF_KTHREAD:
            return int(stat.split("/")[2]), comm
    return None


def run(ctx):
    marker = ctx.fixture("marker")
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "m")
        proc = ctx.uptrace("tick %nosuchreg", "--", marker, base, timeout=30)
        ctx.check_exit(proc, 2, "uptrace 'tick %nosuchreg' -- marker")
        ctx.check("%nosuchreg" in proc.stderr and "%rax" in proc.stderr and
                  "%rip" in proc.stderr,
                  f"the message names the register and lists x86_64's: {proc.stderr.strip()!r}")
        for suffix in ("ctor", "main"):
            ctx.check(not os.path.exists(f"{base}.{suffix}"), f"marker's {suffix} never ran")
        proc = ctx.uptrace("--count", "tick %rdi %pc", "--", marker, base, timeout=30)
        ctx.check_exit(proc, 0, "uptrace 'tick %rdi %pc' (registers that exist)")

    with ctx.started("busy", 3) as (busy, pid):
        proc = ctx.uptrace("-p", str(pid), "busy_add %nosuchreg", timeout=30)
        ctx.check_exit(proc, 2, f"uptrace -p {pid} 'busy_add %nosuchreg'")
        ctx.check("%nosuchreg" in proc.stderr, f"names it: {proc.stderr.strip()!r}")
        ctx.check_equal(tracer_pid(pid), 0, "TracerPid after the usage error")
        text_identical(ctx, pid, "after the usage error")
        rest, _ = busy.communicate(timeout=30)
        ctx.check_equal(busy.returncode, 0, "busy's exit status")

    zombie_pid(ctx)
    kt = kernel_thread()
    if kt is None:
        ctx.log("no kernel thread visible here: -p of one not tried")
        return
    pid, comm = kt
    proc = ctx.uptrace("-p", str(pid), "main", timeout=30)
    ctx.check_exit(proc, 1, f"uptrace -p {pid} ({comm}, a kernel thread)")
    ctx.check("kernel thread" in proc.stderr and comm in proc.stderr and
              "another user" not in proc.stderr,
              f"-p {pid}: says it is a kernel thread: {proc.stderr.strip()!r}")


def zombie_pid(ctx):
    """-p of a zombie: its parent (this driver) has not waited for it yet."""
    child = subprocess.Popen(["true"])
    try:
        for _ in range(100):
            with open(f"/proc/{child.pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.02)
        proc = ctx.uptrace("-p", str(child.pid), "main", timeout=30)
        ctx.check_exit(proc, 1, f"uptrace -p {child.pid} (a zombie)")
        ctx.check("has exited" in proc.stderr and "another user" not in proc.stderr,
                  f"-p of a zombie says it has exited: {proc.stderr.strip()!r}")
    finally:
        child.wait()
