# SPDX-License-Identifier: MIT
"""--hist=ARG: a log2 histogram of an argument's (or $retval's) values per probe key, in
text and JSON, and no events printed. The truth is each fixture's known distribution:
fib(15)'s recursion (n of every call, fib(n) of every return), computed here, and the usdt
fixture's arguments (negative values included)."""

import re
from collections import Counter

from driver import json_lines

INT64_MIN = -(1 << 63)


def fib_calls(n, acc):
    acc[n] += 1
    if n >= 2:
        fib_calls(n - 1, acc)
        fib_calls(n - 2, acc)


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def bucket(v):
    """(lo, hi) of the log2 bucket of v: bpftrace's hist() buckets."""
    if v < 0:
        return (INT64_MIN, 0)
    if v == 0:
        return (0, 1)
    k = v.bit_length() - 1
    return (1 << k, 1 << (k + 1))


def want_json(values):
    c = Counter(bucket(v) for v in values)
    return [{"lo": lo, "hi": hi, "count": c[(lo, hi)]} for lo, hi in sorted(c)]


def binary(v):
    for i, unit in enumerate("KMGTPE", 1):
        if v >= 1 << (10 * i) and v < 1 << (10 * (i + 1)):
            return f"{v >> (10 * i)}{unit}"
    return str(v)


def want_text(values):
    """{label: count} as bpftrace labels its buckets."""
    out = {}
    for (lo, hi), n in Counter(bucket(v) for v in values).items():
        if lo < 0:
            label = "(..., 0)"
        elif hi - lo == 1:
            label = f"[{lo}]"
        else:
            label = f"[{binary(lo)}, {binary(hi)})"
        out[label] = n
    return out


def text_hist(text, header):
    """{label: count} of the non-empty buckets under '@header:' in uptrace's text output."""
    got, inside = {}, False
    for line in text.splitlines():
        if line.startswith("@"):
            inside = line == f"@{header}:"
            continue
        m = re.match(r"^(\S.*?)\s+(\d+) \|[@ ]*\|$", line)
        if inside and m and int(m.group(2)):
            got[m.group(1)] = int(m.group(2))
    return got


def last_json(text, ctx):
    objs = json_lines(text, ctx=ctx)
    return objs[-1] if objs else {}


def run(ctx):
    exe = ctx.fixture("fib")
    calls = Counter()
    fib_calls(15, calls)
    ns = list(calls.elements())
    rets = [fib(n) for n in ns]

    proc = ctx.uptrace("--hist=n", "fib", "--", exe, timeout=60)
    ctx.check_exit(proc, 0, "uptrace --hist=n fib")
    ctx.check_equal(text_hist(proc.stderr, "fib (n)"), want_text(ns),
                    "text: fib's n in log2 buckets, as its recursion has them")
    ctx.check(not re.search(r"^\s*\d+\.\d+ \d+ fib", proc.stderr, re.M),
              "--hist prints no events")

    proc = ctx.uptrace("--hist=n", "--json", "fib", "--", exe, timeout=60)
    ctx.check_equal(last_json(proc.stderr, ctx), {"hist": {"fib": want_json(ns)}},
                    "JSON: {\"hist\":{\"fib\":[{lo, hi, count}...]}}")
    ctx.check_equal(len(json_lines(proc.stderr, ctx=ctx)), 1, "JSON: the one summary object only")

    proc = ctx.uptrace("--hist=$retval", "--json", "--count", "fib%return", "--", exe,
                       timeout=60)
    ctx.check_equal(last_json(proc.stderr, ctx),
                    {"counts": {"fib%return": len(rets)}, "hist": {"fib%return": want_json(rets)}},
                    "--count --hist=$retval: counts and the return values' histogram")
    proc = ctx.uptrace("--hist=$retval", "fib%return", "--", exe, timeout=60)
    ctx.check_equal(text_hist(proc.stderr, "fib%return ($retval)"), want_text(rets),
                    "text: fib's return values")

    proc = ctx.uptrace("--hist=n", "--json", "fib if n > 5 && n < 12", "--", exe, timeout=60)
    ctx.check_equal(last_json(proc.stderr, ctx),
                    {"hist": {"fib": want_json([n for n in ns if 5 < n < 12])}},
                    "only the values the predicate keeps")

    usdt = ctx.fixture("usdt")
    n = 40
    values = [(i % 64) ** 2 - 7 for i in range(n)]
    proc = ctx.uptrace("--hist=v", "--json", "usdt:fixture:item v=$arg4", "--", usdt, str(n))
    ctx.check_exit(proc, 0, "uptrace --hist=v usdt:fixture:item")
    ctx.check_equal(last_json(proc.stderr, ctx), {"hist": {"usdt:fixture:item": want_json(values)}},
                    "signed values: negatives in one bucket from -2^63")
    proc = ctx.uptrace("--hist=$arg4", "usdt:fixture:item", "--", usdt, str(n))
    ctx.check_equal(text_hist(proc.stderr, "usdt:fixture:item (arg4)"), want_text(values),
                    "text: (..., 0), then [1], [2, 4), ... [1K, 2K)")

    for argv, msg in [(["--hist=x", "fib"], "probe 'fib' has no argument 'x' for --hist=x"),
                      (["--hist=$retval", "fib"], "probe 'fib' has no $retval for --hist=$retval"),
                      (["--hist=", "fib"], "--hist=: name an argument")]:
        proc = ctx.uptrace(*argv, "--", exe, timeout=30)
        ctx.check(proc.returncode == 2 and msg in proc.stderr,
                  f"{argv}: a usage error: {proc.stderr.strip()[:160]!r}")
    proc = ctx.uptrace("--hist=f", "scale x f n", "--", ctx.fixture("values"), timeout=30)
    ctx.check(proc.returncode == 2 and "'f' is floating point, not an integer" in proc.stderr,
              f"--hist of a float is refused: {proc.stderr.strip()[:160]!r}")
