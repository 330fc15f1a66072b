/* SPDX-License-Identifier: MIT */
/*
 * The traced process called exec: its text, our breakpoints and XOL pages
 * went with the old image. Forget them, read the new program's modules,
 * and resolve every PROBE again as for a program just started (probes
 * keep their counts when they resolve to the same key).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"
#include "uptrace/sym.h"

int core_exec(struct up_core *c, pid_t tid)
{
	uint64_t rbrk;
	int err;

	ring_drain(c, false); /* the old image's records, before its memory goes */
	fast_forget(c);
	points_clear(c);
	threads_clear(c);
	for (unsigned i = 0; i < c->nprobes; i++)
		c->probes[i]->retired = true;
	usdt_exec(c);
	fallback_forget(c);
	for (unsigned i = 0; i < c->nspecs; i++) {
		c->specs[i].resolved = false;
		c->specs[i].rearm = false;
	}
	c->npages = 0;
	c->trampoline = 0;
	c->syscall_insn = 0;
	c->t->ops->syscall_insn_placed(c->t, 0);
	c->libs_loaded = false;
	c->after_exec = true;
	c->stopped_tid = tid;
	if (!thread_get(c, tid))
		return -ENOMEM;

	err = up_sym_reset(c->sym);
	if (err) {
		core_error(c, "cannot read the symbols of %s after exec: %s", c->t->exe,
			   strerror(-err));
		return err;
	}
	err = xol_ensure_trampoline(c, tid);
	if (!err)
		err = fallback_install(c, tid);
	if (err)
		return err;
	if (up_sym_rbrk(c->sym, &rbrk) == 0) {
		err = point_add_probe(c, rbrk, NULL, true);
		if (err)
			return err;
		err = resolve_pending(c, false);
	} else {
		c->libs_loaded = true;
		err = resolve_pending(c, true);
	}
	if (!err)
		err = unwind_hooks_refresh(c);
	if (err)
		return err;
	err = points_arm_all(c);
	if (!err)
		err = fast_flush(c);
	return err ? err : load_watch_start(c);
}
