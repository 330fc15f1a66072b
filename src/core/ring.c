/* SPDX-License-Identifier: MIT */
/*
 * Events on the trap-free path (design.md, "The trap-free path"): a
 * trampoline writes each hit as a fixed-size record on a ring in the
 * memory it shares with the tracer (struct up_fast_ring, fast.h; it sits
 * after the counters, so it is mapped, recorded for the guardian and
 * unmapped with them). The tracer drains it while the target runs and
 * turns each record into the same struct up_event the breakpoint path
 * makes, through the same on_event.
 *
 *   ring_bytes, ring_setup    its room in the shared memory; its header
 *   ring_usable, ring_bind    can a probe's values come from a record; its id
 *   ring_learn                a thread's key (its thread pointer) -> its tid:
 *                             at start, at each clone, at each breakpoint
 *                             hit; a key nobody knows stops the threads once
 *                             to read them all
 *   ring_drain                every published record, in ring order; a slot
 *                             reserved but not yet published is skipped (its
 *                             writer may be stopped) and the tail waits for
 *                             it, so no thread's records are held behind
 *                             another's
 *   ring_poll_ms              how long up_core_run may block in wait()
 *
 * One clock: records carry the CPU's cycle counter (the TSC); the tracer
 * reads the same counter next to CLOCK_MONOTONIC at each drain and
 * converts, at a rate measured over the whole run, so ring events and
 * breakpoint events have CLOCK_MONOTONIC times. The ring is drained before
 * each breakpoint-path event is made: each thread's events come out in
 * its own order, and the two paths interleave in time up to a drain's lag.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"
#include "uptrace/fast.h"

#define RING_RECORDS_DEFAULT 65536u /* 16 MB: about 6 ms of 8 threads at full speed */
#define CONSUMED (1ull << 63)	    /* or'ed into a slot's seq once it is emitted */
#define POLL_MIN_MS 1
#define POLL_MAX_MS 32
#define CALIBRATE_NS 2000000ull /* the first rate: 2 ms of both clocks */
#define AT_HWCAP2 26

struct key_entry {
	uint64_t key;
	pid_t tid; /* -1: looked for and not found */
};

struct core_ring {
	struct up_fast_ring *hdr; /* the tracer's view */
	uint64_t remote;	  /* the target's */
	uint32_t nrecords;
	struct up_probe **by_id; /* the probe each record id stands for */
	unsigned by_id_cap;
	struct up_table keys; /* struct key_entry, allocated once each, by key */
	bool key_checked, key_ok;
	/* the clocks: a pair read at the start, the rate (cycles per ns) and the latest pair */
	uint64_t ns0, cyc0, ns_now, cyc_now;
	double rate;
	unsigned poll_ms;
	uint64_t gap;		     /* position + 1 of a slot the last poll found being written */
	uint64_t *batch;	     /* one drain's positions, nrecords of them */
	char why[UP_NAME_MAX + 160]; /* ring_usable's answer */
};

static uint64_t host_cycles(void)
{
#if defined(__x86_64__)
	return __builtin_ia32_rdtsc();
#else
	return 0; /* no counter the tracer can read like the trampolines do */
#endif
}

static uint64_t key_hash(const void *entry);

static struct core_ring *ring_state(struct up_core *c)
{
	if (!c->ring) {
		c->ring = calloc(1, sizeof(*c->ring));
		if (c->ring)
			up_table_init(&c->ring->keys, key_hash);
	}
	return c->ring;
}

static uint32_t ring_records(struct up_core *c)
{
	uint32_t n = c->cfg.ring_records ? c->cfg.ring_records : RING_RECORDS_DEFAULT;

	return n & (n - 1) ? RING_RECORDS_DEFAULT : n;
}

size_t ring_bytes(struct up_core *c)
{
	if (c->cfg.count_only)
		return 0; /* counts need no records */
	return UP_FAST_RING_RECORDS + ((size_t)ring_records(c) << UP_FAST_RECORD_LOG2);
}

/* The tracer's own reading of both clocks, side by side; the rate from the longest span. */
static void clocks_now(struct core_ring *r)
{
	r->cyc_now = host_cycles();
	r->ns_now = core_now_ns();
	if (r->ns_now - r->ns0 >= 100 * CALIBRATE_NS && r->cyc_now > r->cyc0)
		r->rate = (double)(r->cyc_now - r->cyc0) / (double)(r->ns_now - r->ns0);
}

