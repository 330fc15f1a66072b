# SPDX-License-Identifier: MIT
"""uptrace --count 'libc:malloc' on a deterministic python3 run equals bpftrace's count of
uprobe:libc:malloc for the same run (skipped when bpftrace cannot run here)."""

import os
import shutil
import subprocess
import tempfile

from driver import counts

PY = "/usr/bin/python3"
SCRIPT = "d = {str(i): [i] * (i % 7) for i in range(2000)}; print(sum(map(len, d.values())))"
ENV = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0", "LC_ALL": "C"}


def bpftrace_count(ctx, cmd_argv):
    bt = shutil.which("bpftrace")
    if not bt:
        ctx.skip("bpftrace is not installed")
    if not os.path.exists("/sys/kernel/tracing/uprobe_events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                       capture_output=True)
    cmd = " ".join(cmd_argv)
    proc = ctx.run(["env", "-i", *[f"{k}={v}" for k, v in ENV.items()], bt, "-e",
                    "uprobe:libc:malloc /pid == cpid/ { @n = count(); }", "-c", cmd],
                   timeout=120)
    for line in proc.stdout.splitlines():
        if line.startswith("@n:"):
            return int(line.split(":")[1])
    ctx.skip(f"bpftrace cannot run here (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")


def run(ctx):
    if not os.access(PY, os.X_OK):
        ctx.skip(f"{PY} is missing")
    # bpftrace -c splits its command at spaces: the script is a file, in a path without any.
    with tempfile.TemporaryDirectory(prefix="uptrace-e2e.") as tmp:
        script = os.path.join(tmp, "malloc.py")
        with open(script, "w") as f:
            f.write(SCRIPT + "\n")
        compare(ctx, [PY, "-I", "-S", script])


def compare(ctx, cmd):
    warm = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    ctx.check_equal(warm.stdout.strip(), "5995", "python3's output untraced")
    want = bpftrace_count(ctx, cmd)
    again = bpftrace_count(ctx, cmd)
    if want != again:
        ctx.skip(f"python3's malloc count is not deterministic here ({want} vs {again})")
    proc = ctx.run([ctx.uptrace_path, "--count", "--json", "libc:malloc", "--", *cmd],
                   env=ENV, timeout=120)
    ctx.check_exit(proc, 0, "uptrace --count libc:malloc -- python3")
    ctx.check_equal(proc.stdout.strip(), "5995", "python3's output")
    got = counts(proc.stderr, ctx)
    ctx.check_equal(got, {"libc.so.6:malloc": want}, "malloc count vs bpftrace's")
