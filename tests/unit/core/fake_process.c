/* SPDX-License-Identifier: MIT */
/*
 * fake_process.h: the fake target's ops and the toy architecture. When the
 * queue of scripted stops is empty, wait() asks the core to stop as a
 * signal to the tracer would (up_core_stop_requested), so up_core_run
 * returns UP_END_DETACH once it has handled every stop the test queued.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake_process.h"
#include "uptrace/core.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE 0x1000ull
#define NR_MMAP 9
#define NR_MPROTECT 10
#define NR_MUNMAP 11

static struct fake *F(struct up_target *t)
{
	return (struct fake *)t;
}

static bool in_mem(uint64_t a, uint64_t n)
{
	return a >= FK_BASE && n <= FK_SIZE && a - FK_BASE <= FK_SIZE - n;
}

uint8_t *fk_mem(struct fake *f, uint64_t addr)
{
	return f->mem + (addr - FK_BASE);
}

uint64_t fk_u64(struct fake *f, uint64_t addr)
{
	uint64_t v;

	memcpy(&v, fk_mem(f, addr), 8);
	return v;
}

void fk_set_u64(struct fake *f, uint64_t addr, uint64_t v)
{
	memcpy(fk_mem(f, addr), &v, 8);
}

bool fk_mapped(const struct fake *f, uint64_t addr)
{
	for (int i = 0; i < f->nmaps; i++)
		if (addr >= f->maps[i].start && addr < f->maps[i].end)
			return true;
	return false;
}

static bool overlaps(const struct fake *f, uint64_t start, uint64_t end)
{
	for (int i = 0; i < f->nmaps; i++)
		if (start < f->maps[i].end && f->maps[i].start < end)
			return true;
	return false;
}

void fk_map(struct fake *f, uint64_t start, uint64_t end, bool w, bool x, const char *path,
	    uint8_t fill)
{
	int i = f->nmaps;

	if (f->nmaps == FK_MAX_MAPS || !in_mem(start, end - start))
		abort(); /* the test's own layout is wrong */
	while (i > 0 && f->maps[i - 1].start > start) {
		f->maps[i] = f->maps[i - 1];
		i--;
	}
	memset(&f->maps[i], 0, sizeof(f->maps[i]));
	f->maps[i].start = start;
	f->maps[i].end = end;
	f->maps[i].r = true;
	f->maps[i].w = w;
	f->maps[i].x = x;
	strncpy(f->maps[i].path, path, sizeof(f->maps[i].path) - 1);
	f->nmaps++;
	memset(fk_mem(f, start), fill, end - start);
}

static int unmap(struct fake *f, uint64_t start)
{
	for (int i = 0; i < f->nmaps; i++)
		if (f->maps[i].start == start) {
			memmove(&f->maps[i], &f->maps[i + 1],
				(f->nmaps - i - 1) * sizeof(f->maps[0]));
			f->nmaps--;
			return 0;
		}
	return -EINVAL;
}

unsigned fk_writes_at(const struct fake *f, uint64_t addr)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->nwrites; i++)
		if (addr >= f->writes[i].addr && addr - f->writes[i].addr < f->writes[i].len)
			n++;
	return n;
}

void fk_queue(struct fake *f, struct up_stop st)
{
	if (f->nqueue == f->queue_cap) {
		unsigned cap = f->queue_cap ? f->queue_cap * 2 : 64;
		struct fk_stop *n = realloc(f->queue, cap * sizeof(*n));

		if (!n)
			abort();
		f->queue = n;
		f->queue_cap = cap;
	}
	f->queue[f->nqueue++] = (struct fk_stop){.st = st};
}

void fk_trap(struct fake *f, pid_t tid, uint64_t addr)
{
	fk_queue(f, (struct up_stop){.kind = UP_STOP_TRAP, .tid = tid, .sig = SIGTRAP});
	f->queue[f->nqueue - 1].set_pc = true;
	f->queue[f->nqueue - 1].pc = addr + fk_toy.bp_pc_adjust;
}

uint64_t fk_first_page(const struct fake *f)
{
	for (unsigned i = 0; i < f->ncalls; i++)
		if (f->calls[i].nr == NR_MMAP && f->calls[i].ret > 0)
			return (uint64_t)f->calls[i].ret;
	return 0;
}

static int fk_read(struct up_target *t, uint64_t a, void *b, size_t n)
{
	if (!in_mem(a, n))
		return -EFAULT;
	memcpy(b, fk_mem(F(t), a), n);
	return 0;
}

static int fk_write(struct up_target *t, uint64_t a, const void *b, size_t n)
{
	struct fake *f = F(t);

	if (!in_mem(a, n))
		return -EFAULT;
	memcpy(fk_mem(f, a), b, n);
	if (f->nwrites < FK_MAX_WRITES) {
		f->writes[f->nwrites].addr = a;
		f->writes[f->nwrites].len = n;
		f->nwrites++;
	}
	return 0;
}

static bool known_tid(pid_t tid)
{
	return tid > 0 && tid < FK_MAX_TID;
}