int ring_setup(struct up_core *c, void *local, uint64_t remote)
{
	struct core_ring *r = ring_state(c);
	uint64_t ns;

	if (!r)
		return -ENOMEM;
	r->hdr = local;
	r->remote = remote;
	r->nrecords = ring_records(c);
	free(r->batch);
	r->batch = malloc(r->nrecords * sizeof(*r->batch));
	if (!r->batch)
		return -ENOMEM;
	memset(r->hdr, 0, sizeof(*r->hdr));
	r->hdr->nrecords = r->nrecords;
	r->poll_ms = POLL_MIN_MS;
	/* a first rate over a short span, refined as the run goes on */
	r->cyc0 = host_cycles();
	r->ns0 = core_now_ns();
	do
		ns = core_now_ns();
	while (ns - r->ns0 < CALIBRATE_NS);
	r->rate = (double)(host_cycles() - r->cyc0) / (double)(ns - r->ns0);
	clocks_now(r);
	return 0;
}

/* Does the target have the key instruction (AT_HWCAP2), and the tracer the cycle counter? */
static bool key_available(struct up_core *c, struct core_ring *r)
{
	uint64_t auxv[512], hwcap2 = 0;
	int n;

	if (r->key_checked)
		return r->key_ok;
	r->key_checked = true;
	n = c->t->ops->auxv(c->t, auxv, sizeof(auxv));
	for (int i = 0; i + 1 < n / 8; i += 2)
		if (auxv[i] == AT_HWCAP2)
			hwcap2 = auxv[i + 1];
	r->key_ok = host_cycles() != 0 && c->arch->fast->has_key &&
		    c->arch->fast->has_key(c->arch, hwcap2) && c->arch->fast->key_of;
	return r->key_ok;
}

/* Does the trampoline copy the string this argument points to ($comm: the tracer has it)? */
static bool copies_string(const struct up_arg *a)
{
	return a->type.kind == UP_TYPE_STRING && a->fetch.base != UP_FETCH_COMM;
}

const char *ring_usable(struct up_core *c, const struct up_probe *p)
{
	struct core_ring *r = ring_state(c);
	const struct up_fast_ops *ops = c->arch->fast;
	unsigned strings = 0;
	char *why;
	size_t len;

	if (!r)
		return "out of memory";
	why = r->why;
	len = sizeof(r->why);
	if (c->cfg.stack)
		return "--stack";
	if (c->cfg.follow)
		return "-f (a child's records would not say which process wrote them)";
	if (!ops->can_fetch || !key_available(c, r))
		return "no thread key or cycle counter for records in this process";
	if (p->nargs > UP_FAST_VALUES_MAX)
		return "more arguments than a record holds";
	for (unsigned i = 0; i < p->nargs; i++) {
		const struct up_arg *a = &p->args[i];
		char what[96];

		if (a->type.size > 8) {
			snprintf(why, len, "argument '%s' is wider than 8 bytes", a->name);
			return why;
		}
		if (copies_string(a) && ++strings > UP_FAST_STRINGS_MAX) {
			snprintf(why, len, "more than %d string arguments", UP_FAST_STRINGS_MAX);
			return why;
		}
		if (ops->can_fetch(c->arch, &a->fetch, what, sizeof(what))) {
			snprintf(why, len, "argument '%s': %s", a->name, what);
			return why;
		}
	}
	return NULL;
}

