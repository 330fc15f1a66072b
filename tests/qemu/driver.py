#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of foreign architectures under qemu-user (uptrace --qemu).

  driver.py CASE ARCH --uptrace PATH --fixtures SRCDIR --workdir DIR

Each arch's fixtures are built by tests/fixtures/ARCH/build.sh. Cases:

  fib     'fib n=$arg1' and 'fib%return r=$retval' with --json: 1973 entries whose n
          values are the multiset a recursive fib(15) makes, 1973 returns whose values
          are fib(n) of those calls, the program's own output, exit status 0.
  count   --count --json: exactly {"counts":{"fib":1973,"fib%return":1973}}.
  usdt    the USDT fixture's probes (tests/fixtures/x86_64/usdt.c) by provider:name with
          --json: every argument value the fixture's formulas give, the
          semaphore-guarded probe's code ran (the program says so), counts per key.
  insns   every instruction of the fixture's assembly functions probed at once
          (FUNC+OFF, --count --json): each count equals the number of times qemu itself
          executed that address, logged with -singlestep -d exec (an oracle that shares
          nothing with uptrace), and the program prints what it prints untraced.
  boundary  (riscv64) probes after a c.unimp that the function jumps over
          (fixtures/riscv64/boundary.S, no symbol or line-table row there): the
          instruction after it counts every call, one inside the next instruction
          is refused naming where instructions start, one past the end says so.
  orphan  (riscv64) the tracer killed with SIGKILL while the program sleeps with a
          breakpoint in it: qemu, and the program with it, must not run on.

  fp      floating-point arguments and results and structs by value before scalars
          (fp.c: a double, a float and an int; a float result; an integer pair in one
          register; a pair of doubles in two FP registers, then a double and a long): each
          value equals the one the fixture's source passes or computes, in JSON and as
          text (%.17g for a double, %.9g for a float, as gdb prints them).
  unwind  return probes on the functions of cunwind (the native fixture's C source):
          backtrace() and pthread_exit with cleanups through them, with libgcc_s linked
          and loaded later by glibc; the output is the untraced run's and the returns
          counted are those the program counted.

Exit 77 (skip) when the arch's cross compiler or qemu is missing.
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys

SKIP = 77

ARCHES = {
    'aarch64': {'qemu': 'qemu-aarch64', 'sysroot': '/usr/aarch64-linux-gnu', 'prefix': 'a64_',
                'objdump': ['aarch64-linux-gnu-objdump'], 'nm': 'aarch64-linux-gnu-nm'},
    'riscv64': {'qemu': 'qemu-riscv64', 'sysroot': '/usr/riscv64-linux-gnu', 'prefix': 'rv_',
                'objdump': ['riscv64-linux-gnu-objdump'], 'nm': 'riscv64-linux-gnu-nm'},
    'loongarch64': {'qemu': 'qemu-loongarch64', 'sysroot': None, 'prefix': 'la_',
                    'objdump': ['llvm-objdump-19', '--triple=loongarch64'], 'nm': 'llvm-nm-19'},
}


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def skip(msg):
    print('SKIP: ' + msg)
    sys.exit(SKIP)


def run(cmd, timeout=600, env=None):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, env=env)


def build_fixtures(args, arch):
    out = os.path.join(args.workdir, arch)
    script = os.path.join(args.fixtures, arch, 'build.sh')
    if not os.path.exists(script):
        skip('no fixtures for %s' % arch)
    r = run(['sh', script, out])
    if r.returncode == SKIP:
        skip(r.stderr.strip() or 'fixtures for %s cannot be built here' % arch)
    if r.returncode != 0:
        fail('building the %s fixtures: %s' % (arch, r.stderr))
    if not shutil.which(ARCHES[arch]['qemu']):
        skip('%s is not installed' % ARCHES[arch]['qemu'])
    return out


def qemu_cmd(arch):
    a = ARCHES[arch]
    cmd = [a['qemu']]
    if a['sysroot'] and os.path.isdir(a['sysroot']):
        cmd += ['-L', a['sysroot']]
    return cmd


def uptrace(args, probes, prog, extra=()):
    cmd = [args.uptrace, '--qemu', *extra, *probes, '--', prog]
    r = run(cmd)
    return cmd, r


