#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end test driver for uptrace (strace's tests/ and uftrace's runtest in spirit).

    driver.py CASE --uptrace PATH --fixtures DIR --stepcount PATH [--expected DIR]
    driver.py CASE --qemu ARCH --uptrace PATH --fixtures-src SRCDIR --workdir DIR
              [--fixtures DIR --stepcount PATH]   (x86_64: the fixtures built by meson)

Loads cases/CASE.py and calls its run(ctx). A case runs uptrace on fixture programs that
know their own right answer and checks uptrace's events against an oracle: an expected file
(compared after normalisation: times, pids, tids and addresses stripped), a count computed
here, tests/tools/stepcount, qemu's own execution log, or bpftrace.

One case set, two transports. ctx.transport is "native" (ptrace on this x86_64 machine) or
"qemu" (uptrace --qemu on ctx.arch's fixtures under qemu-user, its gdbstub; for aarch64,
riscv64 and loongarch64 the fixtures are built here by tests/fixtures/ARCH/build.sh into
--workdir, one per test). ctx.uptrace() adds --qemu itself and ctx.untraced() runs a program as the
transport does, so a case is written once. A case names the transports it allows:

    TRANSPORTS = ("native", "qemu")           # default ("native",)
    QEMU_ARCHES = ("x86_64", "aarch64", ...)  # default ("x86_64",)

