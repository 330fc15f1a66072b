/* SPDX-License-Identifier: MIT */
/*
 * The probe manager: probe points (one patched address shared by every
 * probe on it), the hit path, XOL slots, uretprobe instances, library-load
 * events, and detach. It knows targets only through struct up_target and
 * instructions only through struct up_arch.
 *
 *   cli:  up_core_create -> up_core_add_spec (each PROBE) -> up_core_start
 *         -> up_core_run (until exit, detach request, or error)
 *         -> up_core_detach -> up_core_destroy
 */
#ifndef UPTRACE_CORE_H
#define UPTRACE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>

#include "uptrace/probe.h"
#include "uptrace/spec.h"

struct up_target;
struct up_symtab;
struct up_core;

struct up_core_config {
	struct up_target *target;
	struct up_symtab *sym;
	void (*on_event)(void *ctx, const struct up_event *ev);
	void *ctx;
	/*
	 * The file of an in-process fallback record (include/uptrace/fallback.h)
	 * was made: whoever recovers after the tracer's death needs it (the
	 * guardian). Called again after an exec makes a new one. May be NULL.
	 */
	void (*on_record)(int fd);
	/*
	 * Something the user should hear that does not stop the run (a probe
	 * a glob matched skipped, with why; with verbose, notes such as an
	 * IFUNC's implementation): one line of text, without the program's
	 * name or a newline. The core never prints: the caller says it (with
	 * ctx). May be NULL: nothing is said.
	 */
	void (*on_warning)(void *ctx, const char *msg);
	uint64_t max_events;   /* 0: no limit; else detach after this many events */
	bool count_only;       /* --count: count hits, fetch nothing */
	bool want_durations;   /* --hist */
	const char *hist_arg;  /* --hist=ARG: an argument's name or "$retval" (NULL: none) */
	bool stack;	       /* --stack */
	bool spawned;	       /* the target was started by us at its first instruction */
	bool follow;	       /* -f: trace forked children too (until they exec) */
	bool breakpoints_only; /* --breakpoints-only: no probe on the trap-free path */
	bool verbose;
	/*
	 * Records in the trap-free path's ring (a power of two; 0: the
	 * default). For tests only (UPTRACE_RING_RECORDS): a tiny ring drops.
	 */
	uint32_t ring_records;
};

/* Why up_core_run returned. */
enum up_core_end {
	UP_END_EXITED = 1, /* the process exited: status */
	UP_END_KILLED,	   /* the process was killed by a signal: status = signal */
	UP_END_DETACH,	   /* a stop was requested (signal, timeout, -n): detach next */
	UP_END_ERROR,	   /* a fatal error was reported */
};

/* Set from signal handlers: makes up_core_run return UP_END_DETACH. */
extern volatile sig_atomic_t up_core_stop_requested;

int up_core_create(struct up_core **out, const struct up_core_config *cfg);
void up_core_destroy(struct up_core *c);

/*
 * Add one parsed PROBE. Resolves it now if its module is loaded; a probe
 * whose module (or, without a module, whose function outside the main
 * program) is not loaded yet stays pending until a library load. Errors
 * are written to err (naming what was wrong) and returned as -errno.
 */
int up_core_add_spec(struct up_core *c, const struct up_spec *spec, char *err, size_t errlen);

/*
 * Arm what can be armed now (patch text, map the XOL page, watch library
 * loads). Fails with err set if a probe cannot be placed (refused
 * instruction, offset not on an instruction boundary, no such function).
 */
int up_core_start(struct up_core *c, char *err, size_t errlen);

/*
 * For a program started by us: run it until the dynamic linker has loaded
 * its libraries (before any of their code runs) and leave it stopped there,
 * so that every module's symbols can be read (-l). 0, or -ESRCH if it ended.
 */
int up_core_wait_libraries(struct up_core *c, char *err, size_t errlen);

/* Trace until the process ends or a stop is requested. *status per enum up_core_end. */
enum up_core_end up_core_run(struct up_core *c, int *status, char *err, size_t errlen);

/*
 * Restore every byte, move threads out of slots, put back hijacked return
 * addresses, unmap the XOL pages, and let the process run on untraced.
 */
int up_core_detach(struct up_core *c);

/*
 * The tracer died without detaching (SIGKILL): from the in-process
 * fallback record it kept (include/uptrace/fallback.h; record maps the
 * whole memfd, size bytes), put back in the process behind t (attached,
 * every thread stopped) every breakpoint, XOL page, hijacked return
 * address and the program's SIGTRAP disposition, and detach. The guardian
 * calls it. 0, or a negative errno with err set.
 */
int up_core_recover(struct up_target *t, struct up_symtab *sym, void *record, size_t size,
		    char *err, size_t errlen);

/* Every resolved probe, in the order they were added (for the summary). */
unsigned up_core_probes(struct up_core *c, struct up_probe *const **probes);

/*
 * Did the index-th PROBE (in up_core_add_spec order) never arm, in the
 * whole run? 1 with why set ("no module 'libfoo' was loaded"), else 0.
 */
int up_core_never_armed(struct up_core *c, unsigned index, char *why, size_t len);

/* Calls under return probes one thread may nest; deeper ones' returns are missed. */
#define UP_RETURN_DEPTH_MAX 4096

/*
 * Returns of %return probes that went unreported because a thread's calls
 * under return probes nested deeper than the core keeps (as the kernel's
 * uretprobes miss theirs): 0 normally, else worth telling the user.
 */
uint64_t up_core_missed_returns(struct up_core *c);

#endif