def fib_calls(n, out):
    out.append(n)
    if n < 2:
        return n
    return fib_calls(n - 1, out) + fib_calls(n - 2, out)


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def json_lines(text):
    events = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('{'):
            events.append(json.loads(line))
    return events


def case_fib(args, arch, out):
    prog = os.path.join(out, 'fib')
    cmd, r = uptrace(args, ['fib n=$arg1', 'fib%return r=$retval'], prog, ['--json'])
    if r.returncode != 0:
        fail('%s exited %d: %s' % (' '.join(cmd), r.returncode, r.stderr[-2000:]))
    if 'fib(15)=610' not in r.stdout:
        fail('the program printed %r, not fib(15)=610' % r.stdout)
    events = json_lines(r.stderr)
    entries = [e for e in events if e.get('event') == 'entry']
    returns = [e for e in events if e.get('event') == 'return']
    want_n = []
    fib_calls(15, want_n)
    got_n = sorted(e['args']['n'] for e in entries)
    if got_n != sorted(want_n):
        fail('entry n values differ: %d events, want %d' % (len(got_n), len(want_n)))
    got_r = sorted(e['args']['r'] for e in returns)
    want_r = sorted(fib(n) for n in want_n)
    if got_r != want_r:
        fail('return values differ: %d events, first got %s want %s'
             % (len(got_r), got_r[:5], want_r[:5]))
    for e in returns:
        if not isinstance(e.get('duration_ns'), int) or e['probe'] != 'fib%return':
            fail('bad return event %r' % e)
    print('ok: %s fib: %d entries, %d returns with the right values'
          % (arch, len(entries), len(returns)))


def case_count(args, arch, out):
    prog = os.path.join(out, 'fib')
    cmd, r = uptrace(args, ['fib', 'fib%return'], prog, ['--count', '--json'])
    if r.returncode != 0:
        fail('%s exited %d: %s' % (' '.join(cmd), r.returncode, r.stderr[-2000:]))
    last = json_lines(r.stderr)[-1]
    if last != {'counts': {'fib': 1973, 'fib%return': 1973}}:
        fail('counts: %r' % last)
    print('ok: %s count: %r' % (arch, last))


def assembly_functions(arch, prog):
    """The fixture's insns.S functions: named with the arch's prefix, with a size."""
    a = ARCHES[arch]
    r = run([a['nm'], '-S', '--defined-only', prog])
    funcs = []
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in ('T', 't') and parts[3].startswith(a['prefix']):
            funcs.append((parts[3], int(parts[0], 16), int(parts[1], 16)))
    return funcs


def insn_offsets(arch, prog, start, size):
    """Start offsets of every instruction in [start, start+size), from the arch's objdump."""
    a = ARCHES[arch]
    r = run(a['objdump'] + ['-d', '--start-address=0x%x' % start,
                            '--stop-address=0x%x' % (start + size), prog])
    offs = []
    for line in r.stdout.splitlines():
        m = re.match(r'^\s*([0-9a-f]+):\s+[0-9a-f]', line)
        if m:
            addr = int(m.group(1), 16)
            if start <= addr < start + size:
                offs.append(addr - start)
    return sorted(set(offs))


def oracle_counts(arch, prog):
    """PC -> executions, from qemu's own one-instruction-per-block execution log."""
    log = os.path.join(os.path.dirname(prog), 'oracle.log')
    r = run(qemu_cmd(arch) + ['-singlestep', '-d', 'page,exec,nochain', '-D', log, prog])
    if r.returncode != 0:
        fail('oracle run exited %d' % r.returncode)
    counts = collections.Counter()
    start_code = None
    with open(log) as f:
        for line in f:
            if line.startswith('Trace '):
                m = re.search(r'\[[0-9a-f]+/([0-9a-f]+)/', line)
                if m:
                    counts[int(m.group(1), 16)] += 1
            elif start_code is None and line.startswith('start_code'):
                start_code = int(line.split()[1], 16)
    os.unlink(log)
    return counts, start_code, r.stdout


def first_exec_vaddr(prog):
    """The lowest executable PT_LOAD's address: qemu's start_code is where it landed."""
    r = run(['readelf', '-lW', prog])
    addrs = []
    for line in r.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == 'LOAD' and 'E' in parts[6:-1]:
            addrs.append(int(parts[2], 16))
    return min(addrs) if addrs else 0


