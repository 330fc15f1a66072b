/* SPDX-License-Identifier: MIT */
/*
 * The trap-free path (design.md): a probe point whose work the target can
 * do by itself gets a jump to a trampoline of its own instead of a
 * breakpoint. The trampoline counts the hit into memory shared with the
 * tracer (shared.c), or writes it as a record on the ring there (events:
 * ring.c), runs the displaced instructions relocated and jumps back: no
 * trap, no system call, no context switch.
 *
 *   point_arm -> fast_point_queue   is the point's work simple enough?
 *   resolve_pending, start, exec
 *             -> fast_flush         with every thread stopped: analyse each
 *                                   queued site (arch->fast), scan the threads
 *                                   (PC, and every word of their stacks) for
 *                                   one inside a window, write trampolines and
 *                                   patches; the rest get their breakpoint
 *   up_core_probes -> fast_fold     the shared counters into the probes' hits
 *   detach    -> point_restore      every window's bytes back (threads are
 *                                   stepped out of trampolines, which live in
 *                                   XOL pages, with the slots)
 *
 * The breakpoint path stays the reference: whatever is not sure here takes
 * it, and -v says which path each probe took and why.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"
#include "uptrace/fast.h"
#include "uptrace/sym.h"

/* The shared memory: a header page, then one counter line per trap-free point. */
#define FAST_MAGIC 0x31747361667075ull /* "upfast1" */
#define FAST_COUNTERS 4096ull
#define FAST_LINE 64 /* a point's counters, alone on a cache line */
#define FAST_IDS_MAX 65536u
#define FAST_SHM_SIZE (FAST_COUNTERS + (uint64_t)FAST_IDS_MAX * FAST_LINE)
#define FAST_PAGE 4096u
#define FUNC_MAX (1u << 20)
#define STACK_SCAN_MAX (64u << 20) /* bytes of one thread's stack scanned, at most */

struct fast_counter {
	uint64_t hits;
	uint64_t dropped;
};

/* A point on the trap-free path (up_point.fast). */
struct fast_point {
	struct up_fast_site site;
	uint64_t tramp;		  /* its trampoline, 0 until written */
	uint16_t reloc_at;	  /* where the relocated window starts in it */
	uint16_t size;		  /* bytes of the trampoline, window included */
	struct up_fast_tramp t;	  /* what it was built from (leave() rebuilds it) */
	struct up_fast_reloc rel; /* its relocated window */
	uint32_t id;		  /* its counter line */
	uint64_t seen;		  /* hits already folded into the probes */
	uint64_t seen_dropped;	  /* and records dropped */
	bool patched;		  /* the jump is in the text */
	bool busy;		  /* a thread is inside its window: not now */
	bool refused;		  /* why says why not */
	char why[UP_FAST_WHY_LEN + 64];
};

struct fast_page {
	uint64_t addr;
	unsigned used;
};

/* Where a module's code can be entered: every direct branch target and address taken. */
struct module_entries {
	uint64_t lo, hi; /* the executable range scanned */
	uint64_t *addr;	 /* sorted */
	size_t n;
};

struct core_fast {
	struct core_shared shm;
	bool keep; /* detach leaves the pages and the memory mapped (a frame needs them) */
	bool shm_failed;
	uint32_t next_id;
	struct up_point **queue;
	unsigned nqueue, queue_cap;
	struct fast_page *pages;
	unsigned npages, pages_cap;
	struct module_entries *mods;
	unsigned nmods, mods_cap;
};

static struct core_fast *fast_state(struct up_core *c)
{
	if (!c->fast)
		c->fast = calloc(1, sizeof(*c->fast));
	return c->fast;
}

