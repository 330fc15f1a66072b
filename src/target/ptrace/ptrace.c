/* SPDX-License-Identifier: MIT */
/*
 * The ptrace target: the ops table and the per-thread controls (resume,
 * step, the thread list) plus the ends of a trace (detach, kill, destroy).
 * Spawning and attaching are in spawn.c and attach.c, stops in wait.c,
 * memory in mem.c, registers in regs_<host>.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptrace_internal.h"
#include "uptrace/arch.h"

static int pt_resume(struct up_target *t, pid_t tid, int sig)
{
	struct up_ptrace *p = to_ptrace(t);
	struct pt_thread *th = pt_thread_find(&p->threads, tid);

	if (!th)
		return ptrace(PTRACE_CONT, tid, 0, (long)sig) < 0 ? -errno : 0;
	return pt_restart(p, th, sig);
}

/*
 * The signals our own stops come with: a single-step's SIGTRAP, and the
 * breakpoint's fault (x86_64's SIGSEGV). Never delivered to the program by
 * us: a fault happens again by itself if the breakpoint was not ours. The
 * same signal sent by a process (si_code <= 0) is the program's, though.
 * (Looked at when a stopped thread is stepped or detached, not per hit.)
 */
static bool our_stop_signal(const struct up_target *t, pid_t tid, int sig)
{
	siginfo_t si;

	if (sig == SIGTRAP)
		return true;
	if (!t->arch || sig != t->arch->bp_signal)
		return false;
	return ptrace(PTRACE_GETSIGINFO, tid, 0, &si) < 0 || si.si_code > 0;
}

static int pt_step(struct up_target *t, pid_t tid)
{
	struct up_ptrace *p = to_ptrace(t);
	struct pt_thread *th = pt_thread_find(&p->threads, tid);

	if (th) {
		/*
		 * A step from a signal-delivery-stop discards that signal (the
		 * core steps a thread out of a slot, or runs a syscall in it, at
		 * detach): hold it for the detach to deliver.
		 */
		if (th->stop_type == PT_STOP_SIGNAL && !our_stop_signal(t, tid, th->stop_sig) &&
		    !th->held_sig)
			th->held_sig = th->stop_sig;
		if (!th->steps_taken) {
			th->steps_taken = true;
			th->trace_flag_own = pt_trace_flag(tid) > 0;
		}
		th->step_from = th->state;
		th->stepping = true;
		th->step_trap_maybe = true;
		th->state = PT_RUNNING;
		th->stop_type = PT_STOP_NONE;
	}
	return ptrace(PTRACE_SINGLESTEP, tid, 0, 0) < 0 ? -errno : 0;
}

/* Threads of the traced process the core knows of (not forked children, not dying ones). */
static int pt_threads(struct up_target *t, pid_t *tids, int max)
{
	struct up_ptrace *p = to_ptrace(t);
	const struct pt_thread *th;
	int n = 0;

	for (unsigned i = 0; n < max && (th = up_table_next(&p->threads, &i));) {
		if (th->tgid != t->pid)
			continue;
		if (th->state == PT_NEW_PENDING || th->state == PT_NEW_ORPHAN ||
		    th->state == PT_EXITING)
			continue;
		tids[n++] = th->tid;
	}
	return n;
}

/* The kernel's name of the thread (its comm), as ps shows it. */
static int pt_thread_name(struct up_target *t, pid_t tid, char *buf, size_t len)
{
	char path[64];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)t->pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	else
		err = -EIO;
	fclose(f);
	return err;
}

static bool any_running(struct up_ptrace *p)
{
	const struct pt_thread *th;

	for (unsigned i = 0; (th = up_table_next(&p->threads, &i));)
		if (th->state == PT_RUNNING || th->state == PT_LISTENING ||
		    th->state == PT_NEW_PENDING)
			return true;
	return false;
}

/* The signal a detach of th delivers: one the process was about to receive, never our SIGTRAP. */
static int detach_signal(const struct up_target *t, const struct pt_thread *th)
{
	if (th->held_sig)
		return th->held_sig;
	if (th->stop_type == PT_STOP_SIGNAL && !our_stop_signal(t, th->tid, th->stop_sig))
		return th->stop_sig;
	return 0;
}

/*
 * PTRACE_DETACH failed with ESRCH: th is no longer in a ptrace-stop,
 * because the process is dying (a signal delivered at detach, or a kill
 * from outside, wakes every thread). With PTRACE_O_TRACEEXIT it stops once
 * more, at its exit: detach it there, or it would hold the whole process
 * (and anyone waiting for it) for good. Bounded: a second at most.
 */
