/* SPDX-License-Identifier: MIT */
/*
 * Probe points: the patched addresses. Each is decoded once when its first
 * probe arrives (simulate, XOL, or refuse), and its breakpoint is written
 * after its XOL slot is ready, so a thread can never trap on a point the
 * core cannot complete. The original bytes go back when the point is
 * restored (detach, exec).
 *
 * A point stays in the table once made, so a trap that was already on its
 * way when its breakpoint went is still recognised ("restored": rewind and
 * run the original instruction), however many points a detach restores.
 * When its module is unmapped (dlclose) the point is "gone": never written
 * again, its probes retired until the module, or another copy of it, is
 * loaded and they resolve again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"
#include "uptrace/sym.h"

/* The address is its own hash: the table spreads it. */
static uint64_t point_hash(const void *entry)
{
	return ((const struct up_point *)entry)->addr;
}

static bool point_match(const void *entry, const void *key)
{
	return ((const struct up_point *)entry)->addr == *(const uint64_t *)key;
}

void points_init(struct up_core *c)
{
	up_table_init(&c->points, point_hash);
}

void points_clear(struct up_core *c)
{
	struct up_point *pt;

	for (unsigned i = 0; (pt = up_table_next(&c->points, &i));)
		free(pt);
	up_table_clear(&c->points);
}

/* On the hit path: the table's lookup, inlined with point_match. */
struct up_point *point_find(struct up_core *c, uint64_t addr)
{
	return up_table_find(&c->points, addr, point_match, &addr);
}

static int points_insert(struct up_core *c, struct up_point *pt)
{
	return up_table_add(&c->points, pt);
}

/*
 * A recovery (recover.c): a point armed by a tracer that is gone, known
 * only by its address and original bytes. Enough for detach to restore it
 * and for a late trap at it to rewind.
 */
int point_adopt(struct up_core *c, uint64_t addr, const uint8_t *orig, unsigned len)
{
	struct up_point *pt;
	int err;

	if (len > sizeof(pt->bp) || point_find(c, addr))
		return point_find(c, addr) ? 0 : -EINVAL;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->addr = addr;
	pt->insn.addr = addr;
	memcpy(pt->insn.bytes, orig, len);
	pt->insn.len = (uint8_t)len;
	pt->bp_len = (uint8_t)len;
	memcpy(pt->bp, c->arch->bp, len);
	pt->armed = true;
	err = points_insert(c, pt);
	if (err)
		free(pt);
	return err;
}

/* Read the instruction bytes at addr: as many as the arch may need, fewer near a mapping's end. */
static int read_insn_bytes(struct up_core *c, uint64_t addr, uint8_t *buf, size_t *len)
{
	size_t want = c->arch->max_insn_len;

	while (want > 0) {
		if (c->t->ops->read(c->t, addr, buf, want) == 0) {
			*len = want;
			return 0;
		}
		want--;
	}
	return -EFAULT;
}

/* Read and decode the instruction at addr into insn: 0, or refused with the reason reported. */
static int point_decode(struct up_core *c, uint64_t addr, struct up_insn *insn)
{
	uint8_t bytes[UP_INSN_MAX_LEN];
	size_t len = 0;
	int err;

	err = fast_uncover(c, addr);
	if (!err)
		err = read_insn_bytes(c, addr, bytes, &len);
	if (err) {
		core_error(c, "cannot read the instruction at 0x%llx: %s", (unsigned long long)addr,
			   strerror(-err));
		return err;
	}
	/* Another tool's (or a stale) breakpoint is not an instruction we can displace. */
	if (memcmp(bytes, c->arch->bp, c->arch->bp_len) == 0) {
		core_error(c,
			   "0x%llx already holds a breakpoint instruction (is another tracer "
			   "attached, or was uptrace killed while tracing?)",
			   (unsigned long long)addr);
		return -EBUSY;
	}
	memset(insn, 0, sizeof(*insn));
	err = c->arch->decode(c->arch, insn, addr, bytes, len);
	insn->addr = addr;
	memcpy(insn->bytes, bytes, len < UP_INSN_MAX_LEN ? len : UP_INSN_MAX_LEN);
	if (err || insn->action == UP_INSN_REFUSE) {
		/* the arch's reason starts with the mnemonic ("syscall: system call ...") */
		core_error(c, "cannot probe 0x%llx ('%s'): %s", (unsigned long long)addr,
			   insn->text[0] ? insn->text : "?",
			   insn->why[0] ? insn->why : "it cannot be displaced safely");
		return err ? err : -ENOTSUP;
	}
	return 0;
}

