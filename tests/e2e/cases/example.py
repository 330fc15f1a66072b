# SPDX-License-Identifier: MIT
"""The README's demo, examples/wordfreq: string arguments and counts on a run of a second."""

import os

from driver import counts, events, json_lines


def run(ctx):
    exe = os.path.join(os.path.dirname(ctx.fixtures), "wordfreq")
    if not os.access(exe, os.X_OK):
        ctx.skip(f"{exe} is not built")
    plain = ctx.run([exe])
    ctx.check_exit(plain, 0, "wordfreq untraced")
    proc = ctx.uptrace("--count", "--json", "count_word", "hash_word%return", "split_text",
                       "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "wordfreq under uptrace --count")
    ctx.check_equal(proc.stdout, plain.stdout, "wordfreq's output")
    ctx.check_equal(counts(proc.stderr, ctx),
                    {"count_word": 17000, "hash_word%return": 17000, "split_text": 200},
                    "counts")

    proc = ctx.uptrace("--json", "-n", "5", "count_word word:string len", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "wordfreq with -n 5")
    got = [(e.get("args") or {}).get("word") for e in events(json_lines(proc.stderr, ctx=ctx))]
    ctx.check_equal(got, ["it", "was", "the", "best", "of"], "the first five words")