def case_insns(args, arch, out):
    prog = os.path.join(out, 'insns')
    funcs = assembly_functions(arch, prog)
    if not funcs:
        fail('no assembly functions found in %s' % prog)
    counts, start_code, untraced_out = oracle_counts(arch, prog)
    if start_code is None:
        fail('qemu logged no start_code')
    bias = start_code - first_exec_vaddr(prog)
    probes, expected = [], {}
    seen = set()
    for name, start, size in funcs:
        for off in insn_offsets(arch, prog, start, size):
            if start + off in seen:
                continue  # a label inside another function: probe the address once
            seen.add(start + off)
            key = '%s+0x%x' % (name, off) if off else name
            probes.append(key)
            expected[key] = counts.get(bias + start + off, 0)
    cmd, r = uptrace(args, probes, prog, ['--count', '--json'])
    if r.returncode != 0:
        fail('%s exited %d: %s' % (' '.join(cmd[:6]) + ' ...', r.returncode, r.stderr[-3000:]))
    if r.stdout != untraced_out:
        fail('traced output %r differs from untraced %r' % (r.stdout, untraced_out))
    got = json_lines(r.stderr)[-1].get('counts', {})
    bad = [(k, got.get(k), v) for k, v in expected.items() if got.get(k) != v]
    if bad:
        for k, g, w in bad[:20]:
            print('  %s: uptrace %s, qemu executed %s' % (k, g, w))
        fail('%d of %d instruction counts differ' % (len(bad), len(expected)))
    hit = sum(1 for v in expected.values() if v)
    print('ok: %s insns: %d instructions probed (%d executed), every count equals qemu\'s'
          % (arch, len(expected), hit))


# What fp.c passes and returns (ROUNDS calls of each); float(3.0f) is 3.0 exactly.
FP_ROUNDS = 3
FP_WANT = {
    'scale': {'x': 0.1, 'f': 3.0, 'n': -2},
    'scale%return': {'retval': 0.1 * 3.0 * -2},
    'halve': {'f': 5.0},
    'halve%return': {'retval': 2.5},
    'after_small': {'s.a': 1, 's.b': 2, 'k': 5},
    'after_pt': {'p.x': 0.5, 'p.y': 0.25, 'z': 0.125, 'k': 3},
    'after_pt%return': {'retval': 3.875},
    # results not in one register: their members (no retval); a void function: nothing
    'make_small%return': {'ret.a': 5, 'ret.b': 10},
    'make_pt%return': {'ret.x': 1.5, 'ret.y': -1.5},
    'make_mix%return': {'ret.d': 1.5, 'ret.l': -3},
    'make_big%return': {'ret.a': 7, 'ret.b': 8, 'ret.c': 9},
    'touch%return': {},
}


def case_fp(args, arch, out):
    prog = os.path.join(out, 'fp')
    probes = ['scale x f n', 'scale%return', 'halve f', 'halve%return', 'after_small s.a s.b k',
              'after_pt p.x p.y z k', 'after_pt%return', 'make_small%return', 'make_pt%return',
              'make_mix%return', 'make_big%return', 'touch%return']
    cmd, r = uptrace(args, probes, prog, ['--json'])
    if r.returncode != 0:
        fail('%s exited %d: %s' % (' '.join(cmd), r.returncode, r.stderr[-2000:]))
    if r.stdout.strip() != 'fp ok':
        fail('the program printed %r, not "fp ok"' % r.stdout)
    got = collections.defaultdict(list)
    for e in json_lines(r.stderr):
        if e.get('event') == 'return':
            ret = dict(e.get('args', {}))
            if 'retval' in e:
                ret['retval'] = e['retval']
            got[e['probe']].append(ret)
        elif e.get('event') == 'entry':
            got[e['probe']].append(e.get('args'))
    for probe, want in FP_WANT.items():
        if got.get(probe) != [want] * FP_ROUNDS:
            fail('%s: got %r, want %d times %r' % (probe, got.get(probe), FP_ROUNDS, want))
    # As text: a double with 17 significant digits, a float with 9.
    cmd, r = uptrace(args, ['scale x f', 'halve%return'], prog)
    lines = [l for l in r.stderr.splitlines() if ' scale ' in l or ' halve%return ' in l]
    want_x = 'x=%.17g f=%.9g' % (0.1, 3.0)
    want_r = 'ret=%.9g' % 2.5
    if r.returncode != 0 or len(lines) != 2 * FP_ROUNDS or want_x not in lines[0] or \
            want_r not in lines[1]:
        fail('text output %r: want %r and %r' % (lines[:2], want_x, want_r))
    print('ok: %s fp: %d probes, every value the one fp.c passes or returns'
          % (arch, len(FP_WANT)))


