# SPDX-License-Identifier: MIT
"""--remote against a misbehaving GDB stub, a small fake one written here in Python.

The stub serves a hand-written static x86_64 program (its memory is the file's PT_LOAD; a
`syscall` it is stepped over is done by the stub: mmap hands out pages, mprotect and munmap
succeed), so uptrace connects, maps its XOL page, plants a probe and lets the program run.

- It ignores \\x03, and the PID in its stop replies is a local `sleep` this test started,
  not a process of the target. uptrace used to kill(PID, SIGINT) when its interrupt got no
  answer: any local process. It must give up with an error, and the sleep must live on.
- Its program has an executable segment of a terabyte (p_filesz in the ELF file, which the
  stub names as its exec-file): the search for a syscall instruction read it 4 KiB at a
  time, on through read errors. Once with reads beyond the file answered E01, once with the
  connection closed after a few of them: uptrace must give up in seconds.
"""

import os
import socket
import struct
import subprocess
import tempfile
import threading
import time

BASE = 0x400000
PAGE = 0x1000

# The x86_64 'g' packet as qemu and gdbserver send it: 16 GPRs, rip, eflags, 6 segments,
# fs_base, gs_base, k_gs_base, cr0 cr2 cr3 cr4 cr8 efer, st0-7, 8 fpu words, xmm0-15, mxcsr.
G_SIZES = [8] * 17 + [4] * 7 + [8] * 9 + [10] * 8 + [4] * 8 + [16] * 16 + [4]
RAX, RSI, RDI, RIP = 0, 4, 5, 16
G_OFFSETS = [sum(G_SIZES[:i]) for i in range(len(G_SIZES))]
G_LEN = sum(G_SIZES)


def elf64(code, filesz=None, interp=None):
    """A static x86_64 ET_EXEC at BASE: one R+X PT_LOAD (of filesz bytes, if given), a
    PT_INTERP at (offset, size) when interp is given, and a symbol table with one function,
    `loop`, that is the code (uptrace probes only where a symbol says code starts)."""
    ehsize, phsize, shsize = 64, 56, 64
    phnum = 2 if interp else 1
    code_off = ehsize + phsize * phnum
    entry = BASE + code_off
    strtab = b"\0loop\0"
    shstrtab = b"\0.text\0.symtab\0.strtab\0.shstrtab\0"
    symtab = bytes(24) + struct.pack("<IBBHQQ", 1, 0x12, 0, 1, entry, len(code))  # GLOBAL FUNC
    str_off = code_off + len(code)
    sym_off = str_off + len(strtab)
    shs_off = sym_off + len(symtab)
    sh_off = (shs_off + len(shstrtab) + 7) & ~7
    size = sh_off + 5 * shsize
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, ehsize, sh_off, 0, ehsize,
                               phsize, phnum, shsize, 5, 4)
    seg = filesz or size
    phdrs = struct.pack("<IIQQQQQQ", 1, 5, 0, BASE, BASE, seg, seg, PAGE)
    if interp:
        phdrs += struct.pack("<IIQQQQQQ", 3, 4, interp[0], 0, 0, interp[1], interp[1], 1)

    def shdr(name, kind, flags, addr, off, length, link=0, info=0, align=1, entsize=0):
        return struct.pack("<IIQQQQIIQQ", name, kind, flags, addr, off, length, link, info,
                           align, entsize)

    shdrs = (bytes(shsize) +
             shdr(1, 1, 6, entry, code_off, len(code), align=16) +  # .text: PROGBITS, AX
             shdr(7, 2, 0, 0, sym_off, len(symtab), 3, 1, 8, 24) +  # .symtab -> .strtab
             shdr(15, 3, 0, 0, str_off, len(strtab)) +  # .strtab
             shdr(23, 3, 0, 0, shs_off, len(shstrtab)))  # .shstrtab
    image = ehdr + phdrs + code + strtab + symtab + shstrtab
    return image.ljust(sh_off, b"\0") + shdrs


def entry_of(image):
    return struct.unpack_from("<Q", image, 24)[0]


# for (;;) getpid(): mov $39,%eax; syscall; jmp back
LOOP = bytes.fromhex("b827000000" "0f05" "ebf7")
# for (;;) ; with no syscall instruction anywhere in the file
SPIN = bytes.fromhex("ebfe")


def checksum(data):
    return sum(data) & 0xff


def escape(data):
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes([0x7d, b ^ 0x20])
        else:
            out.append(b)
    return bytes(out)


