/* SPDX-License-Identifier: MIT */
/*
 * The probe manager's own data: probe points, traced threads and their
 * uretprobe instance stacks, XOL pages. Shared by the files of src/core
 * only. Every table is sized at arm time or thread creation: nothing here
 * is allocated on a hit.
 */
#ifndef UPTRACE_CORE_INTERNAL_H
#define UPTRACE_CORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "uptrace/arch.h"
#include "uptrace/core.h"
#include "uptrace/table.h"
#include "uptrace/target.h"
#include "uptrace/fallback_record.h"

#define POINT_MAX_PROBES 16
#define XOL_PAGE_SIZE 4096
#define XOL_SLOTS_PER_PAGE (XOL_PAGE_SIZE / UP_XOL_SLOT_SIZE)
#define XOL_PAGES_INITIAL 8		       /* the page table grows as probes need slots */
#define INSTANCE_STACK_MAX UP_RETURN_DEPTH_MAX /* uretprobe instances per thread */

/* One patched address. Several probes may share it; the bytes return with the last. */
struct up_point {
	uint64_t addr;
	struct up_insn insn;
	uint8_t bp[4];
	uint8_t bp_len;
	bool armed;
	bool restored;	 /* was armed, its bytes are back: a late trap rewinds */
	bool gone;	 /* its module was unmapped: never written again */
	bool is_rbrk;	 /* the dynamic linker's library-load hook */
	uint8_t unwind;	 /* unwinder hooks (enum unwind_role, unwinder.c) */
	bool has_return; /* some probe here is a %return probe */
	bool has_entry;
	bool captures; /* some %return probe here keeps entry values (nentry) */
	uint64_t slot; /* XOL slot address (UP_INSN_XOL), else 0 */
	struct up_xol xol;
	struct fast_point *fast; /* on the trap-free path (fastpath.c), else NULL */
	unsigned nprobes;
	struct up_probe *probes[POINT_MAX_PROBES];
};

/* A live call of a function with a return probe. */
struct up_instance {
	uint64_t orig_ret; /* where the function really returns */
	uint64_t entry_sp; /* sp at its first instruction */
	uint64_t ts_ns;	   /* entry time */
	struct up_point *point;
	uint64_t slot; /* where its trampoline copy was taken back (0: unknown) */
	bool unhooked; /* its real return address is back (an unwinder runs) */
};

/*
 * Values a return probe shows that were fetched at the function's entry
 * ($argN, parameters by name), one per call, at the same depth as its
 * instance (fetch.c).
 */
#define ENTRY_VALUES_MAX 16
struct up_entry_values {
	uint64_t values[ENTRY_VALUES_MAX];
	uint64_t values_hi[ENTRY_VALUES_MAX];
	uint32_t ok; /* bit k: values[k] was fetched */
};

struct up_thread {
	pid_t tid;
	pid_t pid;    /* its process: the target's, or a followed child's (-f) */
	bool in_slot; /* executing a UP_XOL_EXIT_TRAP slot */
	struct up_point *slot_point;
	struct up_xol_state xol_state;
	unsigned depth;
	unsigned stack_cap; /* grows on demand, up to INSTANCE_STACK_MAX */
	unsigned lost;	    /* return probes missed: the stack was full */
	struct up_instance *stack;
	struct up_entry_values *entry_values; /* parallel to stack (stack_cap entries) from its
					       * first need */
	uint64_t unwind_sp; /* sp of the outermost unwinder call under way, else 0 */
	char comm[16];
};

struct xol_page {
	uint64_t addr;
	unsigned used; /* slots handed out */
	bool keep;     /* left mapped at detach (fastpath.c) */
	struct up_point *owner[XOL_SLOTS_PER_PAGE];
};

/* A USDT semaphore we incremented in one process (usdt.c). */
struct usdt_semaphore {
	uint64_t addr;
	pid_t pid;
};

