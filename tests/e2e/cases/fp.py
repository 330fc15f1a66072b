# SPDX-License-Identifier: MIT
"""Floating-point arguments and results and structs by value before scalars, under --qemu
on the foreign arches (tests/fixtures/common/fp.c, the same program on each: a double, a
float and an int; a float result; an integer pair in one register; a pair of doubles in two
FP registers, then a double and a long): each value equals the one the fixture's source
passes or computes, in JSON and as text (%.17g for a double, %.9g for a float, as gdb prints
them). x86_64 has no fp fixture: its floating-point values and structs are the values
case's (fixtures/x86_64/values.c)."""

import collections

from driver import events, json_lines

TRANSPORTS = ("qemu",)
QEMU_ARCHES = ("aarch64", "riscv64", "loongarch64")

# What fp.c passes and returns (ROUNDS calls of each); float(3.0f) is 3.0 exactly.
ROUNDS = 3
WANT = {
    "scale": {"x": 0.1, "f": 3.0, "n": -2},
    "scale%return": {"retval": 0.1 * 3.0 * -2},
    "halve": {"f": 5.0},
    "halve%return": {"retval": 2.5},
    "after_small": {"s.a": 1, "s.b": 2, "k": 5},
    "after_pt": {"p.x": 0.5, "p.y": 0.25, "z": 0.125, "k": 3},
    "after_pt%return": {"retval": 3.875},
    # results not in one register: their members (no retval); a void function: nothing
    "make_small%return": {"ret.a": 5, "ret.b": 10},
    "make_pt%return": {"ret.x": 1.5, "ret.y": -1.5},
    "make_mix%return": {"ret.d": 1.5, "ret.l": -3},
    "make_big%return": {"ret.a": 7, "ret.b": 8, "ret.c": 9},
    "touch%return": {},
}
PROBES = ["scale x f n", "scale%return", "halve f", "halve%return", "after_small s.a s.b k",
          "after_pt p.x p.y z k", "after_pt%return", "make_small%return", "make_pt%return",
          "make_mix%return", "make_big%return", "touch%return"]


def run(ctx):
    exe = ctx.fixture("fp")
    proc = ctx.uptrace("--json", *PROBES, "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "uptrace on fp")
    ctx.check_equal(proc.stdout.strip(), "fp ok", "fp's output")
    got = collections.defaultdict(list)
    for e in events(json_lines(proc.stderr, ctx=ctx)):
        if e.get("event") == "return":
            ret = dict(e.get("args", {}))
            if "retval" in e:
                ret["retval"] = e["retval"]
            got[e["probe"]].append(ret)
        elif e.get("event") == "entry":
            got[e["probe"]].append(e.get("args"))
    for probe, want in WANT.items():
        ctx.check_equal(got.get(probe), [want] * ROUNDS, f"{probe}: the values fp.c passes")

    # As text: a double with 17 significant digits, a float with 9.
    proc = ctx.uptrace("scale x f", "halve%return", "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "uptrace on fp (text)")
    lines = [ln for ln in proc.stderr.splitlines() if " scale " in ln or " halve%return " in ln]
    ctx.check_equal(len(lines), 2 * ROUNDS, "text events")
    want_x = "x=%.17g f=%.9g" % (0.1, 3.0)
    want_r = "ret=%.9g" % 2.5
    ctx.check(len(lines) > 1 and want_x in lines[0] and want_r in lines[1],
              f"text output {lines[:2]!r}: {want_x!r} and {want_r!r}")