class FakeStub:
    """One connection's worth of a GDB stub that answers over loopback TCP."""

    def __init__(self, exe, pid, image, ignore_interrupt=True, bad_reads_then_close=None):
        self.exe, self.pid = exe, pid
        self.mem = {}  # page address -> bytearray
        for off in range(0, len(image), PAGE):
            self.mem[BASE + off] = bytearray(image[off:off + PAGE].ljust(PAGE, b"\0"))
        self.regs = bytearray(G_LEN)
        self.entry = entry_of(image)
        self.phnum = struct.unpack_from("<H", image, 56)[0]
        self.set_reg(RIP, self.entry)
        self.set_reg(7, 0x7ffff000)  # rsp
        self.next_map = 0x7f0000000000
        self.ignore_interrupt = ignore_interrupt
        self.bad_reads_then_close = bad_reads_then_close
        self.bad_reads = 0
        self.interrupts = 0
        self.running = False
        self.log = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    # --- the target's state --------------------------------------------------------------

    def reg(self, i):
        o = G_OFFSETS[i]
        return int.from_bytes(self.regs[o:o + 8], "little")

    def set_reg(self, i, v):
        o = G_OFFSETS[i]
        self.regs[o:o + 8] = (v & (2**64 - 1)).to_bytes(8, "little")

    def read(self, addr, n):
        out = bytearray()
        while n:
            page = self.mem.get(addr & ~(PAGE - 1))
            if page is None:
                return None
            k = min(n, PAGE - (addr & (PAGE - 1)))
            out += page[addr & (PAGE - 1):(addr & (PAGE - 1)) + k]
            addr, n = addr + k, n - k
        return bytes(out)

    def write(self, addr, data):
        if self.read(addr, len(data)) is None:
            return False
        for i, b in enumerate(data):
            self.mem[(addr + i) & ~(PAGE - 1)][(addr + i) & (PAGE - 1)] = b
        return True

    def step(self):
        rip = self.reg(RIP)
        if self.read(rip, 2) == b"\x0f\x05":
            nr, ret = self.reg(RAX), -38  # ENOSYS
            if nr == 9:  # mmap
                length = (self.reg(RSI) + PAGE - 1) & ~(PAGE - 1)
                ret, self.next_map = self.next_map, self.next_map + length + PAGE
                for a in range(ret, ret + length, PAGE):
                    self.mem[a] = bytearray(PAGE)
            elif nr in (10, 11):  # mprotect, munmap
                ret = 0
            self.set_reg(RAX, ret)
            self.set_reg(RIP, rip + 2)

    # --- the protocol ----------------------------------------------------------------------

    def serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        self.conn = conn
        buf = b""
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while buf:
                    c = buf[:1]
                    if c in (b"+", b"-"):
                        buf = buf[1:]
                    elif c == b"\x03":
                        buf = buf[1:]
                        self.interrupts += 1
                        if not self.ignore_interrupt and self.running:
                            self.running = False
                            self.send(self.stop_reply(2))
                    elif c == b"$":
                        end = buf.find(b"#")
                        if end < 0 or len(buf) < end + 3:
                            break
                        pkt, buf = buf[1:end], buf[end + 3:]
                        if not self.packet(pkt.decode("latin-1")):
                            return
                    else:
                        buf = buf[1:]

    def send(self, payload):
        if isinstance(payload, str):
            payload = payload.encode("latin-1")
        try:
            self.conn.sendall(b"$" + payload + b"#%02x" % checksum(payload))
        except OSError:
            pass

    def stop_reply(self, sig):
        return f"T{sig:02x}thread:p{self.pid:x}.{self.pid:x};"

    def packet(self, p):
        """Answer one packet; False to hang up."""
        self.log.append(p[:60])
        if p.startswith("qSupported"):
            self.send("PacketSize=1000;QStartNoAckMode+;multiprocess+;"
                      "qXfer:exec-file:read+;qXfer:auxv:read+")
        elif p == "QStartNoAckMode":
            self.send("OK")
        elif p == "vCont?":
            self.send("vCont;c;C;s;S")
        elif p == "?":
            self.send(self.stop_reply(5))
        elif p.startswith("qXfer:exec-file:read:"):
            self.send(b"l" + escape(self.exe.encode()))
        elif p.startswith("qXfer:auxv:read::"):
            off, length = (int(x, 16) for x in p.split("::")[1].split(","))
            auxv = struct.pack("<12Q", 3, BASE + 64, 4, 56, 5, self.phnum, 6, PAGE, 9,
                               self.entry, 0, 0)
            part = auxv[off:off + length]
            self.send((b"l" if off + length >= len(auxv) else b"m") + escape(part))
        elif p == "qfThreadInfo":
            self.send(f"mp{self.pid:x}.{self.pid:x}")
        elif p == "qsThreadInfo":
            self.send("l")
        elif p.startswith("H"):
            self.send("OK")
        elif p == "g":
            self.send(self.regs.hex())
        elif p.startswith("G"):
            self.regs[:] = bytes.fromhex(p[1:1 + 2 * G_LEN])
            self.send("OK")
        elif p.startswith("m"):
            addr, n = (int(x, 16) for x in p[1:].split(","))
            data = self.read(addr, n)
            if data is None:
                self.bad_reads += 1
                if self.bad_reads_then_close and self.bad_reads >= self.bad_reads_then_close:
                    return False  # the connection dies
                self.send("E01")
            else:
                self.send(data.hex())
        elif p.startswith("M"):
            head, hexdata = p[1:].split(":", 1)
            addr = int(head.split(",")[0], 16)
            self.send("OK" if self.write(addr, bytes.fromhex(hexdata)) else "E14")
        elif p.startswith("vCont;s"):
            self.step()
            self.send(self.stop_reply(5))
        elif p.startswith("vCont;c") or p.startswith("vCont;C"):
            self.running = True  # and it never stops by itself
        elif p.startswith("D"):
            self.send("OK")
        elif p == "k":
            return False
        else:
            self.send("")
        return True

    def close(self):
        self.sock.close()