/* Memory the tracer and the target both map (shared.c). */
struct core_shared {
	void *local;	 /* the tracer's mapping, NULL: none */
	int local_fd;	 /* the memfd, open in the tracer */
	uint64_t remote; /* where the target maps it */
	size_t size;
};

struct pending_spec {
	struct up_spec spec;
	bool resolved;
	bool ever_resolved; /* armed at some point (a later exec may undo it) */
	bool early;	    /* placed without MODULE before every library was there */
	unsigned waiting;   /* IFUNC matches whose implementation is not known yet */
	unsigned unknown;   /* IFUNC matches left off: nothing bound them (warned) */
	bool rearm;	    /* some of its probes' module was unmapped: resolve again */
};

struct up_core {
	struct up_core_config cfg;
	struct up_target *t;
	const struct up_arch *arch;
	struct up_mem mem; /* target memory for arch->simulate and friends */
	struct up_symtab *sym;

	/* probe points by address (points.c); each allocated once, kept until exec or the end */
	struct up_table points;

	/* every probe, in order of creation, and the index of the spec each came from */
	struct up_probe **probes;
	unsigned nprobes, probes_cap;
	unsigned *probe_spec;
	unsigned probe_spec_cap;
	bool rearming; /* resolving a rearm spec: live probes stay as they are */
	/* a glob's functions with more parameters than an event shows, said once (resolve.c) */
	struct {
		unsigned count;
		int first_n;
		char first[UP_NAME_MAX];
	} wide;

	/* specs as given, for resolution now or at a library load */
	struct pending_spec *specs;
	unsigned nspecs, specs_cap;
	bool libs_loaded;  /* the dynamic linker reported its initial libraries */
	bool after_exec;   /* the process has exec'd since tracing began */
	bool load_watch;   /* watching system calls while the libraries load */
	bool maps_changed; /* a mapping call since the modules were last read */
	bool reloc_watch;  /* watching system calls until waiting IFUNCs are known */
	bool watching;	   /* the target stops at system calls now */

	/* threads by tid (threads.c); each entry allocated once, so pointers to it stay */
	struct up_table threads;
	uint64_t missed_returns; /* of threads that are gone */

	/* XOL pages; pages[0] slot 0 is the uretprobe trampoline */
	struct xol_page *pages; /* pages_cap entries, npages in use */
	unsigned npages, pages_cap;
	uint64_t trampoline;
	uint64_t syscall_insn; /* where remote system calls run */

	pid_t stopped_tid; /* a thread stopped now: remote syscalls run in it */

	/* the in-process fallback (fallback.c): its record, and where the target maps it */
	struct up_fb_record fb;
	struct core_shared fb_shared;
	bool fb_incomplete; /* said once: the record ran out of room */

	/* -f: children followed into their own address spaces (copies of ours) */
	pid_t *children;
	unsigned nchildren, children_cap;
	bool main_exited; /* the target process ended; children still run */
	int main_status;
	enum up_core_end main_end;
	uint64_t events;
	bool started;

	/* USDT (usdt.c): the sites beyond each key's first, and the semaphores we raised */
	struct up_probe **sites;
	unsigned nsites, sites_cap;
	struct usdt_semaphore *semaphores;
	unsigned nsemaphores, semaphores_cap;
	char *err;
	size_t errlen;

	struct core_fast *fast; /* the trap-free path (fastpath.c), NULL until used */
	struct core_ring *ring; /* its events' ring (ring.c), NULL until used */
};

