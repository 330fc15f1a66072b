# SPDX-License-Identifier: MIT
"""Signals while probed functions run: SIGUSR1 raised synchronously (its handler calls the
probed function too) and SIGALRM from an interval timer. The program must run to a right end
and the count must be every call: 5000 from main plus 50 from the handler; the same with
every instruction of the function probed.

Under --qemu (x86_64): qemu 7.2's stub reports every signal (no QPassSignals), so the timer
ticks every 20 ms (the program's argument, in us) rather than the native 200 us; one probe."""

from driver import counts

TRANSPORTS = ("native", "qemu")


def run(ctx):
    exe = ctx.fixture("signals")
    if not ctx.native:
        proc = ctx.uptrace("--count", "--json", "work", "--", exe, "20000", timeout=90)
        ctx.check_exit(proc, 0, "signals, 20 ms timer")
        ctx.check_equal(proc.stdout.strip(), "signals: calls=5050 usr1=50 ok",
                        "signals' output")
        ctx.check_equal(counts(proc.stderr, ctx), {"work": 5050}, "count with signals")
        return
    for probes in (["work"], ["work", "work%return"]):
        proc = ctx.uptrace("--count", "--json", *probes, "--", exe, timeout=120)
        ctx.check_exit(proc, 0, f"signals with {probes}")
        ctx.check_equal(proc.stdout.strip(), "signals: calls=5050 usr1=50 ok",
                        f"signals' output with {probes}")
        ctx.check_equal(counts(proc.stderr, ctx), {p: 5050 for p in probes},
                        f"counts with {probes}")

    # Every instruction of work() probed (some run out of line, in a slot) while SIGALRM
    # arrives at any moment: no handler may run inside a slot, and every count is 5050.
    _, _, offs = ctx.instruction_offsets(exe, "work")
    probes = [f"work+{off}" for off in offs]
    proc = ctx.uptrace("--count", "--json", *probes, "--", exe, timeout=240)
    ctx.check_exit(proc, 0, f"signals with all {len(probes)} instructions of work probed")
    ctx.check_equal(proc.stdout.strip(), "signals: calls=5050 usr1=50 ok",
                    "signals' output with every instruction probed")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {("work" if off == 0 else f"work+0x{off:x}"): 5050 for off in offs},
                    "count of every instruction of work")
