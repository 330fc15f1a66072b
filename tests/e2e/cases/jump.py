# SPDX-License-Identifier: MIT
"""Return probes through recursion and longjmp: the frames dive() leaves by longjmp never
report a return (their instances are stale and dropped); the returns that do happen report
the right values in the right order; 8-argument and string/struct arguments are read right.
Compared, rendered from --json, with expected/jump.out. Natively and under --qemu."""

from driver import events, json_lines, render

TRANSPORTS = ("native", "qemu")


def run(ctx):
    exe = ctx.fixture("jump")
    proc = ctx.uptrace("--json", "dive depth jump", "dive%return",
                       "greet name:string x=p->x y=p->y", "sum8 a b c d e f g h", "sum8%return",
                       "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "uptrace on jump")
    ctx.check_equal(proc.stdout.strip(),
                    "jump: jumps=3 dive=102 sum8=204 greet=7042 ok", "jump's output")
    ctx.compare_expected([render(e) for e in events(json_lines(proc.stderr, ctx=ctx))],
                         "jump.out")

    # The same values through $argN: 7th and 8th from the stack, by the ABI alone.
    proc = ctx.uptrace("--json", "sum8 $arg1 $arg2 $arg6 $arg7 $arg8", "greet $arg1:string",
                       "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "uptrace $argN on jump")
    evs = events(json_lines(proc.stderr, ctx=ctx))
    got = {e.get("probe"): list((e.get("args") or {}).values()) for e in evs}
    ctx.check_equal(got, {"sum8": [1, 2, 6, 7, 8], "greet": ["uptrace"]}, "$argN values")
