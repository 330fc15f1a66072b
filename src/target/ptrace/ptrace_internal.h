/* SPDX-License-Identifier: MIT */
/*
 * Private state of the ptrace target, shared by the files of this folder.
 *
 * struct up_ptrace embeds the public struct up_target. Every traced task
 * (threads of the process, forked children not yet released) has one
 * struct pt_thread, allocated once, in a hash table keyed by tid
 * (threads.c), so the per-hit path (wait, get_regs, resume) finds a thread
 * without allocating. Stops that arrive while stop_all (or a remote
 * syscall) waits for something else are kept in a ring of struct up_stop
 * and handed out by wait() first.
 */
#ifndef UPTRACE_PTRACE_INTERNAL_H
#define UPTRACE_PTRACE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "uptrace/table.h"
#include "uptrace/target.h"

/* Where a traced task is, as far as the tracer knows. */
enum pt_state {
	PT_RUNNING = 1, /* resumed (by the core or internally) */
	PT_LISTENING,	/* in a group-stop, restarted with PTRACE_LISTEN */
	PT_STOPPED,	/* in a ptrace-stop the core knows of (reported or queued) */
	PT_HELD,	/* stopped by stop_all, spawn or attach: resume_all restarts it */
	PT_NEW_PENDING, /* announced by a clone event; its first stop has not arrived */
	PT_NEW_ORPHAN,	/* first stop arrived before its parent's clone/fork event */
	PT_EXITING,	/* past PTRACE_EVENT_EXIT, running to its end */
};

/* What kind of ptrace-stop a stopped task sits in (how to restart it). */
enum pt_stop_type {
	PT_STOP_NONE = 0,
	PT_STOP_SIGNAL, /* signal-delivery-stop: restart with a signal delivers it */
	PT_STOP_GROUP,	/* group-stop: restart with PTRACE_LISTEN */
	PT_STOP_EVENT,	/* PTRACE_EVENT_* stop */
};

struct pt_thread {
	pid_t tid;
	pid_t tgid;	      /* the process it belongs to (leader's tid) */
	uint8_t state;	      /* enum pt_state */
	uint8_t stop_type;    /* enum pt_stop_type */
	uint8_t stop_sig;     /* with PT_STOP_SIGNAL: the signal */
	bool stepping;	      /* PTRACE_SINGLESTEP issued, its trap not yet seen */
	bool step_trap_maybe; /* a step was cut short by a signal: its trap may still come */
	bool interrupt_sent;  /* PTRACE_INTERRUPT issued, its trap not yet seen */
	bool vfork_child;     /* made by vfork: shares the parent's memory */
	bool fork_child;      /* the leader of a process made by fork/vfork */
	uint8_t step_from;    /* state before step(): a remote syscall puts it back */
	bool steps_taken;     /* stepped since it last ran: see pt_steps_over() */
	bool trace_flag_own;  /* the trace flag was set before our first step: the program's */
	int held_sig;	      /* the signal of a stop a step of ours left, or that a queued
			       * stop stands for at detach: detach delivers it */
	uint64_t resend_sigs; /* came during a step of ours: sent again when it next runs */
	long syscall_nr;      /* with watch_syscalls: the call it entered last */
};

struct pt_queue {
	struct up_stop *ev;
	unsigned cap, head, count;
};

/* The address space memory ops act on: the traced process, or a followed child (-f). */
struct pt_space {
	pid_t pid;  /* 0: the traced process itself */
	int mem_fd; /* its /proc/PID/mem */
};

struct up_ptrace {
	struct up_target t;
	int mem_fd;		 /* /proc/PID/mem, O_RDWR; reopened after exec */
	pid_t space_pid;	 /* memory ops go to this process (t.pid by default) */
	int space_fd;		 /* and this mem file */
	struct pt_space *spaces; /* followed children's mem files, opened once */
	unsigned nspaces;
	bool follow_forks;
	bool in_stop_all;	 /* interrupt traps are absorbed, other stops queued */
	bool watch_syscalls;	 /* restart the traced process's threads with PTRACE_SYSCALL */
	struct up_table threads; /* of struct pt_thread (threads.c) */
	struct pt_queue queue;
};

static inline struct up_ptrace *to_ptrace(struct up_target *t)
{
	return (struct up_ptrace *)t;
}

extern const struct up_target_ops up_ptrace_ops;

/* threads.c: walk the table with up_table_next; a walk that removes a task starts again */
void pt_table_init(struct up_table *tab);
struct pt_thread *pt_thread_find(struct up_table *tab, pid_t tid);
struct pt_thread *pt_thread_add(struct up_table *tab, pid_t tid, pid_t tgid);
void pt_thread_remove(struct up_table *tab, pid_t tid);
/* Every task is freed; the table is empty and usable again. */
void pt_table_free(struct up_table *tab);

/* queue.c */
int pt_queue_push(struct pt_queue *q, const struct up_stop *stop);
bool pt_queue_pop(struct pt_queue *q, struct up_stop *stop);

/* wait.c */
int pt_wait(struct up_target *t, struct up_stop *stop, int timeout_ms);
int pt_stop_all(struct up_target *t);
int pt_resume_all(struct up_target *t);
int pt_restart(struct up_ptrace *p, struct pt_thread *th, int sig);
int pt_watch_syscalls(struct up_target *t, bool on);
void pt_resend_signals(struct pt_thread *th);

/* mem.c */
int pt_mem_open(struct up_ptrace *p);
int pt_read(struct up_target *t, uint64_t addr, void *buf, size_t len);
int pt_write(struct up_target *t, uint64_t addr, const void *buf, size_t len);
int pt_mappings(struct up_target *t, struct up_mapping *maps, int max);
int pt_auxv(struct up_target *t, void *buf, size_t len);
int pt_open_fd(struct up_target *t, int target_fd, int *local_fd);
int pt_select_space(struct up_target *t, pid_t tid);
void pt_space_forget(struct up_ptrace *p, pid_t pid);
void pt_spaces_free(struct up_ptrace *p);
int pt_wait_step(struct up_target *t, pid_t tid);
void pt_steps_over(struct pt_thread *th);
int pt_child_release(struct up_target *t, pid_t child, const struct up_patch *patches, int n);

/* regs_<host>.c */
int pt_get_regs(struct up_target *t, pid_t tid, struct up_regs *regs);
int pt_set_regs(struct up_target *t, pid_t tid, const struct up_regs *regs);
/* The FP registers (NT_PRFPREG), read only when a probe needs one. */
int pt_get_fpregs(struct up_target *t, pid_t tid, struct up_fpregs *fp, uint64_t want);
/*
 * The host's single-step trace flag (x86's TF) in tid's flags as ptrace
 * shows them: 1, 0, or a negative errno; 0 where the host has none. And
 * clearing it (0 where there is nothing to clear).
 */
int pt_trace_flag(pid_t tid);
int pt_clear_trace_flag(pid_t tid);

/* exe.c: ELF header of the traced program */
int pt_exe_identify(struct up_ptrace *p);
int pt_elf_machine(const char *path, uint16_t *machine, uint32_t *flags);
uint16_t pt_host_machine(void);

/* ptrace.c */
struct up_ptrace *pt_alloc(bool follow_forks);
void pt_destroy(struct up_target *t);

#define PT_OPTIONS                                                                                 \
	(PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACEFORK |      \
	 PTRACE_O_TRACEVFORK | PTRACE_O_TRACESYSGOOD)

#endif
