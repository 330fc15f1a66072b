# SPDX-License-Identifier: MIT
"""glibc's own unwinding under return probes, through libgcc_s.so.1: backtrace() from a
probed function (it must see every caller, in order) and a thread leaving by pthread_exit
through probed frames whose cleanups must all run (-fexceptions). cunwind_late does not
link libgcc_s: glibc loads it by dlopen on first use, and the unwinder hooks must arm then.
The program checks itself; its output and exit status are those of an untraced run and the
returns counted are those it counted. Natively and under --qemu (the same cunwind.c, built
for aarch64 and riscv64 by their build.sh)."""

import subprocess

from driver import counts, program_counts

TRANSPORTS = ("native", "qemu")
QEMU_ARCHES = ("x86_64", "aarch64", "riscv64")

FUNCS = ["bt1", "bt2", "bt3", "hold", "tidy"]
RETURNS = [f + "%return" for f in FUNCS]


def run(ctx):
    for name in ("cunwind", "cunwind_late"):
        exe = ctx.fixture(name)
        needed = subprocess.run(["readelf", "-d", exe], capture_output=True, text=True).stdout
        ctx.check(("libgcc_s" in needed) == (name == "cunwind"),
                  f"{name} {'links' if name == 'cunwind' else 'does not link'} libgcc_s")
        plain = ctx.untraced([exe], timeout=60)
        ctx.check_exit(plain, 0, f"{name} untraced")
        rets = program_counts(plain.stdout, "returns")
        ctx.check(rets is not None and set(rets) == set(FUNCS),
                  f"{name} counts the returns of {FUNCS}: {rets}")

        for extra in ([], ["libc:backtrace%return", "libc:pthread_exit%return"]):
            proc = ctx.uptrace("--count", "--json", *RETURNS, *extra, "--", exe, timeout=60)
            what = f"{name} under return probes{' (libc too)' if extra else ''}"
            ctx.check_exit(proc, 0, what)
            ctx.check_equal(proc.stdout, plain.stdout, f"{what}: output")
            got = counts(proc.stderr, ctx) or {}
            ctx.check_equal({f: got.get(f + "%return") for f in FUNCS}, rets,
                            f"{what}: returns counted, as the program counted them")
            if not extra:
                ctx.check_equal(set(got), set(RETURNS), f"{what}: nothing else counted")