/* The probe's key as -v shows it: the first probe's, and how many more share the point. */
static void note(struct up_core *c, const struct up_point *pt, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(struct up_core *c, const struct up_point *pt, const char *fmt, ...)
{
	va_list ap;

	if (!c->cfg.verbose || !pt->nprobes)
		return;
	fprintf(stderr, "uptrace: probe '%s'", pt->probes[0]->key);
	if (pt->nprobes > 1)
		fprintf(stderr, " (and %u more)", pt->nprobes - 1);
	fprintf(stderr, " at 0x%llx: ", (unsigned long long)pt->addr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Why a probe's work needs the tracer at each hit (NULL: the target can do it alone). */
static const char *probe_needs_tracer(struct up_core *c, const struct up_probe *p)
{
	if (p->is_return)
		return "a return probe (the trap-free path has entry probes only)";
	if (c->cfg.max_events)
		return "-n counts hits one by one";
	if (p->pred.nnodes)
		return "a predicate";
	if (p->hist_value)
		return "--hist=ARG";
	return NULL;
}

/* The same for a whole point: each of its probes, and the core's own uses of it. */
static const char *needs_tracer(struct up_core *c, const struct up_point *pt)
{
	if (pt->is_rbrk || pt->unwind)
		return "the tracer's own hook on it";
	if (pt->has_return || pt->captures)
		return "a return probe (the trap-free path has entry probes only)";
	for (unsigned i = 0; i < pt->nprobes; i++) {
		const char *why = probe_needs_tracer(c, pt->probes[i]);

		if (why)
			return why;
	}
	/* events: one record per hit, of one probe's values */
	if (!c->cfg.count_only && pt->nprobes > 1)
		return "events of several probes at one address";
	if (!c->cfg.count_only)
		return ring_usable(c, pt->probes[0]);
	return NULL;
}

bool fast_point_queue(struct up_core *c, struct up_point *pt)
{
	struct core_fast *f;
	const char *why = NULL;

	if (pt->is_rbrk || pt->unwind || !pt->nprobes)
		return false; /* the core's own points: the tracer acts at each hit */
	if (pt->fast)
		return true; /* queued already */
	if (c->cfg.breakpoints_only)
		why = "--breakpoints-only";
	else if (!c->arch->fast)
		why = "no trap-free path on this architecture yet";
	else if (!c->t->caps.procfs)
		why = "a remote target (the trap-free path is native only)";
	else
		why = needs_tracer(c, pt);
	if (why) {
		note(c, pt, "breakpoint (%s)", why);
		return false;
	}
	f = fast_state(c);
	if (!f)
		return false;
	if (f->nqueue == f->queue_cap) {
		unsigned cap = f->queue_cap ? f->queue_cap * 2 : 64;
		struct up_point **q = realloc(f->queue, cap * sizeof(*q));

		if (!q)
			return false;
		f->queue = q;
		f->queue_cap = cap;
	}
	pt->fast = calloc(1, sizeof(*pt->fast));
	if (!pt->fast)
		return false;
	f->queue[f->nqueue++] = pt;
	return true;
}

/* --- the original code ----------------------------------------------------------------- */

/*
 * Target memory as the program has it: our breakpoints and jumps in the
 * range replaced by the bytes they displaced, so that a decode sees code.
 */
static int read_original(struct up_core *c, uint64_t addr, uint8_t *buf, size_t len)
{
	int err = c->t->ops->read(c->t, addr, buf, len);

	if (err)
		return err;
	const struct up_point *pt;

	for (unsigned i = 0; (pt = up_table_next(&c->points, &i));) {
		const uint8_t *orig;
		unsigned n;

		if (!pt->armed)
			continue;
		orig = pt->fast ? pt->fast->site.orig : pt->insn.bytes;
		n = pt->fast ? pt->fast->site.len : pt->bp_len;
		for (unsigned k = 0; k < n; k++)
			if (pt->addr + k >= addr && pt->addr + k < addr + len)
				buf[pt->addr + k - addr] = orig[k];
	}
	return 0;
}

/* --- where code can be entered -------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The entries of the executable range holding addr, scanned once per range. */
static struct module_entries *entries_of(struct up_core *c, const char *module, uint64_t addr)
{
	struct core_fast *f = c->fast;
	uint64_t ranges[8][2], lo = 0, hi = 0;
	struct module_entries *m;
	struct up_fast_code code;
	uint8_t *bytes;
	int n;

	for (unsigned i = 0; i < f->nmods; i++)
		if (addr >= f->mods[i].lo && addr < f->mods[i].hi)
			return &f->mods[i];
	n = up_sym_exec_ranges(c->sym, module, ranges, 8);
	for (int i = 0; i < n; i++)
		if (addr >= ranges[i][0] && addr < ranges[i][1])
			lo = ranges[i][0], hi = ranges[i][1];
	if (!hi || hi - lo > (256u << 20) || !c->arch->fast->entries)
		return NULL;
	if (f->nmods == f->mods_cap) {
		unsigned cap = f->mods_cap ? f->mods_cap * 2 : 8;
		struct module_entries *g = realloc(f->mods, cap * sizeof(*g));

		if (!g)
			return NULL;
		f->mods = g;
		f->mods_cap = cap;
	}
	bytes = malloc(hi - lo);
	if (!bytes)
		return NULL;
	if (read_original(c, lo, bytes, hi - lo)) {
		free(bytes);
		return NULL;
	}
	m = &f->mods[f->nmods];
	memset(m, 0, sizeof(*m));
	code = (struct up_fast_code){lo, bytes, hi - lo, true};
	if (c->arch->fast->entries(c->arch, &code, &m->addr, &m->n)) {
		free(bytes);
		return NULL;
	}
	free(bytes);
	qsort(m->addr, m->n, sizeof(*m->addr), cmp_u64);
	m->lo = lo;
	m->hi = hi;
	f->nmods++;
	return m;
}

/* Does any entry of m fall in (lo, hi)? */
static bool entered(const struct module_entries *m, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = m->n;

	while (a < b) { /* the first entry > lo */
		size_t mid = a + (b - a) / 2;

		if (m->addr[mid] <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < m->n && m->addr[a] < hi;
}

/* --- the analysis of one queued point --------------------------------------------------- */

/* The function holding the point (its entry and size), from the first probe's module. */
static const char *analyse(struct up_core *c, struct up_point *pt)
{
	char *why = pt->fast->why;
	size_t whylen = sizeof(pt->fast->why);
	struct fast_point *fp = pt->fast;
	const struct up_probe *p = pt->probes[0];
	struct up_module_info mi;
	struct up_func_match m;
	struct up_fast_code code;
	struct module_entries *ents;
	uint64_t run, size;
	uint8_t *bytes;
	int err;

	memset(&m, 0, sizeof(m));
	if (up_sym_module(c->sym, p->module, &mi) ||
	    up_sym_link_to_runtime(c->sym, p->module, pt->addr - mi.bias, &run, &m))
		return "its module is not known";
	size = m.func[0] && m.size && pt->addr >= m.addr && pt->addr < m.addr + m.size ? m.size : 0;
	if (size > FUNC_MAX)
		return "its function is longer than 1 MB";
	code.sized = size != 0;
	code.addr = size ? m.addr : pt->addr;
	code.len = size ? size : UP_INSN_MAX_LEN;
	bytes = malloc(code.len);
	if (!bytes)
		return "out of memory";
	while (code.len && read_original(c, code.addr, bytes, code.len))
		code.len -= code.sized ? code.len : 1; /* a function unreadable whole: refused */
	code.bytes = bytes;
	err = code.len ? c->arch->fast->analyze(c->arch, &code, 1, pt->addr, &fp->site) : -EFAULT;
	free(bytes);
	if (err) {
		snprintf(why, whylen, "%s",
			 err == -EFAULT ? "its code is not readable" : fp->site.why);
		return why;
	}
	/* other probes inside the window, or another window over this site */
	for (unsigned k = 1; k < fp->site.len; k++)
		if (point_find(c, pt->addr + k)) {
			snprintf(why, whylen, "another probe at +%u, inside the window", k);
			return why;
		}
	for (unsigned k = 1; k < UP_FAST_WINDOW_MAX; k++) {
		struct up_point *o = point_find(c, pt->addr - k);

		if (o && o->fast && o->fast->patched && o->fast->site.len > k) {
			snprintf(why, whylen, "inside the trap-free window of 0x%llx",
				 (unsigned long long)o->addr);
			return why;
		}
	}
	if (fp->site.single)
		return NULL;
	/* a branch from elsewhere in the module (a cold part, hand-written code) */
	ents = entries_of(c, p->module, pt->addr);
	if (!ents)
		return "its module's code cannot be scanned for branches into the window";
	if (entered(ents, pt->addr, pt->addr + fp->site.len))
		return "code elsewhere in its module branches into the window";
	return NULL;
}

/* --- threads ----------------------------------------------------------------------------- */

struct window {
	uint64_t lo, hi; /* the interior: (lo, hi) */
	struct fast_point *fp;
	bool busy;
};

static int cmp_window(const void *a, const void *b)
{
	const struct window *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Mark the window holding v (an address strictly inside one) busy. */
static void mark(struct window *w, unsigned n, uint64_t v)
{
	unsigned a = 0, b = n;

	while (a < b) { /* the last window with lo < v */
		unsigned mid = a + (b - a) / 2;

		if (w[mid].lo < v)
			a = mid + 1;
		else
			b = mid;
	}
	if (a > 0 && v < w[a - 1].hi)
		w[a - 1].busy = true;
}

/*
 * Every thread stopped: is its PC (with pcs), or any word of its stack (a
 * return address, a signal frame's PC: conservatively, anything), strictly
 * inside a window? Those windows wait (busy). -EAGAIN when a thread's
 * registers cannot be read (not stopped?): then no window is safe.
 */
static int scan_threads(struct up_core *c, struct window *w, unsigned nw, bool pcs)
{
	struct up_mapping *maps = NULL;
	pid_t *tids = NULL;
	uint64_t *buf = malloc(1 << 16);
	int n, nmaps, err = 0;

	/* whole lists: one cut short could hide the thread inside a window */
	nmaps = core_list_mappings(c, &maps);
	n = core_list_threads(c, &tids);
	if (!buf || nmaps < 0 || n < 0) {
		err = !buf ? -ENOMEM : nmaps < 0 ? nmaps : n;
		goto out;
	}
	for (int i = 0; i < n && !err; i++) {
		struct up_regs regs;
		uint64_t sp, end = 0;

		err = c->t->ops->get_regs(c->t, tids[i], &regs);
		if (err == -ESRCH) {
			err = -EAGAIN;
			break;
		}
		if (err)
			break;
		if (pcs)
			mark(w, nw, regs.r[c->arch->pc_reg]);
		sp = regs.r[c->arch->sp_reg] & ~7ull;
		for (int k = 0; k < nmaps; k++)
			if (sp >= maps[k].start && sp < maps[k].end)
				end = maps[k].end;
		if (!end) {
			err = -EAGAIN; /* a stack in no mapping: its words cannot be read */
			break;
		}
		if (end - sp > STACK_SCAN_MAX)
			end = sp + STACK_SCAN_MAX;
		for (uint64_t at = sp; at < end;) {
			size_t len = end - at < (1 << 16) ? end - at : (1 << 16);

			if (c->t->ops->read(c->t, at, buf, len))
				break;
			for (size_t k = 0; k < len / 8; k++)
				mark(w, nw, buf[k]);
			at += len;
		}
	}
out:
	free(maps);
	free(tids);
	free(buf);
	return err;
}

/* --- trampolines and patches ------------------------------------------------------------ */

/* room for len bytes of trampoline within the jump's reach of site */
static int tramp_room(struct up_core *c, uint64_t site, size_t len, uint64_t *out)
{
	struct core_fast *f = c->fast;
	uint64_t reach = c->arch->fast->reach, addr;
	struct fast_page *pg;
	int err;

	for (unsigned i = 0; i < f->npages; i++) {
		pg = &f->pages[i];
		if (pg->used + len <= FAST_PAGE &&
		    pg->addr - site + reach <= 2 * reach - FAST_PAGE) {
			*out = pg->addr + pg->used;
			return 0;
		}
	}
	if (f->npages == f->pages_cap) {
		unsigned cap = f->pages_cap ? f->pages_cap * 2 : 8;
		struct fast_page *g = realloc(f->pages, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		f->pages = g;
		f->pages_cap = cap;
	}
	err = xol_map_fast_page(c, site, c->stopped_tid, &addr);
	if (err)
		return err;
	if (addr - site + reach > 2 * reach - FAST_PAGE)
		return -ERANGE; /* kept: another site may reach it */
	f->pages[f->npages++] = (struct fast_page){addr, 0};
	*out = addr;
	return 0;
}

static struct fast_page *page_of(struct core_fast *f, uint64_t addr)
{
	for (unsigned i = 0; i < f->npages; i++)
		if (addr >= f->pages[i].addr && addr < f->pages[i].addr + FAST_PAGE)
			return &f->pages[i];
	return NULL;
}

/* Write the point's trampoline and then its jump. */
static const char *patch(struct up_core *c, struct up_point *pt, char *why, size_t whylen)
{
	struct core_fast *f = c->fast;
	struct fast_point *fp = pt->fast;
	struct fast_counter *cnt;
	struct up_fast_tramp t = {.site = pt->addr};
	struct up_fast_reloc rel;
	uint8_t code[UP_FAST_TRAMP_MAX + UP_FAST_RELOC_MAX], bytes[UP_FAST_WINDOW_MAX];
	size_t len = 0;
	uint64_t at;
	int err;

	if (f->next_id >= FAST_IDS_MAX)
		return "too many trap-free probes";
	fp->id = f->next_id;
	cnt = (struct fast_counter *)((uint8_t *)f->shm.local + FAST_COUNTERS +
				      (uint64_t)fp->id * FAST_LINE);
	t.counter = f->shm.remote + FAST_COUNTERS + (uint64_t)fp->id * FAST_LINE;
	if (!c->cfg.count_only) {
		/* events: a record on the ring per hit; a full ring's drops on the counter line */
		t.counter = 0;
		t.dropped = f->shm.remote + FAST_COUNTERS + (uint64_t)fp->id * FAST_LINE +
			    offsetof(struct fast_counter, dropped);
		err = ring_bind(c, pt->probes[0], fp->id, &t);
		if (err) {
			snprintf(why, whylen, "no ring for its records: %s", strerror(-err));
			return why;
		}
	}
	/* a first guess of the room it needs, at the trampoline's final address after */
	err = c->arch->fast->build(c->arch, &t, 0, code, &len, NULL, NULL);
	if (!err)
		err = tramp_room(c, pt->addr, (len + UP_FAST_RELOC_MAX + 15) & ~15ul, &at);
	if (!err)
		err = c->arch->fast->build(c->arch, &t, at, code, &len, NULL, NULL);
	if (!err)
		err = c->arch->fast->relocate(c->arch, &fp->site, at + len, &rel);
	if (!err)
		err = c->arch->fast->patch(c->arch, &fp->site, at, bytes);
	if (err) {
		snprintf(why, whylen, "%s",
			 err == -ERANGE ? "no trampoline page within reach of the site and its "
					  "operands"
					: strerror(-err));
		return why;
	}
	memcpy(code + len, rel.code, rel.len);
	/* a fork child released, or a -f child that must use breakpoints, needs the slot */
	if (pt->insn.action == UP_INSN_XOL && !pt->slot) {
		err = xol_slot_for(c, pt, c->stopped_tid);
		if (err) {
			if (c->err)
				c->err[0] = 0; /* said in the note, as the breakpoint's reason */
			return "no XOL slot for it";
		}
	}
	cnt->hits = 0;
	cnt->dropped = 0;
	err = c->t->ops->write(c->t, at, code, len + rel.len);
	if (err) {
		snprintf(why, whylen, "cannot write its trampoline: %s", strerror(-err));
		return why;
	}
	page_of(f, at)->used += (unsigned)((len + rel.len + 15) & ~15ul);
	fp->tramp = at;
	fp->reloc_at = (uint16_t)len;
	fp->size = (uint16_t)(len + rel.len);
	fp->t = t;
	fp->rel = rel;
	/* the record first: a tracer killed after the write leaves a window the guardian restores
	 */
	if (up_fb_window_add(&c->fb, pt->addr, fp->site.orig, fp->site.len) && c->fb.d)
		return "no room for it in the fallback record";
	err = core_write_text(c, pt->addr, bytes, fp->site.len);
	if (err) {
		snprintf(why, whylen, "cannot write its jump: %s", strerror(-err));
		return why;
	}
	f->next_id++;
	fp->patched = true;
	pt->armed = true;
	return NULL;
}

static int map_shared(struct up_core *c)
{
	struct core_fast *f = c->fast;
	uint64_t *hdr;
	int err;

	if (f->shm.local || f->shm_failed)
		return f->shm.local ? 0 : -ENOTSUP;
	/* the events' ring, if any, after the counters: mapped, recorded and unmapped with them */
	err = shared_map(c, c->stopped_tid, "uptrace-fast", FAST_SHM_SIZE + ring_bytes(c), 0,
			 &f->shm);
	if (err) {
		f->shm_failed = true;
		return err;
	}
	hdr = f->shm.local;
	hdr[0] = FAST_MAGIC;
	if (ring_bytes(c)) {
		/* the target's view faulted in now (MADV_POPULATE_WRITE), not at each first record */
		const uint64_t args[6] = {f->shm.remote + FAST_SHM_SIZE, ring_bytes(c), 23};

		err = ring_setup(c, (uint8_t *)f->shm.local + FAST_SHM_SIZE,
				 f->shm.remote + FAST_SHM_SIZE);
		if (!err &&
		    c->arch->nr_madvise) /* a kernel before 5.14 says no: it costs a fault */
			up_remote_syscall(c->t, c->stopped_tid, c->syscall_insn,
					  c->arch->nr_madvise, args);
	}
	if (err)
		return err;
	up_fb_fast_shm(&c->fb, f->shm.remote, f->shm.size);
	return 0;
}

/* A queued point takes the breakpoint path after all. */
static int fall_back(struct up_core *c, struct up_point *pt, const char *why)
{
	note(c, pt, "breakpoint (%s)", why);
	free(pt->fast);
	pt->fast = NULL;
	return point_arm_breakpoint(c, pt);
}

static bool in_child_space(struct up_core *c)
{
	struct up_thread *th = c->nchildren ? thread_find(c, c->stopped_tid) : NULL;

	return th && th->pid && th->pid != c->t->pid;
}

/* Every thread stopped, when tracing runs (before it, they are). */
static int stop_for(struct up_core *c, bool *stopped)
{
	int err = 0;

	if (c->started && !*stopped) {
		err = c->t->ops->stop_all(c->t);
		*stopped = !err;
	}
	return err;
}

static int resume_after(struct up_core *c, bool stopped, int err)
{
	int r = stopped ? c->t->ops->resume_all(c->t) : 0;

	return err ? err : r;
}

int fast_flush(struct up_core *c)
{
	struct core_fast *f = c->fast;
	struct window *w = NULL;
	unsigned nw = 0, nq;
	struct up_point **q;
	const char *shared_why = NULL;
	char why[UP_FAST_WHY_LEN + 64];
	bool stopped = false;
	int err = 0, ret = 0;

	if (!f || !f->nqueue)
		return 0;
	/* taken over: points queued meanwhile (a fall-back's XOL slot) wait for the next flush */
	q = f->queue;
	nq = f->nqueue;
	f->queue = NULL;
	f->nqueue = f->queue_cap = 0;

	if (in_child_space(c))
		shared_why = "in a followed child (-f) the trap-free path is not set up";
	else if (map_shared(c))
		shared_why = "no memory shared with the target";
	if (!shared_why && stop_for(c, &stopped))
		shared_why = "cannot stop every thread to patch";
	if (!shared_why) {
		w = calloc(nq, sizeof(*w));
		if (!w)
			shared_why = "out of memory";
	}
	for (unsigned i = 0; i < nq && !shared_why; i++) {
		struct fast_point *fp = q[i]->fast;
		/* probes that joined it since it was queued (a %return on the same function) */
		const char *bad = needs_tracer(c, q[i]);

		if (!bad)
			bad = analyse(c, q[i]);

		if (bad) {
			if (bad != fp->why)
				snprintf(fp->why, sizeof(fp->why), "%s", bad);
			fp->refused = true;
			continue;
		}
		w[nw++] = (struct window){q[i]->addr, q[i]->addr + fp->site.len, fp};
	}
	if (!shared_why && nw) {
		qsort(w, nw, sizeof(*w), cmp_window);
		err = scan_threads(c, w, nw, true);
		if (err)
			shared_why = err == -EAGAIN  ? "a thread could not be inspected"
				     : err == -E2BIG ? "too many threads or mappings to inspect"
						     : "cannot inspect the threads";
		for (unsigned i = 0; i < nw; i++)
			w[i].fp->busy = w[i].busy;
	}
	for (unsigned i = 0; i < nq; i++) {
		struct up_point *pt = q[i];
		struct fast_point *fp = pt->fast;
		const char *bad = shared_why;

		if (!bad && fp->refused)
			bad = fp->why;
		if (!bad && fp->busy)
			bad = "a thread is inside its window now";
		if (!bad)
			bad = patch(c, pt, why, sizeof(why));
		if (!bad) {
			note(c, pt, "trap-free (a jump over %u instruction%s, %u bytes%s)",
			     fp->site.ninsns, fp->site.ninsns > 1 ? "s" : "", fp->site.len,
			     fp->t.ring ? "; events on the ring" : "");
			continue;
		}
		err = fall_back(c, pt, bad);
		if (err && !ret)
			ret = err;
	}
	ret = resume_after(c, stopped, ret);
	free(w);
	free(q);
	/* the fall-backs' own needs (XOL pages) may have queued nothing; flush what did */
	return ret ? ret : (f->nqueue ? fast_flush(c) : 0);
}

/* --- the rest of a point's life ------------------------------------------------------------ */

/*
 * A point is about to be made at addr, inside a window patched before: the
 * window goes back to the breakpoint path (its bytes restored, its
 * trampoline left to the threads still in it), so both can be breakpoints.
 */
/*
 * A patched point goes back to the breakpoint path (every thread stopped
 * by the caller): its hits so far folded, its window's bytes restored,
 * its trampoline left to the threads still in it.
 */
static int demote(struct up_core *c, struct up_point *pt, const char *why)
{
	int err;

	fast_fold(c);
	err = fast_point_restore(c, pt);
	if (err)
		return err;
	note(c, pt, "breakpoint (%s)", why);
	free(pt->fast);
	pt->fast = NULL;
	return point_arm_breakpoint(c, pt);
}

int fast_uncover(struct up_core *c, uint64_t addr)
{
	bool stopped = false;
	int err = 0;

	for (unsigned k = 1; c->fast && k < UP_FAST_WINDOW_MAX; k++) {
		struct up_point *pt = point_find(c, addr - k);

		if (!pt || !pt->fast || !pt->fast->patched || k >= pt->fast->site.len)
			continue;
		err = stop_for(c, &stopped);
		if (!err)
			err = demote(c, pt, "a probe was placed inside its window");
		break;
	}
	return resume_after(c, stopped, err);
}

int fast_join(struct up_core *c, struct up_point *pt, const struct up_probe *p)
{
	bool stopped = false;
	const char *why;
	int err;

	if (!pt->fast || !pt->fast->patched)
		return 0; /* not patched (yet): fast_flush looks at every probe it has then */
	why = p ? probe_needs_tracer(c, p) : "the tracer's own hook on it";
	if (!why && !c->cfg.count_only)
		why = "events of several probes at one address";
	err = stop_for(c, &stopped);
	if (err)
		return err;
	/* the hits so far are the older probes' alone; with every thread stopped, exactly */
	if (why)
		err = demote(c, pt, why);
	else
		fast_fold(c);
	return resume_after(c, stopped, err);
}

int fast_point_restore(struct up_core *c, struct up_point *pt)
{
	struct fast_point *fp = pt->fast;
	int err;

	if (!fp->patched)
		return 0;
	err = core_write_text(c, pt->addr, fp->site.orig, fp->site.len);
	if (err && err != -ESRCH)
		return err;
	fp->patched = false;
	pt->armed = false;
	return 0;
}

/*
 * tid was single-stepped from old_pc in one of our pages (a slot, a
 * trampoline): undo what the step itself left (a pushed trap flag).
 */
int fast_after_step(struct up_core *c, pid_t tid, uint64_t old_pc)
{
	const struct up_fast_ops *ops = c->arch->fast;
	uint8_t insn[4];
	struct up_regs regs;

	if (!ops || !ops->stepped || c->t->ops->read(c->t, old_pc, insn, sizeof(insn)) ||
	    c->t->ops->get_regs(c->t, tid, &regs))
		return 0;
	return ops->stepped(c->arch, insn, sizeof(insn), &regs, &c->mem);
}

/*
 * Detach, every window restored: a thread stopped inside a trampoline is
 * moved to the same place in the original code (arch->fast->leave), with
 * no single-step. 0 when it was in none (or is moved now).
 */
int fast_settle_thread(struct up_core *c, pid_t tid)
{
	struct up_point *pt;
	struct up_regs regs;
	uint64_t pc;
	int err;

	if (!c->fast || !c->arch->fast->leave || c->t->ops->get_regs(c->t, tid, &regs))
		return 0;
	pc = regs.r[c->arch->pc_reg];
	if (!page_of(c->fast, pc))
		return 0;
	for (unsigned i = 0; (pt = up_table_next(&c->points, &i));) {
		struct fast_point *fp = pt->fast;

		if (!fp || !fp->tramp || pc < fp->tramp || pc >= fp->tramp + fp->size)
			continue;
		err = c->arch->fast->leave(c->arch, &fp->t, fp->tramp, &fp->site, &fp->rel, &regs,
					   &c->mem);
		if (err)
			return err; /* left to the single-steps */
		if (c->cfg.verbose)
			fprintf(stderr,
				"uptrace: thread %d was in the trampoline of 0x%llx (+%llu): on at "
				"0x%llx\n",
				(int)tid, (unsigned long long)pt->addr,
				(unsigned long long)(pc - fp->tramp),
				(unsigned long long)regs.r[c->arch->pc_reg]);
		return c->t->ops->set_regs(c->t, tid, &regs);
	}
	return 0;
}

/*
 * Detach: does a thread's stack hold an address in a trampoline page (a
 * signal handler's frame returning there: a signal delivered to a thread
 * in a trampoline)? Its PC there does not count: it is moved out. Then
 * the pages and the shared memory stay mapped, for it to return to, and
 * -v says so.
 */
void fast_keep_if_referenced(struct up_core *c)
{
	struct core_fast *f = c->fast;
	struct window *w;
	bool keep = false;

	if (!f || !f->npages)
		return;
	w = calloc(f->npages, sizeof(*w));
	if (!w)
		return;
	for (unsigned i = 0; i < f->npages; i++)
		w[i] = (struct window){f->pages[i].addr - 1, f->pages[i].addr + FAST_PAGE, NULL};
	qsort(w, f->npages, sizeof(*w), cmp_window);
	/* a PC there is not a reason: detach moves that thread out (fast_settle_thread) */
	if (scan_threads(c, w, f->npages, false) == 0)
		for (unsigned i = 0; i < f->npages; i++)
			keep |= w[i].busy;
	free(w);
	if (!keep)
		return;
	f->keep = true;
	for (unsigned i = 0; i < f->npages; i++)
		xol_keep_page(c, f->pages[i].addr);
	if (c->cfg.verbose)
		fprintf(stderr,
			"uptrace: a thread's stack refers to a trap-free trampoline: its pages "
			"stay mapped in process %d\n",
			(int)c->t->pid);
}

bool fast_contains(struct up_core *c, uint64_t pc)
{
	struct core_fast *f = c->fast;

	return f && page_of(f, pc) != NULL;
}

/*
 * A thread trapped on a window's padding (an instruction boundary past the
 * jump, reached by a branch nothing showed): it runs on from that
 * instruction's relocated copy, as if the window were not patched.
 */
bool fast_stray(struct up_core *c, uint64_t pc, struct up_regs *regs)
{
	for (unsigned k = 1; c->fast && k < UP_FAST_WINDOW_MAX; k++) {
		struct up_point *pt = point_find(c, pc - k);
		struct fast_point *fp = pt ? pt->fast : NULL;

		if (!fp || !fp->patched || k >= fp->site.len)
			continue;
		for (unsigned i = 1; i < fp->site.ninsns; i++)
			if (fp->site.insn_off[i] == k) {
				regs->r[c->arch->pc_reg] =
				    fp->tramp + fp->reloc_at + fp->rel.insn_off[i];
				return true;
			}
	}
	return false;
}

/* The shared counters, added to the probes' hits since the last fold. */
void fast_fold(struct up_core *c)
{
	struct core_fast *f = c->fast;
	struct up_point *pt;

	if (!f || !f->shm.local)
		return;
	for (unsigned i = 0; (pt = up_table_next(&c->points, &i));) {
		struct fast_point *fp = pt->fast;
		const struct fast_counter *cnt;
		uint64_t now, delta;

		if (!fp || !fp->tramp)
			continue;
		cnt = (const struct fast_counter *)((uint8_t *)f->shm.local + FAST_COUNTERS +
						    (uint64_t)fp->id * FAST_LINE);
		now = __atomic_load_n(&cnt->hits, __ATOMIC_RELAXED);
		delta = now - fp->seen;
		fp->seen = now;
		for (unsigned k = 0; k < pt->nprobes; k++)
			up_probe_counter(pt->probes[k])->hits += delta;
		/* the records a full ring dropped (events: one probe per point) */
		now = __atomic_load_n(&cnt->dropped, __ATOMIC_RELAXED);
		delta = now - fp->seen_dropped;
		fp->seen_dropped = now;
		if (pt->nprobes)
			up_probe_counter(pt->probes[0])->dropped += delta;
	}
}

/* Detach, in tid's address space (ours, or a -f child's copy): the shared memory goes. */
int fast_release_space(struct up_core *c, pid_t tid)
{
	struct core_fast *f = c->fast;
	int64_t r;
	const uint64_t args[6] = {f ? f->shm.remote : 0, f ? f->shm.size : 0};

	if (!f || !f->shm.remote)
		return 0;
	fast_fold(c);
	if (f->keep)
		return 0;
	r = up_remote_syscall(c->t, tid, c->syscall_insn, c->arch->nr_munmap, args);
	return r < 0 ? (int)r : 0;
}

/*
 * A recovery (recover.c): a window a tracer that is gone patched, known by
 * its bytes; detach puts them back. The point's own bytes are the first.
 */
int fast_adopt_window(struct up_core *c, uint64_t addr, const uint8_t *orig, unsigned len)
{
	struct up_point *pt;
	int err;

	if (!len || len > UP_FAST_WINDOW_MAX || point_find(c, addr))
		return point_find(c, addr) ? 0 : -EINVAL;
	err = point_adopt(c, addr, orig, 1);
	pt = err ? NULL : point_find(c, addr);
	if (!pt)
		return err ? err : -ENOMEM;
	pt->fast = calloc(1, sizeof(*pt->fast));
	if (!pt->fast)
		return -ENOMEM;
	pt->fast->site.addr = addr;
	pt->fast->site.len = (uint8_t)len;
	memcpy(pt->fast->site.orig, orig, len);
	pt->fast->patched = true;
	return 0;
}

int fast_adopt_shm(struct up_core *c, uint64_t addr, uint64_t size)
{
	struct core_fast *f = fast_state(c);

	if (!f)
		return -ENOMEM;
	f->shm.remote = addr;
	f->shm.size = size;
	return 0;
}

int fast_patches(const struct up_point *pt, struct up_patch *out)
{
	const struct fast_point *fp = pt->fast;
	unsigned first = fp->site.len < sizeof(out->bytes) ? fp->site.len : sizeof(out->bytes);

	out[0].addr = pt->addr;
	out[0].len = (uint8_t)first;
	memcpy(out[0].bytes, fp->site.orig, first);
	if (first == fp->site.len)
		return 1;
	out[1].addr = pt->addr + first;
	out[1].len = (uint8_t)(fp->site.len - first);
	memcpy(out[1].bytes, fp->site.orig + first, fp->site.len - first);
	return 2;
}

/*
 * pt's module was unmapped (dlclose): its window is nobody's now, and a
 * recovery must not write there either. Its hits so far are folded first;
 * if the module comes back, the point is decided afresh (fast_point_queue).
 */
void fast_point_gone(struct up_core *c, struct up_point *pt)
{
	if (!pt->fast)
		return;
	fast_fold(c);
	up_fb_window_drop(&c->fb, pt->addr);
	free(pt->fast);
	pt->fast = NULL;
}

/* The target is gone or exec'd: what it mapped went with it; ours goes now (folded first). */
void fast_forget(struct up_core *c)
{
	struct core_fast *f = c->fast;
	struct up_point *pt;

	if (!f) {
		ring_forget(c); /* asked about (ring_usable) for a point that went to breakpoints */
		return;
	}
	fast_fold(c);
	ring_forget(c);
	for (unsigned i = 0; (pt = up_table_next(&c->points, &i));)
		if (pt->fast) {
			free(pt->fast);
			pt->fast = NULL;
		}
	shared_forget(&f->shm);
	for (unsigned i = 0; i < f->nmods; i++)
		free(f->mods[i].addr);
	free(f->mods);
	free(f->pages);
	free(f->queue);
	free(f);
	c->fast = NULL;
}
