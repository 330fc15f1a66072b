# SPDX-License-Identifier: MIT
"""A new user's first command, `scripts/demo`, on a machine without cmocka: it configures
and builds a build folder of its own (UPTRACE_BUILD_DIR) and runs the demo's commands, all
of which must succeed. cmocka is hidden from meson both ways it looks: pkg-config
(PKG_CONFIG_LIBDIR holds only the .pc files uptrace needs) and CMake (a `cmake` first on
PATH that cannot run). The case checks that it really is hidden, and that no test was built
in that folder."""

import os
import shutil
import subprocess
import tempfile

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def pc_closure(names):
    """The .pc files of names and of everything they require, privately too."""
    todo, seen, files = list(names), set(), []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        proc = subprocess.run(["pkg-config", "--variable=pcfiledir", name],
                              capture_output=True, text=True)
        if proc.returncode != 0 or not proc.stdout.strip():
            continue
        files.append(os.path.join(proc.stdout.strip(), name + ".pc"))
        for flag in ("--print-requires", "--print-requires-private"):
            out = subprocess.run(["pkg-config", flag, name], capture_output=True,
                                 text=True).stdout
            todo += [line.split()[0] for line in out.splitlines() if line.strip()]
    return files


def run(ctx):
    for tool in ("meson", "ninja", "pkg-config"):
        if not shutil.which(tool):
            ctx.skip(f"{tool} is not installed")
    with tempfile.TemporaryDirectory(prefix="uptrace-demo-") as tmp:
        pcdir = os.path.join(tmp, "pkgconfig")
        bindir = os.path.join(tmp, "bin")
        os.makedirs(pcdir)
        os.makedirs(bindir)
        for pc in pc_closure(["libelf", "libdw", "capstone"]):
            os.symlink(pc, os.path.join(pcdir, os.path.basename(pc)))
        cmake = os.path.join(bindir, "cmake")
        with open(cmake, "w") as f:
            f.write("#!/bin/sh\necho 'cmake: hidden by the demo_nocmocka test' >&2\nexit 1\n")
        os.chmod(cmake, 0o755)
        env = dict(os.environ, PKG_CONFIG_LIBDIR=pcdir,
                   PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
                   UPTRACE_BUILD_DIR=os.path.join(tmp, "build"))
        env.pop("PKG_CONFIG_PATH", None)

        # Hidden for real: pkg-config cannot find it, cmake cannot run.
        normal = subprocess.run(["pkg-config", "--exists", "cmocka"]).returncode == 0
        ctx.log(f"cmocka is {'' if normal else 'not '}installed on this machine")
        hidden = subprocess.run(["pkg-config", "--exists", "cmocka"], env=env).returncode
        ctx.check(hidden != 0, "pkg-config with the test's PKG_CONFIG_LIBDIR finds no cmocka")
        for need in ("libelf", "libdw", "capstone"):
            ctx.check(subprocess.run(["pkg-config", "--exists", need], env=env).returncode
                      == 0, f"pkg-config still finds {need}")
        ctx.check(subprocess.run(["cmake", "--version"], env=env, capture_output=True)
                  .returncode != 0, "cmake on the test's PATH cannot run")

        proc = ctx.run([os.path.join(SOURCE, "scripts", "demo")], timeout=1500, env=env)
        ctx.check_exit(proc, 0, "scripts/demo without cmocka")
        log = os.path.join(tmp, "build", "meson-logs", "meson-log.txt")
        text = open(log).read() if os.path.exists(log) else ""
        ctx.check("Run-time dependency cmocka found: NO" in text,
                  "meson looked for cmocka and did not find it")
        ctx.check(not os.path.exists(os.path.join(tmp, "build", "tests", "unit")),
                  "no unit tests were configured in the demo's build")
        out = proc.stdout + proc.stderr
        for want in ("count_word word=", "fib n=", "fib%return", "hash_word",
                     "libc.so.6:malloc", '"probe":"split_text%return"'):
            ctx.check(want in out, f"the demo's output shows {want!r}")
