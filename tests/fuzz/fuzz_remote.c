/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: a whole GDB remote session against a stub that says
 * whatever the input says. The input is everything the stub sends, written
 * at once into one end of a socket pair whose write side is then shut:
 * uptrace's end reads it reply after reply (src/target/remote/rsp.c), does
 * the handshake (connect.c) and then drives the target ops (gdb_remote.c,
 * unprotect.c): threads, auxv, memory, registers, a step, a stop, a write
 * to text, a detach. When the input runs out every read ends at once, so
 * no run waits for a timeout.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "uptrace/arch.h"
#include "remote.h"

static void session(struct up_remote *r)
{
	struct up_target *t = &r->t;
	struct up_regs regs;
	struct up_stop stop;
	uint8_t buf[600], auxv[2048];
	pid_t tids[16];
	int n;

	n = t->ops->threads(t, tids, 16);
	if (n < 0 || n > 16)
		n = 0;
	t->ops->auxv(t, auxv, sizeof(auxv));
	t->ops->read(t, 0x400000, buf, sizeof(buf));
	if (t->ops->get_regs(t, r->last_tid, &regs) == 0) {
		regs.r[t->arch->pc_reg] += 4;
		t->ops->set_regs(t, r->last_tid, &regs);
	}
	/* text qemu refuses to write goes through a remote mprotect */
	memset(buf, 0xcc, 16);
	t->ops->write(t, 0x401000, buf, 16);
	if (t->ops->step(t, n ? tids[0] : r->last_tid) == 0)
		t->ops->wait(t, &stop, 0);
	if (t->ops->resume_all(t) == 0) {
		t->ops->wait(t, &stop, 0);
		t->ops->stop_all(t);
	}
	t->ops->detach(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const arches[] = {"x86_64", "aarch64", "riscv64", "loongarch64"};
	struct up_remote *r;
	int sv[2];

	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	r = up_remote_new();
	if (!r) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	/* the fd is r's from now on: destroy closes it */
	if (up_remote_open(r, sv[0]) == 0) {
		/* as connect.c would find it: here from the input's length */
		r->t.arch = up_arch_by_name(arches[size % 4]);
		if (r->t.arch)
			session(r);
	}
	r->t.ops->destroy(&r->t);
	close(sv[1]);
	return 0;
}
