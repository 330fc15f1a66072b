# SPDX-License-Identifier: MIT
"""Probes on libc armed before libc runs. libc:__libc_start_main is hit exactly once (it
runs before main, right after the dynamic linker maps libc), libc:puts exactly 7 times.

__libc_start_main alone does not show that a probe is armed "before any of its code runs":
the dynamic linker reports its initial libraries (r_brk, RT_CONSISTENT) only after it has
relocated them and called libc's __libc_early_init, and __libc_start_main runs later still.
__libc_early_init runs exactly once per process (glibc's elf/rtld.c), inside that window: it
must count 1, with or without MODULE, as bpftrace's count does.

Under --qemu (x86_64): the probes on __libc_start_main and puts (entry and return); not
__libc_early_init, which runs before the stub can report the libraries (README)."""

import shutil

from driver import counts

TRANSPORTS = ("native", "qemu")


def bpftrace_count(ctx, probe, argv):
    bt = shutil.which("bpftrace")
    if not bt:
        return None
    proc = ctx.run([bt, "-e", f"uprobe:{probe} /pid == cpid/ {{ @n = count(); }}",
                    "-c", " ".join(argv)], timeout=120)
    for line in proc.stdout.splitlines():
        if line.startswith("@n:"):
            return int(line.split(":")[1])
    print(f"note: bpftrace cannot run here (exit {proc.returncode}): {proc.stderr[-300:]}")
    return None


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
    if not ctx.native:
        return  # under --qemu libraries are armed after __libc_early_init ran (README)

    # Code the dynamic linker runs before it reports the libraries.
    for argv in (["/bin/true"], [exe]):
        bt = bpftrace_count(ctx, "libc:__libc_early_init", argv)
        if bt is not None:
            ctx.check_equal(bt, 1, f"bpftrace's count of __libc_early_init in {argv[0]}")
        for spec in ("libc:__libc_early_init", "__libc_early_init"):
            proc = ctx.uptrace("--count", "--json", spec, "libc:puts%return", "--", *argv)
            ctx.check_exit(proc, 0, f"uptrace {spec} -- {argv[0]}")
            got = counts(proc.stderr, ctx) or {}
            ctx.check_equal(got.get("libc.so.6:__libc_early_init"), 1,
                            f"{spec} in {argv[0]}, counted as glibc calls it")
