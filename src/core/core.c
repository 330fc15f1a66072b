/* SPDX-License-Identifier: MIT */
/*
 * The probe manager's life cycle and its stop dispatcher: every stop the
 * target reports is either a trap (hit.c), a signal to pass on (held while
 * the thread is inside an XOL slot), a thread coming or going, a fork
 * (the child gets its original text back), or the end of the process.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"
#include "uptrace/sym.h"

volatile sig_atomic_t up_core_stop_requested;

void core_error(struct up_core *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->err || !c->errlen || c->err[0])
		return; /* the first error is the one that explains */
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

void core_warn(struct up_core *c, const char *fmt, ...)
{
	char *msg = NULL, small[256];
	va_list ap;
	int n;

	if (!c->cfg.on_warning)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		/* out of memory: the start of it rather than nothing */
		va_start(ap, fmt);
		vsnprintf(small, sizeof(small), fmt, ap);
		va_end(ap);
		msg = NULL;
	}
	c->cfg.on_warning(c->cfg.ctx, msg ? msg : small);
	free(msg);
}

static void set_err(struct up_core *c, char *err, size_t errlen)
{
	c->err = err;
	c->errlen = errlen;
	if (err && errlen)
		err[0] = 0;
}

int up_core_create(struct up_core **out, const struct up_core_config *cfg)
{
	struct up_core *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->t = cfg->target;
	c->arch = cfg->target->arch;
	c->sym = cfg->sym;
	c->mem = (struct up_mem){.ctx = c, .read = core_read, .write = core_write};
	points_init(c);
	threads_init(c);
	c->pages_cap = XOL_PAGES_INITIAL;
	c->pages = calloc(c->pages_cap, sizeof(*c->pages));
	if (!c->pages) {
		up_core_destroy(c);
		return -ENOMEM;
	}
	/* Attached processes have their libraries already; spawned ones wait for the dynamic linker. */
	c->libs_loaded = !cfg->spawned;
	c->stopped_tid = c->t->pid;
	*out = c;
	return 0;
}

void up_core_destroy(struct up_core *c)
{
	if (!c)
		return;
	fast_forget(c);
	points_clear(c);
	threads_clear(c);
	for (unsigned i = 0; i < c->nprobes; i++)
		free(c->probes[i]);
	free(c->probes);
	usdt_destroy(c);
	/* the fallback record's free list (a process that exited was never detached) */
	up_fb_record_release(&c->fb);
	free(c->pages);
	free(c->probe_spec);
	up_table_free(&c->points);
	up_table_free(&c->threads);
	free(c->children);
	free(c->specs);
	free(c);
}

unsigned up_core_probes(struct up_core *c, struct up_probe *const **probes)
{
	fast_fold(c);
	*probes = c->probes;
	return c->nprobes;
}