def run(ctx):
    with tempfile.TemporaryDirectory() as tmp:
        loop = os.path.join(tmp, "loop")
        with open(loop, "wb") as f:
            f.write(elf64(LOOP))
        os.chmod(loop, 0o755)

        # A stub that ignores \x03 and reports a local bystander's PID.
        bystander = subprocess.Popen(["sleep", "600"])
        stub = FakeStub(loop, bystander.pid, elf64(LOOP))
        try:
            t0 = time.monotonic()
            proc = ctx.uptrace("--remote", f"127.0.0.1:{stub.port}", "--timeout", "1",
                               "loop", timeout=60)
            took = time.monotonic() - t0
            ctx.check("vCont;c" in stub.log,
                      f"uptrace got the program running through the fake stub "
                      f"(packets: {stub.log[-8:]})")
            ctx.check(stub.interrupts >= 1, f"uptrace sent \\x03 ({stub.interrupts})")
            alive = bystander.poll() is None
            ctx.check(alive, "the process whose PID the stub reported was not signalled "
                      f"(returncode {bystander.returncode})")
            ctx.check(proc.returncode not in (0, -9) and took < 30,
                      f"uptrace gave up with an error in {took:.1f}s: exit {proc.returncode}, "
                      f"{proc.stderr.strip()[-300:]!r}")
        finally:
            stub.close()
            bystander.kill()
            bystander.wait()

        # A PT_INTERP whose p_offset + p_filesz wraps around to a small number: the bounds
        # check added them (UBSan: pointer overflow; then a read before the file). A stub
        # that answers \x03: the run ends with a clean detach.
        image = elf64(LOOP, interp=(2**64 - 16, 32))
        wrapped = os.path.join(tmp, "wrapped")
        with open(wrapped, "wb") as f:
            f.write(image)
        os.chmod(wrapped, 0o755)
        bystander = subprocess.Popen(["sleep", "600"])
        stub = FakeStub(wrapped, bystander.pid, image, ignore_interrupt=False)
        try:
            proc = ctx.uptrace("--remote", f"127.0.0.1:{stub.port}", "--timeout", "1",
                               "--count", "loop", timeout=60)
            ctx.check_exit(proc, 0, "a PT_INTERP past the end of the file: a clean run")
            ctx.check(stub.log and stub.log[-1].startswith("D"),
                      f"it ended with a detach (last packets {stub.log[-3:]})")
            ctx.check(bystander.poll() is None, "PT_INTERP case: the bystander lives on")
        finally:
            stub.close()
            bystander.kill()
            bystander.wait()

        # A terabyte of executable segment, reads past the file refused, then a dead line.
        huge = os.path.join(tmp, "huge")
        image = elf64(SPIN, filesz=1 << 40)
        with open(huge, "wb") as f:
            f.write(image)
        os.chmod(huge, 0o755)
        for close_after, what in [(None, "every read past the file answered E01"),
                                  (50, "the connection closed after 50 bad reads")]:
            bystander = subprocess.Popen(["sleep", "600"])
            stub = FakeStub(huge, bystander.pid, image, bad_reads_then_close=close_after)
            try:
                t0 = time.monotonic()
                proc = ctx.uptrace("--remote", f"127.0.0.1:{stub.port}", "--timeout", "1",
                                   "loop", timeout=120)
                took = time.monotonic() - t0
                ctx.check(proc.returncode == 1 and took < 60,
                          f"a terabyte segment, {what}: uptrace gave up in {took:.1f}s "
                          f"after {stub.bad_reads} bad reads, exit {proc.returncode}: "
                          f"{proc.stderr.strip()[-300:]!r}")
                ctx.check(stub.bad_reads <= 8192,
                          f"{what}: the search read at most 8192 bad chunks "
                          f"({stub.bad_reads})")
                ctx.check(bystander.poll() is None, f"{what}: the bystander lives on")
            finally:
                stub.close()
                bystander.kill()
                bystander.wait()
