/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the symbol layer (src/sym) on a corrupted ELF file.
 * The input is the program's file. It is opened as a remote target's
 * program is (remote_modules.c: the file at a bias, memory read from the
 * file as its PT_LOAD headers place it, AT_ENTRY from its header), then
 * asked what uptrace asks while resolving probes: every function, its
 * parameters (DWARF types and locations, the calling convention), variables
 * and members by name, return types and where they are returned, IFUNC
 * targets, instruction starts, FILE:LINE, link-time addresses, executable
 * segments, the dynamic linker's r_brk, USDT notes and their argument
 * specs, Go notes, -l's listing, and a re-read of the modules.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uptrace/arch.h"
#include "uptrace/sym.h"
#include "uptrace/target.h"

#define MAX_FUNCS 48
#define PIE_BIAS 0x555555554000ull

struct file_target {
	struct up_target t;
	const uint8_t *image;
	size_t size;
	uint64_t bias;
	const Elf64_Ehdr *ehdr; /* NULL when the file has no whole header */
};

/* The file's bytes where its PT_LOAD headers put them; every bound checked. */
static int file_read(struct up_target *t, uint64_t addr, void *buf, size_t len)
{
	struct file_target *ft = (struct file_target *)t;
	const Elf64_Ehdr *eh = ft->ehdr;

	if (!eh || eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > ft->size ||
	    (ft->size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return -EFAULT;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t start, off;

		memcpy(&ph, ft->image + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		start = ph.p_vaddr + ft->bias;
		if (ph.p_type != PT_LOAD || addr < start || addr - start > ph.p_memsz ||
		    len > ph.p_memsz - (addr - start))
			continue;
		for (size_t k = 0; k < len; k++) {
			off = addr - start + k;
			((uint8_t *)buf)[k] = off < ph.p_filesz && ph.p_offset < ft->size &&
						      off < ft->size - ph.p_offset
						  ? ft->image[ph.p_offset + off]
						  : 0;
		}
		return 0;
	}
	return -EFAULT;
}

static int file_auxv(struct up_target *t, void *buf, size_t len)
{
	struct file_target *ft = (struct file_target *)t;
	Elf64_auxv_t auxv[] = {
	    {AT_ENTRY, {ft->ehdr ? ft->ehdr->e_entry + ft->bias : 0}},
	    {AT_NULL, {0}},
	};

	if (len < sizeof(auxv))
		return -ENOSPC;
	memcpy(buf, auxv, sizeof(auxv));
	return sizeof(auxv);
}

static const struct up_target_ops file_ops = {.read = file_read, .auxv = file_auxv};

static void listed(void *ctx, const struct up_func_match *m)
{
	(*(int *)ctx)++;
}

static int usdt_site(void *ctx, const struct up_usdt_site *site)
{
	(*(int *)ctx) += site->nargs <= UP_USDT_MAX_ARGS;
	return 0;
}

static int named(void *ctx, unsigned which, uint64_t addr)
{
	return 0;
}

static void ask_function(struct up_symtab *s, const struct up_func_match *m)
{
	static const char *const members[] = {"x", "len", "next", "a", "name"};
	struct up_arg args[UP_MAX_ARGS], v;
	struct up_type type;
	struct up_fetch fetch;
	struct up_func_match impl_match;
	char expr[UP_NAME_MAX * 2], desc[256];
	uint64_t impl;
	int n;

	n = up_sym_params(s, m->addr, args, UP_MAX_ARGS);
	for (int i = 0; i < n && i < UP_MAX_ARGS; i++) {
		up_sym_variable(s, m->addr, args[i].name, &v);
		for (unsigned k = 0; k < sizeof(members) / sizeof(members[0]); k++) {
			snprintf(expr, sizeof(expr), "%s->%s", args[i].name, members[k]);
			up_sym_variable(s, m->addr, expr, &v);
			snprintf(expr, sizeof(expr), "%s.%s.%s", args[i].name, members[k],
				 members[k]);
			up_sym_variable(s, m->addr, expr, &v);
		}
	}
	/* inside the body: DWARF's own locations, not the ABI's */
	up_sym_params(s, m->addr + (m->size > 8 ? m->size / 2 : 1), args, UP_MAX_ARGS);
	up_sym_return_type(s, m->addr, &type);
	up_sym_return_fetch(s, m->addr, &type, &fetch);
	up_sym_ifunc_target(s, m, &impl, &impl_match);
	up_sym_insn_start(s, m->addr + 1, desc, sizeof(desc));
	up_sym_in_code(s, m->addr);
	up_sym_is_entry_point(s, m->addr);
	up_sym_in_go_module(s, m->addr);
	up_sym_describe(s, m->addr + 1, desc, sizeof(desc));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static struct up_func_match funcs[MAX_FUNCS];
	static const char *const names[] = {"_start", "main", "fx_node", "_dl_debug_state"};
	struct file_target ft;
	struct up_symtab *s;
	struct up_func_match func;
	uint64_t ranges[8][2], addr;
	char ambiguous[256];
	int n, count = 0;

	if (fd < 0)
		fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	memset(&ft, 0, sizeof(ft));
	ft.image = data;
	ft.size = size;
	if (size >= sizeof(Elf64_Ehdr)) {
		ft.ehdr = (const Elf64_Ehdr *)data;
		ft.bias = ft.ehdr->e_type == ET_DYN ? PIE_BIAS : 0;
	}
	up_target_init(&ft.t, &file_ops); /* no procfs: modules from the ELF header and memory */
	ft.t.arch = ft.ehdr ? up_arch_by_machine(ft.ehdr->e_machine) : NULL;
	if (!ft.t.arch)
		ft.t.arch = up_arch_by_name("x86_64");
	ft.t.pid = 1;
	snprintf(ft.t.exe, sizeof(ft.t.exe), "/proc/self/fd/%d", fd);
	if (up_sym_open(&s, &ft.t) != 0)
		return 0;

	n = up_sym_functions(s, NULL, "*", funcs, MAX_FUNCS, ambiguous, sizeof(ambiguous));
	for (int i = 0; i < n && i < MAX_FUNCS; i++)
		ask_function(s, &funcs[i]);
	up_sym_functions(s, "fuzz-elf", "f?*", funcs, MAX_FUNCS, ambiguous, sizeof(ambiguous));
	for (int line = 1; line < 80; line += 3) {
		up_sym_line(s, NULL, "seed.c", line, &addr, &func);
		up_sym_line(s, NULL, "typecycle.S", line, &addr, &func);
	}
	if (ft.ehdr)
		up_sym_link_to_runtime(s, NULL, ft.ehdr->e_entry, &addr, &func);
	up_sym_exec_ranges(s, NULL, ranges, 8);
	up_sym_rbrk(s, &addr);
	up_sym_list(s, "*", listed, &count);
	up_sym_usdt_sites(s, NULL, "*", "*", usdt_site, &count);
	up_sym_each_named(s, names, sizeof(names) / sizeof(names[0]), named, NULL);
	up_sym_link_state(s);
	up_sym_refresh(s);
	up_sym_close(s);
	return 0;
}
