/* SPDX-License-Identifier: MIT */
/*
 * How a traced process is reached: over ptrace (native) or over the GDB
 * remote protocol (qemu-user's gdbstub, gdbserver). The core sees only this
 * interface: memory, registers in struct up_regs form, per-thread resume and
 * step, and a stream of abstract stops. Everything protocol-specific (group
 * stops and PTRACE_LISTEN, clone events, packet framing) stays behind it.
 *
 * All functions return 0 (or a count) on success and a negative errno on
 * failure; -ESRCH means the thread is gone, not an error to report.
 *
 * A backend fills its ops table with what it can do and hands it to
 * up_target_init, which completes it with defaults (-ENOTSUP, or the
 * generic behaviour an op's comment names): callers never test an op for
 * NULL. What differs between backends beyond an op's result is in struct
 * up_target_caps; nothing outside src/target asks which backend it is.
 */
#ifndef UPTRACE_TARGET_H
#define UPTRACE_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#include "uptrace/regs.h"

struct up_arch;
struct up_target;

enum up_stop_kind {
	UP_STOP_TRAP = 1,    /* a breakpoint (its arch's bp_signal) or a single-step's SIGTRAP:
				 * regs tell where; sig is the signal, to deliver if not ours */
	UP_STOP_SIGNAL,	     /* any other signal about to be delivered (sig) */
	UP_STOP_INTERRUPTED, /* stopped by up_target_ops.stop_all / interrupt */
	UP_STOP_THREAD_NEW,  /* new thread tid (already traced, stopped) */
	UP_STOP_THREAD_EXIT, /* thread tid has exited (status) */
	UP_STOP_EXEC,	     /* the process exec'd: all text is new */
	UP_STOP_EXITED,	     /* the whole process exited: status is its exit code */
	UP_STOP_KILLED,	     /* the whole process was killed by signal sig */
	UP_STOP_FORK,	     /* fork/vfork made child new_pid: traced and stopped */
	UP_STOP_TIMEOUT,     /* wait() timed out, nothing happened */
	UP_STOP_EINTR,	     /* wait() was interrupted by a signal to the tracer */
	UP_STOP_SYSCALL,     /* with watch_syscalls: a system call's entry or exit */
};

struct up_stop {
	enum up_stop_kind kind;
	pid_t tid;	   /* the thread that stopped */
	int sig;	   /* UP_STOP_SIGNAL, UP_STOP_KILLED, UP_STOP_TRAP */
	int status;	   /* UP_STOP_EXITED, UP_STOP_THREAD_EXIT */
	pid_t new_pid;	   /* UP_STOP_FORK */
	pid_t pid;	   /* UP_STOP_THREAD_NEW: the process the thread belongs to */
	bool vfork;	   /* UP_STOP_FORK: the child shares our memory until it execs or
				 * exits, and stays traced as one of our threads till then */
	bool stepped;	   /* UP_STOP_TRAP: this stop ends a single-step */
	bool syscall_exit; /* UP_STOP_SYSCALL: at its exit (else its entry) */
	long syscall_nr;   /* UP_STOP_SYSCALL: which call (-1: not known) */
};

/* One mapping of the target's address space (for symbols and XOL placement). */
struct up_mapping {
	uint64_t start, end, offset;
	bool r, w, x;
	char path[256];
};

/* Original bytes at an address: what a forked child must get back. */
struct up_patch {
	uint64_t addr;
	uint8_t bytes[16];
	uint8_t len;
};

