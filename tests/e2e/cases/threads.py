# SPDX-License-Identifier: MIT
"""8 threads x 50,000 calls of work(): --count must show exactly 400000 entries (and as
many returns with a return probe: one return stack per thread).

Under --qemu (x86_64): qemu-user 7.2's stub serves one stopped thread at a time, so threads
that hit probes at the same moment are a known limit (man page): one worker thread of 2000
calls, entries and returns counted."""

from driver import counts

TRANSPORTS = ("native", "qemu")


def qemu(ctx, exe):
    print("note: qemu 7.2 limits: one probing thread at a time", flush=True)
    proc = ctx.uptrace("--count", "--json", "work", "work%return", "--", exe, "1", "2000",
                       timeout=90)
    ctx.check_exit(proc, 0, "threads 1 x 2000")
    ctx.check("calls=2000 ok" in proc.stdout, f"threads' output: {proc.stdout!r}")
    ctx.check_equal(counts(proc.stderr, ctx), {"work": 2000, "work%return": 2000},
                    "counts of a worker thread")


def run(ctx):
    exe = ctx.fixture("threads")
    if not ctx.native:
        qemu(ctx, exe)
        return
    proc = ctx.uptrace("--count", "--json", "work", "--", exe, timeout=300)
    ctx.check_exit(proc, 0, "threads under uptrace")
    ctx.check("calls=400000 ok" in proc.stdout, "threads computed its sums right")
    got = counts(proc.stderr, ctx)
    ctx.check_equal(got, {"work": 400000}, "--count --json of work")

    proc = ctx.uptrace("--count", "--json", "work", "work%return", "--", exe, timeout=300)
    ctx.check_exit(proc, 0, "threads under uptrace with a return probe")
    ctx.check("calls=400000 ok" in proc.stdout, "threads computed its sums right (returns)")
    ctx.check_equal(counts(proc.stderr, ctx), {"work": 400000, "work%return": 400000},
                    "--count --json of work and work%return")

    proc = ctx.uptrace("--count", "work", "--", exe, timeout=300)
    ctx.check_exit(proc, 0, "threads under uptrace --count (text)")
    ctx.check("400000" in proc.stderr, "text --count summary shows 400000")

    # Every instruction of work() probed, 8 threads x 5000 calls: threads hit the same points
    # at once, some of them run out of line in slots; every count must be 40000.
    _, _, offs = ctx.instruction_offsets(exe, "work")
    probes = [f"work+{off}" for off in offs]
    proc = ctx.uptrace("--count", "--json", *probes, "--", exe, "8", "5000", timeout=300)
    ctx.check_exit(proc, 0, f"threads with all {len(probes)} instructions of work probed")
    ctx.check("calls=40000 ok" in proc.stdout, "threads computed its sums right")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {("work" if off == 0 else f"work+0x{off:x}"): 40000 for off in offs},
                    "count of every instruction of work")
