/* SPDX-License-Identifier: MIT */
/*
 * The GDB remote target's state, shared by gdb_remote.c (the
 * up_target_ops), connect.c (sockets, handshake) and qemu.c (spawning
 * qemu-user). Private to src/target/remote/.
 */
#ifndef UPTRACE_REMOTE_H
#define UPTRACE_REMOTE_H

#include "uptrace/target.h"
#include "rsp.h"

#define UP_REMOTE_G_MAX 2048
#define UP_REMOTE_QUEUE 16

struct up_remote {
	struct up_target t;
	struct up_rsp rsp;
	pid_t qemu_pid;	   /* the qemu-user we spawned, else 0 */
	bool multiprocess; /* thread ids go out as pPID.TID */
	pid_t stub_pid;	   /* the PID part of the stub's thread ids */
	bool running;	   /* a resume was sent and its stop not read yet */
	bool gone;	   /* W or X was seen: the process is no more */
	bool detached;
	int pending_interrupts; /* SIGINTs we sent qemu whose stops are still to come */
	pid_t g_tid;		/* thread selected by Hg (the stub does it at a stop too) */
	pid_t step_tid;		/* thread single-stepped by the last resume, else 0 */
	bool step_pc_known;
	uint64_t step_pc; /* its PC before the step */
	uint64_t step_z0; /* stub breakpoint ending a step over a syscall, else 0 */
	pid_t last_tid;	  /* thread of the last stop */
	/* Stops read while waiting for another (stop_all, a step), for later wait()s. */
	unsigned nqueued;
	struct up_stop queued[UP_REMOTE_QUEUE];
	/* The last 'g' of regs_tid since the last resume (what G sends back). */
	bool regs_valid;
	bool use_p;	    /* the stub has no 'g': p/P per register */
	bool g_checked;	    /* the G probe ran (probe_g) */
	uint64_t p_after_g; /* bit i: 'g' register i did not take its G value: P it */
	pid_t regs_tid;
	size_t g_len;
	uint8_t g_raw[UP_REMOTE_G_MAX];
	char xml_arch[32];     /* target.xml's <architecture>, "" when none */
	uint64_t syscall_addr; /* a syscall instruction found for mprotect, else 0 */
	uint64_t core_syscall; /* the core's own syscall instruction (syscall_insn_placed):
				* tried first, as one in the page being made writable
				* would write-protect that page again when stepped */
	uint64_t poke_page;    /* our page of store instructions (poke.c), else 0 */
	bool poke_none;	       /* it could not be mapped: text takes M after mprotect only */
	char last_resume[64];  /* repeated after a stale interrupt's stop */
	char cmd[UP_RSP_BUF];  /* M packets are built here */
};

/*
 * Handshake on a connected socket fd (qSupported, no-ack, '?'); fills the
 * target's fields that come from the stub. The fd is r's from now on.
 */
int up_remote_open(struct up_remote *r, int fd);
/* A new target (ops set, fd -1); NULL when out of memory. */
struct up_remote *up_remote_new(void);
/* Connect a TCP socket to host:port; the fd or a negative errno. */
int up_remote_tcp_connect(const char *host, const char *port);
/* Connect to a unix socket (qemu -g PATH); the fd or a negative errno. */
int up_remote_unix_connect(const char *path);
/* Architecture and e_flags of an ELF file: 0 or a negative errno. */
int up_remote_elf_arch(const char *path, const struct up_arch **arch, uint32_t *e_flags);

/*
 * mprotect [addr, addr + len) read-write-exec from inside the target, so
 * the stub takes writes to that text (unprotect.c). 0 or a negative errno.
 */
int up_remote_unprotect(struct up_remote *r, uint64_t addr, size_t len);
/* A syscall instruction of the program outside [wlo, whi) (unprotect.c): 0 or -ENOENT. */
int up_remote_syscall_outside(struct up_remote *r, uint64_t wlo, uint64_t whi, uint64_t *insn);
/*
 * Write len bytes at addr with the program's own store instructions, run
 * in the stopped thread (poke.c): qemu-user takes those on text it has
 * translated, where its stub refuses M. The page must be writable to the
 * program (up_remote_unprotect). 0, -EACCES when a store faulted, -ENOTSUP
 * for an arch without stores, or another negative errno.
 */
int up_remote_poke(struct up_remote *r, uint64_t addr, const void *buf, size_t len);
/* Unmap the page of stores, if any (before a detach). */
void up_remote_poke_release(struct up_remote *r);
/* Write memory with M packets only: 0, -EACCES (readable, not writable) or an errno. */
int up_remote_write_m(struct up_remote *r, uint64_t addr, const void *buf, size_t len);
/* Keep a stop for a later wait() (a signal that came during a step of ours). */
void up_remote_queue_stop(struct up_remote *r, const struct up_stop *stop);
/* up_remote_spawn_qemu for an architecture already known (the tests pass their own). */
int up_remote_spawn_qemu_arch(struct up_target **out, char *const argv[], const char *sysroot,
			      const struct up_arch *arch, uint32_t e_flags, char *err,
			      size_t errlen);
/* Say why into err (errlen bytes; nothing when err is NULL), for the caller to print. */
void up_remote_why(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
