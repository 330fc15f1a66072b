# SPDX-License-Identifier: MIT
"""Thousands of probes, each needing an XOL slot, all armed: the scratch area grows as
needed (it was 32 pages, 2048 slots, and the rest were skipped or refused).

manyfuncs calls each of its 3000 generated functions (each starting with an instruction run
out of line) exactly once; every one must count 1, its output and exit status unchanged, and
no probe skipped. 'libc:*' on a short program leaves its output and status unchanged, and
skips nothing but IFUNCs whose implementation is not known."""

from driver import counts


def run(ctx):
    exe = ctx.fixture("manyfuncs")
    proc = ctx.uptrace("--count", "--json", "many_*", "--", exe, timeout=300)
    ctx.check_exit(proc, 0, "uptrace many_* -- manyfuncs")
    ctx.check_equal(proc.stdout, "manyfuncs: 3000 calls sum=4501500\n", "manyfuncs' output")
    got = counts(proc.stderr, ctx) or {}
    ctx.check_equal(got, {f"many_{i:04d}": 1 for i in range(3000)},
                    "each of the 3000 functions counted once")
    ctx.check("skipping" not in proc.stderr and "out of line" not in proc.stderr,
              "no probe skipped for want of a slot")

    exe = ctx.fixture("libcputs")
    proc = ctx.uptrace("--count", "--json", "libc:*", "--", exe, timeout=300)
    ctx.check_exit(proc, 0, "uptrace libc:* -- libcputs")
    ctx.check_equal(proc.stdout, "line\n" * 7 + "libcputs: puts=7 ok\n", "libcputs' output")
    got = counts(proc.stderr, ctx) or {}
    ctx.check(len(got) > 1000, f"libc:* placed {len(got)} probes")
    # (puts is a weak alias of _IO_puts: a glob keeps one name per address)
    ctx.check_equal(got.get("libc.so.6:puts", got.get("libc.so.6:_IO_puts")), 7,
                    "puts among them")
    # (with libc's DWARF, libc6-dbg: one line for the functions with more than 8 parameters)
    wide = [ln for ln in proc.stderr.splitlines() if "have more than 8 parameters" in ln]
    ctx.check(len(wide) <= 1, f"functions with many parameters said in one line: {wide[:3]}")
    other = [ln for ln in proc.stderr.splitlines()
             if ln.startswith("uptrace:") and "is an IFUNC" not in ln and ln not in wide]
    ctx.check_equal(other, [], "no message but IFUNCs skipped")
