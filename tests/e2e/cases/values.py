# SPDX-License-Identifier: MIT
"""Values as the program had them, with gdb as the oracle: gdb stops at each function of the
values fixture, prints its parameters (and struct members) and `finish`es for its return
value; uptrace must show the same numbers at the same probes. The fixture passes structs by
value before scalars (small integer, float pair, mixed, large, double pair, three floats,
seven structs and nine doubles that spill to the stack), float and double parameters and
results, char, signed char, unsigned char, bool and long double; `add3%return` shows $argN
and parameters by name as they were at the entry although the registers changed since."""

import re

from driver import events, gdb_json, json_lines

# func: the expressions printed at its entry; "@ret": its return value is checked too.
PROBES = {
    "after_small": ["s.a", "s.b", "k"],
    "after_fpair": ["p.x", "p.y", "k", "z"],
    "after_mixed": ["m.d", "m.l", "k", "z"],
    "after_large": ["g.a", "g.d", "k", "j"],
    "after_dpair": ["p.x", "p.y", "z", "k", "@ret"],
    "after_three": ["t.a", "t.b", "t.c", "f", "k", "@ret"],
    "many_smalls": ["a.a", "f.b", "g.a", "g.b", "k", "@ret"],
    "nine_doubles": ["d1", "d8", "d9", "k", "@ret"],
    "scale": ["x", "f", "n", "@ret"],
    "halve": ["f", "@ret"],
    "chars": ["c", "sc", "uc", "b", "@ret"],
    "neg_char": ["sc", "@ret"],
    "big_uchar": ["uc", "@ret"],
    "is_odd": ["n", "@ret"],
    "ld_mul": ["x", "k", "@ret"],
    "add3": ["a", "b", "c", "@ret"],
}

GDB_SCRIPT = r'''
import gdb, json
probes = json.loads(%r)
out = []
gdb.execute("set pagination off")
gdb.execute("set confirm off")
for f in probes:
    gdb.Breakpoint(f, internal=True)
gdb.execute("run", to_string=True)
while True:
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        break
    name = frame.name()
    if name not in probes:
        break
    vals = {}
    for e in probes[name]:
        if e != "@ret":
            vals[e] = str(gdb.parse_and_eval(e))
    if "@ret" in probes[name]:
        # finish records the value returned (every function here has one) in gdb's history
        gdb.execute("finish", to_string=True)
        vals["@ret"] = str(gdb.history(0))
    out.append([name, vals])
    try:
        gdb.execute("continue", to_string=True)
    except gdb.error:
        break
with open(%r, "w") as f:
    json.dump(out, f)
'''


def gdb_truth(ctx, exe):
    return {name: vals for name, vals in gdb_json(ctx, exe, GDB_SCRIPT, PROBES)}


def first_token(v):
    """gdb's "-3 '\\375'" and uptrace's "-3 '\\xfd'" agree on the number."""
    return v.split(" ")[0]


def specs():
    out = []
    for func, exprs in PROBES.items():
        names = [e for e in exprs if e != "@ret"]
        if func == "add3":
            # at the return: a=$arg1 and parameters by name, captured at the entry
            out.append("add3%return a=$arg1 b c ret=$retval")
            continue
        out.append(" ".join([func] + names))
        if "@ret" in exprs:
            out.append(func + "%return")
    return out


TEXT_ARG = re.compile(r"(\S+)=(\S+)")