static struct up_point *point_create(struct up_core *c, uint64_t addr, int *errp)
{
	struct up_point *pt = calloc(1, sizeof(*pt));
	int err;

	if (!pt) {
		*errp = -ENOMEM;
		return NULL;
	}
	pt->addr = addr;
	err = point_decode(c, addr, &pt->insn);
	if (err) {
		free(pt);
		*errp = err;
		return NULL;
	}
	pt->bp_len = c->arch->breakpoint(c->arch, c->t->e_flags, pt->bp);
	if (pt->bp_len > pt->insn.len) {
		core_error(c,
			   "cannot probe 0x%llx: the instruction '%s' is shorter than a breakpoint",
			   (unsigned long long)addr, pt->insn.text);
		free(pt);
		*errp = -ENOTSUP;
		return NULL;
	}
	err = points_insert(c, pt);
	if (err) {
		free(pt);
		*errp = err;
		return NULL;
	}
	return pt;
}

/*
 * A module is mapped again where a gone point was. The same instruction
 * keeps its decoding and its XOL slot (whose code is the same); another
 * one is decoded afresh and gets a slot of its own when armed.
 */
static int point_revive(struct up_core *c, struct up_point *pt)
{
	struct up_insn insn;
	int err = point_decode(c, pt->addr, &insn);

	if (err)
		return err;
	if (insn.len < pt->bp_len) {
		core_error(c,
			   "cannot probe 0x%llx: the instruction '%s' is shorter than a breakpoint",
			   (unsigned long long)pt->addr, insn.text);
		return -ENOTSUP;
	}
	if (insn.len != pt->insn.len || memcmp(insn.bytes, pt->insn.bytes, insn.len) != 0) {
		pt->insn = insn;
		pt->slot = 0;
		memset(&pt->xol, 0, sizeof(pt->xol));
	}
	pt->gone = false;
	pt->restored = false;
	return 0;
}

int point_add_probe(struct up_core *c, uint64_t addr, struct up_probe *p, bool is_rbrk)
{
	struct up_point *pt = point_find(c, addr);
	int err = 0;

	if (!pt) {
		pt = point_create(c, addr, &err);
		if (!pt)
			return err;
	} else if (pt->gone) {
		err = point_revive(c, pt);
		if (err)
			return err;
	}
	err = fast_join(c, pt, is_rbrk ? NULL : p);
	if (err)
		return err;
	if (is_rbrk) {
		pt->is_rbrk = true;
	} else {
		if (pt->nprobes == POINT_MAX_PROBES) {
			core_error(c, "too many probes on 0x%llx (at most %d)",
				   (unsigned long long)addr, POINT_MAX_PROBES);
			return -E2BIG;
		}
		pt->probes[pt->nprobes++] = p;
		if (p->is_return)
			pt->has_return = true;
		if (p->is_return && p->nentry)
			pt->captures = true;
		else
			pt->has_entry = true;
	}
	if (c->started && !pt->armed)
		return point_arm(c, pt);
	return 0;
}

/*
 * A point for the core's own use (the unwinder hooks): no probe of its own,
 * so it counts nothing. Armed at once when tracing runs, else with the rest.
 */
struct up_point *point_get_internal(struct up_core *c, uint64_t addr, int *errp)
{
	struct up_point *pt = point_find(c, addr);

	*errp = 0;
	if (!pt) {
		pt = point_create(c, addr, errp);
		if (!pt)
			return NULL;
	} else if (pt->gone) {
		*errp = point_revive(c, pt);
		if (*errp)
			return NULL;
	}
	*errp = fast_join(c, pt, NULL);
	if (*errp)
		return NULL;
	if (c->started && !pt->armed) {
		*errp = point_arm(c, pt);
		if (*errp)
			return NULL;
	}
	return pt;
}

/* Write text: the target's write() takes read-only text (ptrace and qemu's stub alike). */
int core_write_text(struct up_core *c, uint64_t addr, const void *buf, size_t len)
{
	return c->t->ops->write(c->t, addr, buf, len);
}

