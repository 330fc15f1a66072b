/* SPDX-License-Identifier: MIT */
/*
 * Modules of a target without procfs (one reached through the GDB remote
 * protocol), where there is no /proc/PID/maps: the main program at AT_ENTRY - e_entry, the
 * interpreter (PT_INTERP, under the sysroot) at AT_BASE, and once the
 * dynamic linker has run, every library of the r_debug/link_map chain
 * (r_debug found through DT_DEBUG in the program's dynamic section, all
 * read from target memory). 64-bit little-endian targets.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <gelf.h>
#include <link.h>

#include "sym_internal.h"

/* struct r_debug and struct link_map of a 64-bit target. */
#define R_DEBUG_MAP 8
#define R_DEBUG_STATE 24
#define LINK_MAP_ADDR 0
#define LINK_MAP_NAME 8
#define LINK_MAP_NEXT 24
#define LINK_MAP_MAX 1024

int sym_read_mem(struct up_symtab *s, uint64_t addr, void *buf, size_t len)
{
	return s->t->ops->read(s->t, addr, buf, len);
}

static int read_u64(struct up_symtab *s, uint64_t addr, uint64_t *val)
{
	return sym_read_mem(s, addr, val, sizeof(*val));
}

/* A NUL-terminated string from the target, read in small pieces so no page boundary hurts. */
static int read_string(struct up_symtab *s, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;

	while (got + 1 < len) {
		size_t chunk = 64 - (addr + got) % 64;

		if (chunk > len - 1 - got)
			chunk = len - 1 - got;
		if (sym_read_mem(s, addr + got, buf + got, chunk) < 0)
			return -EFAULT;
		if (memchr(buf + got, 0, chunk))
			return 0;
		got += chunk;
	}
	buf[len - 1] = 0;
	return 0;
}

/* r_debug's address from DT_DEBUG in the dynamic section of elf loaded at bias. */
static int dynamic_r_debug(struct up_symtab *s, Elf *elf, uint64_t bias, uint64_t *r_debug)
{
	size_t phnum;

	*r_debug = 0;
	if (elf_getphdrnum(elf, &phnum) < 0)
		return -EINVAL;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr mem, *ph = gelf_getphdr(elf, i, &mem);

		if (!ph || ph->p_type != PT_DYNAMIC)
			continue;
		for (uint64_t off = 0; off + 16 <= ph->p_memsz && off < 16 * 1024; off += 16) {
			uint64_t dyn[2];
			int err = sym_read_mem(s, ph->p_vaddr + bias + off, dyn, sizeof(dyn));

			if (err < 0)
				return err;
			if (dyn[0] == DT_NULL)
				break;
			if (dyn[0] == DT_DEBUG) {
				*r_debug = dyn[1];
				return 0;
			}
		}
		return 0;
	}
	return -ENOENT;
}

int sym_r_debug(struct up_symtab *s, uint64_t *r_debug)
{
	Dwarf_Addr bias;
	Elf *elf;

	if (!s->main)
		return -ENOENT;
	elf = dwfl_module_getelf(s->main, &bias);
	if (!elf)
		return -ENOENT;
	return dynamic_r_debug(s, elf, bias, r_debug);
}

/*
 * Report a file at a bias. A module already known at that bias is reported
 * again by its range: libdwfl refuses a second dwfl_report_elf of it.
 */
static Dwfl_Module *report_file(struct up_symtab *s, const char *path, uint64_t bias)
{
	for (int i = 0; i < s->nknown; i++)
		if (s->known[i].bias == bias && !strcmp(s->known[i].name, path))
			return dwfl_report_module(s->dwfl, path, s->known[i].start,
						  s->known[i].end);
	return dwfl_report_elf(s->dwfl, path, path, -1, bias, true);
}