/* Probes from index `from` on came from spec number `spec`. */
int core_note_probes(struct up_core *c, unsigned from, unsigned spec)
{
	if (c->nprobes > c->probe_spec_cap) {
		unsigned cap = c->probes_cap > c->nprobes ? c->probes_cap : c->nprobes;
		unsigned *n = realloc(c->probe_spec, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->probe_spec = n;
		c->probe_spec_cap = cap;
	}
	for (unsigned k = from; k < c->nprobes; k++)
		c->probe_spec[k] = spec;
	return 0;
}

/* p's module was unmapped: it retires (keeping its counts) until its spec resolves again. */
void core_probe_parked(struct up_core *c, struct up_probe *p)
{
	p->retired = true;
	for (unsigned k = 0; k < c->nprobes && k < c->probe_spec_cap; k++)
		if (c->probes[k] == p) {
			c->specs[c->probe_spec[k]].resolved = false;
			c->specs[c->probe_spec[k]].rearm = true;
			return;
		}
}

/* Is a probe of this spec still waiting for its module to come back? */
bool core_spec_parked(struct up_core *c, unsigned spec)
{
	for (unsigned k = 0; k < c->nprobes && k < c->probe_spec_cap; k++)
		if (c->probe_spec[k] == spec && c->probes[k]->retired)
			return true;
	return false;
}

/* A spec's string as the symbol table's copy (it outlives the caller's); "" is NULL. */
static int keep_string(struct up_core *c, const char **s)
{
	if (!*s || !**s) {
		*s = NULL;
		return 0;
	}
	*s = up_sym_intern(c->sym, *s);
	return *s ? 0 : -ENOMEM;
}

int up_core_add_spec(struct up_core *c, const struct up_spec *spec, char *err, size_t errlen)
{
	struct up_spec *kept;

	set_err(c, err, errlen);
	if (c->nspecs == c->specs_cap) {
		unsigned cap = c->specs_cap ? c->specs_cap * 2 : 8;
		struct pending_spec *n = realloc(c->specs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->specs = n;
		c->specs_cap = cap;
	}
	kept = &c->specs[c->nspecs].spec;
	*kept = *spec;
	/* the caller's strings may go once this returns: keep the symbol table's copies */
	if (keep_string(c, &kept->module) || keep_string(c, &kept->file))
		return -ENOMEM;
	c->specs[c->nspecs].resolved = false;
	c->specs[c->nspecs].ever_resolved = false;
	c->specs[c->nspecs].early = false;
	c->specs[c->nspecs].waiting = 0;
	c->specs[c->nspecs].unknown = 0;
	c->specs[c->nspecs].rearm = false;
	c->nspecs++;
	return resolve_pending(c, c->libs_loaded);
}

int up_core_start(struct up_core *c, char *err, size_t errlen)
{
	pid_t *tids;
	uint64_t rbrk;
	int n, ret = 0;

	set_err(c, err, errlen);
	n = core_list_threads(c, &tids);
	for (int i = 0; i < n && !ret; i++)
		if (!thread_get(c, tids[i]))
			ret = -ENOMEM;
	free(tids);
	if (n < 0 || ret) {
		ret = n < 0 ? n : ret;
		core_error(c, "cannot list the threads of process %d: %s", (int)c->t->pid,
			   strerror(-ret));
		return ret;
	}
	/* The XOL page first: under qemu-user its syscall slot makes text writable. */
	ret = xol_ensure_trampoline(c, c->stopped_tid);
	if (ret)
		return ret;
	/* before the first breakpoint: so the target outlives a tracer killed from now on */
	ret = fallback_install(c, c->stopped_tid);
	if (ret)
		return ret;
	/* Library loads: arm pending probes the moment a library is mapped. */
	if (up_sym_rbrk(c->sym, &rbrk) == 0) {
		ret = point_add_probe(c, rbrk, NULL, true);
		if (ret)
			return ret;
	} else if (!c->libs_loaded) {
		c->libs_loaded = true; /* a static program: everything is here */
		ret = resolve_pending(c, true);
		if (ret)
			return ret;
	}
	ret = unwind_hooks_refresh(c);
	if (ret)
		return ret;
	ret = points_arm_all(c);
	if (!ret)
		ret = fast_flush(c);
	if (ret)
		return ret;
	ring_learn_threads(c); /* every thread is stopped: their keys for the ring's records */
	c->started = true;
	return load_watch_start(c);
}

/* The signal a trap that is not ours came with: the program's to have. */
static int trap_signal(const struct up_stop *st)
{
	return st->sig ? st->sig : SIGTRAP;
}

/*
 * Execute one instruction of tid and wait for that step's trap only: the
 * stops other threads reach meanwhile (a breakpoint hit, a signal) stay
 * queued for the core. Dropping one would leave its thread stopped at a
 * breakpoint it never completes, to run on at breakpoint+1 after detach.
 */
int core_step(struct up_core *c, pid_t tid)
{
	int err = c->t->ops->step(c->t, tid);

	return err ? err : c->t->ops->wait_step(c->t, tid);
}

/*
 * A signal is about to be delivered. A thread inside an XOL slot first
 * finishes the slot (single-steps to its end), so no handler ever runs, or
 * returns, with its PC in our page.
 */
static int deliver_signal(struct up_core *c, pid_t tid, int sig)
{
	struct up_regs regs;
	int err;

	for (int steps = 0; steps < 4; steps++) {
		err = c->t->ops->get_regs(c->t, tid, &regs);
		if (err)
			return err == -ESRCH ? 0 : err;
		/* a trampoline needs no tracer: its handler may return into it (detach sees that) */
		if (!xol_contains(c, regs.r[c->arch->pc_reg]) ||
		    fast_contains(c, regs.r[c->arch->pc_reg]))
			break;
		err = core_step(c, tid);
		if (err)
			return err == -ESRCH ? 0 : err;
		fast_after_step(c, tid, regs.r[c->arch->pc_reg]);
		/* the step may have reached a slot's trailing breakpoint */
		err = hit_handle_trap(c, tid, true, false);
		if (err < 0)
			return err;
	}
	return c->t->ops->resume(c->t, tid, sig);
}

/*
 * -f: a forked child is a copy of us, breakpoints, XOL pages and hijacked
 * return addresses included. Trace it as a process of its own: its thread
 * inherits the forking thread's return instances.
 */
static int follow_child(struct up_core *c, pid_t parent_tid, pid_t child)
{
	struct up_thread *parent = thread_find(c, parent_tid);
	struct up_thread *th = NULL;
	int err;

	if (c->nchildren == c->children_cap) {
		unsigned cap = c->children_cap ? c->children_cap * 2 : 16;
		pid_t *n = realloc(c->children, cap * sizeof(*n));
		if (n) {
			c->children = n;
			c->children_cap = cap;
		}
	}
	if (c->nchildren < c->children_cap)
		th = thread_get(c, child);
	if (th && thread_copy_instances(th, parent)) {
		thread_remove(c, child);
		th = NULL;
	}
	if (!th) {
		/* no memory to follow it: it goes untraced, with its original text */
		err = uret_release_child(c, parent_tid, child);
		if (err == -ESRCH)
			err = 0;
		return err ? err : c->t->ops->resume(c->t, parent_tid, 0);
	}
	th->pid = child;
	if (th->depth)
		fallback_copy(c, th);
	c->children[c->nchildren++] = child;
	usdt_fork(c, parent ? parent->pid : c->t->pid, child);
	err = c->t->ops->resume(c->t, child, 0);
	if (err && err != -ESRCH)
		return err;
	return c->t->ops->resume(c->t, parent_tid, 0);
}

/* A followed child exited or exec'd: its address space is never touched again. */
static void child_gone(struct up_core *c, pid_t tid)
{
	for (unsigned i = 0; i < c->nchildren; i++)
		if (c->children[i] == tid) {
			c->children[i] = c->children[--c->nchildren];
			usdt_process_gone(c, tid);
			return;
		}
}

int up_core_wait_libraries(struct up_core *c, char *err, size_t errlen)
{
	struct up_stop st;
	int ret;

	set_err(c, err, errlen);
	if (c->libs_loaded)
		return 0;
	ret = c->t->ops->resume(c->t, c->t->pid, 0);
	while (!ret) {
		ret = c->t->ops->wait(c->t, &st, -1);
		if (ret)
			break;
		switch (st.kind) {
		case UP_STOP_TRAP:
			ret = hit_handle_trap(c, st.tid, st.stepped, false);
			if (ret == 0 && c->libs_loaded)
				return 0; /* stopped right after the libraries' load */
			ret = c->t->ops->resume(c->t, st.tid, ret == 1 ? trap_signal(&st) : 0);
			break;
		case UP_STOP_SIGNAL:
			ret = c->t->ops->resume(c->t, st.tid, st.sig);
			break;
		case UP_STOP_EXITED:
		case UP_STOP_KILLED:
			return -ESRCH;
		case UP_STOP_THREAD_EXIT:
		case UP_STOP_EINTR:
		case UP_STOP_TIMEOUT:
			if (up_core_stop_requested)
				return -EINTR;
			break;
		default:
			ret = c->t->ops->resume(c->t, st.tid, 0);
			break;
		}
	}
	return ret;
}

/* How a run ends, once a handler of a stop says it does. */
struct run {
	int *status;
	bool ended;
	enum up_core_end end;
};

static void run_end(struct run *r, enum up_core_end end, int status)
{
	r->ended = true;
	r->end = end;
	*r->status = status;
}

static int on_trap(struct up_core *c, const struct up_stop *st)
{
	int ret = hit_handle_trap(c, st->tid, st->stepped, true);

	/* a stray trap of our own single-step is swallowed; any other is the program's */
	if (ret == 1)
		ret = c->t->ops->resume(c->t, st->tid, st->stepped ? 0 : trap_signal(st));
	return ret;
}

static int on_thread_new(struct up_core *c, const struct up_stop *st)
{
	struct up_thread *th = thread_get(c, st->tid);
	struct up_regs regs;

	if (th && st->pid > 0)
		th->pid = st->pid;
	/* its thread pointer is set by clone: the key its records carry */
	if (c->ring && c->t->ops->get_regs(c->t, st->tid, &regs) == 0)
		ring_learn(c, st->tid, &regs);
	return c->t->ops->resume(c->t, st->tid, 0);
}

static int on_thread_exit(struct up_core *c, const struct up_stop *st, struct run *r)
{
	ring_drain(c, false); /* its records, while its key still names it */
	thread_remove(c, st->tid);
	child_gone(c, st->tid);
	if (c->main_exited && !c->nchildren)
		run_end(r, c->main_end, c->main_status);
	return 0;
}

/* A vfork child runs in our memory, on our breakpoints: trace it like a thread. */
static int on_vfork(struct up_core *c, const struct up_stop *st)
{
	struct up_thread *parent = thread_find(c, st->tid);
	struct up_thread *child = thread_get(c, st->new_pid);
	int ret;

	if (!child || thread_copy_instances(child, parent)) {
		core_error(c, "no memory for the vfork child %d", (int)st->new_pid);
		return -ENOMEM;
	}
	if (child->depth)
		fallback_copy(c, child);
	ret = c->t->ops->resume(c->t, st->new_pid, 0);
	return ret ? ret : c->t->ops->resume(c->t, st->tid, 0);
}

/* A fork: followed with -f, else the child is given back its text and let go. */
static int on_fork(struct up_core *c, const struct up_stop *st)
{
	int ret;

	if (st->vfork)
		return on_vfork(c, st);
	if (c->cfg.follow)
		return follow_child(c, st->tid, st->new_pid);
	ret = uret_release_child(c, st->tid, st->new_pid);
	if (ret == -ESRCH)
		ret = 0;
	return ret ? ret : c->t->ops->resume(c->t, st->tid, 0);
}

static int on_exec(struct up_core *c, const struct up_stop *st)
{
	int ret = core_exec(c, st->tid);

	return ret ? ret : c->t->ops->resume(c->t, st->tid, 0);
}

static int on_process_end(struct up_core *c, const struct up_stop *st, struct run *r)
{
	int status = st->kind == UP_STOP_EXITED ? st->status : st->sig;
	enum up_core_end end = st->kind == UP_STOP_EXITED ? UP_END_EXITED : UP_END_KILLED;

	ring_drain(c, false); /* what it wrote last is still in our view */
	if (!c->nchildren) {
		run_end(r, end, status);
		return 0;
	}
	/* -f: like strace, run on until the followed children end too */
	c->main_exited = true;
	c->main_status = status;
	c->main_end = end;
	return 0;
}

/* One stop, to its handler: 0 or a negative errno; r says when the run is over. */
static int on_stop(struct up_core *c, const struct up_stop *st, struct run *r)
{
	switch (st->kind) {
	case UP_STOP_TRAP:
		return on_trap(c, st);
	case UP_STOP_SIGNAL:
		return deliver_signal(c, st->tid, st->sig);
	case UP_STOP_INTERRUPTED:
		return c->t->ops->resume(c->t, st->tid, 0);
	case UP_STOP_THREAD_NEW:
		return on_thread_new(c, st);
	case UP_STOP_THREAD_EXIT:
		return on_thread_exit(c, st, r);
	case UP_STOP_FORK:
		return on_fork(c, st);
	case UP_STOP_EXEC:
		return on_exec(c, st);
	case UP_STOP_EXITED:
	case UP_STOP_KILLED:
		return on_process_end(c, st, r);
	case UP_STOP_SYSCALL:
		return load_syscall_stop(c, st, true);
	case UP_STOP_TIMEOUT:
	case UP_STOP_EINTR:
	default:
		return 0;
	}
}

enum up_core_end up_core_run(struct up_core *c, int *status, char *err, size_t errlen)
{
	struct run r = {.status = status};
	struct up_stop st;
	int ret;

	set_err(c, err, errlen);
	*status = 0;
	if (c->cfg.spawned)
		ret = c->t->ops->resume(c->t, c->t->pid, 0);
	else
		ret = c->t->ops->resume_all(c->t);
	if (ret) {
		core_error(c, "cannot resume process %d: %s", (int)c->t->pid, strerror(-ret));
		return UP_END_ERROR;
	}
	while (!r.ended) {
		if (up_core_stop_requested)
			return UP_END_DETACH;
		/* records on the ring are emitted while the target runs: wait() polls meanwhile */
		ret = c->t->ops->wait(c->t, &st, ring_poll_ms(c, ring_drain(c, true)));
		if (ret) {
			core_error(c, "waiting for process %d: %s", (int)c->t->pid, strerror(-ret));
			return UP_END_ERROR;
		}
		ret = on_stop(c, &st, &r);
		if (ret && ret != -ESRCH) {
			if (!c->err || !c->err[0])
				core_error(c, "tracing process %d: %s", (int)c->t->pid,
					   strerror(-ret));
			return UP_END_ERROR;
		}
	}
	return r.end;
}
