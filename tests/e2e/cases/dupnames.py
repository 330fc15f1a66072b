# SPDX-License-Identifier: MIT
"""Functions that share a name get keys of their own, and the counts match the fixture's
source: two static helper()s (3 and 5 calls, told apart by their link-time addresses,
which nm -l ties to their files) and two versions of vget in libversioned.so (4 calls of
the old vget@VER_1, 6 of the default vget@@VER_2, as nm -D shows them). The JSON summary
is parsed with every key kept; libc's two pthread_cond_wait and two memcpy (nm -D) get
distinct keys as well, and -l lists every function once. C++ names that demangle alike
get their tag after the demangled name (see cxx_names)."""

import json
import os
import re
import subprocess
import tempfile


def strict_counts(ctx, text):
    """The --count --json summary, failing on a key that appears twice in the object."""
    def no_dups(pairs):
        keys = [k for k, _ in pairs]
        dups = sorted({k for k in keys if keys.count(k) > 1})
        if dups:
            ctx.fail(f"JSON object with repeated keys {dups}")
        return dict(pairs)

    for line in reversed(text.splitlines()):
        if line.startswith('{"counts"'):
            return json.loads(line, object_pairs_hook=no_dups)["counts"]
    ctx.fail(f"no counts object in {text[-500:]!r}")
    return {}


def nm_lines(args):
    return subprocess.run(["nm", *args], capture_output=True, text=True, check=True).stdout


def cxx_names(ctx):
    """C++ names several functions share: each file's (anonymous namespace)::helper(int)
    and util::scale(int) (3 and 5 calls, the fixture's source), keyed by the link-time
    addresses nm -C -l ties to the files, after the demangled name; with --no-demangle
    after nm's raw name. libstdc++'s std::bad_alloc::~bad_alloc() is two functions (nm -D:
    the deleting destructor D0, the complete one D1 with D2 its alias), both of version
    GLIBCXX_3.4: keyed by address, D1 run once (the fixture's one exception), D0 never."""
    exe = os.path.join(ctx.fixtures, "dupcxx")
    if not os.access(exe, os.X_OK):
        print(f"note: {exe} is not built (no C++ compiler): C++ names not checked")
        return
    addrs, raw = {}, {}
    for line in nm_lines(["-C", "-l", exe]).splitlines():
        m = re.match(r"^([0-9a-f]+) t ([^\t]+)\t\S*/dupcxx_([ab])\.cpp:\d+$", line)
        if m and m.group(2) in ("(anonymous namespace)::helper(int)", "util::scale(int)"):
            addrs[(m.group(2), m.group(3))] = int(m.group(1), 16)
    for line in nm_lines([exe]).splitlines():
        m = re.match(r"^([0-9a-f]+) t (_Z\S*(helper|scale)\S*)$", line)
        if m:
            raw[int(m.group(1), 16)] = m.group(2)
    if len(addrs) != 4 or len(raw) != 4:
        ctx.fail(f"nm shows two helper(int) and two scale(int): {addrs} {raw}")
        return
    want = {f"{name}@0x{a:x}": 3 if f == "a" else 5 for (name, f), a in addrs.items()}
    proc = ctx.uptrace("--count", "--json", "(anonymous namespace)::helper", "util::scale",
                       "--", exe)
    ctx.check_exit(proc, 0, "uptrace '(anonymous namespace)::helper' util::scale")
    ctx.check_equal(proc.stdout, "dupcxx: a=15 b=70\n", "the C++ fixture's output")
    ctx.check_equal(strict_counts(ctx, proc.stderr), want, "C++: one key per function, counts")
    for key, n in want.items():
        for spec in (key, key.replace("(int)@", "@")):  # with the signature or without
            proc = ctx.uptrace("--count", "--json", spec, "--", exe)
            ctx.check_equal(strict_counts(ctx, proc.stderr), {key: n}, f"PROBE '{spec}' alone")
    proc = ctx.uptrace("--count", "--json", "--no-demangle", "*helper*", "*scale*", "--", exe)
    ctx.check_equal(strict_counts(ctx, proc.stderr),
                    {f"{raw[a]}@0x{a:x}": 3 if f == "a" else 5 for (_, f), a in addrs.items()},
                    "--no-demangle: nm's raw names, the same tags")

    libs = [ln.split()[2] for ln in subprocess.run(["ldd", exe], capture_output=True,
                                                   text=True).stdout.splitlines()
            if "libstdc++.so.6 =>" in ln]
    if not libs:
        ctx.fail("ldd shows no libstdc++.so.6 for the C++ fixture")
        return
    dtors = dict((v, int(a, 16)) for a, v in re.findall(
        r"^([0-9a-f]+) T _ZNSt9bad_allocD([012])Ev@@GLIBCXX_3\.4$", nm_lines(["-D", libs[0]]),
        re.M))
    if sorted(dtors) != ["0", "1", "2"] or dtors["1"] != dtors["2"] or dtors["0"] == dtors["1"]:
        print(f"note: libstdc++'s ~bad_alloc() variants are not D0 apart from D1=D2: {dtors}")
    else:
        name = subprocess.run(["c++filt", "_ZNSt9bad_allocD1Ev"], capture_output=True,
                              text=True, check=True).stdout.strip()
        base = os.path.basename(os.path.realpath(libs[0]))
        proc = ctx.uptrace("--count", "--json", "libstdc++:std::bad_alloc::~bad_alloc", "--",
                           exe)
        ctx.check_equal(strict_counts(ctx, proc.stderr),
                        {f"{base}:{name}@0x{dtors['1']:x}": 1,
                         f"{base}:{name}@0x{dtors['0']:x}": 0},
                        "libstdc++'s destructor variants of one version, keyed by address")
    proc = ctx.uptrace("-l", "libstdc++:*", "--", exe)
    listed = proc.stdout.splitlines()
    ctx.check_equal(sorted({k for k in listed if listed.count(k) > 1}), [],
                    f"-l libstdc++:* lists no line twice ({len(listed)} lines)")


