/* SPDX-License-Identifier: MIT */
/*
 * From waitpid() statuses to abstract stops.
 *
 * Every status goes through on_status(), which updates the thread table and
 * either produces a struct up_stop for the core or handles the stop itself
 * (group-stops are parked with PTRACE_LISTEN, a clone parent and an exiting
 * thread are resumed, stale interrupt traps are swallowed). Three callers
 * drive it: wait() (one blocking waitpid per hit), stop_all() (queues what
 * is not its own interrupt) and pt_wait_step() (one thread only, for
 * remote syscalls).
 */
#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ptrace_internal.h"
#include "uptrace/arch.h"

/* The signal our breakpoints raise (before the program is identified: none of ours yet). */
static int bp_signal(const struct up_ptrace *p)
{
	return p->t.arch ? p->t.arch->bp_signal : SIGTRAP;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/*
 * Signals that reached a thread while we single-stepped it (a remote
 * syscall, a step out of an XOL slot) were taken out of its way for the
 * step. They are sent again now that it is to run, while it is still
 * stopped: the kernel reports each as a signal-delivery-stop of its own
 * once it runs, at a moment the core can handle it. A stop record kept
 * for the core instead would outlive the stop it was taken in: the core,
 * resuming the thread from whatever stop it is in by then (a breakpoint
 * trap), would hand it the signal instead of completing the trap.
 */
void pt_resend_signals(struct pt_thread *th)
{
	for (int sig = 1; th->resend_sigs && sig <= 64; sig++) {
		if (!(th->resend_sigs & (1ull << (sig - 1))))
			continue;
		th->resend_sigs &= ~(1ull << (sig - 1));
		syscall(SYS_tgkill, th->tgid, th->tid, sig);
	}
}

/*
 * th is to run on after steps of ours (a remote syscall, a way out of an
 * XOL slot or a trampoline): the trace flag goes unless it was the
 * program's before the first of them (regs_x86_64.c says why it can stay).
 */
void pt_steps_over(struct pt_thread *th)
{
	if (!th->steps_taken)
		return;
	th->steps_taken = false;
	if (!th->trace_flag_own)
		pt_clear_trace_flag(th->tid);
}

/*
 * Restart a thread the core does not own at this moment (or after
 * resume/resume_all): a pending single-step is kept, a group-stop is parked
 * with PTRACE_LISTEN so the process behaves as untraced under SIGSTOP. While
 * stop_all runs, the thread is interrupted again at once.
 */
static int restart(struct up_ptrace *p, struct pt_thread *th, int sig)
{
	long r;

	if (!th->stepping) {
		pt_resend_signals(th);
		pt_steps_over(th);
	}
	if (th->stepping) {
		r = ptrace(PTRACE_SINGLESTEP, th->tid, 0, (long)sig);
		th->state = PT_RUNNING;
	} else if (th->stop_type == PT_STOP_GROUP) {
		r = ptrace(PTRACE_LISTEN, th->tid, 0, 0);
		th->state = PT_LISTENING;
	} else {
		bool watch = p->watch_syscalls && th->tgid == p->t.pid;

		r = ptrace(watch ? PTRACE_SYSCALL : PTRACE_CONT, th->tid, 0, (long)sig);
		th->state = PT_RUNNING;
	}
	th->stop_type = PT_STOP_NONE;
	if (r < 0)
		return -errno;
	if (p->in_stop_all && ptrace(PTRACE_INTERRUPT, th->tid, 0, 0) == 0)
		th->interrupt_sent = true;
	return 0;
}

/* The core resumes a thread: a single-step it asked for before is over. */
int pt_restart(struct up_ptrace *p, struct pt_thread *th, int sig)
{
	th->stepping = false;
	th->held_sig = 0;
	return restart(p, th, sig);
}

static pid_t event_msg(pid_t tid)
{
	unsigned long msg = 0;

	ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg);
	return (pid_t)msg;
}