int point_arm(struct up_core *c, struct up_point *pt)
{
	if (pt->armed)
		return 0;
	if (fast_point_queue(c, pt))
		return 0; /* fast_flush arms it, trap-free or not */
	return point_arm_breakpoint(c, pt);
}

int point_arm_breakpoint(struct up_core *c, struct up_point *pt)
{
	int err;

	if (pt->armed)
		return 0;
	if (pt->insn.action == UP_INSN_XOL && !pt->slot) {
		err = xol_slot_for(c, pt, c->stopped_tid);
		if (err)
			return err;
	}
	/* the fallback record first: a tracer killed after the write leaves a point that heals */
	up_fb_point_add(&c->fb, pt->addr, pt->insn.bytes, pt->bp_len);
	err = core_write_text(c, pt->addr, pt->bp, pt->bp_len);
	if (err) {
		core_error(c, "cannot write a breakpoint at 0x%llx: %s",
			   (unsigned long long)pt->addr, strerror(-err));
		return err;
	}
	pt->armed = true;
	return 0;
}

int points_arm_all(struct up_core *c)
{
	struct up_point *pt;

	for (unsigned i = 0; (pt = up_table_next(&c->points, &i));) {
		if (!pt->armed && !pt->gone) {
			int err = point_arm(c, pt);
			if (err)
				return err;
		}
	}
	return 0;
}

int point_restore(struct up_core *c, struct up_point *pt)
{
	int err;

	if (!pt->armed)
		return 0;
	if (pt->fast) {
		err = fast_point_restore(c, pt);
		if (err)
			return err;
		point_forget(c, pt);
		return 0;
	}
	/* another module mapped here since, or the process is gone: nothing of ours to undo */
	if (point_still_ours(c, pt)) {
		err = core_write_text(c, pt->addr, pt->insn.bytes, pt->bp_len);
		if (err && err != -ESRCH)
			return err;
	}
	point_forget(c, pt);
	return 0;
}

/* The point's bytes are the original ones again (or its process is gone): a late trap rewinds. */
void point_forget(struct up_core *c, struct up_point *pt)
{
	(void)c;
	pt->armed = false;
	pt->restored = true;
}

bool point_was_removed(struct up_core *c, uint64_t addr)
{
	struct up_point *pt = point_find(c, addr);

	return pt && pt->restored && !pt->armed;
}

/*
 * Does pt's address still hold our breakpoint? A module unmapped and
 * another mapped in its place must not get the old module's bytes.
 */
bool point_still_ours(struct up_core *c, struct up_point *pt)
{
	uint8_t now[sizeof(pt->bp)];

	if (c->t->ops->read(c->t, pt->addr, now, pt->bp_len))
		return false;
	return memcmp(now, pt->bp, pt->bp_len) == 0;
}

/*
 * The module that held [start, end) is unmapped (dlclose): its points are
 * gone and never written again; their probes retire, and their specs
 * resolve again at the next library load, so a probe whose module comes
 * back (at the same address or another) is armed there.
 */
void points_unmapped(struct up_core *c, uint64_t start, uint64_t end)
{
	struct up_point *pt;

	for (unsigned i = 0; (pt = up_table_next(&c->points, &i));) {
		if (pt->gone || pt->is_rbrk || pt->addr < start || pt->addr >= end)
			continue;
		/* still our breakpoint there: the module is not gone after all */
		if (pt->armed && !pt->fast && point_still_ours(c, pt))
			continue;
		fast_point_gone(c, pt); /* its hits so far are counted first */
		for (unsigned k = 0; k < pt->nprobes; k++)
			core_probe_parked(c, pt->probes[k]);
		pt->nprobes = 0;
		pt->has_entry = pt->has_return = pt->captures = false;
		pt->unwind = 0; /* an unwinder's hook goes with its library too */
		up_fb_point_drop(&c->fb, pt->addr); /* a recovery must not write there either */
		pt->armed = false;
		pt->restored = false;
		pt->gone = true;
	}
}

static void on_unmapped(void *ctx, uint64_t start, uint64_t end)
{
	points_unmapped(ctx, start, end);
}

/* After a refresh of the modules: forget the points of those gone, before arming new ones. */
void points_forget_unmapped(struct up_core *c)
{
	up_sym_removed(c->sym, on_unmapped, c);
}
