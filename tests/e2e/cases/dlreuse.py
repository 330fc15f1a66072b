# SPDX-License-Identifier: MIT
"""dlclose, then another library at the same address (tests/fixtures/x86_64/dlreuse.c):
libdlreuse_a.so is dlopened, its dlr_a_work called 100 times, dlclosed; libdlreuse_b.so is
then mapped where A was, its code running across A's old probe address. Three cycles:
uptrace's counts of both functions equal the kernel's (bpftrace) and the program's own, and
it exits 0 (A's probe is armed again each time A comes back; B never gets A's bytes).
Attached with -p while the program is driven step by step, a detach with B at A's address,
and another with A back, leave the text of every module identical to its file, and the
program goes on to exit 0 with its checks passed."""

import os
import signal
import subprocess
import time

from driver import bpftrace_counts, counts
from cases.attach import text_identical, tracer_pid


def run(ctx):
    exe = ctx.fixture("dlreuse")
    lib_a = os.path.join(ctx.fixtures, "libdlreuse_a.so")
    lib_b = os.path.join(ctx.fixtures, "libdlreuse_b.so")
    ok = "dlreuse: a=300 b=300 same=3 ok"
    probes = ["libdlreuse_a:dlr_a_work", "libdlreuse_b:dlr_b_work"]
    keys = ["libdlreuse_a.so:dlr_a_work", "libdlreuse_b.so:dlr_b_work"]

    alone = ctx.run([exe, lib_a, lib_b, "3"], timeout=60)
    ctx.check_equal(alone.stdout.splitlines()[-1:], [ok], "dlreuse untraced: B at A's address")

    kernel, bt = bpftrace_counts(
        ctx, f"uprobe:{lib_a}:dlr_a_work /pid == cpid/ {{ @a = count(); }} "
             f"uprobe:{lib_b}:dlr_b_work /pid == cpid/ {{ @b = count(); }}",
        [exe, lib_a, lib_b, "3"])
    ctx.check_equal(kernel, {"a": 300, "b": 300}, "the kernel's counts (bpftrace)")

    proc = ctx.uptrace("--count", "--json", *probes, "--", exe, lib_a, lib_b, "3", timeout=60)
    ctx.check_exit(proc, 0, "uptrace --count -- dlreuse, 3 cycles")
    ctx.check_equal(proc.stdout.splitlines()[-1:], [ok], "dlreuse's output traced")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {keys[0]: kernel.get("a"), keys[1]: kernel.get("b")},
                    "uptrace's counts equal the kernel's")

    # Return probes too: the instances of a module that goes away must not confuse the rest.
    proc = ctx.uptrace("--count", "--json", *probes, *[p + "%return" for p in probes], "--",
                       exe, lib_a, lib_b, "3", timeout=60)
    ctx.check_exit(proc, 0, "uptrace with entry and return probes -- dlreuse")
    ctx.check_equal(proc.stdout.splitlines()[-1:], [ok], "dlreuse's output with return probes")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {keys[0]: 300, keys[1]: 300, keys[0] + "%return": 300,
                     keys[1] + "%return": 300}, "entry and return counts")

    attached(ctx, lib_a, lib_b, probes, keys)


def say(ctx, prog, cmd):
    prog.stdin.write(cmd + "\n")
    prog.stdin.flush()
    line = prog.stdout.readline().strip()
    ctx.check_equal(line, f"{cmd} 1", f"dlreuse answered '{cmd}'")


def attach(ctx, pid, probes):
    up = subprocess.Popen([ctx.uptrace_path, "-p", str(pid), "--count", "--json", *probes],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        if tracer_pid(pid) > 0:
            time.sleep(0.2)  # the attach is done once uptrace waits for stops
            return up
        time.sleep(0.05)
    ctx.fail("uptrace did not attach within 10 s")
    return up


def detach(ctx, up, what):
    up.send_signal(signal.SIGTERM)
    try:
        _, err = up.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        up.kill()
        up.communicate()
        ctx.fail(f"{what}: uptrace did not end within 20 s of SIGTERM")
        return {}
    ctx.check_equal(up.returncode, 0, f"{what}: uptrace's exit status")
    return counts(err, ctx) or {}


def attached(ctx, lib_a, lib_b, probes, keys):
    with ctx.started("dlreuse", lib_a, lib_b, "-", stdin=subprocess.PIPE) as (prog, pid):
        up = attach(ctx, pid, probes)
        for cmd in ("a", "ca", "b"):
            say(ctx, prog, cmd)
        got = detach(ctx, up, "detach with B where A was")
        ctx.check_equal(got, {keys[0]: 100, keys[1]: 100}, "counts while attached")
        ctx.check_equal(tracer_pid(pid), 0, "TracerPid after the detach")
        text_identical(ctx, pid, "B mapped at A's old address, after the detach")
        say(ctx, prog, "b")  # B's code across A's old probe address runs again, untraced

        up = attach(ctx, pid, probes)
        for cmd in ("cb", "a", "ca", "b", "cb", "a"):
            say(ctx, prog, cmd)
        got = detach(ctx, up, "detach with A back")
        ctx.check_equal(got, {keys[0]: 200, keys[1]: 100}, "counts while attached again")
        text_identical(ctx, pid, "A loaded again, after the detach")
        for cmd in ("ca", "b", "cb"):
            say(ctx, prog, cmd)
        prog.stdin.write("q\n")
        prog.stdin.flush()
        rest, _ = prog.communicate(timeout=30)
        ctx.check_equal(prog.returncode, 0, "dlreuse's exit status")
        ctx.check("dlreuse: a=300 b=400 same=3 ok" in rest,
                  f"dlreuse's own checks passed: {rest.strip()!r}")
