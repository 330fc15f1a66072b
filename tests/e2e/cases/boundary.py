# SPDX-License-Identifier: MIT
"""Instruction boundaries, with truth from objdump and nm (independent of uptrace):

- a raw address inside an instruction ('libc:0xADDR' = malloc+1) is refused like
  'libc:malloc+1', naming where the instruction holding it starts and the next one; at
  malloc's first and second instructions the address is accepted and the program's output is
  what it is untraced; with -p the process is left untouched;
- an address in no function (fib's .plt) is refused, one at a sizeless symbol is accepted;
- FUNC+OFFS past the function's end is reported as such, with the function's size;
- after a byte Capstone cannot decode (fixture boundary.S), a probe is accepted where a
  line-table row (built with -g) or a symbol marks an instruction start, and refused, saying
  why, where nothing does (built without -g); accepted probes count every call.

Under --qemu, riscv64: probes after a c.unimp that the function jumps over
(fixtures/riscv64/boundary.S, no symbol or line-table row there): the instruction after it
counts every call, one inside the next instruction is refused naming where instructions
start, one past the end says so."""

import re
import subprocess

from cases.attach import text_identical, tracer_pid
from driver import ARCHES, counts, symbols

TRANSPORTS = ("native", "qemu")
QEMU_ARCHES = ("riscv64",)


def libc_path(exe):
    out = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
    m = re.search(r"libc\.so\.6 => (\S+)", out)
    return m.group(1) if m else None


def dynamic_symbol(path, name):
    out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "Tt" and f[2].split("@")[0] == name:
            return int(f[0], 16)
    return None


def objdump_starts(path, lo, hi):
    """Instruction start addresses in [lo, hi), from objdump's linear sweep."""
    out = subprocess.run(["objdump", "-d", f"--start-address=0x{lo:x}",
                          f"--stop-address=0x{hi:x}", path], capture_output=True,
                         text=True).stdout
    return [int(m.group(1), 16) for m in
            (re.match(r"^\s*([0-9a-f]+):\s+[0-9a-f]{2}", line) for line in out.splitlines())
            if m]


def section(path, name):
    out = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) > 5 and f[1] == name:
            return int(f[3], 16), int(f[5], 16)
    return None


def addresses(ctx):
    fib = ctx.fixture("fib")
    libc = libc_path(fib)
    malloc = dynamic_symbol(libc, "malloc") if libc else None
    if malloc is None:
        ctx.fail(f"malloc not found in {libc}")
        return
    starts = objdump_starts(libc, malloc, malloc + 16)
    ctx.check(len(starts) >= 3 and starts[0] == malloc and starts[1] > malloc + 1,
              f"objdump: malloc's first instructions at {[hex(s) for s in starts[:3]]}")
    second = starts[1]
    want = (subprocess.run(["ls", "/"], capture_output=True, text=True).stdout)

    inside = f"libc:0x{malloc + 1:x}"
    proc = ctx.uptrace("--count", inside, "--", "ls", "/", timeout=60)
    ctx.check_exit(proc, 1, f"uptrace {inside} (malloc+1)")
    ctx.check("not on an instruction boundary" in proc.stderr and
              f"+0x{second - malloc:x}" in proc.stderr,
              f"{inside}: refused, naming the next instruction at +0x{second - malloc:x}: "
              f"{proc.stderr.strip()!r}")
    ctx.check("free(): invalid pointer" not in proc.stderr, f"{inside}: ls was not corrupted")
    proc = ctx.uptrace("--count", "libc:malloc+1", "--", "ls", "/", timeout=60)
    ctx.check_exit(proc, 1, "uptrace libc:malloc+1")

    for addr in (malloc, second):
        spec = f"libc:0x{addr:x}"
        proc = ctx.uptrace("--count", "--json", spec, "--", "ls", "/", timeout=60)
        ctx.check_exit(proc, 0, f"uptrace {spec} (an instruction start)")
        ctx.check_equal(proc.stdout, want, f"{spec}: ls prints what it prints untraced")
        got = counts(proc.stderr, ctx) or {}
        ctx.check(sum(got.values()) > 0, f"{spec}: malloc calls counted: {got}")

    # With -p the refusal leaves the process as it was.
    with ctx.started("busy", 3) as (busy, pid):
        proc = ctx.uptrace("-p", str(pid), inside, timeout=30)
        ctx.check_exit(proc, 1, f"uptrace -p {pid} {inside}")
        ctx.check_equal(tracer_pid(pid), 0, "TracerPid after the refused attach")
        text_identical(ctx, pid, "after the refused address")
        rest, _ = busy.communicate(timeout=30)
        ctx.check("busy: ok" in rest, f"busy's own checks: {rest.strip()!r}")

    # In no function: an entry of fib's .plt (no symbol covers it; _init before it has no
    # size). At a sizeless symbol's own address: accepted.
    plt = section(fib, ".plt")
    if plt:
        spec = f"fib:0x{plt[0] + 0x10:x}"
        proc = ctx.uptrace("--count", spec, "--", fib, timeout=30)
        ctx.check(proc.returncode == 1 and "in no function" in proc.stderr,
                  f"{spec} (.plt): refused: exit {proc.returncode}, {proc.stderr.strip()!r}")
    out = subprocess.run(["nm", fib], capture_output=True, text=True).stdout
    m = re.search(r"^([0-9a-f]+) T _init$", out, re.M)
    if m:
        spec = f"fib:0x{int(m.group(1), 16):x}"
        proc = ctx.uptrace("--count", "--json", spec, "--", fib, timeout=30)
        ctx.check_exit(proc, 0, f"{spec} (_init, a sizeless symbol)")


