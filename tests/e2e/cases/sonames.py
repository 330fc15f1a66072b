# SPDX-License-Identifier: MIT
"""A library named as the dynamic linker names it: by soname ('libz.so.1:deflate',
'libstdc++.so.6:_Znwm'), by the symlink's path, by short name. Every spelling counts what
the fixture's source does (10 deflate calls, 25 operator new calls) and what bpftrace counts
on the same run. A probe on a library the program never loads is named at the end in a
warning ("never armed"), and the exit status stays the command's own."""

import os
import re
import shutil
import subprocess

from driver import counts


def libraries(exe):
    """{soname: path as the dynamic linker finds it} from ldd (not from uptrace)."""
    out = subprocess.run(["ldd", exe], capture_output=True, text=True, check=True).stdout
    return {m.group(1): m.group(2) for m in re.finditer(r"^\s*(\S+) => (/\S+)", out, re.M)}


def bpftrace_counts(ctx, probes, argv):
    """{name: hits} of bpftrace's uprobes on probes {name: 'path:func'} for argv's run."""
    bt = shutil.which("bpftrace")
    if not bt:
        return None
    script = " ".join(f'uprobe:"{p.rsplit(":", 1)[0]}":{p.rsplit(":", 1)[1]} /pid == cpid/ '
                      f"{{ @{name} = count(); }}" for name, p in probes.items())
    proc = ctx.run([bt, "-e", script, "-c", " ".join(argv)], timeout=120)
    got = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"^@(\w+): (\d+)$", line)
        if m:
            got[m.group(1)] = int(m.group(2))
    if proc.returncode != 0 or not got:
        print(f"note: bpftrace cannot run here (exit {proc.returncode}); "
              "comparing with the fixture's source only")
        return None
    return got


def run(ctx):
    exe = ctx.fixture("sonames")
    libs = libraries(exe)
    if "libz.so.1" not in libs or "libstdc++.so.6" not in libs:
        ctx.skip(f"ldd does not show libz.so.1 and libstdc++.so.6 for {exe}: {libs}")
    zkey = os.path.basename(os.path.realpath(libs["libz.so.1"])) + ":deflate"
    # keys show C++ names demangled: "operator new(unsigned long)", as binutils' c++filt says
    znwm = subprocess.run(["c++filt", "_Znwm"], capture_output=True, text=True,
                          check=True).stdout.strip()
    nkey = os.path.basename(os.path.realpath(libs["libstdc++.so.6"])) + ":" + znwm
    want = {zkey: 10, nkey: 25}  # the fixture's own calls

    bt = bpftrace_counts(ctx, {"deflate": f"{libs['libz.so.1']}:deflate",
                               "znwm": f"{libs['libstdc++.so.6']}:_Znwm"}, [exe])
    if bt is not None:
        ctx.check_equal(bt, {"deflate": 10, "znwm": 25}, "bpftrace's counts on the fixture")

    for z, n in (("libz.so.1", "libstdc++.so.6"),                       # sonames
                 (libs["libz.so.1"], libs["libstdc++.so.6"]),           # symlinks' paths
                 ("libz", "libstdc++")):                                 # short names
        proc = ctx.uptrace("--count", "--json", f"{z}:deflate", f"{n}:_Znwm", "--", exe)
        ctx.check_exit(proc, 0, f"uptrace {z}:deflate {n}:_Znwm")
        ctx.check_equal(proc.stdout, "sonames: deflate=10 new=25 ok\n", "the fixture's output")
        ctx.check_equal(counts(proc.stderr, ctx), want, f"counts with {z} and {n}")
        ctx.check("never armed" not in proc.stderr, "no probe left unarmed")

    # -l takes a soname as MODULE too.
    proc = ctx.uptrace("-l", "libz.so.1:deflate", "--", exe)
    ctx.check_exit(proc, 0, "uptrace -l libz.so.1:deflate")
    ctx.check(zkey in proc.stdout.split(), f"-l lists {zkey}")

    # A library the program never loads: a warning at the end, the command's status kept.
    puts = ctx.fixture("libcputs")
    proc = ctx.uptrace("--count", "--json", "libz.so.1:deflate", "libc:puts", "--", puts)
    ctx.check_exit(proc, 0, "uptrace libz.so.1:deflate on a program without libz")
    ctx.check_equal(counts(proc.stderr, ctx), {"libc.so.6:puts": 7}, "counts")
    ctx.check("uptrace: warning: probe 'libz.so.1:deflate' never armed: no module "
              "'libz.so.1' was loaded" in proc.stderr, "the never-armed probe is named")
    ctx.check("'libc:puts' never armed" not in proc.stderr, "the armed one is not")
    code = ctx.fixture("exitcode")
    proc = ctx.uptrace("--count", "libz:deflate", "work", "--", code, "exit", "3")
    ctx.check_exit(proc, 3, "uptrace on 'exitcode exit 3' with a never-armed probe")
    ctx.check("probe 'libz:deflate' never armed" in proc.stderr, "named in the warning")
