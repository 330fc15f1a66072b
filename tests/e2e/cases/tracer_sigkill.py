# SPDX-License-Identifier: MIT
"""SIGKILL of the tracer process itself (not the guardian) while attached with hundreds of
entry probes and return probes: the kernel lets every thread run on with our breakpoints
and hijacked return addresses in place. The in-process fallback must keep the target alive
(breakpoints heal at their first hit, returns come back through the trampoline), and the
guardian must then re-attach and put everything back: the process runs to a right end, its
text equals the files, nothing of ours stays mapped, and no tracer is left.

Then the same with trap-free probes only (--count, entry probes: hundreds of windows patched
with jumps to trampolines that count into shared memory): the process runs on through them
with its tracer dead, and the guardian's recovery puts every window's bytes back and unmaps
the shared memory.

Every round, before the kill, the target's text is read through /proc/PID/mem: after the
recovery it must be byte-identical."""

import os
import signal
import subprocess
import threading
import time

from cases.attach import exec_mappings, text_identical, tracer_pid
from cases.fastpath import TRAP_FREE, ours_left, text_snapshot


def tracer_of(guardian):
    """The guardian's child: the process that traces."""
    try:
        with open(f"/proc/{guardian}/task/{guardian}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        return 0
    return kids[0] if kids else 0


def wait_for(cond, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def one_round(ctx, rnd, probes, fast_min):
    with ctx.started("busy", "6") as (busy, pid):
        time.sleep(0.2)
        before = exec_mappings(pid)
        text_before = text_snapshot(pid)
        up = subprocess.Popen([ctx.uptrace_path, "-v", "-p", str(pid), "--count", *probes],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # killed while it still places probes, the tracer would leave a thread in a
        # system call it runs in the process (a limit the man page states): wait for -v's
        # word that tracing has begun
        lines, placed = [], threading.Event()

        def drain():
            for line in up.stderr:
                lines.append(line)
                if "probes placed" in line:
                    placed.set()
        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        ctx.check(placed.wait(60), f"round {rnd}: uptrace attached and placed its probes")
        fast = sum(1 for m in TRAP_FREE.finditer("".join(lines)) if m.group(2) == "trap-free")
        if fast_min:
            ctx.check(fast >= fast_min,
                      f"round {rnd}: {fast} trap-free probes placed (at least {fast_min})")
        time.sleep(0.2 + 0.3 * (rnd % 3))
        tracer = tracer_of(up.pid)
        ctx.check(tracer > 0 and tracer_pid(pid) == tracer,
                  f"round {rnd}: the tracer is the guardian's child ({tracer})")
        if tracer > 0:
            os.kill(tracer, signal.SIGKILL)
        try:
            up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait()
            ctx.fail(f"round {rnd}: uptrace did not end after its tracer's SIGKILL")
        reader.join(timeout=10)
        err = "".join(lines)
        ctx.check("restored and let go" in err,
                  f"round {rnd}: the guardian says it put the process back: {err[-300:]!r}")
        ctx.check(busy.poll() is None,
                  f"round {rnd}: busy survives its tracer's SIGKILL "
                  f"(exit {busy.returncode}); uptrace said {err[-300:]!r}")
        if busy.poll() is None:
            ctx.check(wait_for(lambda: tracer_pid(pid) == 0, 10),
                      f"round {rnd}: no tracer left")
            text_identical(ctx, pid, f"round {rnd}: after the guardian's recovery")
            after = text_snapshot(pid)
            differ = [r for r in text_before if after.get(r) != text_before[r]]
            ctx.check(after.keys() == text_before.keys() and not differ,
                      f"round {rnd}: /proc/{pid}/mem of the text as before uptrace {differ[:3]}")
            ctx.check_equal(exec_mappings(pid), before,
                            f"round {rnd}: executable mappings after the recovery")
            ctx.check_equal(ours_left(pid), [], f"round {rnd}: mappings of ours left")
        rest, _ = busy.communicate(timeout=30)
        ctx.check_equal(busy.returncode, 0, f"round {rnd}: busy's exit status")
        ctx.check("busy: ok" in rest, f"round {rnd}: busy's own checks passed: {rest.strip()!r}")


def run(ctx):
    for rnd in range(3):
        one_round(ctx, rnd, ["busy_add", "busy_mix%return", "busy_add%return", "libc:*str*",
                                  "libc:nanosleep", "libc:clock_nanosleep%return"], 0)
    # trap-free only: entry probes counted
    for rnd in range(3, 6):
        one_round(ctx, rnd, ["busy_add", "busy_mix", "libc:*str*", "libc:pthread_mutex_*"],
                  100)
