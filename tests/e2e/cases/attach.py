# SPDX-License-Identifier: MIT
"""Attach and detach: start busy (4 threads in loops, nanosleep and futex waits), attach with
`uptrace -p PID --timeout 2 busy_add`, then on every instruction of busy_add, then until
SIGINT; after each detach the process
is no longer traced, its text (every file-backed r-xp mapping, read from /proc/PID/mem) is
byte-identical to the file, and in the end it exits 0 with its own checks passed."""

import os
import signal
import subprocess
import time

from driver import counts, instruction_offsets


def kernel_uprobe_bytes(path, off, n):
    """The bytes at file offset off of path as this (untraced) process maps them, or None.
    A kernel uprobe (another user's bpftrace on the same machine) puts its int3 into every
    mapping of the file, this process's included: a byte both show is not the tracer's."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            f = line.split()
            if len(f) < 6 or f[5] != path:
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            start = int(f[2], 16)
            if start <= off and off + n <= start + hi - lo:
                with open("/proc/self/mem", "rb", 0) as mem:
                    mem.seek(lo + off - start)
                    return mem.read(n)
    return None


def text_identical(ctx, pid, what):
    """Compare every file-backed executable mapping of pid with the file's bytes."""
    compared, differ = 0, []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            f = line.split()
            if len(f) < 6 or "x" not in f[1] or not f[5].startswith("/"):
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            off, path = int(f[2], 16), f[5]
            try:
                with open(path, "rb") as file:
                    file.seek(off)
                    want = file.read(hi - lo)
            except OSError:
                continue
            mem.seek(lo)
            got = mem.read(len(want))
            compared += 1
            if got == want:
                continue
            for i in (i for i, (g, w) in enumerate(zip(got, want)) if g != w):
                mem.seek(lo + i)  # again, next to this process's copy: the uprobe may be gone
                now = mem.read(1)
                if now == want[i:i + 1] or \
                        kernel_uprobe_bytes(os.path.realpath(path), off + i, 1) == now:
                    continue
                differ.append(f"{path}+0x{off + i:x}: {got[i:i + 8].hex()} "
                              f"!= {want[i:i + 8].hex()}")
                break
    ctx.check(compared > 0 and not differ,
              f"{what}: text of {compared} executable mappings equals the files {differ[:5]}")


def exec_mappings(pid):
    """The executable mappings of pid (range, perms, path): a slot page left behind shows.
    The kernel's own XOL area, [uprobes], is left out: the kernel maps it into a process the
    first time the process hits a kernel uprobe (another user's bpftrace on a library of
    ours), and keeps it for the process's life. uptrace's pages are anonymous or memfds."""
    with open(f"/proc/{pid}/maps") as maps:
        return sorted((f[0], f[1], f[5] if len(f) > 5 else "")
                      for f in (line.split() for line in maps)
                      if "x" in f[1] and f[5:6] != ["[uprobes]"])


def tracer_pid(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return -1


def run(ctx):
    exe = ctx.fixture("busy")
    with ctx.started("busy", "10") as (busy, pid):
        time.sleep(0.3)
        before = exec_mappings(pid)

        t0 = time.monotonic()
        proc = ctx.uptrace("-p", str(pid), "--timeout", "2", "busy_add", timeout=30)
        took = time.monotonic() - t0
        ctx.check_exit(proc, 0, f"uptrace -p {pid} --timeout 2 busy_add")
        ctx.check(1.5 < took < 10, f"uptrace detached after about 2 s ({took:.2f} s)")
        hits = sum(1 for ln in proc.stderr.splitlines() if "busy_add" in ln)
        ctx.check(hits > 100, f"busy_add events while attached ({hits})")
        ctx.check(busy.poll() is None, "busy still runs after the detach")
        ctx.check_equal(tracer_pid(pid), 0, "TracerPid after detach")
        text_identical(ctx, pid, "after --timeout detach")
        ctx.check_equal(exec_mappings(pid), before, "executable mappings after detach")

        # Every instruction of busy_add (some run out of line, so the attach maps a slot page
        # by a syscall injected while threads sleep in nanosleep and futex): at a detach a
        # thread may sit between two of them, so counts differ by at most one per thread.
        _, _, offs = instruction_offsets(exe, "busy_add")
        proc = ctx.uptrace("-p", str(pid), "--timeout", "1.5", "--count", "--json",
                           *[f"busy_add+{off}" for off in offs], timeout=30)
        ctx.check_exit(proc, 0, f"uptrace -p {pid} on all {len(offs)} instructions of busy_add")
        got = counts(proc.stderr, ctx) or {}
        ctx.check_equal(len(got), len(offs), "one count per instruction")
        if got:
            ctx.check(min(got.values()) > 100 and max(got.values()) - min(got.values()) <= 4,
                      f"instruction counts agree within the 4 threads: {got}")
        ctx.check(busy.poll() is None, "busy still runs after the second detach")
        text_identical(ctx, pid, "after the second detach")
        ctx.check_equal(exec_mappings(pid), before, "executable mappings after detach")

        # Third attach, ended by SIGINT, with a return probe (hijacked returns must go back).
        up = subprocess.Popen([ctx.uptrace_path, "-p", str(pid), "--count", "busy_mix",
                               "busy_add%return"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        up.send_signal(signal.SIGINT)
        try:
            out, err = up.communicate(timeout=20)
            ctx.check_equal(up.returncode, 0, "uptrace -p ended by SIGINT: exit status")
            ctx.check("busy_mix" in err, f"count summary after SIGINT: {err[-300:]!r}")
        except subprocess.TimeoutExpired:
            up.kill()
            ctx.fail("uptrace did not end within 20 s of SIGINT")
        if busy.poll() is None:
            ctx.check_equal(tracer_pid(pid), 0, "TracerPid after SIGINT detach")
            text_identical(ctx, pid, "after SIGINT detach")
            ctx.check_equal(exec_mappings(pid), before, "executable mappings after detach")

        rest, _ = busy.communicate(timeout=30)
        ctx.check_equal(busy.returncode, 0, "busy's exit status")
        ctx.check("busy: ok" in rest, f"busy's own checks passed: {rest.strip()!r}")