and the driver refuses (exit 1) to run it over any other: meson.build must agree.
Exit status: 0 pass, 1 fail, 77 skip (the reason is printed).
"""

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
SKIP = 77


class Skip(Exception):
    pass


# Per architecture: its qemu-user, the sysroot its dynamic programs need (-L), its
# binutils (an independent decoder: objdump, or llvm-objdump for loongarch64) and the
# prefix of the fixture's assembly functions (insns.S).
ARCHES = {
    "x86_64": {"qemu": "qemu-x86_64", "sysroot": None, "objdump": ["objdump"], "nm": "nm",
               "prefix": "insns_"},
    "aarch64": {"qemu": "qemu-aarch64", "sysroot": "/usr/aarch64-linux-gnu",
                "objdump": ["aarch64-linux-gnu-objdump"], "nm": "aarch64-linux-gnu-nm",
                "prefix": "a64_"},
    "riscv64": {"qemu": "qemu-riscv64", "sysroot": "/usr/riscv64-linux-gnu",
                "objdump": ["riscv64-linux-gnu-objdump"], "nm": "riscv64-linux-gnu-nm",
                "prefix": "rv_"},
    "loongarch64": {"qemu": "qemu-loongarch64", "sysroot": None,
                    "objdump": ["llvm-objdump-19", "--triple=loongarch64"], "nm": "llvm-nm-19",
                    "prefix": "la_"},
}


class Ctx:
    """What a case gets: paths, runners, and checks that record failures and go on."""

    def __init__(self, args):
        self.uptrace_path = os.path.abspath(args.uptrace)
        self.transport = "qemu" if args.qemu else "native"
        self.arch = args.qemu or "x86_64"
        self.native = self.transport == "native"
        self.fixtures = os.path.abspath(args.fixtures) if args.fixtures else ""
        self.stepcount_path = os.path.abspath(args.stepcount) if args.stepcount else ""
        self.fixtures_src = args.fixtures_src
        self.workdir = args.workdir
        self.expected_dir = args.expected
        self.demo = os.path.abspath(args.demo) if args.demo else ""
        self.failures = 0
        self.checks = 0
        self.verbose = args.verbose

    # --- running ---------------------------------------------------------------------------

    def fixture(self, name):
        path = os.path.join(self.fixtures, name)
        if not os.access(path, os.X_OK):
            self.skip(f"fixture {path} is not built")
        return path

    def setup_transport(self):
        """Under --qemu: qemu-ARCH must be there, and a foreign arch's fixtures built."""
        if self.native:
            return
        if not shutil.which(ARCHES[self.arch]["qemu"]):
            self.skip(f"{ARCHES[self.arch]['qemu']} is not installed")
        if self.arch == "x86_64":
            return  # the fixtures meson built (--fixtures)
        self.fixtures = os.path.abspath(self.workdir)
        script = os.path.join(self.fixtures_src, self.arch, "build.sh")
        if not os.path.exists(script):
            self.skip(f"no fixtures for {self.arch}")
        proc = self.run(["sh", script, self.fixtures], timeout=600)
        if proc.returncode == SKIP:
            self.skip(proc.stderr.strip() or f"fixtures for {self.arch} cannot be built here")
        if proc.returncode != 0:
            self.fail(f"building the {self.arch} fixtures: {proc.stderr}")
            self.skip("no fixtures")

    def qemu_cmd(self):
        """qemu-ARCH [-L SYSROOT]: how this transport runs a program untraced."""
        a = ARCHES[self.arch]
        cmd = [a["qemu"]]
        if a["sysroot"] and os.path.isdir(a["sysroot"]):
            cmd += ["-L", a["sysroot"]]
        return cmd

    def untraced(self, argv, timeout=60, **kw):
        """Run a fixture as the transport runs it, without uptrace (natively or under qemu)."""
        return self.run((self.qemu_cmd() if not self.native else []) + list(argv),
                        timeout=timeout, **kw)

    @contextlib.contextmanager
    def started(self, name, *args, stdin=None):
        """Fixture NAME started with ARGS and running: it prints "NAME ready PID" once it
        is. Yields (its Popen, PID); raises if it did not start. On the way out it is
        killed if it still runs (a case that wants its exit status waits for it first)."""
        proc = subprocess.Popen([self.fixture(name), *map(str, args)], stdin=stdin,
                                stdout=subprocess.PIPE, text=True)
        try:
            ready = proc.stdout.readline().split()
            if len(ready) != 3 or ready[1] != "ready":
                raise RuntimeError(f"{name} did not start: {ready}")
            yield proc, int(ready[2])
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    def symbols(self, path):
        """{name: (addr, size)} of path's functions, by the arch's nm."""
        return symbols(path, self.arch)

    def instruction_offsets(self, path, func):
        """(addr, size, offsets of every instruction of func), by the arch's objdump."""
        return instruction_offsets(path, func, self.arch)

    def run(self, argv, timeout=60, **kw):
        """Run argv; return CompletedProcess with text stdout/stderr. Logs the command."""
        self.log("$ " + " ".join(shlex.quote(str(a)) for a in argv))
        # In its own process group, so that a timeout also ends what it started (qemu).
        child = subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, errors="replace",
                                 start_new_session=True, **kw)
        try:
            out, err = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            out, err = child.communicate()
            self.fail(f"timed out after {timeout}s: {' '.join(map(str, argv))}\n"
                      f"stderr: {tail(err)}")
            return subprocess.CompletedProcess(argv, -signal.SIGKILL, out, err)
        proc = subprocess.CompletedProcess(argv, child.returncode, out, err)
        self.log(f"  exit {proc.returncode}; stdout: {tail(proc.stdout)}; "
                 f"stderr: {tail(proc.stderr)}")
        return proc

    def uptrace(self, *args, timeout=60, **kw):
        """uptrace ARGS over this transport (--qemu added when the transport is qemu)."""
        transport = [] if self.native else ["--qemu"]
        return self.run([self.uptrace_path, *transport, *args], timeout=timeout, **kw)

    def stepcount(self, lo, hi, argv, start=None, timeout=300):
        """Per-address execution counts (link-time addresses) of [lo, hi) in argv's run."""
        cmd = [self.stepcount_path]
        if start is not None:
            cmd += ["-s", f"{start:x}"]
        cmd += [f"{lo:x}", f"{hi:x}", "--", *argv]
        proc = self.run(cmd, timeout=timeout)
        if proc.returncode != 0:
            self.fail(f"stepcount failed ({proc.returncode}): {proc.stderr}")
        counts = {}
        for line in proc.stdout.splitlines():
            addr, n = line.split()
            counts[int(addr, 16)] = int(n)
        return counts, proc

    # --- checks ----------------------------------------------------------------------------

    def log(self, msg):
        if self.verbose:
            print(msg, flush=True)

    def fail(self, msg):
        self.failures += 1
        print(f"FAIL: {msg}", flush=True)

    def check(self, cond, msg):
        if cond:
            self.checks += 1
            print(f"ok: {msg}", flush=True)
        else:
            self.fail(msg)
        return cond

    def check_equal(self, got, want, what):
        ok = got == want
        if ok:
            self.checks += 1
            print(f"ok: {what} = {short(got)}", flush=True)
        else:
            self.fail(f"{what}: got {short(got)}, want {short(want)}")
        return ok

    def check_exit(self, proc, want, what):
        return self.check_equal(proc.returncode, want, f"{what}: exit status")

    def skip(self, reason):
        raise Skip(reason)

    def require_uptrace(self):
        if not os.access(self.uptrace_path, os.X_OK):
            self.skip(f"{self.uptrace_path} is not built")
        proc = self.run([self.uptrace_path, "--version"], timeout=10)
        if proc.returncode != 0 or not (proc.stdout + proc.stderr).strip():
            self.skip("uptrace --version does not work yet (exit "
                      f"{proc.returncode}): the CLI is not there")

    def expected(self, name):
        with open(os.path.join(self.expected_dir, name)) as f:
            return f.read()

    def compare_expected(self, got_lines, name):
        """Compare normalised lines with expected/NAME; print a diff on mismatch."""
        want = self.expected(name).splitlines()
        if got_lines == want:
            self.checks += 1
            print(f"ok: output matches expected/{name} ({len(want)} lines)", flush=True)
            return True
        import difflib
        diff = "\n".join(difflib.unified_diff(want, got_lines, f"expected/{name}", "got",
                                              lineterm="", n=2))
        self.fail(f"output differs from expected/{name}:\n{diff[:4000]}")
        return False