/* points.c */
void points_init(struct up_core *c);
/* Every point is freed and forgotten (exec, the end). */
void points_clear(struct up_core *c);
struct up_point *point_find(struct up_core *c, uint64_t addr);
int point_add_probe(struct up_core *c, uint64_t addr, struct up_probe *p, bool is_rbrk);
struct up_point *point_get_internal(struct up_core *c, uint64_t addr, int *errp);
int point_arm(struct up_core *c, struct up_point *pt);
int point_arm_breakpoint(struct up_core *c, struct up_point *pt);
int points_arm_all(struct up_core *c);
int point_restore(struct up_core *c, struct up_point *pt);
void point_forget(struct up_core *c, struct up_point *pt);
bool point_was_removed(struct up_core *c, uint64_t addr);
bool point_still_ours(struct up_core *c, struct up_point *pt);
void points_unmapped(struct up_core *c, uint64_t start, uint64_t end);
void points_forget_unmapped(struct up_core *c);
int core_write_text(struct up_core *c, uint64_t addr, const void *buf, size_t len);

/* xol.c */
int xol_ensure_trampoline(struct up_core *c, pid_t tid);
int xol_slot_for(struct up_core *c, struct up_point *pt, pid_t tid);
struct up_point *xol_point_at(struct up_core *c, uint64_t pc, uint64_t *slot);
bool xol_contains(struct up_core *c, uint64_t pc);
int xol_unmap_pages(struct up_core *c, pid_t tid);
int core_find_syscall(struct up_core *c);
/* A page for trap-free trampolines near `near` (no XOL slot goes there). */
int xol_map_fast_page(struct up_core *c, uint64_t near, pid_t tid, uint64_t *out);
/* Detach leaves the page at addr mapped (something may still return into it). */
void xol_keep_page(struct up_core *c, uint64_t addr);

/*
 * Memory ops act on tid's process (only when -f follows children). Every
 * time, not only while children run: the last one selected may be gone.
 */
static inline int core_select_space(struct up_core *c, pid_t tid)
{
	if (c->cfg.follow && c->t->ops->select_space)
		return c->t->ops->select_space(c->t, tid);
	return 0;
}

/* recover.c's adoptions of what a tracer that is gone left */
int point_adopt(struct up_core *c, uint64_t addr, const uint8_t *orig, unsigned len);
int xol_adopt_page(struct up_core *c, uint64_t addr);
int fast_adopt_window(struct up_core *c, uint64_t addr, const uint8_t *orig, unsigned len);
int fast_adopt_shm(struct up_core *c, uint64_t addr, uint64_t size);
int thread_adopt_instances(struct up_core *c, pid_t tid, const struct up_fb_frame *frames,
			   unsigned n);

/* threads.c */
void threads_init(struct up_core *c);
struct up_thread *thread_get(struct up_core *c, pid_t tid);
struct up_thread *thread_find(struct up_core *c, pid_t tid);
void thread_remove(struct up_core *c, pid_t tid);
void threads_clear(struct up_core *c);
int thread_reserve_instance(struct up_thread *th);
int thread_copy_instances(struct up_thread *child, const struct up_thread *parent);
/* lists.c: the target's thread ids / mappings, however many (*out allocated, caller frees) */
int core_list_threads(struct up_core *c, pid_t **tids);
int core_list_mappings(struct up_core *c, struct up_mapping **maps);

/* core.c */
int core_step(struct up_core *c, pid_t tid);

/* hit.c */
int hit_handle_trap(struct up_core *c, pid_t tid, bool stepped, bool resume);
void core_emit(struct up_core *c, struct up_event *ev);

/* fetch.c */
/* Sign- or zero-extend a raw value to its type's size, as the output expects. */
uint64_t fetch_apply_type(uint64_t v, const struct up_type *t);
void fetch_event_args(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
		      const struct up_probe *p, struct up_event *ev);
/* A return event: $retval where the probe says, then its args (entry's from entry). */
void fetch_return_event(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
			const struct up_point *pt, const struct up_probe *p,
			const struct up_entry_values *entry, struct up_event *ev);
/* At a function's entry: the values its return probes keep until the return. */
void fetch_entry_values(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
			const struct up_point *pt, struct up_entry_values *out);
unsigned fetch_entry_offset(const struct up_point *pt, const struct up_probe *p);
int core_read(void *ctx, uint64_t addr, void *buf, size_t len);
int core_write(void *ctx, uint64_t addr, const void *buf, size_t len);

