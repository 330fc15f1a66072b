# SPDX-License-Identifier: MIT
"""fib(15): 'fib n=$arg1' gives 1973 entries whose n values are the recursion's multiset,
'fib%return r=$retval' 1973 returns whose values are fib of those n."""

from collections import Counter

from driver import events, json_lines


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


def run(ctx):
    exe = ctx.fixture("fib")
    want_n = Counter()
    fib_calls(15, want_n)
    want_r = Counter()
    for n, c in want_n.items():
        want_r[fib(n)] += c

    proc = ctx.uptrace("--json", "fib n=$arg1", "fib%return r=$retval", "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "fib under uptrace")
    ctx.check_equal(proc.stdout.strip(), "fib(15)=610 calls=1973", "fib's output")
    evs = events(json_lines(proc.stderr, ctx=ctx))
    entries = [e for e in evs if e.get("event") == "entry"]
    returns = [e for e in evs if e.get("event") == "return"]
    ctx.check_equal(len(entries), 1973, "entry events")
    ctx.check_equal(len(returns), 1973, "return events")
    got_n = Counter(e.get("args", {}).get("n") for e in entries)
    ctx.check_equal(dict(got_n), dict(want_n), "multiset of n")
    got_r = Counter(e.get("retval", e.get("args", {}).get("r")) for e in returns)
    ctx.check_equal(dict(got_r), dict(want_r), "multiset of return values")
    if entries:
        ctx.check_equal(entries[0].get("args", {}).get("n"), 15, "first entry's n")
    if returns:
        last = returns[-1]
        ctx.check_equal(last.get("retval", last.get("args", {}).get("r")), 610,
                        "last return's value")

    # Each return matches the entry it closes (a stack walk over the event order).
    stack, mismatched = [], 0
    for e in evs:
        if e.get("event") == "entry":
            stack.append(e.get("args", {}).get("n"))
        elif e.get("event") == "return" and stack:
            n = stack.pop()
            if e.get("retval", e.get("args", {}).get("r")) != fib(n):
                mismatched += 1
    ctx.check(not stack and mismatched == 0,
              f"every return pairs with its entry ({mismatched} mismatched, {len(stack)} open)")

    # Text output, normalised, against an expected file (fib(6): 25 calls).
    from driver import normalise_text
    proc = ctx.uptrace("fib n=$arg1", "fib%return r=$retval", "--", exe, "6", timeout=60)
    ctx.check_exit(proc, 0, "fib 6 under uptrace (text)")
    ctx.compare_expected(normalise_text(proc.stderr), "fib6.out")