USDT_LABELS = ['alpha', 'beta', 'gamma', 'delta']


def case_usdt(args, arch, out):
    prog = os.path.join(out, 'usdt')
    if not os.path.exists(prog):
        skip('no <sys/sdt.h> on this machine: the usdt fixture is not built')
    n = 10
    probes = ['usdt:fixture:item id=$arg1 w=$arg2 label=$arg3:string v=$arg4 i=$arg5',
              'usdt:fixture:guarded i=$arg1 d=$arg2:string', 'usdt:fixture:pair',
              'usdt:fixture:elem']
    cmd = [args.uptrace, '--qemu', '--json', *probes, '--', prog, str(n)]
    r = run(cmd)
    if r.returncode != 0:
        fail('%s exited %d: %s' % (' '.join(cmd), r.returncode, r.stderr[-2000:]))
    # the guarded probe's code runs only while its semaphore is raised: every iteration
    want_sum = sum(i * i - 7 + (i % 5) - 2 for i in range(n))
    if r.stdout.strip() != 'n=%d sum=%d guarded=%d' % (n, want_sum, n):
        fail('the program printed %r' % r.stdout)
    got = collections.defaultdict(list)
    for e in json_lines(r.stderr):
        if e.get('event') == 'entry':
            got[e['probe']].append(e['args'])
    want = {
        'usdt:fixture:item': [{'id': 1000 + i, 'w': i % 5 - 2, 'label': USDT_LABELS[i % 4],
                               'v': i * i - 7, 'i': i} for i in range(n)],
        'usdt:fixture:guarded': [{'i': i, 'd': 'step-%d' % i} for i in range(n)],
        'usdt:fixture:pair': [x for i in range(n) for x in
                              ({'arg1': 1, 'arg2': (1000 + i) * 3}, {'arg1': 2, 'arg2': -i})],
        'usdt:fixture:elem': [{'arg1': j, 'arg2': j * j - 7} for j in range(0, 64, 3)],
    }
    for key, events in want.items():
        if got.get(key) != events:
            fail('%s: got %r, want %r' % (key, got.get(key, [])[:4], events[:4]))
    print('ok: %s usdt: %s, every argument as the fixture computed it, the guarded code ran'
          % (arch, ', '.join('%s x%d' % (k, len(v)) for k, v in want.items())))


def case_unwind(args, arch, out):
    funcs = ['bt1', 'bt2', 'bt3', 'hold', 'tidy']
    for name in ('cunwind', 'cunwind_late'):
        prog = os.path.join(out, name)
        if not os.path.exists(prog):
            skip('no %s fixture for %s (it needs a libc)' % (name, arch))
        plain = run(qemu_cmd(arch) + [prog])
        m = re.search(r'^returns: (.*)$', plain.stdout, re.M)
        if plain.returncode != 0 or not m:
            fail('%s untraced exited %d: %r' % (name, plain.returncode, plain.stdout))
        want = {k + '%return': int(v) for k, v in (kv.split('=') for kv in m.group(1).split())}
        cmd, r = uptrace(args, [f + '%return' for f in funcs], prog, ['--count', '--json'])
        if r.returncode != 0 or r.stdout != plain.stdout:
            fail('%s exited %d, printed %r (untraced: %r): %s'
                 % (' '.join(cmd), r.returncode, r.stdout, plain.stdout, r.stderr[-2000:]))
        got = json_lines(r.stderr)[-1].get('counts', {})
        if got != want:
            fail('%s: returns counted %r, the program counted %r' % (name, got, want))
        print('ok: %s %s: output as untraced, returns %r' % (arch, name, got))