int ring_bind(struct up_core *c, struct up_probe *p, uint32_t id, struct up_fast_tramp *t)
{
	struct core_ring *r = c->ring;
	unsigned strings = 0;

	if (!r || !r->hdr)
		return -ENOTSUP;
	if (id >= r->by_id_cap) {
		unsigned cap = r->by_id_cap ? r->by_id_cap : 64;
		struct up_probe **g;

		while (cap <= id)
			cap *= 2;
		g = realloc(r->by_id, cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		memset(g + r->by_id_cap, 0, (cap - r->by_id_cap) * sizeof(*g));
		r->by_id = g;
		r->by_id_cap = cap;
	}
	r->by_id[id] = p;
	t->ring = r->remote;
	t->nrecords = r->nrecords;
	t->id = id;
	t->key = true;
	t->nvalues = (uint8_t)p->nargs;
	for (unsigned i = 0; i < p->nargs; i++) {
		t->values[i] = p->args[i].fetch;
		t->string[i] = copies_string(&p->args[i]) ? (uint8_t)++strings : 0;
	}
	return 0;
}

/* --- thread keys ------------------------------------------------------------------------ */

static uint64_t key_hash(const void *entry)
{
	return ((const struct key_entry *)entry)->key;
}

static bool key_match(const void *entry, const void *key)
{
	return ((const struct key_entry *)entry)->key == *(const uint64_t *)key;
}

static struct key_entry *key_find(struct core_ring *r, uint64_t key)
{
	return up_table_find(&r->keys, key, key_match, &key);
}

static void set_key(struct core_ring *r, uint64_t key, pid_t tid)
{
	struct key_entry *e = key_find(r, key);

	if (!e) {
		e = malloc(sizeof(*e));
		if (!e)
			return;
		e->key = key;
		if (up_table_add(&r->keys, e)) {
			free(e);
			return;
		}
	}
	e->tid = tid;
	/* its thread pointer is known now: it owns no unknown key any more */
	e = key ? key_find(r, 0) : NULL;
	if (e && e->tid == tid)
		e->tid = -1;
}

void ring_learn(struct up_core *c, pid_t tid, const struct up_regs *regs)
{
	struct core_ring *r = c->ring;
	struct key_entry *e;
	uint64_t key;

	if (!r || !r->hdr)
		return;
	key = c->arch->fast->key_of(c->arch, regs);
	e = key_find(r, key);
	if (e && e->tid == tid)
		return;
	/* a key taken over (a new thread in a dead one's TLS): the old one's records first */
	if (e && e->tid > 0)
		ring_drain(c, false);
	set_key(r, key, tid);
}

static void learn_stopped(struct up_core *c, struct core_ring *r)
{
	pid_t *tids;
	int n = core_list_threads(c, &tids);

	for (int i = 0; i < n; i++) {
		struct up_regs regs;

		if (c->t->ops->get_regs(c->t, tids[i], &regs) == 0)
			set_key(r, c->arch->fast->key_of(c->arch, &regs), tids[i]);
	}
	free(tids);
}

void ring_learn_threads(struct up_core *c)
{
	if (c->ring && c->ring->hdr)
		learn_stopped(c, c->ring);
}

/* Every thread stopped once, its key read: for records whose key nobody learned yet. */
static void learn_all(struct up_core *c, struct core_ring *r)
{
	if (!c->started || c->t->ops->stop_all(c->t))
		return;
	learn_stopped(c, r);
	c->t->ops->resume_all(c->t);
}

/*
 * A key nobody was seen with. A thread seen before its thread pointer was
 * set (key 0: a program started by us, at its first instruction; the
 * pointer is set by the thread itself, with no stop we see) is its only
 * possible owner: the threads a clone makes have theirs from the start.
 * Else, after every thread was read (may_stop), the thread is gone: its
 * records say tid 0. Otherwise they wait for a drain that may stop.
 */
static void unset_owner(struct core_ring *r, uint64_t key, bool may_stop)
{
	struct key_entry *zero = key_find(r, 0);

	if (zero && zero->tid > 0) {
		pid_t tid = zero->tid;

		zero->tid = -1;
		set_key(r, key, tid);
	} else if (may_stop) {
		set_key(r, key, -1);
	}
}

/* --- records to events ------------------------------------------------------------------- */

static void record_event(struct up_core *c, struct core_ring *r, const struct up_fast_record *rec,
			 pid_t tid, struct up_event *ev)
{
	const struct up_probe *p = ev->probe;
	const struct up_thread *th = tid > 0 ? thread_find(c, tid) : NULL;
	double back = (double)(int64_t)(r->cyc_now - rec->cycles) / r->rate;

	ev->ts_ns = r->ns_now - (uint64_t)(int64_t)back;
	ev->pid = th && th->pid ? th->pid : c->t->pid;
	ev->tid = tid > 0 ? tid : 0;
	ev->is_return = false;
	ev->retval = 0;
	ev->retval_hi = 0;
	ev->retval_unavailable = false;
	ev->duration_ns = 0;
	ev->nframes = 0;
	for (unsigned i = 0, s = 0; i < p->nargs; i++) {
		const struct up_arg *a = &p->args[i];

		ev->values_hi[i] = 0;
		ev->strings[i][0] = 0;
		ev->value_ok[i] = !(rec->faults & (1u << i));
		ev->values[i] = fetch_apply_type(rec->values[i], &a->type);
		if (a->fetch.base == UP_FETCH_TID) {
			ev->values[i] = (uint64_t)ev->tid;
		} else if (a->fetch.base == UP_FETCH_COMM) {
			snprintf(ev->strings[i], UP_STR_MAX, "%s", th ? th->comm : "?");
			ev->value_ok[i] = true;
		} else if (copies_string(a)) {
			const char *str = rec->strings[s++ % UP_FAST_STRINGS_MAX];
			size_t n = strnlen(str, UP_FAST_STRING_LEN - 1);

			n = n < UP_STR_MAX - 1 ? n : UP_STR_MAX - 1;
			memcpy(ev->strings[i], str, n);
			ev->strings[i][n] = 0;
		}
	}
}

static struct up_fast_record *slot(struct core_ring *r, uint64_t pos)
{
	return (struct up_fast_record *)((uint8_t *)r->hdr + UP_FAST_RING_RECORDS +
					 ((pos & (r->nrecords - 1)) << UP_FAST_RECORD_LOG2));
}

static int by_cycles(const void *a, const void *b, void *arg)
{
	struct core_ring *r = arg;
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	uint64_t cx = slot(r, x)->cycles, cy = slot(r, y)->cycles;

	if (cx != cy)
		return cx < cy ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* The record at pos, now: its thread's key known (or learned), emitted, its slot consumed. */
static bool emit_record(struct up_core *c, struct core_ring *r, uint64_t pos)
{
	struct up_fast_record *rec = slot(r, pos);
	struct key_entry *e = key_find(r, rec->key);
	struct up_event ev;

	if (!e)
		return false;
	ev.probe = r->by_id[rec->id];
	record_event(c, r, rec, e->tid, &ev);
	up_probe_counter(r->by_id[rec->id])->hits++;
	__atomic_store_n(&rec->seq, (pos + 1) | CONSUMED, __ATOMIC_RELAXED);
	core_emit(c, &ev);
	return true;
}

int ring_drain(struct up_core *c, bool may_stop)
{
	struct core_ring *r = c->ring;
	uint64_t tail, head, pos;
	bool learned = false;
	unsigned n = 0;
	int emitted = 0;

	if (!r || !r->hdr)
		return 0;
	tail = __atomic_load_n(&r->hdr->tail, __ATOMIC_RELAXED);
	head = __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE);
	if (head == tail)
		return 0;
	clocks_now(r);
	for (pos = tail; pos != head; pos++) {
		struct up_fast_record *rec = slot(r, pos);
		uint64_t seq = __atomic_load_n(&rec->seq, __ATOMIC_ACQUIRE);
		struct key_entry *e;

		if (seq == ((pos + 1) | CONSUMED))
			continue;
		if (seq != pos + 1) {
			/*
			 * Being written. The poll waits for it once (what comes after
			 * it is newer); a writer that stays (stopped, preempted) is
			 * stepped over the next time, and a drain before a breakpoint
			 * event always steps over it (that thread's own records are
			 * all published: it is stopped at the breakpoint).
			 */
			if (may_stop && r->gap != pos + 1) {
				r->gap = pos + 1;
				break;
			}
			continue;
		}
		if (rec->id >= r->by_id_cap || !r->by_id[rec->id]) {
			__atomic_store_n(&rec->seq, (pos + 1) | CONSUMED, __ATOMIC_RELAXED);
			continue; /* not ours: nothing a probe can say */
		}
		e = key_find(r, rec->key);
		if (!e && may_stop && !learned) {
			learned = true;
			learn_all(c, r);
			e = key_find(r, rec->key);
		}
		if (!e)
			unset_owner(r, rec->key, may_stop);
		r->batch[n++] = pos;
	}
	/* in time order: the ring's is the order of reservations, a few cycles apart */
	qsort_r(r->batch, n, sizeof(*r->batch), by_cycles, r);
	for (unsigned i = 0; i < n; i++)
		emitted += emit_record(c, r, r->batch[i]);
	/* hand back the slots emitted in a row from the tail (release: we are done with them) */
	for (pos = tail; pos != head; pos++)
		if (__atomic_load_n(&slot(r, pos)->seq, __ATOMIC_RELAXED) != ((pos + 1) | CONSUMED))
			break;
	if (pos != tail)
		__atomic_store_n(&r->hdr->tail, pos, __ATOMIC_RELEASE);
	return emitted;
}

int ring_poll_ms(struct up_core *c, int drained)
{
	struct core_ring *r = c->ring;

	if (!r || !r->hdr || !r->by_id_cap)
		return -1; /* nothing can arrive but stops: wait() blocks */
	if (drained > 0)
		r->poll_ms = POLL_MIN_MS;
	else if (r->poll_ms < POLL_MAX_MS)
		r->poll_ms *= 2;
	return drained >= (int)(r->nrecords / 4) ? 0 : (int)r->poll_ms;
}

void ring_forget(struct up_core *c)
{
	struct core_ring *r = c->ring;
	struct key_entry *e;

	if (!r)
		return;
	free(r->by_id);
	for (unsigned i = 0; (e = up_table_next(&r->keys, &i));)
		free(e);
	up_table_free(&r->keys);
	free(r->batch);
	free(r);
	c->ring = NULL;
}
