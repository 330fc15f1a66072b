# SPDX-License-Identifier: MIT
"""uptrace --count 'libc:malloc' on a deterministic python3 run equals bpftrace's count of
uprobe:libc:malloc for the same run (skipped when bpftrace cannot run here)."""

import os
import shutil
import subprocess

from driver import counts

PY = "/usr/bin/python3"
SCRIPT = "d = {str(i): [i] * (i % 7) for i in range(2000)}; print(sum(map(len, d.values())))"
ENV = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0", "LC_ALL": "C"}
SCRIPT_FILE = "/tmp/uptrace-e2e-malloc.py"  # bpftrace -c splits its command at spaces
CMD = [PY, "-I", "-S", SCRIPT_FILE]


def bpftrace_count(ctx):
    bt = shutil.which("bpftrace")
    if not bt:
        ctx.skip("bpftrace is not installed")
    if not os.path.exists("/sys/kernel/tracing/uprobe_events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                       capture_output=True)
    cmd = " ".join(CMD)
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
    with open(SCRIPT_FILE, "w") as f:
        f.write(SCRIPT + "\n")
    warm = subprocess.run(CMD, env=ENV, capture_output=True, text=True)
    ctx.check_equal(warm.stdout.strip(), "5995", "python3's output untraced")
    want = bpftrace_count(ctx)
    again = bpftrace_count(ctx)
    if want != again:
        ctx.skip(f"python3's malloc count is not deterministic here ({want} vs {again})")
    proc = ctx.run([ctx.uptrace_path, "--count", "--json", "libc:malloc", "--", *CMD],
                   env=ENV, timeout=120)
    ctx.check_exit(proc, 0, "uptrace --count libc:malloc -- python3")
    ctx.check_equal(proc.stdout.strip(), "5995", "python3's output")
    got = counts(proc.stderr, ctx)
    ctx.check_equal(got, {"libc.so.6:malloc": want}, "malloc count vs bpftrace's")