def past_end(ctx):
    fib = ctx.fixture("fib")
    _, size = symbols(fib)["fib"]
    proc = ctx.uptrace("fib+0x1000", "--", fib, timeout=30)
    ctx.check_exit(proc, 1, "uptrace fib+0x1000")
    ctx.check("past the end of fib" in proc.stderr and f"0x{size:x}" in proc.stderr,
              f"fib+0x1000: past the end, size 0x{size:x} (nm): {proc.stderr.strip()!r}")
    proc = ctx.uptrace(f"fib+{size}", "--", fib, timeout=30)
    ctx.check("past the end of fib" in proc.stderr,
              f"fib+{size} (just past the end): {proc.stderr.strip()!r}")


def undecodable(ctx):
    for name, marked in (("boundary", True), ("boundary_nodebug", False)):
        exe = ctx.fixture(name)
        addr, size = symbols(exe)["bnd_x86"]
        starts = [a - addr for a in objdump_starts(exe, addr, addr + size)]
        ctx.check(starts == [0, 5, 7, 8, 0xb, 0xc],
                  f"{name}: objdump's instruction starts in bnd_x86: {starts}")
        # +0xb: the symbol bnd_x86_mark; +0xc: nothing but a line row (with -g)
        probes = ["bnd_x86+8", "bnd_x86+0xb"] + (["bnd_x86+0xc"] if marked else [])
        proc = ctx.uptrace("--count", "--json", *probes, "--", exe, timeout=30)
        if marked:
            ctx.check_exit(proc, 0, f"{name}: probes after the byte, marked by line rows")
            ctx.check_equal(counts(proc.stderr, ctx),
                            {"bnd_x86+0x8": 1000, "bnd_x86+0xb": 1000, "bnd_x86+0xc": 1000},
                            f"{name}: counts")
            ctx.check_equal(proc.stdout, "calls=1000 sum=42000\n", f"{name}: its output")
        else:
            ctx.check_exit(proc, 1, f"{name}: bnd_x86+8 without any mark")
            ctx.check("cannot tell" in proc.stderr and "06" in proc.stderr,
                      f"{name}: the refusal names the byte: {proc.stderr.strip()!r}")
            proc = ctx.uptrace("--count", "--json", "bnd_x86+0xb", "--", exe, timeout=30)
            ctx.check_exit(proc, 0, f"{name}: bnd_x86+0xb, marked by a symbol")
            ctx.check_equal(counts(proc.stderr, ctx), {"bnd_x86+0xb": 1000},
                            f"{name}: counts")
        addr_spec = f"{name}:0x{addr + 8:x}"
        proc = ctx.uptrace("--count", addr_spec, "--", exe, timeout=30)
        ctx.check_exit(proc, 0 if marked else 1, f"{addr_spec} (bnd_x86+8 as an address)")


def riscv64(ctx):
    exe = ctx.fixture("boundary")
    syms = ctx.symbols(exe)
    if not ctx.check("rv_bnd" in syms, f"rv_bnd in {exe}"):
        return
    start, size = syms["rv_bnd"]
    # An independent decoder agrees with the source: instructions at +0x6 and +0xa, none at
    # +0x8; and nothing but a sweep can say so: no symbol there, no line-table row.
    _, _, offs = ctx.instruction_offsets(exe, "rv_bnd")
    ctx.check(6 in offs and 10 in offs and 8 not in offs and size == 12,
              f"objdump agrees with boundary.S: offsets {offs}, size {size}")
    nm = subprocess.run([ARCHES[ctx.arch]["nm"], "--defined-only", exe], capture_output=True,
                        text=True).stdout
    marked = [ln for ln in nm.splitlines() if ln.split()[0] == "%016x" % (start + 6)]
    ctx.check(not marked, f"no symbol marks rv_bnd+0x6 ({marked})")
    lines = subprocess.run(["readelf", "--debug-dump=decodedline", exe], capture_output=True,
                           text=True).stdout
    ctx.check("boundary.S" not in lines, "boundary.S has no line-table rows (built without -g)")

    proc = ctx.uptrace("--count", "--json", "rv_bnd+6", "rv_bnd+0xa", "--", exe, timeout=120)
    ctx.check_exit(proc, 0, "rv_bnd+6 and rv_bnd+0xa, after c.unimp")
    ctx.check_equal(proc.stdout, "calls=1000 sum=42000\n", "boundary's output")
    ctx.check_equal(counts(proc.stderr, ctx), {"rv_bnd+0x6": 1000, "rv_bnd+0xa": 1000},
                    "counts after c.unimp")

    proc = ctx.uptrace("--count", "rv_bnd+8", "--", exe, timeout=120)
    ctx.check_exit(proc, 1, "rv_bnd+8 (inside addi)")
    ctx.check("+0x6" in proc.stderr and "+0xa" in proc.stderr,
              f"rv_bnd+8 refused, naming the instructions around it: {proc.stderr.strip()!r}")
    proc = ctx.uptrace("--count", "rv_bnd+0xc", "--", exe, timeout=120)
    ctx.check_exit(proc, 1, "rv_bnd+0xc (past the end)")
    ctx.check("past the end" in proc.stderr and "0xc" in proc.stderr,
              f"rv_bnd+0xc refused as past the end: {proc.stderr.strip()!r}")


def run(ctx):
    if not ctx.native:
        riscv64(ctx)
        return
    addresses(ctx)
    past_end(ctx)
    undecodable(ctx)