static int fk_get(struct up_target *t, pid_t tid, struct up_regs *r)
{
	if (!known_tid(tid))
		return -ESRCH;
	*r = F(t)->regs[tid];
	return 0;
}

static int fk_set(struct up_target *t, pid_t tid, const struct up_regs *r)
{
	if (!known_tid(tid))
		return -ESRCH;
	F(t)->regs[tid] = *r;
	return 0;
}

static int fk_resume(struct up_target *t, pid_t tid, int sig)
{
	if (!known_tid(tid))
		return -ESRCH;
	F(t)->resumes[tid]++;
	F(t)->last_sig[tid] = sig;
	return 0;
}

static int64_t fk_mmap(struct fake *f, const uint64_t *a)
{
	uint64_t len = (a[1] + PAGE - 1) & ~(PAGE - 1), at = a[0] & ~(PAGE - 1);
	int prot = (int)a[2];

	if (!len || !(a[3] & MAP_ANONYMOUS))
		return -EINVAL;
	if (a[3] & MAP_FIXED_NOREPLACE) {
		if (!in_mem(at, len) || overlaps(f, at, at + len))
			return -EEXIST;
	} else {
		/* a hint: the first free place at or after it */
		if (!in_mem(at, len))
			at = FK_BASE;
		while (in_mem(at, len) && overlaps(f, at, at + len))
			at += PAGE;
		if (!in_mem(at, len))
			return -ENOMEM;
	}
	fk_map(f, at, at + len, prot & PROT_WRITE, prot & PROT_EXEC, "", 0);
	return (int64_t)at;
}

/* One system call, as the kernel would run it on the fake's address space. */
static int64_t fk_syscall(struct fake *f, long nr, const uint64_t *a)
{
	switch (nr) {
	case NR_MMAP:
		return fk_mmap(f, a);
	case NR_MUNMAP:
		return unmap(f, a[0]);
	case NR_MPROTECT:
		return 0;
	default:
		return -ENOSYS;
	}
}

/* One instruction of tid: a syscall runs, a breakpoint traps after itself, the rest is one byte. */
static int fk_step(struct up_target *t, pid_t tid)
{
	struct fake *f = F(t);
	struct up_regs *r;
	uint64_t pc;

	if (!known_tid(tid))
		return -ESRCH;
	r = &f->regs[tid];
	pc = r->r[PC];
	if (in_mem(pc, 2) && fk_mem(f, pc)[0] == 0x0f && fk_mem(f, pc)[1] == 0x05) {
		struct fk_call call = {.nr = (long)r->r[NR], .pc = pc};
		const int regs[6] = {R0, R3, R4, R5, R6, R7};

		for (int i = 0; i < 6; i++)
			call.args[i] = r->r[regs[i]];
		call.ret = fk_syscall(f, call.nr, call.args);
		if (f->ncalls < FK_MAX_CALLS)
			f->calls[f->ncalls++] = call;
		r->r[R0] = (uint64_t)call.ret;
		r->r[PC] = pc + 2;
	} else {
		r->r[PC] = pc + 1;
	}
	f->stepped = tid;
	return 0;
}

static int fk_wait(struct up_target *t, struct up_stop *st, int timeout_ms)
{
	struct fake *f = F(t);

	memset(st, 0, sizeof(*st));
	if (f->stepped) {
		st->kind = UP_STOP_TRAP;
		st->tid = f->stepped;
		st->sig = SIGTRAP;
		st->stepped = true;
		f->stepped = 0;
		return 0;
	}
	if (f->queue_at < f->nqueue) {
		struct fk_stop *q = &f->queue[f->queue_at++];

		if (q->set_pc)
			f->regs[q->st.tid].r[PC] = q->pc;
		if (q->st.kind == UP_STOP_THREAD_NEW && known_tid(q->st.tid))
			f->live[q->st.tid] = true;
		if (q->st.kind == UP_STOP_THREAD_EXIT && known_tid(q->st.tid))
			f->live[q->st.tid] = false;
		*st = q->st;
		return 0;
	}
	f->nqueue = f->queue_at = 0;
	up_core_stop_requested = 1; /* the script is done: up_core_run returns */
	st->kind = UP_STOP_TIMEOUT;
	return 0;
}

static int fk_nothing(struct up_target *t)
{
	return 0;
}

static int fk_detach(struct up_target *t)
{
	F(t)->detached = true;
	return 0;
}

static int fk_threads(struct up_target *t, pid_t *tids, int max)
{
	int n = 0;

	for (pid_t tid = 1; tid < FK_MAX_TID; tid++)
		if (F(t)->live[tid]) {
			if (n < max)
				tids[n] = tid;
			n++;
		}
	return n < max ? n : max;
}

static int fk_mappings(struct up_target *t, struct up_mapping *m, int max)
{
	int n = F(t)->nmaps < max ? F(t)->nmaps : max;

	memcpy(m, F(t)->maps, (size_t)n * sizeof(*m));
	return n;
}

