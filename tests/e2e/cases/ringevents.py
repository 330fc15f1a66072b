# SPDX-License-Identifier: MIT
"""Events on the trap-free path (the ring), with truth from the fixtures' sources
(tests/fixtures/x86_64/ringargs.c, threads.c), the breakpoint path and the system's own clock:

- args: note(t, i, k, name, r->len) with strings (empty, cut at 63 bytes, NULL) goes
  trap-free (-v says "events on the ring"); mark (a return probe) stays on the breakpoint
  path. Per thread, the events (values, strings, order, the breakpoint path's mark and
  mark%return among them) are those the source says and those --breakpoints-only gives; the
  times are CLOCK_MONOTONIC (within the run, by Python's own clock) and increase per thread;
  the program's output is the untraced one;
- threads: 8 threads x 20,000 hits with events on a ring big enough: every one, in order;
- tiny: a 16-record ring (UPTRACE_RING_RECORDS, for tests only): drops reported at the end
  (stderr, and the JSON's last line {"dropped":{KEY:N}}), events + drops = hits, each thread's events in order, the program's output right; a bad
  UPTRACE_RING_RECORDS is a usage error;
- detach: the tracer stopped (SIGSTOP) while an attached program makes 5,000 trap-free hits,
  then told to detach: all 5,000 come out (drained at detach), and the text is restored;
- sigkill: the tracer (not the guardian) killed with records on the ring: the program runs
  on through its trampolines, and the guardian's recovery restores its text byte for byte
  and unmaps the ring with the rest of the shared memory."""

import json
import os
import signal
import subprocess
import tempfile
import time

from cases.attach import tracer_pid
from cases.fastpath import ours_left, paths, text_snapshot
from cases.tracer_sigkill import tracer_of, wait_for

NAMES = ["alpha", "", "beta gamma",
         "a name longer than sixty-three bytes, so that both paths cut it at the same byte",
         None]
PROBES = ("note t i k name r->len", "mark t", "mark%return")


def note_args(t, i):
    name = NAMES[i % 5]
    return {"t": t, "i": i, "k": -(i % 7), "name": name[:63] if name is not None else None,
            "r->len": 3 * i}


def expected(t, rounds):
    """What thread t of ringargs does, from its source: (probe, args or retval) in order."""
    out = []
    for i in range(rounds):
        out.append(("note", note_args(t, i)))
        if i % 100 == 99:
            out.append(("mark", {"t": t}))
            out.append(("mark%return", t + 1))
    return out


def load(path, ctx, rest=None):
    """The events of a --json -o file; the other objects (a summary) into rest."""
    evs = []
    with open(path) as f:
        for line in f:
            try:
                obj = json.loads(line)
            except ValueError:
                ctx.fail(f"bad JSON line: {line!r}")
                continue
            if "event" in obj:
                evs.append(obj)
            elif rest is not None:
                rest.append(obj)
    return evs


def per_thread(evs):
    out = {}
    for e in evs:
        what = e.get("retval") if e["event"] == "return" else e.get("args")
        out.setdefault(e["tid"], []).append((e["probe"], what))
    return out


