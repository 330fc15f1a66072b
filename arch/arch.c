/* SPDX-License-Identifier: MIT */
/*
 * The registry of ops tables: picks one by ELF e_machine or name. Every
 * table is complete when compiled (its defaults come from arch/common), so
 * it is handed out as it is: nothing here is filled in or changes.
 */
#include <string.h>
#include <elf.h>

#include "uptrace/arch.h"

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

static const struct up_arch *const tables[] = {
    &up_arch_x86_64,
    &up_arch_aarch64,
    &up_arch_riscv64,
    &up_arch_loongarch64,
};

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

const struct up_arch *up_arch_by_machine(unsigned e_machine)
{
	for (unsigned i = 0; i < NTABLES; i++)
		if (tables[i]->e_machine == e_machine)
			return tables[i];
	return NULL;
}

const struct up_arch *up_arch_by_name(const char *name)
{
	for (unsigned i = 0; i < NTABLES; i++)
		if (strcmp(tables[i]->name, name) == 0)
			return tables[i];
	return NULL;
}

const struct up_arch *up_arch_host(void)
{
#if defined(__x86_64__)
	return up_arch_by_machine(EM_X86_64);
#elif defined(__aarch64__)
	return up_arch_by_machine(EM_AARCH64);
#elif defined(__riscv) && __riscv_xlen == 64
	return up_arch_by_machine(EM_RISCV);
#elif defined(__loongarch64)
	return up_arch_by_machine(EM_LOONGARCH);
#else
	return NULL;
#endif
}