/* uretprobe.c */
int uret_enter(struct up_core *c, struct up_thread *th, struct up_point *pt, struct up_regs *regs,
	       uint64_t now);
int uret_return(struct up_core *c, struct up_thread *th, struct up_regs *regs, uint64_t now);
int uret_restore_thread(struct up_core *c, struct up_thread *th, struct up_regs *regs,
			bool *regs_changed);
int uret_release_child(struct up_core *c, pid_t parent_tid, pid_t child);
int uret_unhook_all(struct up_core *c, struct up_thread *th, struct up_regs *regs,
		    bool *regs_changed);
int uret_landed(struct up_core *c, struct up_thread *th, const struct up_regs *regs,
		uint64_t returned_to, uint64_t below, uint64_t now);
bool uret_any_unhooked(const struct up_thread *th);
unsigned uret_originals(struct up_core *c, const struct up_thread *th, uint64_t *out, unsigned max);

/* unwinder.c */
int unwind_hooks_refresh(struct up_core *c);
int unwind_hit(struct up_core *c, struct up_thread *th, struct up_point *pt, struct up_regs *regs);

/* shared.c */
int shared_map(struct up_core *c, pid_t tid, const char *name, size_t size, size_t exec_bytes,
	       struct core_shared *out);
int shared_unmap(struct up_core *c, pid_t tid, struct core_shared *s);
void shared_forget(struct core_shared *s);

/* fallback.c */
int fallback_install(struct up_core *c, pid_t tid);
int fallback_remove(struct up_core *c, pid_t tid);
void fallback_release(struct up_core *c);
void fallback_forget(struct up_core *c);
bool fallback_contains(struct up_core *c, uint64_t pc);
void fallback_push(struct up_core *c, struct up_thread *th, uint64_t orig_ret, uint64_t entry_sp);
void fallback_copy(struct up_core *c, struct up_thread *th);

/* fastpath.c: the trap-free path */
/* Can the point go trap-free? true: it is queued, and fast_flush arms it (either way). */
bool fast_point_queue(struct up_core *c, struct up_point *pt);
/* Arm the queued points, with every thread stopped: trap-free where safe, else breakpoints. */
int fast_flush(struct up_core *c);
int fast_point_restore(struct up_core *c, struct up_point *pt);
/* A point goes at addr: a trap-free window over it goes back to a breakpoint first. */
int fast_uncover(struct up_core *c, uint64_t addr);
/*
 * Probe p joins the point (NULL: the core's own hook does): on a patched
 * point, the hits so far are folded into its probes first, and a probe
 * that needs the tracer at each hit moves the point to the breakpoint path.
 */
int fast_join(struct up_core *c, struct up_point *pt, const struct up_probe *p);
bool fast_contains(struct up_core *c, uint64_t pc);
int fast_settle_thread(struct up_core *c, pid_t tid);
void fast_keep_if_referenced(struct up_core *c);
/* tid was single-stepped from old_pc in our pages: undo what the step left (x86 pushf's TF). */
int fast_after_step(struct up_core *c, pid_t tid, uint64_t old_pc);
bool fast_stray(struct up_core *c, uint64_t pc, struct up_regs *regs);
void fast_fold(struct up_core *c);
int fast_release_space(struct up_core *c, pid_t tid);
void fast_forget(struct up_core *c);
/* pt's module was unmapped (dlclose): its trap-free state goes (hits folded first). */
void fast_point_gone(struct up_core *c, struct up_point *pt);
/* The window's original bytes as patches (two at most) into out: how many. */
int fast_patches(const struct up_point *pt, struct up_patch *out);

