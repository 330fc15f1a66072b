# SPDX-License-Identifier: MIT
"""A Go program (Debian's go): Go moves a goroutine's stack when it grows and walks it with
its own tables, so a return probe's trampoline in a frame makes the runtime throw. A return
probe on Go code is refused with a message, the program untouched; a glob over Go functions
too, in one line; entry probes keep working and count what the program counts."""

from driver import counts, program_counts


def run(ctx):
    exe = ctx.fixture("gostack")
    plain = ctx.run([exe, "25"], timeout=60)
    ctx.check_exit(plain, 0, "gostack untraced")
    calls = program_counts(plain.stdout, "gostack")["calls"]
    ctx.check_equal(calls, 25, "gostack's calls of main.work")

    for probe in ("main.work%return", "main.*%return", "runtime.mallocgc%return"):
        proc = ctx.uptrace(probe, "--", exe, "25", timeout=60)
        ctx.check_exit(proc, 1, f"'{probe}' in a Go program")
        ctx.check("Go" in proc.stderr and "probe" in proc.stderr and
                  len(proc.stderr.strip().splitlines()) == 1,
                  f"'{probe}': one line that says it is Go code: {proc.stderr.strip()!r}")
        ctx.check_equal(proc.stdout, "", f"'{probe}': the program did not run on")

    proc = ctx.uptrace("--count", "--json", "main.work", "main.main", "--", exe, "25",
                       timeout=60)
    ctx.check_exit(proc, 0, "entry probes in a Go program")
    ctx.check_equal(proc.stdout, plain.stdout, "gostack's output under entry probes")
    ctx.check_equal(counts(proc.stderr, ctx), {"main.work": calls, "main.main": 1},
                    "entries counted, as the program counted its calls")
