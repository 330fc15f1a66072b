# SPDX-License-Identifier: MIT
"""Signals to uptrace, as a user sends them. The pid a user sees is the guardian
(src/cli/guardian.c); the tracer is its child.

- `kill -INT PID` (and SIGQUIT) reaches only the guardian: it must detach as the man page
  says, with -p (exit 0, the process runs on untraced, its text equal to the files) and with
  `--` (the command runs on to its own end; uptrace exits with its status).
- A terminal's Ctrl-C goes to the whole process group: with -p the same clean detach; with
  `--` the command is in the group too and meets SIGINT as it would untraced (its signal
  neither lost in the detach nor leaving a thread stopped for a tracer that waits for it).
- SIGKILL of the tracer itself with `--`: the command must not outlive it with breakpoints
  in it (it is killed at once). SIGKILL of the guardian: the tracer detaches and the command
  runs on to its own end."""

import glob
import os
import signal
import subprocess
import time

from cases.attach import text_identical, tracer_pid
from cases.reader_gone import alive


def children(pid):
    """Child PIDs of pid."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        pass
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(stat.split("/")[2]))
        except (OSError, ValueError, IndexError):
            pass
    return out


def finish(ctx, up, what, timeout=20):
    try:
        out, err = up.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        up.kill()
        out, err = up.communicate()
        ctx.fail(f"{what}: uptrace did not end within {timeout} s")
    return out or "", err or ""


def attached(ctx, how, sig):
    with ctx.started("busy", 6) as (busy, pid):
        up = subprocess.Popen([ctx.uptrace_path, "-p", str(pid), "--count", "busy_add",
                               "busy_mix%return"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
        time.sleep(1.5)
        what = f"-p {pid}, {how}"
        if how == "group":
            os.killpg(up.pid, sig)
        else:
            os.kill(up.pid, sig)
        t0 = time.monotonic()
        _, err = finish(ctx, up, what)
        took = time.monotonic() - t0
        ctx.check(took < 3 and busy.poll() is None,
                  f"{what}: uptrace ended {took:.1f} s after the signal, before busy did")
        ctx.check_equal(up.returncode, 0, f"{what}: exit status")
        ctx.check("busy_mix%return" in err, f"{what}: the counts are printed: {err[-200:]!r}")
        ctx.check(busy.poll() is None, f"{what}: busy runs on")
        if busy.poll() is None:
            ctx.check_equal(tracer_pid(pid), 0, f"{what}: TracerPid")
            text_identical(ctx, pid, what)
        rest, _ = busy.communicate(timeout=30)
        ctx.check_equal(busy.returncode, 0, f"{what}: busy's exit status")
        ctx.check("busy: ok" in rest, f"{what}: busy's own checks: {rest.strip()!r}")


def spawned(ctx, how):
    """uptrace -- busy 4; SIGINT to the guardian or to the group; SIGKILL of the guardian."""
    up = subprocess.Popen([ctx.uptrace_path, "--count", "busy_add", "busy_mix%return", "--",
                           ctx.fixture("busy"), "4"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True)
    ready = up.stdout.readline().split()
    time.sleep(1.0)
    what = f"-- busy, {how}"
    if how == "SIGINT to uptrace":
        os.kill(up.pid, signal.SIGINT)
        # detached within a second or two, while busy still has seconds to run
        pid = int(ready[2]) if len(ready) == 3 else 0
        deadline = time.monotonic() + 2
        while pid and alive(pid) and tracer_pid(pid) != 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        ctx.check(pid and alive(pid) and tracer_pid(pid) == 0,
                  f"{what}: busy runs on untraced soon after the signal")
        if pid and alive(pid) and tracer_pid(pid) == 0:
            text_identical(ctx, pid, what)
    elif how == "SIGINT to the group":
        os.killpg(up.pid, signal.SIGINT)
    else:
        os.kill(up.pid, signal.SIGKILL)
    out, err = finish(ctx, up, what)
    if how == "SIGINT to uptrace":
        ctx.check_equal(up.returncode, 0, f"{what}: exit status (busy's own)")
        ctx.check("busy: ok" in out, f"{what}: busy ran on to its own end: {out.strip()!r}")
        ctx.check("busy_mix%return" in err, f"{what}: the counts are printed: {err[-200:]!r}")
    elif how == "SIGINT to the group":
        # untraced, busy dies of SIGINT: traced, the same
        ctx.check_equal(up.returncode, 128 + signal.SIGINT,
                        f"{what}: exit status (stderr {err[-300:]!r})")
        ctx.check("busy: ok" not in out, f"{what}: busy met SIGINT: {out.strip()!r}")
    else:
        ctx.check_equal(up.returncode, -signal.SIGKILL, f"{what}: the guardian's fate")
        # the tracer detaches, waits for busy, and busy writes its last line to our pipe
        ctx.check("busy: ok" in out, f"{what}: busy ran on to its own end: {out.strip()!r}")
    if len(ready) == 3:
        time.sleep(0.3)
        ctx.check(not alive(int(ready[2])), f"{what}: busy is not left running")


def tracer_killed(ctx):
    """SIGKILL of the tracer itself with --: the command must not outlive it. The probe is
    on main, hit once: its breakpoint stays, and busy would run on with it for 20 s."""
    up = subprocess.Popen([ctx.uptrace_path, "main", "--", ctx.fixture("busy"), "20"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True)
    try:
        ready = up.stdout.readline().split()
        time.sleep(0.5)
        tracers = children(up.pid)
        ctx.check_equal(len(tracers), 1, "the guardian has one child, the tracer")
        if len(ready) != 3 or len(tracers) != 1:
            return
        busy = int(ready[2])
        os.kill(tracers[0], signal.SIGKILL)
        try:
            up.wait(timeout=10)  # not communicate(): busy holds the same stdout
        except subprocess.TimeoutExpired:
            ctx.fail("uptrace did not end within 10 s of its tracer's death")
        ctx.check_equal(up.returncode, 128 + signal.SIGKILL,
                        "uptrace's exit status when its tracer was killed")
        deadline = time.monotonic() + 3
        while alive(busy) and time.monotonic() < deadline:
            time.sleep(0.05)
        ctx.check(not alive(busy), "the command died with the tracer that held it")
        if alive(busy):
            os.kill(busy, signal.SIGKILL)
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait()


def run(ctx):
    attached(ctx, "SIGINT to uptrace", signal.SIGINT)
    attached(ctx, "group", signal.SIGINT)
    attached(ctx, "SIGQUIT to uptrace", signal.SIGQUIT)
    spawned(ctx, "SIGINT to uptrace")
    # Racy by nature (the command's SIGINT meets the detach): several rounds.
    for _ in range(8):
        spawned(ctx, "SIGINT to the group")
    spawned(ctx, "SIGKILL to uptrace")
    tracer_killed(ctx)
