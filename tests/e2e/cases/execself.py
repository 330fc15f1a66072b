# SPDX-License-Identifier: MIT
"""A traced program execs itself: it must run on right in the new image (no stale breakpoint
from the old one, no old bytes written back over the new one); the new image's 5 calls are
counted when uptrace re-arms its probes after exec (as the kernel's uprobes do, probes being
on the file): 10 hits, both halves complete."""

from driver import counts


def run(ctx):
    exe = ctx.fixture("execself")
    proc = ctx.uptrace("--count", "--json", "work", "work%return", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "execself under uptrace")
    ctx.check_equal(proc.stdout.strip(), "execself: calls=10 ok", "execself's output")
    got = counts(proc.stderr, ctx) or {}
    ctx.check_equal(got, {"work": 10, "work%return": 10},
                    "work counted in both images (re-armed after exec), returns alike")
