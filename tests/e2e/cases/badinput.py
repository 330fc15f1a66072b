# SPDX-License-Identifier: MIT
"""Bad input: exit status 2 for usage errors, 1 for other failures, and the message names
the thing that was wrong. The traced program must never be left stopped or killed."""

import ctypes
import os
import signal
import subprocess
import tempfile

from driver import instruction_offsets


def expect(ctx, args, status, names, what, **kw):
    proc = ctx.uptrace(*args, timeout=30, **kw)
    ok = proc.returncode == status
    named = all(n in proc.stderr for n in names)
    ctx.check(ok and named, f"{what}: exit {proc.returncode} (want {status}), message names "
              f"{names}: {proc.stderr.strip()[:300]!r}")
    return proc


def free_pid():
    with open("/proc/sys/kernel/pid_max") as f:
        pid = int(f.read()) - 1
    while os.path.exists(f"/proc/{pid}"):
        pid -= 1
    return pid


def traceme():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace(0, 0, None, None)  # PTRACE_TRACEME


def run(ctx):
    fib = ctx.fixture("fib")

    # Usage errors: 2.
    expect(ctx, ["fib"], 2, [], "neither -p nor --")
    expect(ctx, ["--no-such-option", "fib", "--", fib], 2, ["--no-such-option"],
           "unknown option")
    expect(ctx, ["-n", "many", "fib", "--", fib], 2, ["many"], "-n with a non-number")
    for bad, name in [("fib+x", "fib+x"), ("fib%retrun", "fib%retrun"),
                      ("fib n=$arg0", "$arg0"), ("fib n:s99", "s99"),
                      ("fib n=$nosuchvar", "$nosuchvar"), ("fib+", "fib+")]:
        expect(ctx, [bad, "--", fib], 2, [name], f"malformed probe {bad!r}")
    expect(ctx, ["fib r=$retval", "--", fib], 2, ["$retval"], "$retval on an entry probe")

    # Other failures: 1.
    expect(ctx, ["no_such_function_xyz", "--", fib], 1, ["no_such_function_xyz"],
           "no such function")
    _, _, offs = instruction_offsets(fib, "fib")
    inside = next(o + 1 for o, nxt in zip(offs, offs[1:]) if nxt - o > 1)
    expect(ctx, [f"fib+{inside}", "--", fib], 1, ["fib"],
           f"offset {inside} inside an instruction")
    expect(ctx, ["/no/such/libfoo.so:malloc", "--", fib], 1, ["/no/such/libfoo.so"],
           "no such library (path)")
    proc = ctx.uptrace("libnosuchlibxyz:malloc", "--", fib, timeout=30)
    ctx.check("libnosuchlibxyz" in proc.stderr,
              f"no such library (short name, exit {proc.returncode}): message names it: "
              f"{proc.stderr.strip()[:300]!r}")
    expect(ctx, ["fib", "--", "/no/such/program"], 1, ["/no/such/program"], "no such program")
    with tempfile.TemporaryDirectory() as tmp:
        notelf = os.path.join(tmp, "notelf")
        with open(notelf, "w") as f:
            f.write("this is not an ELF program\n")
        os.chmod(notelf, 0o755)
        expect(ctx, ["fib", "--", notelf], 1, ["notelf"], "a file that is not an ELF program")

    pid = free_pid()
    expect(ctx, ["-p", str(pid), "fib"], 1, [str(pid)], "no such PID")
    expect(ctx, ["-p", "12abc", "fib"], 2, ["12abc"], "a PID that is not a number")

    # A PID we may not trace: one that another tracer (this driver) already holds.
    held = subprocess.Popen([fib], preexec_fn=traceme, stdout=subprocess.DEVNULL)
    try:
        os.waitpid(held.pid, os.WUNTRACED)  # stopped at exec by our PTRACE_TRACEME
        expect(ctx, ["-p", str(held.pid), "fib"], 1, [str(held.pid)],
               "a PID already traced by another tracer")
    finally:
        os.kill(held.pid, signal.SIGKILL)
        held.wait()

    # As an unprivileged user, a root process: EPERM.
    if os.geteuid() == 0:
        with ctx.started("busy", 3) as (busy, pid):
            if os.access(ctx.uptrace_path, os.X_OK):
                expect(ctx, ["-p", str(pid), "busy_add"], 1, [str(pid)],
                       "a PID we may not trace (uptrace as nobody, target root)",
                       user=65534, group=65534, extra_groups=[])
            ctx.check_equal(busy.wait(timeout=30), 0, "busy unharmed by the refused attach")
