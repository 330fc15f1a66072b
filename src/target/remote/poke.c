/* SPDX-License-Identifier: MIT */
/*
 * Writing text with the program's own store instructions (qemu-user 7.2).
 *
 * The stub's M refuses a page qemu has translated code from, until the
 * program mprotects it writable (unprotect.c). But that mprotect also
 * drops the page's translations, and qemu-user stops only the thread that
 * reported: any other thread running code in that page translates it
 * again at once and qemu write-protects it again, before our M arrives.
 * A thread spinning beside a probed function makes M fail after a fresh
 * mprotect about one time in four, and dozens of times in a row at worst.
 *
 * A store made by the program does not race: qemu catches the host's
 * fault, unprotects the page and drops its translations under its own
 * lock, and runs the store again. So the bytes go in through a store run
 * in the stopped thread: a page of our own holds one store per width (the
 * arch's store_insn), written once before anything runs it; each piece
 * sets the address and value registers, steps that store, and puts every
 * register back. The page lives until the detach.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "uptrace/arch.h"
#include "remote.h"

#define POKE_PAGE_SIZE 4096
#define POKE_STRIDE 8 /* bytes from one store to the next in the page */
/* Steps of one store that end elsewhere (another signal first) before we give up. */
#define POKE_STEP_TRIES 4

static int map_poke_page(struct up_remote *r)
{
	const struct up_arch *a = r->t.arch;
	uint64_t insn, args[6] = {0,
				  POKE_PAGE_SIZE,
				  PROT_READ | PROT_WRITE | PROT_EXEC,
				  MAP_PRIVATE | MAP_ANONYMOUS,
				  (uint64_t)-1,
				  0};
	uint8_t code[4 * POKE_STRIDE] = {0};
	int64_t at;
	int err;

	if (r->poke_page)
		return 0;
	if (a->nr_mmap <= 0)
		return -ENOTSUP;
	err = up_remote_syscall_outside(r, 0, 0, &insn);
	if (err)
		return err;
	at = up_remote_syscall(&r->t, r->last_tid, insn, a->nr_mmap, args);
	if (at < 0)
		return (int)at; /* our error, or mmap's -errno */
	for (unsigned i = 0; i < 4; i++)
		memcpy(code + i * POKE_STRIDE, a->store_insn[i], a->store_len);
	/* a fresh page nothing has run: the stub writes it */
	err = up_remote_write_m(r, (uint64_t)at, code, sizeof(code));
	if (err) {
		uint64_t unmap[6] = {(uint64_t)at, POKE_PAGE_SIZE};

		up_remote_syscall(&r->t, r->last_tid, insn, a->nr_munmap, unmap);
		return err;
	}
	r->poke_page = (uint64_t)at;
	return 0;
}

/*
 * Step the store of 1 << order bytes in tid with the address and the value
 * set; every register back after. -EACCES when the store faulted.
 */
static int run_store(struct up_remote *r, pid_t tid, unsigned order, uint64_t addr, uint64_t value)
{
	struct up_target *t = &r->t;
	const struct up_arch *a = t->arch;
	uint64_t at = r->poke_page + order * POKE_STRIDE;
	struct up_regs saved, regs;
	struct up_stop stop = {0};
	int err, restore;

	err = t->ops->get_regs(t, tid, &saved);
	if (err)
		return err;
	for (int tries = 0; tries < POKE_STEP_TRIES; tries++) {
		regs = saved;
		regs.r[a->syscall_arg_regs[0]] = addr;
		regs.r[a->syscall_arg_regs[1]] = value;
		regs.r[a->pc_reg] = at;
		err = t->ops->set_regs(t, tid, &regs);
		if (!err)
			err = t->ops->step(t, tid);
		/* others' traps and signals stay queued (remote_wait) */
		while (!err) {
			err = t->ops->wait(t, &stop, -1);
			if (err)
				break;
			if (stop.kind == UP_STOP_EXITED || stop.kind == UP_STOP_KILLED)
				return -ESRCH; /* nothing left to restore */
			if (stop.tid == tid && stop.kind != UP_STOP_EINTR)
				break;
		}
		if (!err)
			err = t->ops->get_regs(t, tid, &regs);
		if (err)
			break;
		if (stop.kind == UP_STOP_TRAP && regs.r[a->pc_reg] == at + a->store_len)
			break; /* stored */
		/* a trap too where the arch's breakpoint faults (x86_64's hlt) */
		if ((stop.kind == UP_STOP_SIGNAL || stop.kind == UP_STOP_TRAP) &&
		    regs.r[a->pc_reg] == at && (stop.sig == SIGSEGV || stop.sig == SIGBUS)) {
			err = -EACCES; /* not writable to the program: not delivered */
			break;
		}
		/* another signal came first: the program gets it when the thread runs on */
		if (stop.kind == UP_STOP_SIGNAL)
			up_remote_queue_stop(r, &stop);
		err = -EAGAIN;
	}
	restore = t->ops->set_regs(t, tid, &saved);
	return err ? err : restore;
}

/*
 * One store per write of 1, 2, 4 or 8 bytes, aligned or not, so an
 * instruction changes at once; longer writes in naturally aligned pieces.
 */
static unsigned store_order(uint64_t addr, size_t len, bool whole)
{
	if (whole && (len == 1 || len == 2 || len == 4 || len == 8))
		return len == 8 ? 3 : len == 4 ? 2 : len == 2 ? 1 : 0;
	for (unsigned order = 3; order > 0; order--)
		if (len >= (1u << order) && addr % (1u << order) == 0)
			return order;
	return 0;
}

int up_remote_poke(struct up_remote *r, uint64_t addr, const void *buf, size_t len)
{
	const struct up_arch *a = r->t.arch;
	const uint8_t *in = buf;
	bool whole = true;
	int err;

	if (!a || !a->store_len || a->pc_reg < 0 || a->syscall_arg_regs[0] < 0 ||
	    a->syscall_arg_regs[1] < 0)
		return -ENOTSUP;
	if (r->running)
		return -EBUSY;
	if (r->gone)
		return -ESRCH;
	if (r->last_tid <= 0 || r->poke_none)
		return -ENOTSUP;
	err = map_poke_page(r);
	if (err == -ESRCH)
		return err;
	if (err) {
		r->poke_none = true; /* no page of stores in this program: M only */
		return -ENOTSUP;
	}
	while (len) {
		unsigned order = store_order(addr, len, whole), size = 1u << order;
		uint64_t value = 0;

		for (unsigned b = 0; b < size; b++)
			value |= (uint64_t)in[b] << (8 * b);
		err = run_store(r, r->last_tid, order, addr, value);
		if (err)
			return err;
		whole = false;
		addr += size;
		in += size;
		len -= size;
	}
	return 0;
}

void up_remote_poke_release(struct up_remote *r)
{
	uint64_t insn, args[6] = {r->poke_page, POKE_PAGE_SIZE};

	if (!r->poke_page || r->running || r->gone || r->last_tid <= 0 ||
	    r->t.arch->nr_munmap <= 0 || up_remote_syscall_outside(r, 0, 0, &insn))
		return;
	up_remote_syscall(&r->t, r->last_tid, insn, r->t.arch->nr_munmap, args);
	r->poke_page = 0;
}
