# SPDX-License-Identifier: MIT
"""An instruction uptrace cannot displace safely (syscall) is refused with a message that
names it, and the program is left untouched; a glob that matches such a function skips it
by name and probes the others."""

from driver import counts


def run(ctx):
    exe = ctx.fixture("refuse")
    ok = "refuse: ok"

    proc = ctx.uptrace("pick_syscall", "--", exe, timeout=30)
    ctx.check_exit(proc, 1, "a probe on a syscall instruction")
    ctx.check("syscall" in proc.stderr and "pick_syscall" in proc.stderr or
              "0x" in proc.stderr and "syscall" in proc.stderr,
              f"the message names the instruction: {proc.stderr.strip()!r}")
    ctx.check(ok not in proc.stdout, "the program did not run on with a refused probe")

    proc = ctx.uptrace("pick_getpid+5", "--", exe, timeout=30)
    ctx.check_exit(proc, 1, "a probe on a syscall inside a function")
    ctx.check("syscall" in proc.stderr, f"the message names it: {proc.stderr.strip()!r}")

    proc = ctx.uptrace("--count", "--json", "pick_*", "--", exe, timeout=30)
    ctx.check_exit(proc, 0, "a glob that matches a refused function")
    ctx.check_equal(proc.stdout.strip(), ok, "the program's output")
    ctx.check("skipping probe 'pick_syscall'" in proc.stderr,
              f"the refused function is named and skipped: {proc.stderr.strip()!r}")
    ctx.check_equal(counts(proc.stderr, ctx), {"pick_add": 10, "pick_getpid": 1},
                    "the other functions are probed")
