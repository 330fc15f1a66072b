# SPDX-License-Identifier: MIT
"""IFUNC symbols are probed where the process's calls go, not on their resolvers.

libc's strlen, memcpy and memset are IFUNCs: the symbol is a resolver the dynamic linker
runs once, whose answer (__strlen_avx2, __strlen_evex, ...) every call runs. The ifuncs
fixture calls each of them N times through its PLT; everything else it does is the same
whatever N is, so the counts for N=1000 and N=10 must differ by exactly 990, and strlen's
must equal bpftrace's count on the implementation's address, which gdb reads from the
fixture's resolved GOT slot (strlen@got.plt). With -v uptrace says which code it probes.
An IFUNC of a library loaded by dlopen is armed once the library is relocated, before its
constructor runs."""

import os
import re
import shutil

from driver import counts

PROBES = ["libc:strlen", "libc:memcpy", "libc:memset"]
KEYS = ["libc.so.6:strlen", "libc.so.6:memcpy", "libc.so.6:memset"]


def implementation(ctx, exe):
    """(libc path, offset of the code strlen@got.plt holds after the calls), from gdb."""
    gdb = shutil.which("gdb")
    if not gdb:
        return None
    proc = ctx.run([gdb, "-q", "-batch", "-ex", "break write", "-ex", "run 3",
                    "-ex", "x/gx &'strlen@got.plt'", "-ex", "info proc mappings", exe],
                   timeout=120)
    got = re.search(r"<strlen@got.plt>:\s+0x([0-9a-f]+)", proc.stdout)
    base = re.search(r"^\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x0\s+\S*\s*(/\S*libc\.so\.6)$",
                     proc.stdout, re.M)
    if not got or not base:
        print(f"note: gdb did not show strlen's GOT slot: {proc.stdout[-600:]!r}")
        return None
    return base.group(2), int(got.group(1), 16) - int(base.group(1), 16)


def bpftrace_count(ctx, probe, argv):
    bt = shutil.which("bpftrace")
    if not bt:
        return None
    proc = ctx.run([bt, "-e", f"uprobe:{probe} /pid == cpid/ {{ @n = count(); }}",
                    "-c", " ".join(argv)], timeout=120)
    m = re.search(r"^@n: (\d+)$", proc.stdout, re.M)
    if not m:
        print(f"note: bpftrace cannot run here (exit {proc.returncode}): {proc.stderr[-300:]}")
        return None
    return int(m.group(1))


def run(ctx):
    exe = ctx.fixture("ifuncs")
    got = {}
    for n in (10, 1000):
        proc = ctx.uptrace("-v", "--count", "--json", *PROBES, "--", exe, str(n))
        ctx.check_exit(proc, 0, f"uptrace {' '.join(PROBES)} -- ifuncs {n}")
        ctx.check_equal(proc.stdout, f"ifuncs: {14 * n}\n", "the fixture's output")
        got[n] = counts(proc.stderr, ctx) or {}
        for key in KEYS:
            name = key.split(":")[1]
            ctx.check(re.search(rf"^uptrace: libc\.so\.6:{name} is an IFUNC: probing .+ at "
                                r"0x[0-9a-f]+", proc.stderr, re.M),
                      f"-v says which code {name} is probed at")
    for key in KEYS:
        ctx.check_equal(got[1000].get(key, 0) - got[10].get(key, 0), 990,
                        f"{key}: calls of the 990 extra rounds")

    # A glob over them: the same, with no resolver counted and none skipped.
    proc = ctx.uptrace("--count", "--json", "libc:mem*", "--", exe, "1000")
    ctx.check_exit(proc, 0, "uptrace libc:mem* -- ifuncs 1000")
    glob = counts(proc.stderr, ctx) or {}
    for key in KEYS[1:]:
        ctx.check_equal(glob.get(key), got[1000].get(key), f"{key} under the glob")
    ctx.check("skipping" not in proc.stderr, "nothing skipped")

    # An IFUNC in a library loaded by dlopen, which the dynamic linker reports before it
    # relocates it: armed before its constructor's call (11 calls, 10 + 1, from the source),
    # on the implementation its resolver picks (dl_ifn_fast).
    main = ctx.fixture("dlopen_main")
    lib = os.path.join(ctx.fixtures, "libdlifunc.so")
    proc = ctx.uptrace("-v", "--count", "--json", "libdlifunc:dl_ifn", "--", main, lib)
    ctx.check_exit(proc, 0, "uptrace libdlifunc:dl_ifn -- dlopen_main libdlifunc.so")
    ctx.check_equal(proc.stdout, "dlopen: calls=11 sum=100 ok\n", "dlopen_main's output")
    ctx.check_equal(counts(proc.stderr, ctx), {"libdlifunc.so:dl_ifn": 11},
                    "dl_ifn's calls, the constructor's included")
    ctx.check("libdlifunc.so:dl_ifn is an IFUNC: probing dl_ifn_fast at" in proc.stderr,
              "-v names dl_ifn_fast, the resolver's choice")

    # bpftrace on the implementation gdb found in the GOT.
    impl = implementation(ctx, exe)
    if impl is None:
        return
    libc, off = impl
    bt = bpftrace_count(ctx, f"{libc}:0x{off:x}", [exe, "1000"])
    if bt is not None:
        ctx.check_equal(got[1000].get("libc.so.6:strlen"), bt,
                        f"strlen count vs bpftrace's on {libc}:0x{off:x}")