static int on_exit_status(struct up_ptrace *p, pid_t tid, int status, struct up_stop *stop)
{
	struct pt_thread *th = pt_thread_find(&p->threads, tid);
	pid_t tgid;

	if (!th)
		return 0; /* a thread we stopped tracking (gone at exec) */
	tgid = th->tgid;
	pt_thread_remove(&p->threads, tid);
	if (tid == tgid && tid != p->t.pid)
		pt_space_forget(p, tid); /* a followed child's memory is gone */
	if (tid == tgid && tid == p->t.pid) {
		stop->kind = WIFEXITED(status) ? UP_STOP_EXITED : UP_STOP_KILLED;
		stop->status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
		stop->sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		/* reaped here: nobody else can wait for it any more */
		p->t.ended = true;
		p->t.end_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	} else {
		stop->kind = UP_STOP_THREAD_EXIT;
		stop->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		stop->sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
	return 1;
}

/* tid's first stop has arrived and its parent's event says what it is. */
static void first_stop_seen(struct pt_thread *th, int sig)
{
	th->state = PT_STOPPED;
	th->stop_type = is_stop_signal(sig) ? PT_STOP_GROUP : PT_STOP_EVENT;
}

static int on_clone(struct up_ptrace *p, struct pt_thread *th, struct up_stop *stop)
{
	pid_t child = event_msg(th->tid), tgid = th->tgid;
	struct pt_thread *c;

	th->stop_type = PT_STOP_EVENT;
	restart(p, th, 0);
	c = pt_thread_find(&p->threads, child);
	if (c && c->state == PT_NEW_ORPHAN) {
		c->tgid = tgid;
		c->state = PT_STOPPED;
		stop->kind = UP_STOP_THREAD_NEW;
		stop->tid = child;
		stop->pid = tgid;
		return 1;
	}
	if (!c) {
		c = pt_thread_add(&p->threads, child, tgid);
		if (c)
			c->state = PT_NEW_PENDING;
	}
	return 0;
}

/* fork/vfork: report it once the child has stopped, so the core may patch or release it. */
static int on_fork(struct up_ptrace *p, struct pt_thread *th, int event, struct up_stop *stop)
{
	pid_t parent = th->tid, child = event_msg(parent);
	struct pt_thread *c = pt_thread_find(&p->threads, child);
	int status = 0, sig = SIGTRAP;
	pid_t r = 0;

	th->state = PT_STOPPED;
	th->stop_type = PT_STOP_EVENT;
	if (!c || c->state != PT_NEW_ORPHAN) {
		do
			r = waitpid(child, &status, __WALL);
		while (r < 0 && errno == EINTR);
		if (r == child && WIFSTOPPED(status))
			sig = WSTOPSIG(status);
	}
	stop->kind = UP_STOP_FORK;
	stop->new_pid = child;
	stop->vfork = event == PTRACE_EVENT_VFORK;
	if (r == child && !WIFSTOPPED(status)) {
		pt_thread_remove(&p->threads, child); /* died at once: nothing to release */
		return 1;
	}
	c = pt_thread_add(&p->threads, child, child);
	if (!c)
		return 1;
	if (c->state != PT_NEW_ORPHAN)
		first_stop_seen(c, sig);
	c->state = PT_STOPPED;
	c->tgid = child;
	c->fork_child = true;
	c->vfork_child = event == PTRACE_EVENT_VFORK;
	return 1;
}

/*
 * A multi-threaded exec: every other thread of the process is gone and the
 * execing thread now has the leader's tid (tid here). Forget them all.
 */
static int on_exec(struct up_ptrace *p, pid_t tid, struct up_stop *stop)
{
	struct up_table *tab = &p->threads;
	struct pt_thread *th;
	bool again = true;

	while (again) {
		again = false;
		for (unsigned i = 0; (th = up_table_next(tab, &i));) {
			if (th->tid != tid && th->tgid == tid) {
				pt_thread_remove(tab, th->tid);
				again = true;
				break;
			}
		}
	}
	th = pt_thread_find(tab, tid);
	if (th && (th->vfork_child || th->fork_child) && tid != p->t.pid) {
		/* a child leaves for its own program (our probes are in ours): it goes untraced */
		ptrace(PTRACE_DETACH, tid, 0, 0);
		pt_thread_remove(tab, tid);
		pt_space_forget(p, tid);
		stop->kind = UP_STOP_THREAD_EXIT;
		return 1;
	}
	th->state = PT_STOPPED;
	th->stop_type = PT_STOP_EVENT;
	th->stepping = false;
	if (tid == p->t.pid) {
		pt_mem_open(p);
		pt_exe_identify(p);
	}
	stop->kind = UP_STOP_EXEC;
	return 1;
}

/* PTRACE_EVENT_STOP: our interrupt, a group-stop, or the end of one. */
static int on_event_stop(struct up_ptrace *p, struct pt_thread *th, int sig, struct up_stop *stop)
{
	bool group = is_stop_signal(sig);

	th->stop_type = group ? PT_STOP_GROUP : PT_STOP_EVENT;
	if (th->interrupt_sent) {
		th->interrupt_sent = false;
		if (p->in_stop_all) {
			th->state = PT_HELD;
			stop->kind = UP_STOP_INTERRUPTED;
			return 1;
		}
	}
	/* A group-stop (LISTEN), the SIGCONT notification after one, or a stale interrupt. */
	restart(p, th, 0);
	return 0;
}

/*
 * A syscall-stop (PTRACE_SYSCALL with TRACESYSGOOD): which call, entry or
 * exit. The kernel gives the number only at the entry; the thread keeps it.
 */
static int on_syscall(struct pt_thread *th, struct up_stop *stop)
{
	struct __ptrace_syscall_info info;

	th->state = PT_STOPPED;
	th->stop_type = PT_STOP_EVENT;
	stop->kind = UP_STOP_SYSCALL;
	stop->syscall_nr = -1;
	memset(&info, 0, sizeof(info));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, th->tid, sizeof(info), &info) <= 0) {
		th->syscall_nr = -1;
		return 1;
	}
	if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
		th->syscall_nr = (long)info.entry.nr;
	} else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
		stop->syscall_exit = true;
	}
	stop->syscall_nr = th->syscall_nr;
	return 1;
}

