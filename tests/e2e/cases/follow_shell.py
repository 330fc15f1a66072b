# SPDX-License-Identifier: MIT
"""-f through a shell loop that forks and execs: `bash SCRIPT` where SCRIPT is
`for i in 1 2 3; do ls >/dev/null; done`. Each child is followed until it execs ls, then
let go; its address space must never be touched after (it is ls's by then). uptrace's count
of libc:malloc in bash and its children before their exec equals the kernel's (bpftrace,
same condition: the command or a child of it, still named bash), and the command exits 0.
Then `-f -p` on a bash looping over the same: after the detach it runs on and exits 0."""

import os
import subprocess
import tempfile
import time

from driver import bpftrace_counts, counts
from cases.attach import tracer_pid

BASH = "/bin/bash"
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"
ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/"}


def run(ctx):
    for path in (BASH, LIBC, "/bin/ls"):
        if not os.path.exists(path):
            ctx.skip(f"{path} is missing")
    with tempfile.TemporaryDirectory(prefix="uptrace-e2e.") as tmp:
        script = os.path.join(tmp, "loop.sh")
        with open(script, "w") as f:
            f.write("for i in 1 2 3; do ls >/dev/null; done\necho loop done\n")
        cmd = [BASH, script]
        kernel, _ = bpftrace_counts(
            ctx, f"uprobe:{LIBC}:malloc /(pid == cpid || curtask->real_parent->tgid == cpid) "
                 f"&& comm == \"bash\"/ {{ @n = count(); }}", cmd, env=ENV)
        again, _ = bpftrace_counts(
            ctx, f"uprobe:{LIBC}:malloc /(pid == cpid || curtask->real_parent->tgid == cpid) "
                 f"&& comm == \"bash\"/ {{ @n = count(); }}", cmd, env=ENV)
        if not kernel.get("n") or kernel != again:
            ctx.skip(f"bash's malloc count is not steady here ({kernel} vs {again})")
        for round in range(3):
            proc = ctx.run([ctx.uptrace_path, "-f", "--count", "--json", "libc:malloc", "--",
                            *cmd], env=ENV, timeout=60)
            ctx.check_exit(proc, 0, f"round {round}: uptrace -f libc:malloc -- bash loop")
            ctx.check_equal(proc.stdout.strip(), "loop done", f"round {round}: its output")
            ctx.check_equal(counts(proc.stderr, ctx), {"libc.so.6:malloc": kernel["n"]},
                            f"round {round}: malloc count vs bpftrace's")
    attached(ctx)


def attached(ctx):
    # The loop runs until told to stop (at most a minute), not for a number of rounds: on a
    # fast machine 300 rounds of ls were over before uptrace attached (a zombie: EPERM).
    with tempfile.TemporaryDirectory(prefix="uptrace-e2e.") as tmp:
        stop = os.path.join(tmp, "stop")
        loop = subprocess.Popen([BASH, "-c", 'while [ ! -e "$1" ] && [ $SECONDS -lt 60 ]; do '
                                 'ls >/dev/null; done; echo loop done', "loop", stop],
                                stdout=subprocess.PIPE, text=True, env=ENV)
        try:
            time.sleep(0.3)
            ctx.check(loop.poll() is None, "the bash loop runs when uptrace attaches")
            proc = ctx.uptrace("-f", "-p", str(loop.pid), "--count", "--json", "--timeout",
                               "1.5", "libc:malloc", "libc:free", timeout=60)
            ctx.check_exit(proc, 0, "uptrace -f -p on a bash loop, detached after 1.5 s")
            got = counts(proc.stderr, ctx) or {}
            # a floor, not a count (the rounds above compare exact counts with bpftrace's):
            # how many calls fit in 1.5 s depends on the machine, and an ASan build counted 97
            ctx.check(got.get("libc.so.6:malloc", 0) > 30,
                      f"malloc calls counted in bash and its children: {got}")
            ctx.check(loop.poll() is None, "the bash loop runs on after the detach")
            ctx.check_equal(tracer_pid(loop.pid) if loop.poll() is None else 0, 0,
                            "TracerPid after the detach")
            open(stop, "w").close()
            out, _ = loop.communicate(timeout=120)
            ctx.check_equal(loop.returncode, 0, "the bash loop's exit status after the detach")
            ctx.check_equal(out.strip(), "loop done", "the bash loop's output")
        finally:
            if loop.poll() is None:
                loop.kill()
                loop.wait()
