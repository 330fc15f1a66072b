/* SPDX-License-Identifier: MIT */
/*
 * XOL pages: scratch pages mapped into the target by a remote mmap, cut
 * into UP_XOL_SLOT_SIZE slots. A slot belongs to one probe point and holds
 * its displaced instruction followed by a jump back (or a breakpoint); its
 * code never changes once written, so any number of threads may run it at
 * once. Slot 0 of the first page is the uretprobe trampoline.
 *
 * Pages are placed near the code they serve (a free gap in the address
 * space next to the module), so rip-relative operands and direct jumps
 * back reach.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core_internal.h"
#include "uptrace/sym.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static int scan_for_syscall(struct up_core *c, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return -ENOENT;
	return up_find_syscall_insn(c->t, lo, hi, &c->syscall_insn);
}

/*
 * Remote system calls need the arch's syscall instruction somewhere in the
 * target's executable memory (under qemu-user it cannot be written first).
 */
int core_find_syscall(struct up_core *c)
{
	const char *const modules[] = {NULL, c->arch->ld_so, "libc"};
	struct up_mapping *maps;
	int n;

	if (c->syscall_insn)
		return 0;
	n = core_list_mappings(c, &maps);
	for (int i = 0; i < n; i++)
		if (maps[i].x && scan_for_syscall(c, maps[i].start, maps[i].end) == 0) {
			free(maps);
			return 0;
		}
	free(maps);
	for (unsigned i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		uint64_t ranges[8][2];
		int k = up_sym_exec_ranges(c->sym, modules[i], ranges, 8);
		for (int j = 0; j < k; j++)
			if (scan_for_syscall(c, ranges[j][0], ranges[j][1]) == 0)
				return 0;
	}
	core_error(c, "found no %s system call instruction in the target's code", c->arch->name);
	return -ENOENT;
}

static int64_t remote_mmap(struct up_core *c, pid_t tid, uint64_t hint, bool fixed)
{
	int prot = PROT_READ | PROT_EXEC | (c->t->caps.writes_unprotect ? PROT_WRITE : 0);
	uint64_t args[6] = {
	    hint,	    XOL_PAGE_SIZE,
	    (uint64_t)prot, MAP_PRIVATE | MAP_ANONYMOUS | (fixed ? MAP_FIXED_NOREPLACE : 0),
	    (uint64_t)-1,   0};
	int err = core_find_syscall(c);

	if (err)
		return err;
	return up_remote_syscall(c->t, tid, c->syscall_insn, c->arch->nr_mmap, args);
}

