# SPDX-License-Identifier: MIT
"""Functions a return probe cannot go on, refused by name with a message, the program left
untouched: those that return twice (_setjmp: the address it keeps for its second return
would be the trampoline), a program's entry point (nothing calls it: argc is where a return
address would be), and dlsym (it finds its caller by its return address: RTLD_NEXT would
fail). A glob skips them by name and probes the rest: 'libc:*%return' and '*%return' on a
program that uses setjmp/longjmp run it to its normal end."""

from driver import counts


def run(ctx):
    exe = ctx.fixture("jump")
    plain = ctx.run([exe], timeout=30)
    ctx.check_exit(plain, 0, "jump untraced")

    for probe, func, why in (("_setjmp%return", "_setjmp", "returns twice"),
                             ("libc:_setjmp%return", "_setjmp", "returns twice"),
                             ("_start%return", "_start", "entry point"),
                             ("libc:dlsym%return", "dlsym", "finds its caller")):
        proc = ctx.uptrace(probe, "--", exe, timeout=30)
        ctx.check_exit(proc, 1, f"'{probe}'")
        ctx.check(func in proc.stderr and why in proc.stderr,
                  f"'{probe}': the message names {func} and says why ({why}): "
                  f"{proc.stderr.strip()!r}")
        ctx.check_equal(proc.stdout, "", f"'{probe}': the program did not run on")

    for glob, func, why in (("libc:*%return", "_setjmp", "returns twice"),
                            ("*%return", "_start", "entry point")):
        proc = ctx.uptrace("--count", "--json", glob, "--", exe, timeout=120)
        ctx.check_exit(proc, 0, f"'{glob}' on a program using setjmp and longjmp")
        ctx.check_equal(proc.stdout, plain.stdout, f"'{glob}': the program's output")
        skipped = [l for l in proc.stderr.splitlines() if l.startswith("uptrace: skipping")]
        ctx.check(any(f"{func}%return" in l and why in l for l in skipped),
                  f"'{glob}': {func} is named and skipped: {skipped}")
        got = counts(proc.stderr, ctx) or {}
        ctx.check(len(got) > 100 and sum(got.values()) > 0,
                  f"'{glob}': the other {len(got)} functions are probed")
    # dive(2, 0) returns 3 times a round, 3 rounds; dive(3, 1)'s frames longjmp away
    ctx.check_equal(got.get("dive%return"), 9, "'*%return': dive's returns")
