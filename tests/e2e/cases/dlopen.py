# SPDX-License-Identifier: MIT
"""A probe on a library loaded late by dlopen() stays pending and is armed the moment the
library is mapped, before any of its code runs: the constructor's call counts too (11)."""

import os

from driver import counts


def run(ctx):
    exe = ctx.fixture("dlopen_main")
    lib = os.path.join(ctx.fixtures, "libdlprobe.so")
    for spec in ("libdlprobe:dl_work", f"{lib}:dl_work"):
        proc = ctx.uptrace("--count", "--json", spec, f"{spec}%return", "--", exe, lib,
                           timeout=60)
        ctx.check_exit(proc, 0, f"dlopen_main with {spec}")
        ctx.check_equal(proc.stdout.strip(), "dlopen: calls=11 sum=100 ok", "its output")
        ctx.check_equal(counts(proc.stderr, ctx),
                        {"libdlprobe.so:dl_work": 11, "libdlprobe.so:dl_work%return": 11},
                        f"counts with {spec}")
