/* SPDX-License-Identifier: MIT */
/*
 * The one way a target is made whole (target.h): a backend's ops table
 * names what the backend does, and up_target_init fills in the rest, so
 * core and sym call every op without testing it for NULL. A default either
 * says the target cannot (-ENOTSUP, which callers already handle as "not
 * here") or does the generic thing over the ops that are there.
 */
#include <errno.h>
#include <string.h>

#include "uptrace/target.h"

static int no_read(struct up_target *t, uint64_t addr, void *buf, size_t len)
{
	return -ENOTSUP;
}

static int no_write(struct up_target *t, uint64_t addr, const void *buf, size_t len)
{
	return -ENOTSUP;
}

static int no_get_regs(struct up_target *t, pid_t tid, struct up_regs *regs)
{
	return -ENOTSUP;
}

static int no_set_regs(struct up_target *t, pid_t tid, const struct up_regs *regs)
{
	return -ENOTSUP;
}

static int no_resume(struct up_target *t, pid_t tid, int sig)
{
	return -ENOTSUP;
}

static int no_tid(struct up_target *t, pid_t tid)
{
	return -ENOTSUP;
}

static int no_wait(struct up_target *t, struct up_stop *stop, int timeout_ms)
{
	return -ENOTSUP;
}

static int no_all(struct up_target *t)
{
	return -ENOTSUP;
}

static int no_auxv(struct up_target *t, void *buf, size_t len)
{
	return -ENOTSUP;
}

static int no_threads(struct up_target *t, pid_t *tids, int max)
{
	return -ENOTSUP;
}

static int no_mappings(struct up_target *t, struct up_mapping *maps, int max)
{
	return -ENOTSUP;
}

static int no_thread_name(struct up_target *t, pid_t tid, char *buf, size_t len)
{
	return -ENOTSUP;
}

static int no_child_release(struct up_target *t, pid_t child, const struct up_patch *patches, int n)
{
	return -ENOTSUP;
}

static int no_open_fd(struct up_target *t, int target_fd, int *local_fd)
{
	return -ENOTSUP;
}

static void no_destroy(struct up_target *t)
{
}

static int no_fpregs(struct up_target *t, pid_t tid, struct up_fpregs *fp, uint64_t want)
{
	return -ENOTSUP;
}

static int no_watch_syscalls(struct up_target *t, bool on)
{
	return -ENOTSUP;
}

static void ignore_syscall_insn(struct up_target *t, uint64_t addr)
{
}

/*
 * A single-step's end without a wait of its own: wait() until tid traps.
 * A GDB-remote target in all-stop mode steps one thread while the others
 * stay stopped, so its next stop is the step; other threads' stops that
 * come first are skipped.
 */
static int wait_step_any(struct up_target *t, pid_t tid)
{
	struct up_stop stop;
	int err;

	for (;;) {
		err = t->ops->wait(t, &stop, -1);
		if (err)
			return err;
		if (stop.kind == UP_STOP_EINTR)
			continue;
		if (stop.tid != tid && stop.kind != UP_STOP_EXITED && stop.kind != UP_STOP_KILLED)
			continue;
		if (stop.kind == UP_STOP_TRAP)
			return 0;
		return -ESRCH;
	}
}

#define FILL(op, dflt)                                                                             \
	do {                                                                                       \
		if (!o->op)                                                                        \
			o->op = dflt;                                                              \
	} while (0)

void up_target_init(struct up_target *t, const struct up_target_ops *ops)
{
	struct up_target_ops *o = &t->ops_table;

	*o = *ops;
	FILL(read, no_read);
	FILL(write, no_write);
	FILL(get_regs, no_get_regs);
	FILL(set_regs, no_set_regs);
	FILL(resume, no_resume);
	FILL(step, no_tid);
	FILL(wait, no_wait);
	FILL(wait_step, wait_step_any);
	FILL(stop_all, no_all);
	FILL(resume_all, no_all);
	FILL(select_space, no_tid);
	FILL(threads, no_threads);
	FILL(mappings, no_mappings);
	FILL(auxv, no_auxv);
	FILL(thread_name, no_thread_name);
	FILL(child_release, no_child_release);
	FILL(open_fd, no_open_fd);
	FILL(detach, no_all);
	FILL(kill, no_all);
	FILL(destroy, no_destroy);
	FILL(get_fpregs, no_fpregs);
	FILL(watch_syscalls, no_watch_syscalls);
	FILL(syscall_insn_placed, ignore_syscall_insn);
	t->ops = o;
}
