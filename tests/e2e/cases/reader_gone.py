# SPDX-License-Identifier: MIT
"""The reader of uptrace's output goes away (`| head -1`) or the output cannot be written
(-o /dev/full): uptrace must not die of SIGPIPE with its breakpoints in place. It detaches
as -n does and exits 1; the traced process runs on untraced, and a command uptrace started
keeps its default SIGPIPE. With -l, a started command is killed before any of its own code
runs (the marker fixture leaves a file from a constructor and from main)."""

import glob
import os
import signal
import subprocess
import tempfile
import time

from cases.attach import text_identical, tracer_pid


def head_pipeline(ctx, argv, stdout=None, merge=True, timeout=60):
    """argv's stderr (and its stdout with merge, as `2>&1 | head -1`, else stdout goes to
    the given file) into `head -1`. Returns (uptrace's status, head's line)."""
    ctx.log("$ " + " ".join(argv) + (" 2>&1" if merge else " 2>&1 >FILE") + " | head -1")
    r, w = os.pipe()
    head = subprocess.Popen(["head", "-1"], stdin=r, stdout=subprocess.PIPE, text=True)
    os.close(r)
    up = subprocess.Popen(argv, stdout=w if merge else stdout, stderr=w)
    os.close(w)
    line = head.communicate(timeout=timeout)[0]
    try:
        status = up.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        up.kill()
        status = up.wait()
        ctx.fail(f"uptrace did not end within {timeout} s after head -1 left")
    ctx.log(f"  uptrace exit {status}; head read {line!r}")
    return status, line