static uint64_t distance(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* Room in the page table for one more page: as many as the probes need, no fixed cap. */
static int reserve_page(struct up_core *c)
{
	struct xol_page *grown;
	unsigned cap;

	if (c->npages < c->pages_cap)
		return 0;
	cap = c->pages_cap ? c->pages_cap * 2 : XOL_PAGES_INITIAL;
	grown = realloc(c->pages, cap * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	memset(grown + c->pages_cap, 0, (cap - c->pages_cap) * sizeof(*grown));
	c->pages = grown;
	c->pages_cap = cap;
	return 0;
}

/*
 * Natively, pick the free gap nearest to `near` from /proc/PID/maps and
 * map there exactly; remotely, pass a hint and take what comes.
 */
static int xol_map_page(struct up_core *c, uint64_t near, pid_t tid, uint64_t *out)
{
	struct up_mapping *maps = NULL;
	int n, err = reserve_page(c);
	int64_t r = -EEXIST; /* no exact place found yet: then a hint */

	if (err)
		return err;
	n = core_list_mappings(c, &maps);
	for (int tries = 0; n > 0 && tries < 8; tries++) {
		uint64_t best = 0, bestd = UINT64_MAX;
		for (int i = 0; i < n; i++) {
			/* a page just after mapping i, if the next one leaves room */
			uint64_t cand = maps[i].end;
			uint64_t next = i + 1 < n ? maps[i + 1].start : c->arch->user_top;
			if (cand == 0 || next - cand < 2 * XOL_PAGE_SIZE)
				continue;
			cand += XOL_PAGE_SIZE; /* leave a guard gap */
			/* a page just before mapping i+1 */
			uint64_t cand2 = next - 2 * XOL_PAGE_SIZE;
			if (distance(cand, near) < bestd)
				best = cand, bestd = distance(cand, near);
			if (i + 1 < n && distance(cand2, near) < bestd)
				best = cand2, bestd = distance(cand2, near);
		}
		if (!best)
			break;
		r = remote_mmap(c, tid, best, true);
		/* mapped (elsewhere: an old kernel ignored NOREPLACE, keep it), or an error */
		if (r != -EEXIST)
			break;
		free(maps);
		n = core_list_mappings(c, &maps);
	}
	free(maps);
	if (r == -EEXIST)
		r = remote_mmap(c, tid, (near & ~(uint64_t)0xfffff) + 0x100000, false);
	if (r < 0)
		return (int)r;
	up_fb_page_add(&c->fb, (uint64_t)r);
	c->pages[c->npages].addr = (uint64_t)r;
	c->pages[c->npages].used = 0;
	c->npages++;
	*out = (uint64_t)r;
	return 0;
}

int xol_map_fast_page(struct up_core *c, uint64_t near, pid_t tid, uint64_t *out)
{
	int err = xol_map_page(c, near, tid, out);

	if (!err)
		c->pages[c->npages - 1].used = XOL_SLOTS_PER_PAGE; /* owners NULL: no slot here */
	return err;
}

void xol_keep_page(struct up_core *c, uint64_t addr)
{
	for (unsigned i = 0; i < c->npages; i++)
		if (c->pages[i].addr == addr)
			c->pages[i].keep = true;
}

int xol_ensure_trampoline(struct up_core *c, pid_t tid)
{
	uint8_t bp[4];
	unsigned len;
	uint64_t page;
	int err;

	if (c->trampoline)
		return 0;
	if (c->npages == 0) {
		struct up_module_info mi;
		uint64_t near = up_sym_module(c->sym, NULL, &mi) == 0 ? mi.end : 0;
		err = xol_map_page(c, near, tid, &page);
		if (err) {
			core_error(c, "cannot map the XOL page in process %d: %s", (int)c->t->pid,
				   strerror(-err));
			return err;
		}
	}
	len = c->arch->breakpoint(c->arch, c->t->e_flags, bp);
	err = c->t->ops->write(c->t, c->pages[0].addr, bp, len);
	if (err)
		return err;
	c->pages[0].owner[0] = NULL;
	c->trampoline = c->pages[0].addr;
	/*
	 * Slot 1: a syscall instruction of our own followed by a breakpoint,
	 * outside every text page. Remote system calls run here from now on:
	 * under qemu-user a syscall in the page being mprotected write-protects
	 * it again as it runs, and qemu 7.2's single-step over a syscall runs
	 * one instruction more, which here is the breakpoint, not program code.
	 */
	uint8_t code[8];
	memcpy(code, c->arch->syscall_insn, c->arch->syscall_len);
	memcpy(code + c->arch->syscall_len, bp, len);
	err = c->t->ops->write(c->t, c->pages[0].addr + UP_XOL_SLOT_SIZE, code,
			       c->arch->syscall_len + len);
	if (err)
		return err;
	c->syscall_insn = c->pages[0].addr + UP_XOL_SLOT_SIZE;
	c->pages[0].owner[1] = NULL;
	c->pages[0].used = 2;
	c->t->ops->syscall_insn_placed(c->t, c->syscall_insn);
	return 0;
}

static int try_page(struct up_core *c, struct xol_page *pg, struct up_point *pt)
{
	uint64_t slot = pg->addr + (uint64_t)pg->used * UP_XOL_SLOT_SIZE;
	int err;

	if (pg->used >= XOL_SLOTS_PER_PAGE)
		return -ENOSPC;
	memset(&pt->xol, 0, sizeof(pt->xol));
	err = c->arch->xol_build(c->arch, &pt->insn, slot, &pt->xol);
	if (err)
		return err;
	err = c->t->ops->write(c->t, slot, pt->xol.code, pt->xol.len);
	if (err)
		return err;
	pg->owner[pg->used++] = pt;
	pt->slot = slot;
	return 0;
}

int xol_slot_for(struct up_core *c, struct up_point *pt, pid_t tid)
{
	uint64_t page;
	int err;

	err = xol_ensure_trampoline(c, tid);
	if (err)
		return err;
	for (unsigned i = 0; i < c->npages; i++) {
		err = try_page(c, &c->pages[i], pt);
		if (err == 0)
			return 0;
		if (err != -ERANGE && err != -ENOSPC)
			goto fail;
	}
	err = xol_map_page(c, pt->addr, tid, &page);
	if (err == 0)
		err = try_page(c, &c->pages[c->npages - 1], pt);
	if (err == 0)
		return 0;
fail:
	core_error(c, "cannot place '%s' at 0x%llx out of line: %s", pt->insn.text,
		   (unsigned long long)pt->addr,
		   err == -ERANGE ? "no XOL page within its reach" : strerror(-err));
	return err;
}

/* A recovery (recover.c): a page a tracer that is gone mapped, to be unmapped at detach. */
int xol_adopt_page(struct up_core *c, uint64_t addr)
{
	int err = reserve_page(c);

	if (err)
		return err;
	c->pages[c->npages].addr = addr;
	c->pages[c->npages].used = XOL_SLOTS_PER_PAGE;
	c->npages++;
	return 0;
}

bool xol_contains(struct up_core *c, uint64_t pc)
{
	for (unsigned i = 0; i < c->npages; i++)
		if (pc >= c->pages[i].addr && pc < c->pages[i].addr + XOL_PAGE_SIZE)
			return true;
	return false;
}

/* The point whose slot holds pc, and that slot's address. */
struct up_point *xol_point_at(struct up_core *c, uint64_t pc, uint64_t *slot)
{
	for (unsigned i = 0; i < c->npages; i++) {
		struct xol_page *pg = &c->pages[i];
		if (pc < pg->addr || pc >= pg->addr + XOL_PAGE_SIZE)
			continue;
		unsigned idx = (unsigned)((pc - pg->addr) / UP_XOL_SLOT_SIZE);
		if (idx >= pg->used)
			return NULL;
		*slot = pg->addr + (uint64_t)idx * UP_XOL_SLOT_SIZE;
		return pg->owner[idx];
	}
	return NULL;
}

static int64_t remote_munmap(struct up_core *c, pid_t tid, uint64_t addr)
{
	uint64_t args[6] = {addr, XOL_PAGE_SIZE};
	return up_remote_syscall(c->t, tid, c->syscall_insn, c->arch->nr_munmap, args);
}

/*
 * Unmap the XOL pages in tid's address space (each followed child has
 * copies). The page holding our own syscall slot goes last, through a
 * syscall instruction of the program's text: a call must not unmap the
 * page it runs in.
 */
int xol_unmap_pages(struct up_core *c, pid_t tid)
{
	int64_t r;
	int ret = 0;

	if (!c->npages)
		return 0;
	for (unsigned i = 1; i < c->npages; i++) {
		if (c->pages[i].keep)
			continue;
		r = remote_munmap(c, tid, c->pages[i].addr);
		if (r < 0 && !ret)
			ret = (int)r;
	}
	if (c->syscall_insn >= c->pages[0].addr &&
	    c->syscall_insn < c->pages[0].addr + XOL_PAGE_SIZE) {
		c->syscall_insn = 0;
		c->t->ops->syscall_insn_placed(c->t, 0);
		r = core_find_syscall(c);
		if (r)
			return ret ? ret : (int)r;
	}
	r = remote_munmap(c, tid, c->pages[0].addr);
	return r < 0 && !ret ? (int)r : ret;
}