/* ring.c: events on the trap-free path */
struct up_fast_tramp;
/* Bytes of the shared memory the ring takes (0: no events, --count). */
size_t ring_bytes(struct up_core *c);
int ring_setup(struct up_core *c, void *local, uint64_t remote);
/* Can p's events come from records? NULL, or why not. */
const char *ring_usable(struct up_core *c, const struct up_probe *p);
/* The trampoline t writes records of p, with this id. */
int ring_bind(struct up_core *c, struct up_probe *p, uint32_t id, struct up_fast_tramp *t);
/* tid's thread key, from its registers (stopped now). */
void ring_learn(struct up_core *c, pid_t tid, const struct up_regs *regs);
/* Every thread's key, all of them stopped now. */
void ring_learn_threads(struct up_core *c);
/* Emit every published record; may_stop: a key nobody knows may stop the threads. Emitted. */
int ring_drain(struct up_core *c, bool may_stop);
/* How long wait() may block after a drain that emitted `drained` (-1: forever). */
int ring_poll_ms(struct up_core *c, int drained);
void ring_forget(struct up_core *c);

/* exec.c */
int core_exec(struct up_core *c, pid_t tid);

/* resolve.c */
int resolve_pending(struct up_core *c, bool final);
/* The pieces of a probe's placing that usdt.c shares. */
int resolve_arg(struct up_core *c, const struct up_spec *spec, const struct up_spec_arg *sa,
		struct up_probe *p, uint64_t func_addr, struct up_arg *out);
struct up_probe *resolve_revive(struct up_core *c, const char *key);
int resolve_reserve(struct up_core *c);

/* predicate.c */
/* The spec's predicate, its names bound to p's arguments: 0, or -EDOM (reported). */
int pred_bind(struct up_core *c, const struct up_pred *given, struct up_probe *p);
/* Does the predicate keep this event (fetched)? comm: the thread's name. */
bool pred_keep(const struct up_probe *p, const struct up_event *ev, const char *comm);

/* hist.c */
/* --hist=ARG: which of p's values it counts. 0, or -EDOM (reported) if p has none such. */
int hist_bind(struct up_core *c, struct up_probe *p);
/* Add the event's value to the histogram of the probe p counts in. */
void hist_record(struct up_probe *p, const struct up_event *ev);

/* usdt.c */
int resolve_usdt(struct up_core *c, struct pending_spec *ps, bool final);
/* -f: a followed child has the parent's raised semaphores too. */
void usdt_fork(struct up_core *c, pid_t parent, pid_t child);
/* A process ended (or exec'd): its semaphores are gone with it. */
void usdt_process_gone(struct up_core *c, pid_t pid);
/* A child let go untraced: patches lowering its copies of the parent's semaphores. */
int usdt_child_patches(struct up_core *c, pid_t parent, struct up_patch *patches, int *n, int max);
/* Detach: lower every semaphore we raised, in every process. */
int usdt_release_all(struct up_core *c);
/* The main program exec'd: its sites and semaphores went with the old image. */
void usdt_exec(struct up_core *c);
void usdt_destroy(struct up_core *c);

/* Does some spec wait for an IFUNC's implementation to be known (retry without a new module)? */
bool resolve_waiting(struct up_core *c);

/* libload.c: the initial libraries, armed as they are mapped */
int load_watch_start(struct up_core *c);
void load_watch_stop(struct up_core *c);
/* A library event left IFUNCs waiting for their library's relocation: watch for its end. */
int load_watch_relocation(struct up_core *c);
int load_syscall_stop(struct up_core *c, const struct up_stop *st, bool resume);
/* At an r_brk stop: has the dynamic linker reported the program's initial libraries? */
bool load_initial_done(struct up_core *c, int new_modules);

/* core.c: which spec each probe came from, for specs that must resolve again */
int core_note_probes(struct up_core *c, unsigned from, unsigned spec);
void core_probe_parked(struct up_core *c, struct up_probe *p);
bool core_spec_parked(struct up_core *c, unsigned spec);

/* Report an error once, at the layer that knows what was asked. */
void core_error(struct up_core *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Tell the caller something the user should hear that does not stop the run (on_warning). */
void core_warn(struct up_core *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

uint64_t core_now_ns(void);

#endif