/* Everything reported last time, again. */
static void report_known(struct up_symtab *s)
{
	for (int i = 0; i < s->nknown; i++)
		dwfl_report_module(s->dwfl, s->known[i].name, s->known[i].start, s->known[i].end);
}

static void sysroot_path(struct up_symtab *s, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s%s", s->t->sysroot, name);
}

/* Walk the link_map chain: every library but the main program and the interpreter. */
static void report_link_map(struct up_symtab *s, uint64_t r_debug)
{
	uint64_t l;

	if (read_u64(s, r_debug + R_DEBUG_MAP, &l) < 0)
		return;
	for (int i = 0; l && i < LINK_MAP_MAX; i++) {
		uint64_t l_addr, l_name, next;
		char name[PATH_MAX], path[PATH_MAX + 1024];

		if (read_u64(s, l + LINK_MAP_ADDR, &l_addr) < 0 ||
		    read_u64(s, l + LINK_MAP_NAME, &l_name) < 0 ||
		    read_u64(s, l + LINK_MAP_NEXT, &next) < 0)
			return;
		l = next;
		if (!l_name || (s->auxv_base && l_addr == s->auxv_base))
			continue;
		if (read_string(s, l_name, name, sizeof(name)) < 0 || !name[0])
			continue; /* the main program */
		/* A relative name (dlopen("lib/x.so")) is taken from the tracer's directory. */
		if (name[0] == '/')
			sysroot_path(s, name, path, sizeof(path));
		else if (!realpath(name, path))
			continue;
		if (access(path, R_OK) < 0)
			continue; /* the vDSO: no file */
		report_file(s, path, l_addr);
	}
}

int sym_report_link_map(struct up_symtab *s)
{
	char interp[PATH_MAX], path[PATH_MAX + 1024];
	uint64_t bias = 0, r_debug = 0;
	GElf_Ehdr ehdr;
	size_t phnum;
	Elf *elf;
	int fd, err = 0;

	interp[0] = 0;
	fd = open(s->t->exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || !gelf_getehdr(elf, &ehdr) || elf_getphdrnum(elf, &phnum) < 0) {
		err = -ENOEXEC;
		goto out;
	}
	if (!s->auxv_entry && ehdr.e_type == ET_EXEC)
		s->auxv_entry = ehdr.e_entry; /* no auxv: a fixed-address program still works */
	if (!s->auxv_entry) {
		err = -ENOENT; /* a PIE without AT_ENTRY: its bias is unknowable */
		goto out;
	}
	if (ehdr.e_type == ET_DYN)
		bias = s->auxv_entry - ehdr.e_entry;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr mem, *ph = gelf_getphdr(elf, i, &mem);
		size_t size;
		char *raw;

		if (!ph || ph->p_type != PT_INTERP)
			continue;
		raw = elf_rawfile(elf, &size);
		/* p_offset + p_filesz may wrap: compared without adding */
		if (raw && ph->p_offset <= size && ph->p_filesz <= size - ph->p_offset &&
		    ph->p_filesz < sizeof(interp)) {
			memcpy(interp, raw + ph->p_offset, ph->p_filesz);
			interp[ph->p_filesz] = 0;
		}
	}
	s->main_bias = bias;
	if (!report_file(s, s->t->exe, bias)) {
		err = -EIO;
		goto out;
	}
	if (interp[0] && s->auxv_base) {
		sysroot_path(s, interp, path, sizeof(path));
		report_file(s, path, s->auxv_base);
	}
	if (dynamic_r_debug(s, elf, bias, &r_debug) == 0 && r_debug) {
		int32_t state = 0;

		/*
		 * Mid-change (RT_ADD, RT_DELETE) the chain may hold a library
		 * not mapped yet: keep what was known until it is consistent.
		 */
		if (sym_read_mem(s, r_debug + R_DEBUG_STATE, &state, sizeof(state)) == 0 &&
		    state != RT_CONSISTENT)
			report_known(s);
		else
			report_link_map(s, r_debug);
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}