def run(ctx):
    exe = ctx.fixture("dupnames")
    lib = os.path.join(ctx.fixtures, "libversioned.so")

    # Which helper is which file's, from nm -l (DWARF line info), not from uptrace.
    helpers = {}
    for line in nm_lines(["-l", exe]).splitlines():
        m = re.match(r"^([0-9a-f]+) t helper\s+\S*/(dupnames_[ab])\.c:\d+", line)
        if m:
            helpers[m.group(2)] = int(m.group(1), 16)
    if len(helpers) != 2:
        ctx.skip(f"nm -l does not show the two helpers: {helpers}")
    # The versions of vget, from nm -D: '@' is an old version, '@@' the default.
    versions = re.findall(r" T vget(@@?)(\w+)$", nm_lines(["-D", lib]), re.M)
    ctx.check_equal(sorted(versions), [("@", "VER_1"), ("@@", "VER_2")], "nm -D's vget versions")

    want = {f"helper@0x{helpers['dupnames_a']:x}": 3, f"helper@0x{helpers['dupnames_b']:x}": 5,
            "libversioned.so:vget@VER_1": 4, "libversioned.so:vget": 6}
    out = "dupnames: a=6 b=20 vget@VER_1=4 vget@@VER_2=6\n"
    proc = ctx.uptrace("--count", "--json", "helper", "libversioned:vget", "--", exe)
    ctx.check_exit(proc, 0, "uptrace helper libversioned:vget")
    ctx.check_equal(proc.stdout, out, "the fixture's output")
    ctx.check_equal(strict_counts(ctx, proc.stderr), want, "one key per function, counts")

    # The text table has one row per key too.
    proc = ctx.uptrace("--count", "helper", "libversioned:vget*", "--", exe)
    rows = [ln.split() for ln in proc.stderr.splitlines()[1:] if ln.strip()]
    ctx.check_equal({r[0]: int(r[1]) for r in rows if len(r) == 2}, want, "text table rows")
    ctx.check_equal(len(rows), 4, "text table has four rows")

    # A tagged key is a PROBE too, naming that one function (a plain name names them all).
    for key, n in want.items():
        if "@" not in key:
            continue
        spec = key.replace("libversioned.so:", "libversioned:")
        proc = ctx.uptrace("--count", "--json", spec, "--", exe)
        ctx.check_equal(strict_counts(ctx, proc.stderr), {key: n}, f"PROBE '{spec}' alone")
    proc = ctx.uptrace("--count", "--json", "libversioned:vget@@VER_2", "--", exe)
    ctx.check_equal(strict_counts(ctx, proc.stderr), {"libversioned.so:vget": 6},
                    "nm's spelling vget@@VER_2 names the default")

    # A stripped copy has no .symtab spelling versions in: .gnu.version tells the same.
    with tempfile.TemporaryDirectory(prefix="uptrace-e2e.") as tmp:
        stripped = os.path.join(tmp, "libversioned.so")
        subprocess.run(["strip", "--strip-all", "-o", stripped, lib], check=True)
        env = dict(os.environ, LD_LIBRARY_PATH=tmp)
        proc = ctx.uptrace("--json", "libversioned:vget", "--", exe, env=env)
        evs = [json.loads(ln) for ln in proc.stderr.splitlines() if ln.startswith("{")]
        ctx.check_equal({e["module"] for e in evs}, {stripped}, "the stripped copy was probed")
        ctx.check_equal({k: sum(e["probe"] == k for e in evs) for k in {e["probe"] for e in evs}},
                        {"libversioned.so:vget@VER_1": 4, "libversioned.so:vget": 6},
                        "events per key in the stripped library")

    # Overlapping globs and a PROBE given twice: still one key each, counted once.
    proc = ctx.uptrace("--count", "--json", "libversioned:vget", "libversioned:vg*",
                       "libversioned:vget", "--", exe)
    ctx.check_equal(strict_counts(ctx, proc.stderr),
                    {"libversioned.so:vget@VER_1": 4, "libversioned.so:vget": 6},
                    "overlapping PROBEs")

    # The same function given twice with other predicates cannot count under one key.
    proc = ctx.uptrace("--count", "libversioned:vget@VER_1 if x > 1",
                       "libversioned:vget@VER_1 if x < 1", "--", exe)
    ctx.check(proc.returncode != 0 and "given twice with different predicates" in proc.stderr,
              f"two predicates on one key are an error (exit {proc.returncode})")

    # -l: every function once.
    proc = ctx.uptrace("-l", "--", exe)
    listed = proc.stdout.splitlines()
    ctx.check_equal(sorted(k for k in listed if k.startswith("helper")),
                    sorted(k for k in want if k.startswith("helper")), "-l lists both helpers")
    ctx.check_equal(len(listed), len(set(listed)), "-l lists no line twice")

    cxx_names(ctx)

    # libc's versioned names (the versions from nm -D).
    libc = [ln for ln in subprocess.run(["ldd", exe], capture_output=True, text=True)
            .stdout.splitlines() if "libc.so.6 =>" in ln]
    if not libc:
        ctx.skip("ldd shows no libc.so.6")
    libc_path = libc[0].split()[2]
    dyn = nm_lines(["-D", libc_path])
    base = os.path.basename(os.path.realpath(libc_path))
    expect = set()
    for name in ("pthread_cond_wait", "memcpy"):
        for at, ver in re.findall(rf" [TtiW] {name}(@@?)([\w.]+)$", dyn, re.M):
            expect.add(f"{base}:{name}" + (f"@{ver}" if at == "@" else ""))
    ctx.check(len(expect) == 4, f"nm -D shows two versions of each: {sorted(expect)}")
    proc = ctx.uptrace("--count", "--json", "libc:pthread_cond_wait", "libc:memcpy", "--", exe)
    ctx.check_exit(proc, 0, "uptrace libc:pthread_cond_wait libc:memcpy")
    ctx.check_equal(set(strict_counts(ctx, proc.stderr)), expect, "libc's keys")
    proc = ctx.uptrace("-l", "libc:*", "--", exe)
    listed = proc.stdout.splitlines()
    ctx.check_equal(len(listed), len(set(listed)), f"-l libc:* lists no line twice "
                    f"({len(listed)} lines)")