static void detach_dying(const struct up_target *t, pid_t tid)
{
	struct timespec nap = {0, 1000000};
	siginfo_t si;
	int status;

	for (int i = 0; i < 1000; i++) {
		/* look first: an exit status (the leader's is the command's own) stays for wait */
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)tid, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return; /* gone */
		}
		if (si.si_pid == tid && si.si_code != CLD_TRAPPED && si.si_code != CLD_STOPPED)
			return; /* exited */
		if (si.si_pid == tid && waitpid(tid, &status, __WALL | WNOHANG) == tid &&
		    WIFSTOPPED(status)) {
			int sig = 0;

			/* a signal-delivery-stop keeps its signal; the exit stop has none */
			if ((status >> 16) == 0 && !our_stop_signal(t, tid, WSTOPSIG(status)))
				sig = WSTOPSIG(status);
			if (ptrace(PTRACE_DETACH, tid, 0, (long)sig) == 0 || errno != ESRCH)
				return;
			continue;
		}
		nanosleep(&nap, NULL);
	}
}

/*
 * Detach every task. A signal the process was about to receive (a stop the
 * core has not resumed, or one still queued) is delivered as we go; our own
 * SIGTRAPs are not. Threads with a signal go last: a fatal one (SIGINT from
 * a terminal) ends the process, and its other threads must be ours no
 * longer by then.
 */
static int pt_detach(struct up_target *t)
{
	struct up_ptrace *p = to_ptrace(t);
	struct up_table *tab = &p->threads;
	struct pt_thread *th;
	struct up_stop ev;
	int err = 0, sig, status;

	if (any_running(p))
		err = pt_stop_all(t);
	while (pt_queue_pop(&p->queue, &ev)) {
		th = pt_thread_find(tab, ev.tid);
		if (th && ev.kind == UP_STOP_SIGNAL && !th->held_sig)
			th->held_sig = ev.sig;
	}
	for (int with_signal = 0; with_signal < 2; with_signal++)
		for (unsigned i = 0; (th = up_table_next(tab, &i));) {
			sig = detach_signal(t, th);
			if ((sig != 0 || th->resend_sigs) != with_signal || th->state == PT_EXITING)
				continue;
			pt_resend_signals(th); /* pending now, delivered once it runs untraced */
			pt_steps_over(th);
			if (ptrace(PTRACE_DETACH, th->tid, 0, (long)sig) == 0)
				continue;
			if (errno == ESRCH)
				detach_dying(t, th->tid);
			else if (!err)
				err = -errno;
		}
	/*
	 * A thread past PTRACE_EVENT_EXIT cannot be detached: it is on its way
	 * to a zombie that only its tracer may reap, and until then the
	 * process's own exit would wait for it. (A leader that exited before
	 * its other threads stays ours until the process ends.)
	 */
	for (unsigned i = 0; (th = up_table_next(tab, &i));) {
		if (th->state == PT_EXITING && th->tid != th->tgid)
			while (waitpid(th->tid, &status, __WALL) < 0 && errno == EINTR)
				;
	}
	pt_table_free(tab);
	pt_spaces_free(p);
	if (p->mem_fd >= 0)
		close(p->mem_fd);
	p->mem_fd = -1;
	return err;
}

/* SIGKILL the process (and forked children we still hold) and reap it. */
static int pt_kill(struct up_target *t)
{
	struct up_ptrace *p = to_ptrace(t);
	struct up_table *tab = &p->threads;
	const struct pt_thread *th;
	int status;
	pid_t pid;

	for (unsigned i = 0; (th = up_table_next(tab, &i));)
		if (th->fork_child)
			kill(th->tid, SIGKILL);
	if (kill(t->pid, SIGKILL) < 0)
		return -errno;
	for (;;) {
		pid = waitpid(-1, &status, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (WIFSTOPPED(status)) {
			ptrace(PTRACE_CONT, pid, 0, 0);
			continue;
		}
		pt_thread_remove(tab, pid);
		if (pid == t->pid)
			break;
	}
	pt_table_free(tab);
	return 0;
}

void pt_destroy(struct up_target *t)
{
	struct up_ptrace *p = to_ptrace(t);

	if (!p)
		return;
	if (p->mem_fd >= 0)
		close(p->mem_fd);
	pt_spaces_free(p);
	pt_table_free(&p->threads);
	free(p->queue.ev);
	free(p);
}

const struct up_target_ops up_ptrace_ops = {
    .read = pt_read,
    .write = pt_write,
    .get_regs = pt_get_regs,
    .set_regs = pt_set_regs,
    .resume = pt_resume,
    .step = pt_step,
    .wait = pt_wait,
    .stop_all = pt_stop_all,
    .resume_all = pt_resume_all,
    .threads = pt_threads,
    .mappings = pt_mappings,
    .auxv = pt_auxv,
    .thread_name = pt_thread_name,
    .open_fd = pt_open_fd,
    .child_release = pt_child_release,
    .select_space = pt_select_space,
    .wait_step = pt_wait_step,
    .detach = pt_detach,
    .kill = pt_kill,
    .destroy = pt_destroy,
    .get_fpregs = pt_get_fpregs,
    .watch_syscalls = pt_watch_syscalls,
};

struct up_ptrace *pt_alloc(bool follow_forks)
{
	struct up_ptrace *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	up_target_init(&p->t, &up_ptrace_ops);
	p->t.caps.procfs = true;
	p->mem_fd = -1;
	p->space_fd = -1;
	p->follow_forks = follow_forks;
	pt_table_init(&p->threads);
	return p;
}
