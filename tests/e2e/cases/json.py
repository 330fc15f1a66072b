# SPDX-License-Identifier: MIT
"""--json with -o FILE: every line is a JSON object; entry and return events carry the
fields of cli.md with the right types; the count summary is one object."""

import os
import tempfile

from driver import json_lines

ENTRY = {"ts_ns": int, "pid": int, "tid": int, "probe": str, "event": str, "func": str,
         "module": str, "addr": str, "args": dict}
RETURN = {"ts_ns": int, "pid": int, "tid": int, "probe": str, "event": str, "func": str,
          "module": str, "addr": str, "retval": int, "duration_ns": int}


def check_fields(ctx, ev, fields, what):
    bad = [k for k, t in fields.items() if not isinstance(ev.get(k), t)
           or (t is int and isinstance(ev.get(k), bool))]
    return ctx.check(not bad, f"{what} has fields {sorted(fields)} (wrong or missing: {bad}):"
                     f" {ev}")


def run(ctx):
    exe = ctx.fixture("fib")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "events.json")
        proc = ctx.uptrace("--json", "-o", out, "fib n", "fib%return", "--", exe, "5",
                           timeout=60)
        ctx.check_exit(proc, 0, "uptrace --json -o")
        ctx.check_equal(proc.stdout.strip(), "fib(5)=5 calls=15", "fib's output")
        ctx.check("{" not in proc.stderr, "no events on stderr with -o")
        if not ctx.check(os.path.exists(out), f"-o created {out}"):
            return
        text = open(out).read()
        objs = json_lines(text, strict=True, ctx=ctx)
        ctx.check_equal(len(objs), len([ln for ln in text.splitlines() if ln.strip()]),
                        "every line of the -o file is one JSON object")
        evs = [o for o in objs if "event" in o]
        entries = [e for e in evs if e.get("event") == "entry"]
        returns = [e for e in evs if e.get("event") == "return"]
        ctx.check_equal((len(entries), len(returns)), (15, 15), "entries and returns")
        if entries:
            e = entries[0]
            check_fields(ctx, e, ENTRY, "entry event")
            ctx.check_equal((e.get("probe"), e.get("func"), e.get("args")),
                            ("fib", "fib", {"n": 5}), "first entry: probe, func, args")
            ctx.check(os.path.realpath(e.get("module", "")) == os.path.realpath(exe),
                      f"module is the fixture's path ({e.get('module')})")
            ctx.check(str(e.get("addr", "")).startswith("0x"), "addr is a hex string")
            ctx.check_equal(e.get("pid"), e.get("tid"), "pid == tid (single thread)")
        if returns:
            r = returns[-1]
            check_fields(ctx, r, RETURN, "return event")
            ctx.check_equal((r.get("probe"), r.get("retval")), ("fib%return", 5),
                            "last return: probe, retval")
            ctx.check(0 < r.get("duration_ns", 0) < 10**10, "duration_ns is sane")
            ctx.check(all(isinstance(o.get("ts_ns"), int) for o in evs) and
                      [o["ts_ns"] for o in evs] == sorted(o["ts_ns"] for o in evs),
                      "ts_ns never goes backwards in one thread")

        out2 = os.path.join(tmp, "count.json")
        proc = ctx.uptrace("--count", "--json", "-o", out2, "fib", "fib%return", "--", exe, "5",
                           timeout=60)
        ctx.check_exit(proc, 0, "uptrace --count --json -o")
        objs = json_lines(open(out2).read() if os.path.exists(out2) else "", strict=True,
                          ctx=ctx)
        ctx.check_equal(objs, [{"counts": {"fib": 15, "fib%return": 15}}],
                        "--count --json -o FILE holds exactly the counts object")

        out3 = os.path.join(tmp, "events.txt")
        proc = ctx.uptrace("-o", out3, "fib n", "--", exe, "5", timeout=60)
        ctx.check_exit(proc, 0, "uptrace -o (text)")
        text = open(out3).read() if os.path.exists(out3) else ""
        ctx.check_equal(sum(1 for ln in text.splitlines() if " fib n=" in ln), 15,
                        "text events in the -o file")
