# SPDX-License-Identifier: MIT
"""Probes on libc armed before libc runs: libc:__libc_start_main is hit exactly once (it
runs before main, right after the dynamic linker maps libc), libc:puts exactly 7 times."""

from driver import counts


def run(ctx):
    exe = ctx.fixture("libcputs")
    proc = ctx.uptrace("--count", "--json", "libc:__libc_start_main", "libc:puts", "--", exe,
                       timeout=60)
    ctx.check_exit(proc, 0, "uptrace on libcputs")
    ctx.check_equal(proc.stdout, "line\n" * 7 + "libcputs: puts=7 ok\n", "libcputs' output")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {"libc.so.6:__libc_start_main": 1, "libc.so.6:puts": 7},
                    "counts of libc probes armed before libc's first call")

    # The same with the library's full short name and with a return probe.
    proc = ctx.uptrace("--json", "libc.so.6:puts%return", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "uptrace libc.so.6:puts%return")
    rets = [ln for ln in proc.stderr.splitlines() if '"event":"return"' in ln.replace(" ", "")]
    ctx.check_equal(len(rets), 7, "puts return events")