int pt_watch_syscalls(struct up_target *t, bool on)
{
	struct up_ptrace *p = to_ptrace(t);
	struct pt_thread *th;

	p->watch_syscalls = on;
	/* a thread inside a call now reports its exit first: that call is not known */
	for (unsigned i = 0; (th = up_table_next(&p->threads, &i));)
		th->syscall_nr = -1;
	return 0;
}

/* 1: *stop is for the core; 0: handled here. */
static int on_status(struct up_ptrace *p, pid_t tid, int status, struct up_stop *stop)
{
	struct pt_thread *th;
	int sig, event;

	memset(stop, 0, sizeof(*stop));
	stop->tid = tid;
	if (WIFEXITED(status) || WIFSIGNALED(status))
		return on_exit_status(p, tid, status, stop);
	if (!WIFSTOPPED(status))
		return 0;
	sig = WSTOPSIG(status);
	event = status >> 16;
	th = pt_thread_find(&p->threads, tid);
	if (!th) {
		/* A new task whose parent's clone/fork event has not arrived yet. */
		th = pt_thread_add(&p->threads, tid, event == PTRACE_EVENT_STOP ? 0 : p->t.pid);
		if (!th)
			return 0;
		if (event == PTRACE_EVENT_STOP) {
			th->state = PT_NEW_ORPHAN;
			th->stop_type = is_stop_signal(sig) ? PT_STOP_GROUP : PT_STOP_EVENT;
			return 0;
		}
	}
	if (th->state == PT_NEW_PENDING) {
		first_stop_seen(th, sig);
		stop->kind = UP_STOP_THREAD_NEW;
		stop->pid = th->tgid;
		return 1;
	}
	if (event == 0 && sig == (SIGTRAP | 0x80))
		return on_syscall(th, stop);
	switch (event) {
	case 0:
		th->state = PT_STOPPED;
		th->stop_type = PT_STOP_SIGNAL;
		th->stop_sig = (uint8_t)sig;
		if (sig == bp_signal(p) && sig != SIGTRAP) {
			/* the arch's breakpoint faults (x86_64's SIGSEGV): maybe ours, the core decides */
			stop->kind = UP_STOP_TRAP;
			stop->sig = sig;
			stop->stepped = false;
		} else if (sig == SIGTRAP) {
			stop->kind = UP_STOP_TRAP;
			stop->sig = SIGTRAP;
			stop->stepped = th->stepping;
			/*
			 * A step that a signal's stop overtook leaves its trap pending,
			 * to arrive after the core resumed the thread: siginfo tells it
			 * from a breakpoint's (only looked at in that rare case).
			 */
			if (!th->stepping && th->step_trap_maybe) {
				siginfo_t si;
				if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) == 0 &&
				    si.si_code == TRAP_TRACE)
					stop->stepped = true;
			}
			th->stepping = false;
			th->step_trap_maybe = false;
		} else {
			stop->kind = UP_STOP_SIGNAL;
			stop->sig = sig;
		}
		return 1;
	case PTRACE_EVENT_STOP:
		return on_event_stop(p, th, sig, stop);
	case PTRACE_EVENT_CLONE:
		return on_clone(p, th, stop);
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		return on_fork(p, th, event, stop);
	case PTRACE_EVENT_EXEC:
		return on_exec(p, tid, stop);
	case PTRACE_EVENT_EXIT:
		th->state = PT_EXITING;
		th->stop_type = PT_STOP_EVENT;
		ptrace(PTRACE_CONT, tid, 0, 0);
		return 0;
	default:
		th->stop_type = PT_STOP_EVENT;
		restart(p, th, 0);
		return 0;
	}
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * timeout_ms < 0 is the per-hit path: one blocking waitpid, interrupted by
 * the tracer's own signal handlers (installed without SA_RESTART).
 */
