# SPDX-License-Identifier: MIT
"""Return values that are not one register, with gdb as the oracle: gdb stops in each function
of the retstruct fixture, `finish`es, and flattens the value returned into its scalar members;
`FUNC%return` without arguments must show the same members as ret.NAME= (structs in one or
two integer registers, in SSE registers, in both, in memory at the address the caller passed,
nested, a union), `$retval->a` follows a returned pointer, `$retval.b` names one member, and a
void function shows no ret= at all (not whatever rax held). Asking for what is not one value
($retval of a struct, of a void function, a member that does not exist) is refused with a
message, exit 1."""


from driver import events, gdb_json, json_lines

FUNCS = ["make_ipair", "make_dpair", "make_mixed", "make_three", "make_nested", "make_large",
         "make_num"]

GDB_SCRIPT = r'''
import gdb, json
funcs = json.loads(%r)
out = []
gdb.execute("set pagination off")
gdb.execute("set confirm off")
for f in funcs + ["find_pair"]:
    gdb.Breakpoint(f, internal=True)

def flat(v, prefix, acc):
    t = v.type.strip_typedefs()
    if t.code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
        for f in t.fields():
            flat(v[f.name], prefix + "." + f.name, acc)
    elif t.code == gdb.TYPE_CODE_ARRAY:
        acc[prefix] = v.string()
    elif t.code == gdb.TYPE_CODE_FLT:
        acc[prefix] = float(v)
    else:
        acc[prefix] = int(v)

gdb.execute("run", to_string=True)
while True:
    try:
        name = gdb.selected_frame().name()
    except gdb.error:
        break
    if name not in funcs + ["find_pair"]:
        break
    gdb.execute("finish", to_string=True)
    v = gdb.history(0)
    acc = {}
    if name == "find_pair":
        acc["a"] = int(v.dereference()["a"])
        acc["b"] = int(v.dereference()["b"])
    else:
        flat(v, "ret", acc)
    out.append([name, acc])
    try:
        gdb.execute("continue", to_string=True)
    except gdb.error:
        break
with open(%r, "w") as f:
    json.dump(out, f)
'''


def gdb_truth(ctx, exe):
    return gdb_json(ctx, exe, GDB_SCRIPT, FUNCS)


def refused(ctx, exe, probe, want, what, extra=(), status=2):
    """Refused before the program runs: 2 for asking what is not there, 1 when DWARF lacks it."""
    proc = ctx.uptrace(*extra, probe, "--", exe, timeout=30)
    ctx.check_exit(proc, status, what)
    ctx.check(want in proc.stderr, f"{what}: message {want!r} in {proc.stderr[-300:]!r}")
    ctx.check("retstruct ok" not in proc.stdout, f"{what}: the program did not run")


def run(ctx):
    exe = ctx.fixture("retstruct")
    truth = gdb_truth(ctx, exe)
    ctx.check_equal(len(truth), 2 * (len(FUNCS) + 1), "calls gdb finished")

    specs = [f + "%return" for f in FUNCS] + ["find_pair%return a=$retval->a b=$retval->b",
                                              "bump%return"]
    proc = ctx.uptrace("--json", *specs, "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "the retstruct fixture under uptrace --json")
    ctx.check_equal(proc.stdout.strip(), "retstruct ok", "the fixture's own check")
    evs = events(json_lines(proc.stderr, ctx=ctx))
    got = [[e["func"], e] for e in evs if e.get("event") == "return"]
    got_calls = [[f, e.get("args", {})] for f, e in got if f != "bump"]
    ctx.check_equal([f for f, _ in got_calls], [f for f, _ in truth], "return events, in order")
    for (func, args), (_, want) in zip(got_calls, truth):
        ctx.check_equal(args, want, f"{func}%return: the members gdb's finish shows")
    for func, e in got:
        if func != "bump":
            ctx.check("retval" not in e or func == "find_pair",
                      f"{func}%return: no \"retval\" beside its members: {e}")
    bumps = [e for f, e in got if f == "bump"]
    ctx.check_equal(len(bumps), 2, "bump%return events")
    ctx.check(all("retval" not in e and not e.get("args") for e in bumps),
              f"bump returns void: no retval, no args: {bumps}")

    # As text: the members in order, a void function without ret=.
    proc = ctx.uptrace("make_ipair%return", "make_large%return", "bump%return",
                       "make_dpair%return b=$retval.y", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "the retstruct fixture under uptrace (text)")
    lines = proc.stderr.splitlines()
    ip = [l for l in lines if " make_ipair%return " in l]
    ctx.check(len(ip) == 2 and "ret.a=3 ret.b=-6 dur=" in ip[0],
              f"make_ipair%return as text: {ip[:1]}")
    lg = [l for l in lines if " make_large%return " in l]
    ctx.check(len(lg) == 2 and 'ret.id=1000 ret.name="first" ret.w=1250 ret.p.a=7 ret.p.b=-7'
              in lg[0], f"make_large%return as text (a struct in memory): {lg[:1]}")
    bp = [l for l in lines if " bump%return " in l]
    ctx.check(len(bp) == 2 and " ret=" not in bp[0] and "dur=" in bp[0],
              f"bump%return as text: no ret= for a void function: {bp[:1]}")
    dp = [l for l in lines if " make_dpair%return " in l]
    ctx.check(len(dp) == 2 and " b=0.625 dur=" in dp[0], f"make_dpair%return b=$retval.y: {dp[:1]}")

    # gas's DWARF for an assembly function names no return type: the register, as without DWARF
    for spec, want in (("asm_five%return", " asm_five%return ret=5 dur="),
                       ("asm_five%return r=$retval:s32", " asm_five%return r=5 dur=")):
        proc = ctx.uptrace(spec, "--", exe, timeout=30)
        ctx.check_exit(proc, 0, spec)
        ctx.check(want in proc.stderr,
                  f"{spec}: an assembly function's $retval is its return register: "
                  f"{proc.stderr[-300:]!r}")

    refused(ctx, exe, "make_ipair%return r=$retval", "returns a struct or union",
            "$retval of a struct")
    refused(ctx, exe, "bump%return r=$retval", "returns nothing (void)", "$retval of void")
    refused(ctx, exe, "make_ipair%return r=$retval.nosuch", "no '$retval.nosuch'",
            "a member that does not exist", status=1)
    refused(ctx, exe, "make_ipair%return r=$retval->a", "not a struct or a pointer",
            "-> on a struct", status=1)
    refused(ctx, exe, "make_ipair%return", "returns no value uptrace can count",
            "--hist=$retval of a struct", extra=("--hist=$retval",))
    refused(ctx, exe, "bump%return if $retval > 0", "returns no one value",
            "a predicate on a void function's $retval")
