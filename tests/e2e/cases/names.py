# SPDX-License-Identifier: MIT
"""C++ and Rust functions probed by their demangled names: every overload of 'ns::K::f',
one by signature, a const method, template instances, std::vector<int>::push_back (its
default template argument left out), an operator, mangled names still; keys, -l, --stack
and JSON show demangled names (--no-demangle the raw ones). Counts are the fixtures' own
counts of their calls; names are checked against nm -C (binutils' demangler, independent
of uptrace's matching). The Rust fixture (Debian's rustc) panics through a probed function
into catch_unwind."""

import re
import subprocess

from driver import counts, events, json_lines

N = 12


def own_counts(text, prefix):
    """{'f(int)': 12, ...} from the fixture's 'cxx n=12 f(int)=12 ...' line."""
    line = next((l for l in text.splitlines() if l.startswith(prefix)), "")
    return {k: int(v) for k, v in re.findall(r"(\S+?)=(-?\d+)", line)}


def nm_names(exe):
    """{raw: demangled} of the defined functions, from nm and nm -C (binutils)."""
    def syms(extra):
        out = subprocess.run(["nm", "--defined-only", *extra, exe], capture_output=True,
                             text=True).stdout
        res = []
        for line in out.splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1] in "tTW":
                res.append((parts[0], parts[2]))
        return res
    raw = dict(syms([]))
    dem = dict(syms(["-C"]))
    return {raw[a]: dem[a] for a in raw if a in dem}


def check_cxx(ctx):
    exe = ctx.fixture("cxxnames")
    own = own_counts(subprocess.run([exe, str(N)], capture_output=True, text=True).stdout,
                     "cxx ")
    ctx.check(own.get("n") == N and own.get("f(int)") == N, f"the fixture counts itself: {own}")
    names = nm_names(exe)
    push_back = next(d for d in names.values() if "::push_back(" in d)
    cases = [
        (["ns::K::f"], {"ns::K::f(int)": own["f(int)"], "ns::K::f(double)": own["f(double)"]},
         "'ns::K::f': every overload"),
        (["ns::K::f(int)"], {"ns::K::f(int)": own["f(int)"]}, "'ns::K::f(int)': that one"),
        (["ns::K::f(double)%return"], {"ns::K::f(double)%return": own["f(double)"]},
         "a return probe by signature"),
        (["ns::K::g() const"], {"ns::K::g() const": own["g()const"]}, "a const method"),
        (["ns::K::g()"], {"ns::K::g()": own["g()"]}, "its non-const overload alone"),
        (["twice<int>", "twice<double>"],
         {"twice<int>(int)": own["twice<int>"], "twice<double>(double)": own["twice<double>"]},
         "template instances"),
        (["std::vector<int>::push_back*"], {push_back: own["push_back"]},
         "'std::vector<int>::push_back*': a glob, the default allocator argument left out"),
        (["ns::inner::deep", "ns::operator+"],
         {"ns::inner::deep(long)": own["deep"], "ns::operator+(ns::K const&, int)": own["op+"]},
         "a nested namespace and an operator"),
        (["_ZN2ns5inner4deepEl"], {"ns::inner::deep(long)": own["deep"]},
         "a mangled name still works, its key demangled"),
        (["cxxnames:ns::K::f(int)"], {"ns::K::f(int)": own["f(int)"]},
         "MODULE:NAME: the separator is the single ':'"),
        (["::ns::inner::deep"], {"ns::inner::deep(long)": own["deep"]},
         "'::name': the global namespace"),
    ]
    for probes, want, what in cases:
        proc = ctx.uptrace("--count", "--json", *probes, "--", exe, str(N), timeout=60)
        ctx.check_exit(proc, 0, " ".join(probes))
        ctx.check_equal(counts(proc.stderr, ctx), want, what)

    proc = ctx.uptrace("--count", "--json", "--no-demangle", "ns::K::f(int)", "--", exe,
                       str(N), timeout=60)
    ctx.check_equal(counts(proc.stderr, ctx), {"_ZN2ns1K1fEi": own["f(int)"]},
                    "--no-demangle: the key as the symbol table spells it")

    proc = ctx.uptrace("-l", "ns::K::*", "--", exe, timeout=60)
    want = sorted(d for d in names.values() if d.startswith("ns::K::"))
    ctx.check_equal(sorted(proc.stdout.splitlines()), want, "-l 'ns::K::*' lists what nm -C does")

    proc = ctx.uptrace("--json", "--stack", "-n", "1", "ns::inner::deep", "--", exe, str(N),
                       timeout=60)
    evs = events(json_lines(proc.stderr, ctx=ctx))
    ctx.check(evs and evs[0]["func"] == "ns::inner::deep(long)" and
              any("(main+0x" in f for f in evs[0].get("stack", [])),
              f"JSON func and --stack frames demangled: {evs[:1]}")
    proc = ctx.uptrace("--stack", "-n", "1", "ns::K::g() const", "--", exe, str(N), timeout=60)
    ctx.check(re.search(r"^\s*\d+\.\d+ \d+ ns::K::g\(\) const this=0x", proc.stderr, re.M),
              f"text events show the demangled key: {proc.stderr[-300:]!r}")

    proc = ctx.uptrace("--count", "--json", "usdt:libstdcxx:throw", "--", exe, str(N),
                       timeout=60)
    got = counts(proc.stderr, ctx)
    if proc.returncode == 0 and got is not None:
        ctx.check_equal(got, {"usdt:libstdcxx:throw": own["thrown"]},
                        "libstdc++'s own USDT probe: one hit per throw")
    else:
        print(f"note: no usdt:libstdcxx:throw here: {proc.stderr.strip()[-200:]}")
        return
    # a USDT glob that spans two modules: every key names its module
    proc = ctx.uptrace("--count", "--json", "usdt:*:*", "--", exe, str(N), timeout=60)
    got = counts(proc.stderr, ctx) or {}
    ctx.check(got.get("usdt:cxxnames:cxx:loop") == N and
              any(re.fullmatch(r"usdt:libstdc\+\+\.so[.\d]*:libstdcxx:throw", k) and v == own["thrown"]
                  for k, v in got.items()),
              f"usdt:*:* over the program and libstdc++: keys usdt:MODULE:PROVIDER:NAME {got}")
    proc = ctx.uptrace("--count", "--json", "usdt:cxx:*", "--", exe, str(N), timeout=60)
    ctx.check_equal(counts(proc.stderr, ctx), {"usdt:cxx:loop": N},
                    "one module: the key is usdt:PROVIDER:NAME")


