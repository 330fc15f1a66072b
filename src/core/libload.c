/* SPDX-License-Identifier: MIT */
/*
 * The libraries of a program we started, armed before any of their code
 * runs. The dynamic linker tells its debugger about the initial libraries
 * (r_brk with RT_CONSISTENT) only after it has relocated them, which runs
 * their IFUNC resolvers, and after it has called libc's __libc_early_init:
 * a probe armed then misses those calls. So from the start until that
 * report, the core also watches the program's system calls: a library is
 * mapped by mmap/mprotect calls followed by some other call (glibc and
 * musl close the file), and at that other call's exit the module list is
 * read again and every PROBE naming a module now there is armed. The call
 * has completed, so a remote system call (a new XOL page) may run then.
 *
 * A plain name without a MODULE is placed too, in the libraries mapped so
 * far, and checked again at the report (a name several libraries define is
 * an error); a glob without a MODULE waits for the report, as its matches
 * in libraries still to come would be missed.
 *
 * An IFUNC's implementation is known once its library is relocated. For a
 * library loaded by dlopen the dynamic linker reports it before relocating
 * it, and nothing after: so while an IFUNC waits, the core watches system
 * calls again and tries at each one's exit. The relocation ends with an
 * mprotect (RELRO) before the library's constructors run.
 */
#include <errno.h>
#include <string.h>

#include "core_internal.h"
#include "uptrace/sym.h"

/* Is some PROBE still waiting for a library? */
static bool module_pending(struct up_core *c)
{
	for (unsigned i = 0; i < c->nspecs; i++)
		if (!c->specs[i].resolved)
			return true;
	return false;
}

/* Syscall stops on while either watch wants them. */
static int watch_update(struct up_core *c)
{
	bool want = c->load_watch || c->reloc_watch;
	int err;

	if (want == c->watching)
		return 0;
	err = c->t->ops->watch_syscalls(c->t, want);
	if (err)
		return err;
	c->watching = want;
	return 0;
}

int load_watch_start(struct up_core *c)
{
	int err;

	if (!c->cfg.spawned || c->libs_loaded || !module_pending(c))
		return 0;
	c->load_watch = true;
	c->maps_changed = false;
	err = watch_update(c);
	if (err)
		c->load_watch = false;
	return err == -ENOTSUP ? 0 : err;
}

void load_watch_stop(struct up_core *c)
{
	if (!c->load_watch)
		return;
	c->load_watch = false;
	watch_update(c);
}

int load_watch_relocation(struct up_core *c)
{
	int err;

	if (c->reloc_watch || !resolve_waiting(c))
		return 0;
	c->reloc_watch = true;
	err = watch_update(c);
	if (err)
		c->reloc_watch = false;
	return err == -ENOTSUP ? 0 : err;
}

static bool maps_call(const struct up_arch *a, long nr)
{
	return nr < 0 || nr == a->nr_mmap || nr == a->nr_mprotect || nr == a->nr_munmap;
}

int load_syscall_stop(struct up_core *c, const struct up_stop *st, bool resume)
{
	int n, err;

	if (st->syscall_exit && c->reloc_watch) {
		unsigned had = c->nprobes;

		c->stopped_tid = st->tid;
		core_select_space(c, st->tid);
		err = resolve_pending(c, false);
		/* the first return probe may have just been placed: the unwinders need hooks */
		if (!err && c->nprobes != had)
			err = unwind_hooks_refresh(c);
		if (err)
			return err;
		if (!resolve_waiting(c)) {
			c->reloc_watch = false;
			watch_update(c);
		}
	}
	if (!st->syscall_exit) {
		if (maps_call(c->arch, st->syscall_nr))
			c->maps_changed = true;
	} else if (c->load_watch && c->maps_changed && !maps_call(c->arch, st->syscall_nr)) {
		c->maps_changed = false;
		c->stopped_tid = st->tid;
		core_select_space(c, st->tid);
		n = up_sym_refresh(c->sym);
		if (n < 0) {
			core_error(c, "cannot read the modules of process %d: %s", (int)c->t->pid,
				   strerror(-n));
			return n;
		}
		points_forget_unmapped(c);
		if (n > 0 || resolve_waiting(c)) {
			unsigned had = c->nprobes;

			err = resolve_pending(c, false);
			/* return probes and the unwinder may both have just arrived */
			if (!err && (n > 0 || c->nprobes != had))
				err = unwind_hooks_refresh(c);
			if (err)
				return err;
		}
		if (!module_pending(c))
			load_watch_stop(c);
	}
	return resume ? c->t->ops->resume(c->t, st->tid, 0) : 0;
}

bool load_initial_done(struct up_core *c, int new_modules)
{
	int state = up_sym_link_state(c->sym);

	if (state < 0)
		return new_modules > 0; /* no r_debug to ask: the first report with libraries */
	return state == UP_LINK_CONSISTENT;
}
