/* SPDX-License-Identifier: MIT */
/*
 * Installing and removing the in-process fallback (include/uptrace/fallback.h)
 * in the traced process, by remote system calls in a stopped thread:
 *
 *   memfd_create, ftruncate        the record's file, in the target
 *   open_fd (target op)            the tracer opens the same file and maps it
 *   mmap x2, close                 the target maps it: code r-x, data rw
 *   rt_sigaction(SIGTRAP)          our handler in, the program's own saved
 *
 * From then on the record is kept by plain stores (fallback_record.c) as
 * points are armed and return instances pushed. At detach the program's
 * own SIGTRAP disposition goes back and both mappings go away.
 *
 * A program that handles SIGTRAP itself keeps its handler: it gets no
 * fallback (said with -v). So does a target the tracer cannot share a
 * file with (a remote stub), and an arch this build has no handler for.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core_internal.h"

#define FB_SIZE (64ull << 20) /* sparse: only what the tables touch is memory */
#define FB_NAME "uptrace-fallback"

static int64_t fb_syscall(struct up_core *c, pid_t tid, long nr, uint64_t a0, uint64_t a1,
			  uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	const uint64_t args[6] = {a0, a1, a2, a3, a4, a5};

	return up_remote_syscall(c->t, tid, c->syscall_insn, nr, args);
}

/* Where the target sees a field of the record's data. */
static uint64_t fb_remote(struct up_core *c, size_t offset)
{
	return c->fb_addr + UP_FB_CODE_SIZE + offset;
}

static void fb_unmap_local(struct up_core *c)
{
	if (c->fb.base)
		munmap(c->fb.base, FB_SIZE);
	fb_record_release(&c->fb);
}

/* The target's file and mappings of a half-made install, and ours. */
static void fb_undo(struct up_core *c, pid_t tid, int64_t fd)
{
	if (c->fb_addr)
		fb_syscall(c, tid, c->arch->nr_munmap, c->fb_addr, FB_SIZE, 0, 0, 0, 0);
	if (fd >= 0)
		fb_syscall(c, tid, c->arch->nr_close, (uint64_t)fd, 0, 0, 0, 0, 0);
	c->fb_addr = 0;
	fb_unmap_local(c);
}

static void fb_note(struct up_core *c, const char *why)
{
	if (c->cfg.verbose)
		fprintf(stderr, "uptrace: no in-process fallback in process %d: %s\n",
			(int)c->t->pid, why);
}