def case_boundary(args, arch, out):
    if arch != 'riscv64':
        skip('the boundary case is for riscv64 (c.unimp)')
    prog = os.path.join(out, 'boundary')
    funcs = {name: (start, size) for name, start, size in assembly_functions(arch, prog)}
    if 'rv_bnd' not in funcs:
        fail('no rv_bnd in %s' % prog)
    start, size = funcs['rv_bnd']
    # An independent decoder agrees with the source: instructions at +0x6 and +0xa, none at
    # +0x8; and nothing but a sweep can say so: no symbol there, no line-table row.
    offs = insn_offsets(arch, prog, start, size)
    if 6 not in offs or 10 not in offs or 8 in offs or size != 12:
        fail('objdump disagrees with boundary.S: offsets %s, size %d' % (offs, size))
    r = run([ARCHES[arch]['nm'], '--defined-only', prog])
    marked = [l for l in r.stdout.splitlines() if l.split()[0] in ('%016x' % (start + 6),)]
    if marked:
        fail('a symbol marks rv_bnd+0x6: %s' % marked)
    r = run(['readelf', '--debug-dump=decodedline', prog])
    if 'boundary.S' in r.stdout:
        fail('boundary.S has line-table rows: it must be assembled without -g')

    cmd, r = uptrace(args, ['rv_bnd+6', 'rv_bnd+0xa'], prog, ['--count', '--json'])
    if r.returncode != 0:
        fail('%s exited %d: %s' % (' '.join(cmd), r.returncode, r.stderr[-2000:]))
    if r.stdout != 'calls=1000 sum=42000\n':
        fail('the program printed %r' % r.stdout)
    last = json_lines(r.stderr)[-1]
    if last != {'counts': {'rv_bnd+0x6': 1000, 'rv_bnd+0xa': 1000}}:
        fail('counts after c.unimp: %r' % last)
    print('ok: %s boundary: rv_bnd+0x6 and +0xa, after c.unimp, count 1000 each' % arch)

    cmd, r = uptrace(args, ['rv_bnd+8'], prog, ['--count'])
    if r.returncode != 1 or '+0x6' not in r.stderr or '+0xa' not in r.stderr:
        fail('rv_bnd+8 (inside addi): exit %d, %r' % (r.returncode, r.stderr[-500:]))
    print('ok: %s boundary: rv_bnd+0x8 refused: %s' % (arch, r.stderr.strip().splitlines()[0]))

    cmd, r = uptrace(args, ['rv_bnd+0xc'], prog, ['--count'])
    if r.returncode != 1 or 'past the end' not in r.stderr or '0xc' not in r.stderr:
        fail('rv_bnd+0xc (past the end): exit %d, %r' % (r.returncode, r.stderr[-500:]))
    print('ok: %s boundary: rv_bnd+0xc refused: %s' % (arch, r.stderr.strip().splitlines()[0]))


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def case_orphan(args, arch, out):
    import signal
    import time
    if arch != 'riscv64':
        skip('the orphan case runs on riscv64')
    prog = os.path.join(out, 'boundary')
    up = subprocess.Popen([args.uptrace, '--qemu', 'rv_bnd', '--', prog, '30'],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          start_new_session=True)
    try:
        line = up.stdout.readline()
        if 'calls=1000' not in line:
            fail('the program did not run: %r' % line)
        tracers = children(up.pid)
        qemus = children(tracers[0]) if len(tracers) == 1 else []
        if len(qemus) != 1:
            fail('expected guardian -> tracer -> qemu, got %s -> %s' % (tracers, qemus))
        os.kill(tracers[0], signal.SIGKILL)
        deadline = time.monotonic() + 5
        while alive(qemus[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(qemus[0]):
            os.kill(qemus[0], signal.SIGKILL)
            fail('qemu (pid %d) runs on after its tracer was killed' % qemus[0])
        print('ok: %s orphan: qemu ended with the tracer that held it' % arch)
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
        up.wait()


CASES = {'fib': case_fib, 'count': case_count, 'insns': case_insns, 'fp': case_fp,
         'usdt': case_usdt, 'unwind': case_unwind, 'boundary': case_boundary,
         'orphan': case_orphan}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('case', choices=sorted(CASES))
    p.add_argument('arch', choices=sorted(ARCHES))
    p.add_argument('--uptrace', required=True)
    p.add_argument('--fixtures', required=True)
    p.add_argument('--workdir', required=True)
    args = p.parse_args()
    args.workdir = os.path.join(args.workdir, args.case)
    out = build_fixtures(args, args.arch)
    CASES[args.case](args, args.arch, out)


if __name__ == '__main__':
    main()