def alive(pid):
    """Running (not gone, not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def signal_masks(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("SigIgn", "SigCgt", "SigBlk"):
                out[k] = int(v, 16)
    return out


def processes_running(path):
    """PIDs whose executable is path."""
    found = []
    for exe in glob.glob("/proc/[0-9]*/exe"):
        try:
            if os.readlink(exe) == path:
                found.append(int(exe.split("/")[2]))
        except OSError:
            pass
    return found


def attached(ctx):
    """-p PID 2>&1 | head -1 on a busy process, 3 rounds."""
    for rnd in range(3):
        with ctx.started("busy", 4) as (busy, pid):
            time.sleep(0.2)
            status, line = head_pipeline(ctx, [ctx.uptrace_path, "-p", str(pid), "busy_add",
                                               "busy_mix%return"])
            ctx.check_equal(status, 1, f"round {rnd}: uptrace -p {pid} 2>&1 | head -1: "
                            "exit status (1: a clean detach after a failed write)")
            ctx.check("busy_add" in line or "busy_mix" in line,
                      f"round {rnd}: head read an event: {line.strip()!r}")
            time.sleep(0.3)
            ctx.check(busy.poll() is None, f"round {rnd}: busy runs on after the reader left "
                      f"(exit {busy.returncode})")
            if busy.poll() is None:
                ctx.check_equal(tracer_pid(pid), 0, f"round {rnd}: TracerPid after the detach")
                text_identical(ctx, pid, f"round {rnd}: after the reader left")
            rest, _ = busy.communicate(timeout=30)
            ctx.check_equal(busy.returncode, 0, f"round {rnd}: busy's exit status")
            ctx.check("busy: ok" in rest, f"round {rnd}: busy's own checks: {rest.strip()!r}")


def full_disk(ctx):
    """-o /dev/full: the first write fails with ENOSPC; detach, exit 1, target unharmed."""
    if not os.path.exists("/dev/full"):
        return
    with ctx.started("busy", 4) as (busy, pid):
        t0 = time.monotonic()
        proc = ctx.uptrace("-p", str(pid), "-o", "/dev/full", "busy_add", timeout=30)
        took = time.monotonic() - t0
        ctx.check_exit(proc, 1, f"uptrace -p {pid} -o /dev/full")
        ctx.check("/dev/full" in proc.stderr and "No space" in proc.stderr,
                  f"the message names the file and the error: {proc.stderr.strip()!r}")
        ctx.check(took < 10, f"uptrace gave up soon after the failed write ({took:.1f} s)")
        ctx.check(busy.poll() is None, "busy runs on after -o /dev/full")
        if busy.poll() is None:
            ctx.check_equal(tracer_pid(pid), 0, "TracerPid after -o /dev/full")
            text_identical(ctx, pid, "after -o /dev/full")
        rest, _ = busy.communicate(timeout=30)
        ctx.check_equal(busy.returncode, 0, "busy's exit status after -o /dev/full")


def spawned(ctx):
    """-- busy 3 2>&1 >FILE | head -1: the command runs on, untraced, to its own right end,
    with the default SIGPIPE disposition (uptrace's handler does not survive the exec)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "busy.out")
        with open(out, "w") as f:
            status, line = head_pipeline(ctx, [ctx.uptrace_path, "busy_add", "busy_mix%return",
                                               "--", ctx.fixture("busy"), "3"],
                                         stdout=f, merge=False)
        ctx.check_equal(status, 1, "uptrace busy_add -- busy 2>&1 >FILE | head -1: exit status")
        ctx.check("busy_add" in line or "busy_mix" in line,
                  f"head read an event: {line.strip()!r}")
        with open(out) as f:
            text = f.read()
        ctx.check("busy: ok" in text, f"busy ran on to its own right end: {text.strip()!r}")

    # The command's own SIGPIPE: default, as if started without uptrace.
    r, w = os.pipe()
    up = subprocess.Popen([ctx.uptrace_path, "--count", "busy_add", "--", ctx.fixture("busy"),
                           "2"], stdout=w, stderr=subprocess.PIPE, text=True)
    os.close(w)
    with os.fdopen(r) as rd:
        ready = rd.readline().split()
        pid = int(ready[2]) if len(ready) == 3 else 0
        masks = signal_masks(pid) if pid else {}
        bit = 1 << (signal.SIGPIPE - 1)
        ctx.check(pid and not masks.get("SigIgn", bit) & bit and not masks.get("SigCgt", 0) & bit
                  and not masks.get("SigBlk", 0) & bit,
                  f"the traced command's SIGPIPE is neither ignored, caught nor blocked: {masks}")
        rd.read()
    up.communicate(timeout=30)
    ctx.check_exit(up, 0, "uptrace --count busy_add -- busy 2")

    # `-- CMD 2>&1 | head -1` whole: the command shares the pipe and meets it as it would
    # untraced (busy writes its last line after head left: SIGPIPE kills it), and is not
    # left stopped or orphaned.
    busy_path = ctx.fixture("busy")
    before = set(processes_running(busy_path))
    status, line = head_pipeline(ctx, [ctx.uptrace_path, "busy_add", "--", busy_path, "2"])
    ctx.check(status in (1, 128 + signal.SIGPIPE),
              f"uptrace busy_add -- busy 2>&1 | head -1: exit {status} (1 after a failed "
              "write, or busy's own death by SIGPIPE)")
    time.sleep(0.5)
    left = [p for p in processes_running(busy_path) if p not in before and alive(p)]
    ctx.check_equal(left, [], "busy processes left running after the pipeline ended")


def listed(ctx):
    """-l -- marker PATH | head -1: marker never runs its constructor or main, and no
    marker process is left."""
    marker = ctx.fixture("marker")
    with tempfile.TemporaryDirectory() as tmp:
        for how in ("head -1", "a closed pipe"):
            base = os.path.join(tmp, how.replace(" ", "_"))
            before = set(processes_running(marker))
            if how == "head -1":
                # -l writes the list to stdout: that is what goes to head here
                r, w = os.pipe()
                head = subprocess.Popen(["head", "-1"], stdin=r, stdout=subprocess.PIPE,
                                        text=True)
                os.close(r)
                up = subprocess.Popen([ctx.uptrace_path, "-l", "--", marker, base, "30"],
                                      stdout=w, stderr=subprocess.PIPE, text=True)
                os.close(w)
                line = head.communicate(timeout=60)[0]
                err = up.communicate(timeout=60)[1]
                ctx.check(line.strip() != "", f"-l | head -1: head read {line.strip()!r}")
            else:
                r, w = os.pipe()
                os.close(r)
                up = subprocess.Popen([ctx.uptrace_path, "-l", "--", marker, base, "30"],
                                      stdout=w, stderr=subprocess.PIPE, text=True)
                os.close(w)
                err = up.communicate(timeout=60)[1]
            ctx.check_equal(up.returncode, 1, f"uptrace -l -- marker | {how}: exit status")
            ctx.check("cannot write" in err, f"-l | {how}: the message says so: "
                      f"{err.strip()[-200:]!r}")
            time.sleep(0.5)
            for suffix in ("ctor", "main"):
                ctx.check(not os.path.exists(f"{base}.{suffix}"),
                          f"-l | {how}: marker's {suffix} never ran")
            left = [p for p in processes_running(marker) if p not in before and alive(p)]
            ctx.check_equal(left, [], f"-l | {how}: marker processes left running")
            for p in left:
                os.kill(p, signal.SIGKILL)


def run(ctx):
    attached(ctx)
    full_disk(ctx)
    spawned(ctx)
    listed(ctx)