def args(ctx, tmp):
    exe = ctx.fixture("ringargs")
    plain = ctx.run([exe, "4", "1000"])
    ctx.check_exit(plain, 0, "ringargs untraced")
    runs = {}
    for mode in ("ring", "breakpoints"):
        out = os.path.join(tmp, f"args-{mode}.json")
        extra = ["--breakpoints-only"] if mode == "breakpoints" else []
        t0 = time.monotonic_ns()
        proc = ctx.uptrace("-v", *extra, "--json", "-o", out, *PROBES, "--", exe, "4", "1000",
                           timeout=120)
        t1 = time.monotonic_ns()
        ctx.check_exit(proc, 0, f"uptrace on ringargs ({mode})")
        ctx.check_equal(proc.stdout, plain.stdout, f"ringargs output under uptrace ({mode})")
        got = paths(proc.stderr)
        if mode == "ring":
            note = got.get("note", ("?", ""))
            ctx.check(note[0] == "trap-free" and "events on the ring" in note[1],
                      f"note's events go on the ring: {note}")
            ctx.check_equal(got.get("mark", ("?",))[0], "breakpoint", "mark's path")
        evs = load(out, ctx)
        ctx.check(all(t0 <= e["ts_ns"] <= t1 for e in evs),
                  f"{mode}: every time is CLOCK_MONOTONIC within the run")
        threads = per_thread(evs)
        for tid, seq in threads.items():
            times = [e["ts_ns"] for e in evs if e["tid"] == tid]
            ctx.check(times == sorted(times), f"{mode}: thread {tid}'s times increase")
            t = seq[0][1]["t"] if seq and isinstance(seq[0][1], dict) else -1
            ctx.check_equal(seq, expected(t, 1000), f"{mode}: thread {tid} (t={t}) events")
        ctx.check_equal(sorted(s[0][1]["t"] for s in threads.values()), [0, 1, 2, 3],
                        f"{mode}: one thread each of t=0..3")
        runs[mode] = sorted(map(repr, threads.values()))
    ctx.check(runs["ring"] == runs["breakpoints"],
              "the ring's events per thread are the breakpoint path's")
    # values the tracer fills in ($comm, $tid) next to a string the trampoline copies
    out = os.path.join(tmp, "comm.json")
    proc = ctx.uptrace("-v", "--json", "-o", out, "note c=$comm id=$tid name i", "--", exe, "2",
                       "50", timeout=60)
    ctx.check_exit(proc, 0, "uptrace with $comm and $tid")
    ctx.check("events on the ring" in proc.stderr, "$comm and $tid go on the ring")
    evs = load(out, ctx)
    ctx.check_equal(len(evs), 100, "100 events with $comm and $tid")
    ctx.check(all(e["args"] == {"c": "ringargs", "id": e["tid"], "i": e["args"]["i"],
                                "name": note_args(0, e["args"]["i"])["name"]} for e in evs),
              "$comm is the program's name, $tid the event's thread, name the source's")


def work_events(ctx, tmp, name, ring, threads=8, calls=20000):
    exe = ctx.fixture("threads")
    out = os.path.join(tmp, f"{name}.json")
    env = dict(os.environ, UPTRACE_RING_RECORDS=str(ring))
    proc = ctx.uptrace("-v", "--json", "-o", out, "work i=$arg1", "--", exe, str(threads),
                       str(calls), timeout=300, env=env)
    ctx.check_exit(proc, 0, f"uptrace on threads ({name})")
    ctx.check_equal(proc.stdout.strip(), f"threads={threads} calls={threads * calls} ok",
                    f"threads' own check ({name})")
    ctx.check("trap-free" in proc.stderr and "events on the ring" in proc.stderr,
              f"work's events on the ring ({name})")
    seqs, rest = {}, []
    for e in load(out, ctx, rest):
        seqs.setdefault(e["tid"], []).append(e["args"]["i"])
    return proc, seqs, rest


def threads(ctx, tmp):
    proc, seqs, rest = work_events(ctx, tmp, "big", 262144)
    ctx.check_equal(len(seqs), 8, "events from 8 threads")
    for tid, seq in seqs.items():
        ctx.check(seq == list(range(20000)), f"thread {tid}: i = 0..19999 in order "
                  f"({len(seq)} events)")
    ctx.check("dropped" not in proc.stderr, "no drops on a big ring")
    ctx.check_equal(rest, [], "no object but events in the JSON")


def tiny(ctx, tmp):
    proc, seqs, rest = work_events(ctx, tmp, "tiny", 16)
    dropped = 0
    for line in proc.stderr.splitlines():
        if "events of 'work' dropped" in line:
            dropped = int(line.split()[1])
    total = sum(len(s) for s in seqs.values())
    ctx.check(dropped > 0, f"a 16-record ring drops and says so ({dropped} dropped)")
    ctx.check_equal(total + dropped, 8 * 20000, "events + drops = hits")
    ctx.check_equal(rest, [{"dropped": {"work": dropped}}], "the JSON ends with the drops")
    for tid, seq in seqs.items():
        ctx.check(all(a < b for a, b in zip(seq, seq[1:])), f"thread {tid}: events in order")
    bad = ctx.uptrace("work", "--", ctx.fixture("threads"), "1", "1",
                      env=dict(os.environ, UPTRACE_RING_RECORDS="12"))
    ctx.check_exit(bad, 2, "UPTRACE_RING_RECORDS=12 (not a power of two)")
    ctx.check("UPTRACE_RING_RECORDS" in bad.stderr, "the error names UPTRACE_RING_RECORDS")