# --- output parsing (shared by the cases) --------------------------------------------------


def tail(text, n=600):
    if not text:
        return "''"
    text = text if isinstance(text, str) else text.decode(errors="replace")
    return repr(text[-n:])


def short(v, n=300):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "..."


def json_lines(text, strict=False, ctx=None):
    """Parse JSON Lines; with strict, a line that does not parse is a failure."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("{"):
            if strict and ctx:
                ctx.fail(f"not a JSON object: {line!r}")
            continue
        try:
            out.append(json.loads(line))
        except ValueError as e:
            if ctx:
                ctx.fail(f"bad JSON line ({e}): {line!r}")
    return out


def events(objs):
    return [o for o in objs if "event" in o]


def norm_key(key):
    """Canonical probe key with '+0x0' dropped: 'f+0x0%return' -> 'f%return'."""
    return re.sub(r"\+0x0+(?=%|$)", "", key)


def counts(text, ctx=None):
    """The {"counts": {...}} summary of --count --json, keys normalised."""
    for obj in reversed(json_lines(text, ctx=ctx)):
        if isinstance(obj.get("counts"), dict):
            return {norm_key(k): v for k, v in obj["counts"].items()}
    return None


TEXT_EVENT = re.compile(r"^\s*\d+\.\d+\s+\d+\s+(\S.*)$")
VOLATILE = [
    (re.compile(r"\bdur=\S+"), "dur=*"),
    (re.compile(r"\b0x[0-9a-f]{8,}\b"), "0xADDR"),
]


def normalise_text(text):
    """Text events with time, tid, durations and addresses stripped; other lines dropped."""
    out = []
    for line in text.splitlines():
        m = TEXT_EVENT.match(line)
        if not m:
            continue
        rest = m.group(1)
        for rx, rep in VOLATILE:
            rest = rx.sub(rep, rest)
        out.append(rest.rstrip())
    return out


def render(ev):
    """One JSON event as a stable line: 'PROBE EVENT name=value... [retval=V]'."""
    parts = [ev.get("probe", "?"), ev.get("event", "?")]
    for k, v in (ev.get("args") or {}).items():
        parts.append(f"{k}={json.dumps(v) if isinstance(v, str) else v}")
    if "retval" in ev:
        parts.append(f"retval={ev['retval']}")
    return " ".join(parts)


def symbols(path, arch="x86_64"):
    """{name: (addr, size)} of the defined functions of an ELF file, from nm."""
    proc = subprocess.run([ARCHES[arch]["nm"], "-S", "--defined-only", path],
                          capture_output=True, text=True, check=True)
    out = {}
    for line in proc.stdout.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tT":
            out[f[3]] = (int(f[0], 16), int(f[1], 16))
    return out


def instruction_offsets(path, func, arch="x86_64"):
    """Offsets of every instruction of func, from the arch's objdump (an independent
    decoder), each once and in order."""
    addr, size = symbols(path, arch)[func]
    proc = subprocess.run(ARCHES[arch]["objdump"] + ["-d", "--no-show-raw-insn",
                                                     f"--start-address=0x{addr:x}",
                                                     f"--stop-address=0x{addr + size:x}", path],
                          capture_output=True, text=True, check=True)
    offs = []
    for line in proc.stdout.splitlines():
        m = re.match(r"^\s*([0-9a-f]+):\s+\S", line)
        if m and addr <= int(m.group(1), 16) < addr + size:
            offs.append(int(m.group(1), 16) - addr)
    return addr, size, sorted(set(offs))


def program_counts(text, label):
    """A fixture's own 'LABEL: NAME=N NAME=N ...' line as {NAME: N}, or None."""
    m = re.search(rf"^{re.escape(label)}: (.*)$", text, re.M)
    if not m:
        return None
    return {k: int(v) for k, v in (kv.split("=", 1) for kv in m.group(1).split())}


