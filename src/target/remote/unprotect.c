/* SPDX-License-Identifier: MIT */
/*
 * Making text writable through a stub that refuses (qemu-user 7.2): the
 * target's write() contract says read-only text takes writes, as ptrace's
 * /proc/PID/mem does.
 *
 * qemu-user write-protects every page it has translated code from, and its
 * gdbstub then answers M with E14, until the program itself mprotects the
 * page (which also drops the stale translations). So a refused write runs
 * mprotect(PROT_READ|PROT_WRITE|PROT_EXEC) in the target with
 * up_remote_syscall, and the bytes then go in with the program's own
 * stores (poke.c): another thread translating from the page would make the
 * stub refuse M again. The syscall instruction is looked up
 * in the executable segments of the program and of its interpreter (found
 * from auxv) and must lie outside the pages being written: stepping it
 * translates its own page, which write-protects that page again.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "uptrace/arch.h"
#include "remote.h"

#define MAX_RANGES 16
#define MAX_PHDRS 32

struct range {
	uint64_t lo, hi;
};

static int exe_bias(struct up_remote *r, const Elf64_Phdr *ph, unsigned n, uint64_t at_phdr,
		    uint64_t page, uint64_t *bias)
{
	for (unsigned i = 0; i < n; i++) {
		if (ph[i].p_type == PT_PHDR) {
			*bias = at_phdr - ph[i].p_vaddr;
			return 0;
		}
	}
	/* no PT_PHDR: the headers sit in the first PT_LOAD at file offset e_phoff */
	for (unsigned i = 0; i < n; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			Elf64_Ehdr eh;

			if (r->t.ops->read(&r->t, at_phdr & ~(page - 1), &eh, sizeof(eh)) == 0 &&
			    memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0) {
				*bias = at_phdr - eh.e_phoff - ph[i].p_vaddr;
				return 0;
			}
			*bias = 0; /* a fixed-address program */
			return 0;
		}
	}
	return -ENOENT;
}

/* Executable PT_LOADs of the headers at phdr_addr, moved by bias. */
static int add_ranges(struct up_remote *r, uint64_t phdr_addr, unsigned phnum, bool is_exe,
		      uint64_t bias, uint64_t page, struct range *out, int n)
{
	Elf64_Phdr ph[MAX_PHDRS];

	if (phnum == 0 || phnum > MAX_PHDRS ||
	    r->t.ops->read(&r->t, phdr_addr, ph, phnum * sizeof(ph[0])))
		return n;
	if (is_exe && exe_bias(r, ph, phnum, phdr_addr, page, &bias))
		return n;
	for (unsigned i = 0; i < phnum && n < MAX_RANGES; i++) {
		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X))
			continue;
		out[n].lo = (bias + ph[i].p_vaddr) & ~(page - 1);
		out[n].hi = bias + ph[i].p_vaddr + ph[i].p_memsz;
		n++;
	}
	return n;
}

/* The target's page size (qemu-loongarch64: 16 KiB) and its executable ranges. */
static int exec_ranges(struct up_remote *r, struct range *out, uint64_t *page)
{
	uint64_t auxv[128], phdr = 0, phnum = 0, base = 0;
	Elf64_Ehdr eh;
	int len, n = 0;

	len = r->t.ops->auxv(&r->t, auxv, sizeof(auxv));
	if (len < 0)
		return len;
	for (int i = 0; i + 1 < len / 8; i += 2) {
		if (auxv[i] == AT_PHDR)
			phdr = auxv[i + 1];
		else if (auxv[i] == AT_PHNUM)
			phnum = auxv[i + 1];
		else if (auxv[i] == AT_BASE)
			base = auxv[i + 1];
		else if (auxv[i] == AT_PAGESZ && auxv[i + 1] >= 4096 &&
			 !(auxv[i + 1] & (auxv[i + 1] - 1)))
			*page = auxv[i + 1];
	}
	if (phdr)
		n = add_ranges(r, phdr, (unsigned)phnum, true, 0, *page, out, n);
	if (base && r->t.ops->read(&r->t, base, &eh, sizeof(eh)) == 0 &&
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0)
		n = add_ranges(r, base + eh.e_phoff, eh.e_phnum, false, base, *page, out, n);
	return n;
}

/* A syscall instruction outside [wlo, whi). */
static int find_syscall(struct up_remote *r, const struct range *ranges, int n, uint64_t wlo,
			uint64_t whi, uint64_t *out)
{
	uint64_t hint = r->core_syscall;

	if (hint && (hint + 8 <= wlo || hint >= whi)) {
		*out = hint;
		return 0;
	}
	if (r->syscall_addr && (r->syscall_addr + 8 <= wlo || r->syscall_addr >= whi)) {
		*out = r->syscall_addr;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		uint64_t lo = ranges[i].lo, hi = ranges[i].hi;

		if (lo < wlo && up_find_syscall_insn(&r->t, lo, hi < wlo ? hi : wlo, out) == 0)
			goto found;
		if (hi > whi && up_find_syscall_insn(&r->t, lo > whi ? lo : whi, hi, out) == 0)
			goto found;
	}
	return -ENOENT;
found:
	r->syscall_addr = *out;
	return 0;
}

int up_remote_syscall_outside(struct up_remote *r, uint64_t wlo, uint64_t whi, uint64_t *insn)
{
	struct range ranges[MAX_RANGES];
	uint64_t page = 4096;
	int n;

	if (!r->t.arch || !r->t.arch->syscall_len)
		return -ENOTSUP;
	n = exec_ranges(r, ranges, &page);
	if (n < 0)
		return n;
	return find_syscall(r, ranges, n, wlo, whi, insn);
}

int up_remote_unprotect(struct up_remote *r, uint64_t addr, size_t len)
{
	const struct up_arch *arch = r->t.arch;
	struct range ranges[MAX_RANGES];
	uint64_t page = 4096, lo, hi, insn, args[6] = {0};
	int64_t ret;
	int n;

	if (!arch || arch->nr_mprotect <= 0 || !arch->syscall_len || r->last_tid <= 0)
		return -ENOTSUP;
	n = exec_ranges(r, ranges, &page);
	if (n < 0)
		return n;
	lo = addr & ~(page - 1);
	hi = (addr + len + page - 1) & ~(page - 1);
	if (find_syscall(r, ranges, n, lo, hi, &insn))
		return -ENOENT;
	args[0] = lo;
	args[1] = hi - lo;
	args[2] = PROT_READ | PROT_WRITE | PROT_EXEC;
	ret = up_remote_syscall(&r->t, r->last_tid, insn, arch->nr_mprotect, args);
	return ret < 0 ? (int)ret : 0;
}