def detach(ctx, tmp):
    exe = ctx.fixture("ringargs")
    out = os.path.join(tmp, "detach.json")
    log = os.path.join(tmp, "detach.err")
    prog = subprocess.Popen([exe, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    up = None
    try:
        prog.stdin.write("10\n")
        prog.stdin.flush()
        ctx.check_equal(prog.stdout.readline().strip(), "done 10", "serve answers untraced")
        with open(log, "w") as err:
            up = subprocess.Popen([ctx.uptrace_path, "-v", "-p", str(prog.pid), "--json", "-o",
                                   out, PROBES[0]], stderr=err)
        deadline = time.time() + 30
        while time.time() < deadline and "tracing process" not in open(log).read():
            time.sleep(0.05)
        ctx.check("events on the ring" in open(log).read(), "note's events go on the ring")
        # the tracer cannot drain now: the hits stay in the ring until it detaches
        os.kill(up.pid, signal.SIGSTOP)
        prog.stdin.write("5000\n")
        prog.stdin.flush()
        ctx.check_equal(prog.stdout.readline().strip(), "done 5000",
                        "serve runs its 5000 hits with the tracer stopped")
        os.kill(up.pid, signal.SIGINT)
        os.kill(up.pid, signal.SIGCONT)
        up.wait(timeout=60)
        ctx.check_equal(up.returncode, 0, "uptrace detached")
        evs = load(out, ctx)
        ctx.check_equal([e["args"] for e in evs], [note_args(0, i) for i in range(5000)],
                        "the 5000 hits made while the tracer was stopped, drained at detach")
        ctx.check_equal(tracer_pid(prog.pid), 0, "no tracer left")
        ctx.check_equal(ours_left(prog.pid), [], "no mapping of ours left")
        prog.stdin.write("20\n")
        prog.stdin.flush()
        ctx.check_equal(prog.stdout.readline().strip(), "done 20", "serve runs on untraced")
    finally:
        if up and up.poll() is None:
            os.kill(up.pid, signal.SIGCONT)
            up.kill()
            up.wait()
        prog.stdin.close()
        prog.wait(timeout=30)


def serve_line(ctx, prog, n, what):
    prog.stdin.write(f"{n}\n")
    prog.stdin.flush()
    return ctx.check_equal(prog.stdout.readline().strip(), f"done {n}", what)


def sigkill(ctx, tmp):
    exe = ctx.fixture("ringargs")
    log = os.path.join(tmp, "sigkill.err")
    prog = subprocess.Popen([exe, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    up = None
    try:
        serve_line(ctx, prog, 10, "serve answers untraced")
        before = text_snapshot(prog.pid)
        with open(log, "w") as err:
            up = subprocess.Popen([ctx.uptrace_path, "-v", "-p", str(prog.pid), "--json", "-o",
                                   os.path.join(tmp, "sigkill.json"), PROBES[0]], stderr=err)
        ctx.check(wait_for(lambda: "tracing process" in open(log).read(), 30),
                  "uptrace attached")
        ctx.check("events on the ring" in open(log).read(), "note's events go on the ring")
        tracer = tracer_of(up.pid)
        os.kill(tracer, signal.SIGSTOP)  # records stay on the ring: none is drained
        serve_line(ctx, prog, 3000, "serve runs trap-free with the tracer stopped")
        os.kill(tracer, signal.SIGKILL)
        ctx.check(wait_for(lambda: tracer_pid(prog.pid) == 0, 10), "the guardian let go")
        up.wait(timeout=30)
        serve_line(ctx, prog, 3000, "serve runs on after the recovery")
        ctx.check(text_snapshot(prog.pid) == before, "the text is as before the attach")
        ctx.check_equal(ours_left(prog.pid), [], "no mapping of ours left (the ring neither)")
    finally:
        if up and up.poll() is None:
            up.kill()
            up.wait()
        prog.stdin.close()
        prog.wait(timeout=30)
        ctx.check_equal(prog.returncode, 0, "serve's exit status")


def run(ctx):
    ctx.require_uptrace()
    with tempfile.TemporaryDirectory() as tmp:
        args(ctx, tmp)
        threads(ctx, tmp)
        tiny(ctx, tmp)
        detach(ctx, tmp)
        sigkill(ctx, tmp)
