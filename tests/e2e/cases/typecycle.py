# SPDX-License-Identifier: MIT
"""Hostile DWARF (tests/fixtures/x86_64/typecycle.S, written by hand): a struct whose
anonymous member has the struct's own type, anonymous unions nested two by two 24 deep, and
a struct passed by value whose members are structs of 64 members, 8 deep. Member lookup
walked into anonymous members without bound: the cycle crashed uptrace (SIGSEGV, stack
overflow) and the nested pairs took 2^24 steps; the calling-convention walk of the wide
struct took 64^8. Members that exist are read (values from the fixture's data: x=42,
leaf=7); a member that does not exist is an error naming it, at once; the wide parameter is
shown unavailable, at once; and the program's own check passes."""

import time


def run(ctx):
    exe = ctx.fixture("typecycle")
    proc = ctx.uptrace("f s->x", "g t->leaf", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "typecycle traced with 's->x' and 't->leaf'")
    lines = [line.split(None, 2)[2] for line in proc.stderr.splitlines()
             if len(line.split(None, 2)) == 3 and line.split()[2] in ("f", "g")]
    ctx.check_equal(lines, ["f s->x=42", "g t->leaf=7"] * 3, "values read through the types")

    for probe, expr in [("f s->nosuch", "s->nosuch"), ("g t->nosuch", "t->nosuch")]:
        t0 = time.monotonic()
        proc = ctx.uptrace(probe, "--", exe, timeout=60)
        took = time.monotonic() - t0
        ctx.check_exit(proc, 1, f"'{probe}' is refused")
        ctx.check(expr in proc.stderr, f"the message names {expr}: {proc.stderr.strip()!r}")
        ctx.check(took < 5, f"'{probe}' refused in {took:.2f}s (under 5s)")

    # A struct by value that flattens into 64^8 types: shown unavailable, not walked.
    t0 = time.monotonic()
    proc = ctx.uptrace("wide", "--", exe, timeout=60)
    took = time.monotonic() - t0
    ctx.check_exit(proc, 0, "typecycle traced with 'wide'")
    lines = [line.split(None, 2)[2] for line in proc.stderr.splitlines()
             if len(line.split(None, 2)) == 3 and line.split()[2] == "wide"]
    ctx.check_equal(lines, ["wide w=<unavailable>"] * 3, "wide's events")
    ctx.check(took < 5, f"'wide' traced in {took:.2f}s (under 5s)")

    # -l -v lists the parameters with their types (no member walk, but the same DWARF).
    proc = ctx.uptrace("-l", "-v", "--", exe, timeout=60)
    ctx.check(proc.returncode == 0 and "f s" in proc.stdout and "g t" in proc.stdout,
              f"-l -v lists f s and g t: exit {proc.returncode}")