int pt_wait(struct up_target *t, struct up_stop *stop, int timeout_ms)
{
	struct up_ptrace *p = to_ptrace(t);
	int64_t deadline = timeout_ms >= 0 ? now_ns() + (int64_t)timeout_ms * 1000000 : 0;
	long nap_ns = 100000;
	int status;
	pid_t pid;

	for (;;) {
		if (pt_queue_pop(&p->queue, stop))
			return 0;
		pid = waitpid(-1, &status, __WALL | (timeout_ms >= 0 ? WNOHANG : 0));
		if (pid == 0) {
			int64_t left = deadline - now_ns();
			struct timespec ts = {0, 0};

			if (left <= 0) {
				memset(stop, 0, sizeof(*stop));
				stop->kind = UP_STOP_TIMEOUT;
				return 0;
			}
			ts.tv_nsec = left < nap_ns ? left : nap_ns;
			if (nap_ns < 4000000)
				nap_ns *= 2;
			if (nanosleep(&ts, NULL) == 0)
				continue;
			pid = -1; /* errno is EINTR */
		}
		if (pid < 0) {
			if (errno != EINTR)
				return -errno;
			memset(stop, 0, sizeof(*stop));
			stop->kind = UP_STOP_EINTR;
			return 0;
		}
		if (on_status(p, pid, status, stop))
			return 0;
	}
}

/* A clone child announced after it was already gone (killed in its first stop) never stops. */
static bool task_exists(pid_t tid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", (int)tid);
	return access(path, F_OK) == 0;
}

#define STOP_ALL_TIMEOUT_S 3

/* Threads that did not stop in time are left as they are (running, or stuck exiting). */
static void give_up_interrupts(struct up_ptrace *p)
{
	struct up_table *tab = &p->threads;
	struct pt_thread *th;

	for (unsigned i = 0; (th = up_table_next(tab, &i));) {
		if (th->interrupt_sent && (th->state == PT_RUNNING || th->state == PT_LISTENING))
			th->interrupt_sent = false;
		if (th->state == PT_NEW_PENDING) {
			pt_thread_remove(tab, th->tid);
			i = 0; /* a removal shifts entries back: the next one may be behind i now */
		}
	}
}

static bool stop_all_pending(struct up_ptrace *p)
{
	struct up_table *tab = &p->threads;
	const struct pt_thread *th;

	for (unsigned i = 0; (th = up_table_next(tab, &i));) {
		if (th->state == PT_NEW_PENDING) {
			if (task_exists(th->tid))
				return true;
			pt_thread_remove(tab, th->tid);
			return stop_all_pending(p);
		}
		if ((th->state == PT_RUNNING || th->state == PT_LISTENING) && th->interrupt_sent)
			return true;
	}
	return false;
}

/* Is SIGTRAP pending for tid (raised by a breakpoint, its stop not taken yet)? */
static bool trap_pending(pid_t tgid, pid_t tid, int bp_signal)
{
	char path[96], line[256];
	bool pending = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)tgid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "SigPnd:", 7) == 0) {
			unsigned long long set = strtoull(line + 7, NULL, 16);
			pending = ((set >> (SIGTRAP - 1)) | (set >> (bp_signal - 1))) & 1;
			break;
		}
	}
	fclose(f);
	return pending;
}

/*
 * A thread can be interrupted just after it ran into a breakpoint: its
 * SIGTRAP is pending but not yet reported. Left so, it would be delivered
 * after detach and kill the process. Let each such thread take that stop
 * now and queue it for the core (which rewinds it onto the restored code).
 */
static int collect_pending_traps(struct up_ptrace *p)
{
	struct up_table *tab = &p->threads;
	struct pt_thread *th;
	struct up_stop stop;
	int status, err = 0;

	for (unsigned i = 0; !err && (th = up_table_next(tab, &i));) {
		unsigned count = tab->count;
		pid_t pid;

		if (th->state != PT_HELD || !trap_pending(th->tgid, th->tid, bp_signal(p)))
			continue;
		if (ptrace(PTRACE_CONT, th->tid, 0, 0) < 0)
			continue;
		th->state = PT_RUNNING;
		th->stop_type = PT_STOP_NONE;
		do
			pid = waitpid(th->tid, &status, __WALL);
		while (pid < 0 && errno == EINTR);
		if (pid == th->tid && on_status(p, pid, status, &stop))
			err = pt_queue_push(&p->queue, &stop);
		/*
		 * The stop added or removed a task (an exit, an exec, a new
		 * thread): the table may have moved under the walk, so it
		 * starts again. Those done are not held any more.
		 */
		if (tab->count != count)
			i = 0;
	}
	return err;
}

