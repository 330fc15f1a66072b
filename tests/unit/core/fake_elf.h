/* SPDX-License-Identifier: MIT */
/*
 * The smallest ELF files the symbol layer reads as a program and a
 * library: load segments, an optional dynamic section (DT_DEBUG, so the
 * r_debug of a fake process is found), and function symbols. Written by a
 * test at run time, so its symbols lie exactly where the fake process's
 * memory has the bytes it means, on any host.
 */
#ifndef CORE_TEST_FAKE_ELF_H
#define CORE_TEST_FAKE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fake_elf_sym {
	const char *name;
	uint64_t addr, size; /* link-time */
};

struct fake_elf {
	bool shared;	     /* ET_DYN (a library), else ET_EXEC */
	uint64_t entry;	     /* e_entry */
	uint64_t text_addr;  /* one r-x PT_LOAD, its bytes given */
	const uint8_t *text; /* text_size bytes */
	uint64_t text_size;
	uint64_t dynamic_addr; /* 0: none; else one rw- PT_LOAD with PT_DYNAMIC at its start */
	uint64_t dynamic_size; /* the rw- segment's size */
	const struct fake_elf_sym *syms;
	unsigned nsyms;
};

/* Write e to path. 0, or -errno. */
int fake_elf_write(const char *path, const struct fake_elf *e);

#endif