struct up_target_ops {
	/* Read / write target memory; write must work on read-only text. */
	int (*read)(struct up_target *t, uint64_t addr, void *buf, size_t len);
	int (*write)(struct up_target *t, uint64_t addr, const void *buf, size_t len);
	/* Registers of a stopped thread. */
	int (*get_regs)(struct up_target *t, pid_t tid, struct up_regs *regs);
	int (*set_regs)(struct up_target *t, pid_t tid, const struct up_regs *regs);
	/* Resume one stopped thread, delivering sig (0: none). */
	int (*resume)(struct up_target *t, pid_t tid, int sig);
	/* Execute exactly one instruction of one thread; a UP_STOP_TRAP with stepped follows. */
	int (*step)(struct up_target *t, pid_t tid);
	/* Next stop of any thread; timeout_ms < 0 waits forever. */
	int (*wait)(struct up_target *t, struct up_stop *stop, int timeout_ms);
	/*
	 * Wait for tid's single-step to end, leaving other threads' stops for
	 * later wait() calls (remote syscalls). Default: wait() until that trap.
	 */
	int (*wait_step)(struct up_target *t, pid_t tid);
	/*
	 * Stop every running thread (all-stop, for patching text and detach).
	 * Stops that arrive meanwhile for other reasons are queued and
	 * returned by later wait() calls.
	 */
	int (*stop_all)(struct up_target *t);
	/* Resume every thread stopped by stop_all. */
	int (*resume_all)(struct up_target *t);
	/*
	 * With several traced processes (-f): read, write, mappings and the
	 * remote syscalls act on the address space of tid's process from now
	 * on. Cheap when it does not change. -ENOTSUP (the default) where only
	 * one process can be traced.
	 */
	int (*select_space)(struct up_target *t, pid_t tid);
	/* Thread ids currently traced; returns the count (at most max). */
	int (*threads)(struct up_target *t, pid_t *tids, int max);
	/* Address-space mappings; returns the count (at most max), -ENOTSUP remote. */
	int (*mappings)(struct up_target *t, struct up_mapping *maps, int max);
	/* Auxiliary vector (raw bytes); returns the length. */
	int (*auxv)(struct up_target *t, void *buf, size_t len);
	/* Thread tid's name (its comm), NUL-terminated; -ENOTSUP where the target has none. */
	int (*thread_name)(struct up_target *t, pid_t tid, char *buf, size_t len);
	/*
	 * A child reported by UP_STOP_FORK that is not to be traced: write the
	 * original bytes back into its copy of the text, then detach it. (A
	 * vfork child shares the parent's memory: detached without writes.)
	 */
	int (*child_release)(struct up_target *t, pid_t child, const struct up_patch *patches,
			     int n);
	/*
	 * A file descriptor of the target's (in the selected address space)
	 * opened by the tracer too, for memory both map (the in-process
	 * fallback record). -ENOTSUP where the tracer cannot share a file
	 * with the target (a remote stub).
	 */
	int (*open_fd)(struct up_target *t, int target_fd, int *local_fd);
	/* Let every thread run on untraced (threads must be stopped). */
	int (*detach)(struct up_target *t);
	/* Kill the target (spawned commands after a fatal tracer error). */
	int (*kill)(struct up_target *t);
	void (*destroy)(struct up_target *t);
	/*
	 * The floating-point registers of a stopped thread (regs.h), at least
	 * those whose bit is set in want (bit i: fp->v[i]); others may be left
	 * zero. -ENOTSUP where the target cannot read them.
	 */
	int (*get_fpregs)(struct up_target *t, pid_t tid, struct up_fpregs *fp, uint64_t want);
	/*
	 * While on, threads of the traced process that resume() (or
	 * resume_all) restarts also stop at the entry and the exit of each
	 * system call (UP_STOP_SYSCALL): how the core sees the dynamic linker
	 * map libraries before any of their code runs. -ENOTSUP where a target
	 * cannot.
	 */
	int (*watch_syscalls)(struct up_target *t, bool on);
	/*
	 * The core has written the arch's syscall instruction at addr, in
	 * memory of its own that stays executable (0: that memory is gone). A
	 * backend that runs system calls of its own (caps.writes_unprotect)
	 * may use it rather than look for one in the program's text. Default:
	 * ignored.
	 */
	void (*syscall_insn_placed)(struct up_target *t, uint64_t addr);
};

/* What a backend offers beyond its ops (set before up_target_init; all false by default). */
struct up_target_caps {
	/*
	 * /proc/<pid> on this machine describes the target's address space:
	 * its modules are reported from /proc/<pid>/maps and their files
	 * found through it. Otherwise they are known from memory alone (the
	 * auxv and the dynamic linker's link_map chain), files under sysroot.
	 */
	bool procfs;
	/*
	 * write() to a page mapped without PROT_WRITE first makes it writable
	 * with a system call in the target (a stub that refuses such writes):
	 * memory the core maps in order to write into it later is mapped
	 * writable from the start.
	 */
	bool writes_unprotect;
};

struct up_target {
	const struct up_target_ops *ops; /* complete: set by up_target_init */
	struct up_target_caps caps;
	const struct up_arch *arch; /* the target's architecture */
	pid_t pid;		    /* process id (remote: the stub's pid) */
	uint32_t e_flags;	    /* ELF e_flags of the main program */
	char exe[4096];		    /* path of the main program (absolute) */
	char sysroot[1024];	    /* remote: where the target's libraries live ("" = /) */
	bool ended;		    /* the target itself collected the process's end (it
					 * died while we detached): end_status is how */
	int end_status;		    /* its exit code, or 128+N for signal N */
	/*
	 * Set by whoever opened the target (NULL: nothing is said): something
	 * the user should hear while it runs (a stub's quirk), one line with
	 * its subsystem's prefix ("remote: ") and no newline. A target never
	 * prints.
	 */
	void (*on_warning)(void *ctx, const char *msg);
	void *warning_ctx;
	struct up_target_ops ops_table; /* up_target_init's: the backend's ops, completed */
};

/*
 * Make t a target of a backend: t->ops becomes ops with every op the
 * backend leaves NULL filled with its default. Called once, by the backend
 * (or a test's fake), before t is handed to any other layer.
 */
void up_target_init(struct up_target *t, const struct up_target_ops *ops);

/* ptrace: run argv[0] traced, stopped at its first instruction (after exec). */
int up_ptrace_spawn(struct up_target **out, char *const argv[], bool follow_forks);
/* ptrace: seize every thread of pid and stop them all. */
int up_ptrace_attach(struct up_target **out, pid_t pid, bool follow_forks);

/*
 * GDB remote: start qemu-<arch> -g on a free loopback port for argv, connect.
 * On failure err (errlen bytes, may be NULL) says why where errno alone
 * does not ("" otherwise): the caller prints it, the target does not.
 */
int up_remote_spawn_qemu(struct up_target **out, char *const argv[], const char *sysroot, char *err,
			 size_t errlen);
/* GDB remote: connect to host:port; err as for up_remote_spawn_qemu. */
int up_remote_connect(struct up_target **out, const char *hostport, char *err, size_t errlen);

/*
 * Run one system call in thread tid (stopped) and restore every register
 * after. syscall_addr is an address in the target that holds the arch's
 * syscall instruction. Returns the call's result (negative errno on error).
 */
int64_t up_remote_syscall(struct up_target *t, pid_t tid, uint64_t syscall_addr, long nr,
			  const uint64_t args[6]);
/* Find the arch's syscall instruction in executable memory at or after hint. */
int up_find_syscall_insn(struct up_target *t, uint64_t lo, uint64_t hi, uint64_t *out);

#endif
