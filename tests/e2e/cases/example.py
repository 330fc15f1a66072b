# SPDX-License-Identifier: MIT
"""The README's demo, examples/demo.c: string arguments, return values and counts on a run
of about a second."""

import os

from driver import counts, events, json_lines


def run(ctx):
    exe = ctx.demo
    if not exe or not os.access(exe, os.X_OK):
        ctx.skip(f"the demo program ({exe!r}) is not built")
    plain = ctx.run([exe])
    ctx.check_exit(plain, 0, "demo untraced")
    proc = ctx.uptrace("--count", "--json", "count_word", "hash_word%return", "split_text",
                       "fib", "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "demo under uptrace --count")
    ctx.check_equal(proc.stdout, plain.stdout, "demo's output")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {"count_word": 3400, "hash_word%return": 3400, "split_text": 40, "fib": 166},
                    "counts")

    proc = ctx.uptrace("--json", "-n", "5", "count_word word:string len", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "demo with -n 5")
    evs = events(json_lines(proc.stderr, ctx=ctx))
    got = [((e.get("args") or {}).get("word"), (e.get("args") or {}).get("len")) for e in evs]
    ctx.check_equal(got, [("it", 2), ("was", 3), ("the", 3), ("best", 4), ("of", 2)],
                    "the first five words and lengths")