static const struct up_target_ops fake_ops = {
    .read = fk_read,
    .write = fk_write,
    .get_regs = fk_get,
    .set_regs = fk_set,
    .resume = fk_resume,
    .step = fk_step,
    .wait = fk_wait,
    .stop_all = fk_nothing,
    .resume_all = fk_nothing,
    .threads = fk_threads,
    .mappings = fk_mappings,
    .detach = fk_detach,
};

struct fake *fk_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	up_target_init(&f->t, &fake_ops);
	f->t.arch = &fk_toy;
	f->t.pid = 1;
	f->live[1] = true;
	return f;
}

void fk_free(struct fake *f)
{
	if (f)
		free(f->queue);
	free(f);
}

/* The toy architecture. */

static int toy_decode(const struct up_arch *a, struct up_insn *in, uint64_t addr, const uint8_t *b,
		      size_t avail)
{
	memset(in, 0, sizeof(*in));
	in->addr = addr;
	in->len = 1;
	in->bytes[0] = b[0];
	switch (b[0]) {
	case 0x90:
		in->action = UP_INSN_SIMULATE;
		strcpy(in->text, "nop");
		break;
	case 0xc3:
		in->action = UP_INSN_SIMULATE;
		strcpy(in->text, "ret");
		break;
	case 0x50:
		in->action = UP_INSN_XOL;
		strcpy(in->text, "push");
		break;
	default:
		in->action = UP_INSN_REFUSE;
		strcpy(in->text, "hlt");
		strcpy(in->why, "halts the machine");
		break;
	}
	return 0;
}

static unsigned toy_insn_length(const struct up_arch *a, const uint8_t *bytes, size_t avail)
{
	return avail ? 1 : 0;
}

static int toy_simulate(const struct up_arch *a, const struct up_insn *in, struct up_regs *r,
			const struct up_mem *m)
{
	if (in->bytes[0] == 0xc3) {
		uint64_t ret;
		int err = m->read(m->ctx, r->r[SP], &ret, 8);

		if (err)
			return err;
		r->r[SP] += 8;
		r->r[PC] = ret;
		return 0;
	}
	r->r[PC] = in->addr + in->len;
	return 0;
}

static int toy_xol_build(const struct up_arch *a, const struct up_insn *in, uint64_t slot,
			 struct up_xol *x)
{
	x->code[0] = in->bytes[0];
	x->code[1] = FK_BP;
	x->len = 2;
	x->exit = UP_XOL_EXIT_TRAP;
	x->trap_offset = 1;
	return 0;
}

static void toy_xol_enter(const struct up_arch *a, const struct up_insn *in, const struct up_xol *x,
			  uint64_t slot, struct up_regs *r, struct up_xol_state *s)
{
	r->r[PC] = slot;
}

static int toy_xol_leave(const struct up_arch *a, const struct up_insn *in, const struct up_xol *x,
			 uint64_t slot, struct up_regs *r, const struct up_mem *m,
			 const struct up_xol_state *s)
{
	r->r[PC] = in->addr + in->len;
	return 0;
}

static int toy_ra_get(const struct up_arch *a, const struct up_regs *r, const struct up_mem *m,
		      uint64_t *ret)
{
	return m->read(m->ctx, r->r[SP], ret, 8);
}

static int toy_ra_set(const struct up_arch *a, struct up_regs *r, const struct up_mem *m,
		      uint64_t ret)
{
	return m->write(m->ctx, r->r[SP], &ret, 8);
}

static unsigned toy_bp(const struct up_arch *a, uint32_t e_flags, uint8_t out[4])
{
	out[0] = FK_BP;
	return 1;
}

const struct up_arch fk_toy = {
    .name = "toy",
    .user_top = 0x7ffffffff000ull,
    .bp = {FK_BP},
    .bp_len = 1,
    .bp_pc_adjust = 1,
    .bp_signal = SIGTRAP,
    .insn_align = 1,
    .max_insn_len = 1,
    .nregs = TOY_NREGS,
    .pc_reg = PC,
    .sp_reg = SP,
    .ra_reg = -1,
    .retval_reg = R0,
    .retval2_reg = -1,
    .result_addr_reg = -1,
    .arg_regs = {R0, R3},
    .n_arg_regs = 2,
    .stack_arg_offset = 8,
    .fp_reg = -1,
    .syscall_insn = {0x0f, 0x05},
    .syscall_len = 2,
    .syscall_nr_reg = NR,
    .syscall_arg_regs = {R0, R3, R4, R5, R6, R7},
    .syscall_ret_reg = R0,
    .syscall_restart_reg = -1,
    .nr_mmap = NR_MMAP,
    .nr_mprotect = NR_MPROTECT,
    .nr_munmap = NR_MUNMAP,
    .breakpoint = toy_bp,
    .decode = toy_decode,
    .simulate = toy_simulate,
    .xol_build = toy_xol_build,
    .xol_enter = toy_xol_enter,
    .xol_leave = toy_xol_leave,
    .return_address_get = toy_ra_get,
    .return_address_set = toy_ra_set,
    .insn_length = toy_insn_length,
    .fp_retval_reg = -1,
    .gdb_fp_regnum = -1,
    .gdb_x87_regnum = -1,
};
