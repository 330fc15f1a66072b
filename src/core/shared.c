/* SPDX-License-Identifier: MIT */
/*
 * Memory shared by the tracer and the target: a memfd the target creates
 * by remote system calls, which the tracer opens through the target
 * (up_target_ops.open_fd) and maps too. What either side stores, the
 * other sees at once: no ptrace call, no system call. The in-process
 * fallback's record lives in one (fallback.c); the trap-free path's
 * counters and ring can live in another.
 *
 *   memfd_create, ftruncate        the file, in the target (name from a free XOL slot)
 *   open_fd, mmap                  the tracer's rw view
 *   mmap (x2), close               the target's view: the first exec_bytes r-x, the rest rw
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core_internal.h"

static int64_t shared_syscall(struct up_core *c, pid_t tid, long nr, uint64_t a0, uint64_t a1,
			      uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	const uint64_t args[6] = {a0, a1, a2, a3, a4, a5};

	return up_remote_syscall(c->t, tid, c->syscall_insn, nr, args);
}

/* The target's view: exec_bytes r-x (may be 0), the rest rw, contiguous. */
static int64_t map_remote(struct up_core *c, pid_t tid, int64_t fd, size_t size, size_t exec_bytes)
{
	int64_t at, r;

	if (exec_bytes == 0)
		return shared_syscall(c, tid, c->arch->nr_mmap, 0, size, PROT_READ | PROT_WRITE,
				      MAP_SHARED, (uint64_t)fd, 0);
	at = shared_syscall(c, tid, c->arch->nr_mmap, 0, size, PROT_READ | PROT_EXEC, MAP_SHARED,
			    (uint64_t)fd, 0);
	if (at < 0 || exec_bytes == size)
		return at;
	r = shared_syscall(c, tid, c->arch->nr_mmap, (uint64_t)at + exec_bytes, size - exec_bytes,
			   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, (uint64_t)fd,
			   exec_bytes);
	if (r != (int64_t)((uint64_t)at + exec_bytes)) {
		shared_syscall(c, tid, c->arch->nr_munmap, (uint64_t)at, size, 0, 0, 0, 0);
		return r < 0 ? r : -EFAULT;
	}
	return at;
}

int shared_map(struct up_core *c, pid_t tid, const char *name, size_t size, size_t exec_bytes,
	       struct core_shared *out)
{
	size_t name_len = strlen(name) + 1;
	int64_t fd, r;
	uint64_t name_at;
	int local_fd = -1, err;
	void *local;

	memset(out, 0, sizeof(*out));
	if (!c->npages || !c->syscall_insn || name_len > UP_XOL_SLOT_SIZE)
		return -ENOTSUP;
	/* the kernel copies the name at once: the next free XOL slot holds it meanwhile */
	if (c->pages[0].used >= XOL_SLOTS_PER_PAGE)
		return -ENOSPC;
	name_at = c->pages[0].addr + (uint64_t)c->pages[0].used * UP_XOL_SLOT_SIZE;
	err = c->t->ops->write(c->t, name_at, name, name_len);
	if (err)
		return err;
	fd = shared_syscall(c, tid, c->arch->nr_memfd_create, name_at, 1 /* MFD_CLOEXEC */, 0, 0, 0,
			    0);
	if (fd < 0)
		return (int)fd;
	r = shared_syscall(c, tid, c->arch->nr_ftruncate, (uint64_t)fd, size, 0, 0, 0, 0);
	err = r < 0 ? (int)r : c->t->ops->open_fd(c->t, (int)fd, &local_fd);
	if (err)
		goto close_remote;
	local = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, local_fd, 0);
	if (local == MAP_FAILED) {
		err = -errno;
		close(local_fd);
		goto close_remote;
	}
	r = map_remote(c, tid, fd, size, exec_bytes);
	if (r < 0) {
		err = (int)r;
		munmap(local, size);
		close(local_fd);
		goto close_remote;
	}
	shared_syscall(c, tid, c->arch->nr_close, (uint64_t)fd, 0, 0, 0, 0, 0);
	out->local = local;
	out->local_fd = local_fd;
	out->remote = (uint64_t)r;
	out->size = size;
	return 0;

close_remote:
	shared_syscall(c, tid, c->arch->nr_close, (uint64_t)fd, 0, 0, 0, 0, 0);
	return err;
}

int shared_unmap(struct up_core *c, pid_t tid, struct core_shared *s)
{
	int64_t r = 0;

	if (s->remote)
		r = shared_syscall(c, tid, c->arch->nr_munmap, s->remote, s->size, 0, 0, 0, 0);
	shared_forget(s);
	return r < 0 ? (int)r : 0;
}

void shared_forget(struct core_shared *s)
{
	if (s->local)
		munmap(s->local, s->size);
	if (s->local)
		close(s->local_fd);
	memset(s, 0, sizeof(*s));
}
