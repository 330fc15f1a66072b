# SPDX-License-Identifier: MIT
"""32-bit programs are refused at once, with a message that says so, and left untouched.

Before, an i386 program passed the machine check (a read error of the 64-bit header was
ignored), ran to its exec event, was refused there, and the error path SIGKILLed it without
resuming it from its PTRACE_EVENT_EXIT stop: uptrace waited for ever, deaf to SIGINT and
SIGTERM. The i386 programs are written here byte by byte (no 32-bit toolchain needed): an
ELF header, one PT_LOAD, and a few instructions of int $0x80 system calls."""

import os
import signal
import struct
import subprocess
import tempfile
import time

BASE = 0x08048000


def elf32(code):
    """A static i386 ELF executable whose entry is code (after the two headers)."""
    ehsize, phsize = 52, 32
    size = ehsize + phsize + len(code)
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)  # ELFCLASS32, little-endian, version 1
    ehdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, BASE + ehsize + phsize, ehsize, 0, 0,
                               ehsize, phsize, 1, 0, 0, 0)  # ET_EXEC, EM_386
    phdr = struct.pack("<IIIIIIII", 1, 0, BASE, BASE, size, size, 5, 0x1000)  # PT_LOAD, R+X
    return ehdr + phdr + code


# exit(7): mov $1,%eax; mov $7,%ebx; int $0x80
EXIT7 = bytes.fromhex("b801000000" "bb07000000" "cd80")
# for (;;) pause(): mov $29,%eax; int $0x80; jmp back
PAUSE = bytes.fromhex("b81d000000" "cd80" "ebf7")


def write_exe(path, data):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o755)
    return path


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def run(ctx):
    ctx.require_uptrace()
    with tempfile.TemporaryDirectory() as tmp:
        exit7 = write_exe(os.path.join(tmp, "i386-exit7"), elf32(EXIT7))
        pause = write_exe(os.path.join(tmp, "i386-pause"), elf32(PAUSE))
        try:
            native = subprocess.run([exit7], timeout=10).returncode
        except OSError as e:
            ctx.skip(f"this kernel does not run i386 programs ({e})")
        if native != 7:
            ctx.skip(f"this kernel does not run i386 programs (exit {native})")

        # Spawn: refused before it runs, at once.
        t0 = time.monotonic()
        proc = ctx.uptrace("main", "--", exit7, timeout=20)
        took = time.monotonic() - t0
        ctx.check_exit(proc, 1, "uptrace -- an i386 program")
        ctx.check("32-bit" in proc.stderr and "i386-exit7" in proc.stderr,
                  f"the message names the program and says 32-bit: {proc.stderr.strip()!r}")
        ctx.check(took < 10, f"refused at once ({took:.1f}s)")

        # A script whose interpreter is the i386 program: only after the exec does uptrace
        # see it; the child is killed and reaped, and uptrace ends.
        script = os.path.join(tmp, "script")
        with open(script, "w") as f:
            f.write(f"#!{exit7}\n")
        os.chmod(script, 0o755)
        proc = ctx.uptrace("main", "--", script, timeout=20)
        ctx.check_exit(proc, 1, "uptrace -- a script run by an i386 program")
        ctx.check("script" in proc.stderr, f"the message names it: {proc.stderr.strip()!r}")

        # The same through PATH lookup.
        proc = ctx.uptrace("main", "--", "i386-exit7", timeout=20,
                           env=dict(os.environ, PATH=tmp + ":" + os.environ.get("PATH", "")))
        ctx.check_exit(proc, 1, "uptrace -- an i386 program found on PATH")

        # -p on a running i386 process: refused before any thread is seized; the process
        # goes on sleeping in pause(), untraced, and dies of the SIGTERM sent after.
        target = subprocess.Popen([pause])
        try:
            time.sleep(0.3)
            proc = ctx.uptrace("-p", str(target.pid), "main", timeout=20)
            ctx.check_exit(proc, 1, "uptrace -p on an i386 process")
            ctx.check(str(target.pid) in proc.stderr and "32-bit" in proc.stderr,
                      f"the message names the PID and says 32-bit: {proc.stderr.strip()!r}")
            status = proc_status(target.pid)
            ctx.check(status["State"].startswith("S") and status["TracerPid"] == "0",
                      f"the i386 process sleeps on untraced: State {status['State']}, "
                      f"TracerPid {status['TracerPid']}")
            target.send_signal(signal.SIGTERM)
            ctx.check_equal(target.wait(timeout=10), -signal.SIGTERM,
                            "the i386 process's end (SIGTERM)")
        finally:
            if target.poll() is None:
                target.kill()
                target.wait()