def run(ctx):
    exe = ctx.fixture("values")
    truth = gdb_truth(ctx, exe)
    ctx.check_equal(sorted(truth), sorted(PROBES), "functions gdb stopped in")

    proc = ctx.uptrace(*specs(), "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "the values fixture under uptrace")
    ctx.check_equal(proc.stdout.strip(), "values ok", "the fixture's own check")
    seen = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"^\s*\d+\.\d+\s+\d+\s+(\S+)\s*(.*)$", line)
        if not m:
            continue
        probe, rest = m.groups()
        rest = re.sub(r"\bdur=\S+", "", rest)
        seen[probe] = dict(TEXT_ARG.findall(rest))
    for func, exprs in PROBES.items():
        want = truth.get(func, {})
        got = seen.get(func if func != "add3" else "add3%return", {})
        for e in exprs:
            if e == "@ret":
                ret = seen.get(func + "%return", {}).get("ret")
                ctx.check_equal(ret, first_token(want.get("@ret", "?")), f"{func}%return ret")
            elif func == "add3":
                key = "a" if e == "a" else e
                ctx.check_equal(got.get(key), first_token(want.get(e, "?")),
                                f"add3%return {key} (the entry's)")
            else:
                ctx.check_equal(got.get(e), first_token(want.get(e, "?")), f"{func} {e}")

    # JSON: floats are numbers with the value gdb shows; chars signed, unsigned char not.
    proc = ctx.uptrace("--json", "scale", "scale%return", "chars", "ld_mul%return x",
                       "after_fpair", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "--json")
    evs = {e["probe"]: e for e in events(json_lines(proc.stderr, ctx=ctx))}
    scale = evs.get("scale", {}).get("args", {})
    ctx.check(isinstance(scale.get("x"), float) and scale["x"] == float(truth["scale"]["x"]),
              f"JSON scale x = {scale.get('x')!r} is gdb's {truth['scale']['x']}")
    ctx.check_equal(evs.get("scale%return", {}).get("retval"), float(truth["scale"]["@ret"]),
                    "JSON scale%return retval")
    chars = evs.get("chars", {}).get("args", {})
    ctx.check_equal([chars.get(k) for k in ("c", "sc", "uc", "b")],
                    [int(first_token(truth["chars"][k])) for k in ("c", "sc", "uc")] + [True],
                    "JSON char, signed char, unsigned char, bool")
    ld = evs.get("ld_mul%return", {})
    ctx.check_equal([ld.get("args", {}).get("x"), ld.get("retval")],
                    [float(truth["ld_mul"]["x"]), float(truth["ld_mul"]["@ret"])],
                    "JSON long double argument (at the return) and result")
    # Without names, the parameters a probe shows by itself include the double.
    ctx.check_equal(evs.get("after_fpair", {}).get("args"),
                    {"k": int(truth["after_fpair"]["k"]), "z": float(truth["after_fpair"]["z"])},
                    "after_fpair's parameters without names (the struct is left out)")

    # More parameters than an event shows (10 > 8): the first 8 with gdb's values, and a
    # warning naming what is left out; -l -v lists all ten names.
    proc = ctx.uptrace("--json", "nine_doubles", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "nine_doubles without names")
    args = next((e.get("args") for e in events(json_lines(proc.stderr, ctx=ctx))
                 if e.get("probe") == "nine_doubles"), None) or {}
    ctx.check_equal(list(args), [f"d{i}" for i in range(1, 9)], "the first 8 parameters shown")
    ctx.check_equal([args.get("d1"), args.get("d8")],
                    [float(truth["nine_doubles"]["d1"]), float(truth["nine_doubles"]["d8"])],
                    "their values are gdb's")
    ctx.check("nine_doubles has 10 parameters; its events show the first 8" in proc.stderr,
              f"a warning says two are left out: {proc.stderr[-400:]!r}")
    proc = ctx.uptrace("-l", "-v", "nine_doubles", "--", exe, timeout=60)
    ctx.check_equal(proc.stdout.split(), ["nine_doubles"] + [f"d{i}" for i in range(1, 10)] + ["k"],
                    "-l -v lists all ten parameters")
    # through a glob: one line for all its functions; none with --count (no event shows them)
    proc = ctx.uptrace("-n", "1", "nine_*", "--", exe, timeout=60)
    ctx.check("1 of the functions matching 'nine_*' have more than 8 parameters "
              "(nine_doubles has 10)" in proc.stderr, f"the glob's line: {proc.stderr[-300:]!r}")
    proc = ctx.uptrace("--count", "nine_doubles", "--", exe, timeout=60)
    ctx.check("parameters" not in proc.stderr, f"--count says nothing of them: {proc.stderr!r}")