def check_rust(ctx):
    exe = ctx.fixture("rustnames")
    own = own_counts(subprocess.run([exe, str(N)], capture_output=True, text=True).stdout,
                     "rust ")
    ctx.check(own.get("n") == N and own.get("panics") == N // 5,
              f"the fixture counts itself: {own}")
    proc = ctx.uptrace("--count", "--json", "rustnames::shapes::Circle::area",
                       "rustnames::shapes::scale", "rustnames::fallible", "--", exe, str(N),
                       timeout=60)
    ctx.check_exit(proc, 0, "Rust functions by path")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {"rustnames::shapes::Circle::area": own["area"],
                     "rustnames::shapes::scale": own["scale"],
                     "rustnames::fallible": own["fallible"]},
                    "Rust counts (fallible's panics unwind through its probe)")
    ctx.check(f"panics={N // 5}" in proc.stdout, f"the panics were caught: {proc.stdout!r}")
    names = nm_names(exe)
    proc = ctx.uptrace("-l", "rustnames::shapes::*", "--", exe, timeout=60)
    want = sorted(re.sub(r"::h[0-9a-f]{16}$", "", d) for d in names.values()
                  if d.startswith("rustnames::shapes::"))
    ctx.check_equal(sorted(proc.stdout.splitlines()), want,
                    "-l 'rustnames::shapes::*' lists what nm -C does (hash left out)")
    proc = ctx.uptrace("--count", "--json", "rustnames::shapes::*", "--", exe, str(N),
                       timeout=60)
    ctx.check_equal(counts(proc.stderr, ctx),
                    {"rustnames::shapes::Circle::area": own["area"],
                     "rustnames::shapes::scale": own["scale"]}, "a glob over a Rust module")


def check_usage(ctx):
    exe = ctx.fixture("cxxnames")
    proc = ctx.uptrace("ns::K::nosuch", "--", exe, timeout=30)
    ctx.check(proc.returncode == 1 and "no function matching 'ns::K::nosuch'" in proc.stderr,
              f"an unknown C++ name is named: {proc.stderr.strip()[-200:]!r}")
    proc = ctx.uptrace("nosuchlib:ns::K::f", "--", exe, timeout=30)
    ctx.check(proc.returncode == 1 and "no library 'nosuchlib'" in proc.stderr,
              f"MODULE before a C++ name: {proc.stderr.strip()[-200:]!r}")


def run(ctx):
    check_cxx(ctx)
    check_rust(ctx)
    check_usage(ctx)