def gdb_json(ctx, exe, script, data, timeout=120):
    """gdb as an oracle: run exe under `gdb -batch` with a Python script, given as text with
    two %r slots (data as JSON, then the path of the result file the script writes in JSON);
    returns what it wrote. Skips the case when gdb is missing or cannot run the program."""
    if not shutil.which("gdb"):
        ctx.skip("gdb is not installed")

    with tempfile.TemporaryDirectory() as tmp:
        result = os.path.join(tmp, "truth.json")
        path = os.path.join(tmp, "truth.py")
        with open(path, "w") as f:
            f.write(script % (json.dumps(data), result))
        proc = ctx.run(["gdb", "-nx", "-batch", "-x", path, exe], timeout=timeout)
        if not os.path.exists(result):
            ctx.skip(f"gdb could not run the fixture: {proc.stderr[-500:]}")
        with open(result) as f:
            return json.load(f)


def bpftrace_counts(ctx, program, argv, env=None, timeout=120):
    """The kernel's counts: run argv under `bpftrace -e PROGRAM -c ARGV` (cpid is its pid)
    and return {name: n} from its "@name: n" lines (maps never hit are absent). Skips the
    case when bpftrace cannot run here. bpftrace -c splits its command at spaces."""
    import shutil
    bt = shutil.which("bpftrace")
    if not bt:
        ctx.skip("bpftrace is not installed")
    if not os.path.exists("/sys/kernel/tracing/uprobe_events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                       capture_output=True)
    if any(" " in str(a) for a in argv):
        ctx.skip(f"bpftrace -c cannot run a command with spaces in a word: {argv}")
    pre = ["env", "-i", *[f"{k}={v}" for k, v in env.items()]] if env else []
    proc = ctx.run([*pre, bt, "-e", program, "-c", " ".join(map(str, argv))], timeout=timeout)
    got = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"^@(\w*): (\d+)$", line.strip())
        if m:
            got[m.group(1)] = int(m.group(2))
    if proc.returncode != 0 or "Attaching" not in proc.stdout + proc.stderr:
        ctx.skip(f"bpftrace cannot run here (exit {proc.returncode}): "
                 f"{proc.stderr.strip()[-300:]}")
    return got, proc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--uptrace", required=True)
    ap.add_argument("--fixtures", default="")
    ap.add_argument("--stepcount", default="")
    ap.add_argument("--qemu", metavar="ARCH", choices=sorted(ARCHES),
                    help="the qemu transport: uptrace --qemu on ARCH's fixtures")
    ap.add_argument("--fixtures-src", default=os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))
    ap.add_argument("--workdir", default="")
    ap.add_argument("--demo", default="")
    ap.add_argument("--expected",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "expected"))
    ap.add_argument("-v", "--verbose", action="store_true",
                    default=bool(os.environ.get("E2E_VERBOSE", "1") != "0"))
    args = ap.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    path = os.path.join(here, "cases", args.case + ".py")
    spec = importlib.util.spec_from_file_location("case_" + args.case, path)
    case = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(case)

    ctx = Ctx(args)
    allowed = getattr(case, "TRANSPORTS", ("native",))
    arches = getattr(case, "QEMU_ARCHES", ("x86_64",))
    if ctx.transport not in allowed or (not ctx.native and ctx.arch not in arches):
        where = ", ".join(t if t == "native" else f"qemu on {', '.join(arches)}"
                          for t in allowed)
        print(f"{args.case}: FAILED: the case runs {where}, not {ctx.transport} {ctx.arch}: "
              "fix meson.build")
        return 1
    if ctx.arch == "x86_64" and not ctx.fixtures:
        ap.error("x86_64 needs --fixtures (the fixtures meson built)")
    if ctx.arch != "x86_64" and not ctx.workdir:
        ap.error(f"--qemu {ctx.arch} needs --workdir (where its fixtures are built)")
    print(f"transport: {ctx.transport} {ctx.arch}", flush=True)
    try:
        ctx.require_uptrace()
        ctx.setup_transport()
        case.run(ctx)
    except Skip as s:
        if ctx.failures:
            print(f"{args.case}: FAILED ({ctx.failures} failures) {s}")
            return 1
        print(f"SKIP: {args.case}: {s}")
        return SKIP
    except Exception:
        import traceback
        traceback.print_exc()
        print(f"{args.case}: FAILED (the case raised an exception)")
        return 1
    if ctx.failures:
        print(f"{args.case}: FAILED ({ctx.failures} of {ctx.checks + ctx.failures} checks)")
        return 1
    if not ctx.checks:
        print(f"{args.case}: FAILED: no check ran")
        return 1
    print(f"{args.case}: passed {ctx.checks} checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