int fallback_install(struct up_core *c, pid_t tid)
{
	const struct up_code_blob *blob = c->arch->fallback;
	int64_t fd = -1, r;
	int local_fd = -1, err;
	uint64_t name_at;
	void *local;

	if (c->fb_addr || !blob || !c->trampoline || !c->syscall_insn)
		return 0;
	/* the name is copied by the kernel at once: the next free slot holds it meanwhile */
	name_at = c->pages[0].addr + (uint64_t)c->pages[0].used * UP_XOL_SLOT_SIZE;
	if (c->pages[0].used >= XOL_SLOTS_PER_PAGE ||
	    c->t->ops->write(c->t, name_at, FB_NAME, sizeof(FB_NAME)))
		return 0;
	fd = fb_syscall(c, tid, c->arch->nr_memfd_create, name_at, 1 /* MFD_CLOEXEC */, 0, 0, 0, 0);
	if (fd < 0) {
		fb_note(c, "memfd_create failed");
		return 0;
	}
	r = fb_syscall(c, tid, c->arch->nr_ftruncate, (uint64_t)fd, FB_SIZE, 0, 0, 0, 0);
	err = r < 0 ? (int)r : c->t->ops->open_fd(c->t, (int)fd, &local_fd);
	if (err) {
		fb_note(c, err == -ENOTSUP ? "the target shares no files with uptrace"
					   : "its record cannot be shared");
		fb_undo(c, tid, fd);
		return 0;
	}
	local = mmap(NULL, FB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, local_fd, 0);
	close(local_fd);
	if (local == MAP_FAILED || fb_record_init(&c->fb, local, FB_SIZE, c->arch)) {
		if (local != MAP_FAILED)
			munmap(local, FB_SIZE);
		fb_undo(c, tid, fd);
		return 0;
	}
	r = fb_syscall(c, tid, c->arch->nr_mmap, 0, FB_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED,
		       (uint64_t)fd, 0);
	if (r < 0 || (r & (UP_FB_CODE_SIZE - 1))) {
		fb_undo(c, tid, fd);
		return 0;
	}
	c->fb_addr = (uint64_t)r;
	r = fb_syscall(c, tid, c->arch->nr_mmap, c->fb_addr + UP_FB_CODE_SIZE,
		       FB_SIZE - UP_FB_CODE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		       (uint64_t)fd, UP_FB_CODE_SIZE);
	if (r != (int64_t)(c->fb_addr + UP_FB_CODE_SIZE)) {
		fb_undo(c, tid, fd);
		return 0;
	}
	fb_syscall(c, tid, c->arch->nr_close, (uint64_t)fd, 0, 0, 0, 0, 0);
	fd = -1;

	c->fb.d->new_action[UP_FB_ACT_HANDLER] = c->fb_addr + blob->handler;
	c->fb.d->new_action[UP_FB_ACT_FLAGS] = c->arch->sigaction_flags;
	c->fb.d->new_action[UP_FB_ACT_RESTORER] = c->fb_addr + blob->restorer;
	c->fb.d->new_action[UP_FB_ACT_MASK] = 0;
	fb_record_set_trampoline(&c->fb, c->trampoline);
	/* points armed before the install (none today: it runs before the first arm) */
	for (unsigned i = 0; i < c->points_cap; i++) {
		struct up_point *pt = c->points[i];
		if (pt && pt->armed)
			fb_point_add(&c->fb, pt->addr, pt->insn.bytes, pt->bp_len);
	}
	r = fb_syscall(c, tid, c->arch->nr_rt_sigaction, SIGTRAP,
		       fb_remote(c, offsetof(struct up_fb_data, new_action)),
		       fb_remote(c, offsetof(struct up_fb_data, old_action)), 8, 0, 0);
	if (r < 0) {
		fb_note(c, "rt_sigaction failed");
		fb_undo(c, tid, -1);
		return 0;
	}
	if (c->fb.d->old_action[UP_FB_ACT_HANDLER] > 1) {
		/* the program's own handler: give it back, and go without */
		fb_syscall(c, tid, c->arch->nr_rt_sigaction, SIGTRAP,
			   fb_remote(c, offsetof(struct up_fb_data, old_action)), 0, 8, 0, 0);
		fb_note(c, "the program handles SIGTRAP itself");
		fb_undo(c, tid, -1);
		return 0;
	}
	return 0;
}

bool fallback_contains(struct up_core *c, uint64_t pc)
{
	return c->fb_addr && pc >= c->fb_addr && pc < c->fb_addr + UP_FB_CODE_SIZE;
}

/* Detach: the program's own SIGTRAP disposition back, both mappings gone. */
int fallback_uninstall(struct up_core *c, pid_t tid)
{
	int64_t r;
	int ret = 0;

	if (!c->fb_addr)
		return 0;
	r = fb_syscall(c, tid, c->arch->nr_rt_sigaction, SIGTRAP,
		       fb_remote(c, offsetof(struct up_fb_data, old_action)), 0, 8, 0, 0);
	if (r < 0)
		ret = (int)r;
	r = fb_syscall(c, tid, c->arch->nr_munmap, c->fb_addr, FB_SIZE, 0, 0, 0, 0);
	if (r < 0 && !ret)
		ret = (int)r;
	c->fb_addr = 0;
	fb_unmap_local(c);
	return ret;
}

/* exec: the image, the mappings and the handler (reset by the kernel) are gone already. */
void fallback_forget(struct up_core *c)
{
	c->fb_addr = 0;
	fb_unmap_local(c);
}