int pt_stop_all(struct up_target *t)
{
	struct up_ptrace *p = to_ptrace(t);
	struct up_table *tab = &p->threads;
	struct pt_thread *th;
	struct up_stop stop;
	int status, err = 0;
	pid_t pid;

	p->in_stop_all = true;
	for (unsigned i = 0; (th = up_table_next(tab, &i));) {
		if (th->state == PT_RUNNING || th->state == PT_LISTENING) {
			/* ESRCH: dying; its exit status is on its way and ends the wait. */
			ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
			th->interrupt_sent = true;
		}
	}
	/*
	 * Bounded: a thread that never stops (a zombie leader whose threads
	 * live on) must not hang the tracer, which may be detaching on SIGINT.
	 */
	struct timespec start, now, nap = {0, 100000};
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (stop_all_pending(p)) {
		pid = waitpid(-1, &status, __WALL | WNOHANG);
		if (pid == 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec >= STOP_ALL_TIMEOUT_S) {
				give_up_interrupts(p);
				break;
			}
			nanosleep(&nap, NULL);
			continue;
		}
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			err = errno == ECHILD ? 0 : -errno;
			break;
		}
		if (on_status(p, pid, status, &stop) && stop.kind != UP_STOP_INTERRUPTED) {
			err = pt_queue_push(&p->queue, &stop);
			if (err)
				break;
		}
	}
	p->in_stop_all = false;
	if (!err)
		err = collect_pending_traps(p);
	return err;
}

int pt_resume_all(struct up_target *t)
{
	struct up_ptrace *p = to_ptrace(t);
	struct up_table *tab = &p->threads;
	struct pt_thread *th;
	int err = 0, r;

	for (unsigned i = 0; (th = up_table_next(tab, &i));) {
		if (th->state == PT_HELD) {
			r = restart(p, th, 0);
			if (r && r != -ESRCH && !err)
				err = r;
		}
	}
	return err;
}

/*
 * Is the breakpoint's fault signal (x86_64's SIGSEGV) of tid's stop one that
 * a process sent (si_code <= 0), not a fault? Then the step did not run the
 * instruction: it is a signal like any other. (Looked at in a step only.)
 */
static bool sent_by_a_process(pid_t tid, int sig)
{
	siginfo_t si;

	return sig && sig != SIGTRAP && ptrace(PTRACE_GETSIGINFO, tid, 0, &si) == 0 &&
	       si.si_code <= 0;
}

/*
 * Wait for tid's step trap only (waitpid(tid) leaves other threads' stops
 * in the kernel). A signal that reaches tid first is held back: the step is
 * retried, and the signal is raised again when the thread next runs
 * (pt_resend_signals), so it is delivered as if it came a moment later.
 */
int pt_wait_step(struct up_target *t, pid_t tid)
{
	struct up_ptrace *p = to_ptrace(t);
	struct pt_thread *th;
	struct up_stop stop;
	int status, err;
	pid_t pid;

	for (;;) {
		pid = waitpid(tid, &status, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			return errno == ECHILD ? -ESRCH : -errno;
		}
		if (!on_status(p, pid, status, &stop))
			continue;
		if (stop.kind == UP_STOP_TRAP && stop.stepped)
			break;
		th = pt_thread_find(&p->threads, tid);
		if (stop.kind == UP_STOP_TRAP && th && !sent_by_a_process(tid, stop.sig)) {
			/* the step ran into a breakpoint that faults (x86_64's): it ends here */
			th->stepping = false;
			break;
		}
		/* a signal, or the breakpoint's fault signal a process sent (kill -SEGV) */
		if ((stop.kind == UP_STOP_SIGNAL || stop.kind == UP_STOP_TRAP) && th) {
			if (stop.sig > 0 && stop.sig <= 64)
				th->resend_sigs |= 1ull << (stop.sig - 1);
			th->stepping = true;
			th->stop_type = PT_STOP_NONE;
			th->state = PT_RUNNING;
			if (ptrace(PTRACE_SINGLESTEP, tid, 0, 0) < 0)
				return -errno;
			continue;
		}
		err = pt_queue_push(&p->queue, &stop);
		if (err)
			return err;
		if (!th)
			return -ESRCH;
		/* A fork, exec or new thread cannot come from one injected syscall we chose. */
		return -EIO;
	}
	th = pt_thread_find(&p->threads, tid);
	if (!th)
		return -ESRCH;
	th->state = th->step_from;
	return 0;
}
