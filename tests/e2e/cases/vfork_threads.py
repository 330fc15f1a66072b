# SPDX-License-Identifier: MIT
"""vfork with 63 threads (tests/fixtures/x86_64/vforkmany.c): the vfork child comes as the
65th thread of the process, growing the tracer's thread table while the vforking thread's
entry is in use, with a return probe live in it. Every return is reported once, the program
runs right and exits 0 (an ASan build of uptrace catches a stale thread entry here)."""

from driver import counts


def run(ctx):
    exe = ctx.fixture("vforkmany")
    for spec in (["spawn_true%return"], ["-f", "spawn_true%return"]):
        proc = ctx.uptrace("--count", "--json", *spec, "--", exe, timeout=60)
        ctx.check_exit(proc, 0, f"uptrace {' '.join(spec)} -- vforkmany")
        ctx.check_equal(proc.stdout.strip(), "vforkmany: ok", "its output")
        ctx.check_equal(counts(proc.stderr, ctx), {"spawn_true%return": 3},
                        "every return of spawn_true, once")
