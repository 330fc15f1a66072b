# SPDX-License-Identifier: MIT
"""fib(15): 'fib n=$arg1' gives 1973 entries whose n values are the recursion's multiset,
'fib%return r=$retval' 1973 returns whose values are fib of those n, each return pairing
with the entry it closes. Natively and under --qemu on every arch: each arch's fib fixture
computes fib(15) recursively (tests/fixtures/ARCH/fib.c); the x86_64 one also takes N and
counts its calls, so there the text output of fib(6) is compared with expected/fib6.out."""

from collections import Counter

from driver import events, json_lines, normalise_text

TRANSPORTS = ("native", "qemu")
QEMU_ARCHES = ("x86_64", "aarch64", "riscv64", "loongarch64")

# The known answers: fib(15) = 610 in 1973 calls.
N, RESULT, CALLS = 15, 610, 1973
# What each arch's fixture prints (the x86_64 one takes N and counts its calls).
OUTPUT = {"x86_64": f"fib({N})={RESULT} calls={CALLS}"}


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
    fib_calls(N, want_n)
    want_r = Counter()
    for n, c in want_n.items():
        want_r[fib(n)] += c
    ctx.check_equal((sum(want_n.values()), fib(N)), (CALLS, RESULT), "the oracle: fib(15)")

    proc = ctx.uptrace("--json", "fib n=$arg1", "fib%return r=$retval", "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "fib under uptrace")
    ctx.check_equal(proc.stdout.strip(), OUTPUT.get(ctx.arch, f"fib({N})={RESULT}"),
                    "fib's output")
    evs = events(json_lines(proc.stderr, ctx=ctx))
    entries = [e for e in evs if e.get("event") == "entry"]
    returns = [e for e in evs if e.get("event") == "return"]
    ctx.check_equal(len(entries), CALLS, "entry events")
    ctx.check_equal(len(returns), CALLS, "return events")
    got_n = Counter(e.get("args", {}).get("n") for e in entries)
    ctx.check_equal(dict(got_n), dict(want_n), "multiset of n")
    got_r = Counter(e.get("retval", e.get("args", {}).get("r")) for e in returns)
    ctx.check_equal(dict(got_r), dict(want_r), "multiset of return values")
    bad = [e for e in returns
           if e.get("probe") != "fib%return" or not isinstance(e.get("duration_ns"), int)]
    ctx.check(not bad, f"every return event is fib%return with a duration_ns ({bad[:2]})")
    if entries:
        ctx.check_equal(entries[0].get("args", {}).get("n"), N, "first entry's n")
    if returns:
        last = returns[-1]
        ctx.check_equal(last.get("retval", last.get("args", {}).get("r")), RESULT,
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

    if ctx.arch != "x86_64":
        return  # the foreign fixtures take no N
    # Text output, normalised, against an expected file (fib(6): 25 calls).
    proc = ctx.uptrace("fib n=$arg1", "fib%return r=$retval", "--", exe, "6", timeout=60)
    ctx.check_exit(proc, 0, "fib 6 under uptrace (text)")
    ctx.compare_expected(normalise_text(proc.stderr), "fib6.out")
    # fib(10) (177 calls), the run the qemu x86_64 case used to make.
    want_n = Counter()
    fib_calls(10, want_n)
    proc = ctx.uptrace("--json", "fib n", "fib%return", "--", exe, "10", timeout=120)
    ctx.check_exit(proc, 0, "fib 10 under uptrace")
    ctx.check_equal(proc.stdout.strip(), "fib(10)=55 calls=177", "fib 10's output")
    evs = events(json_lines(proc.stderr, ctx=ctx))
    ctx.check_equal(dict(Counter(e.get("args", {}).get("n") for e in evs
                                 if e.get("event") == "entry")), dict(want_n),
                    "fib 10: multiset of n ('fib n', by name)")
    want_r = Counter()
    for n, c in want_n.items():
        want_r[fib(n)] += c
    ctx.check_equal(dict(Counter(e.get("retval") for e in evs if e.get("event") == "return")),
                    dict(want_r), "fib 10: multiset of return values (retval)")
