/* SPDX-License-Identifier: MIT */
/*
 * The registry of ops tables: picks one by ELF e_machine or name, and fills
 * every hook an architecture leaves NULL with a default, so callers never
 * test a hook for NULL.
 */
#include <errno.h>
#include <string.h>
#include <elf.h>

#include "uptrace/arch.h"

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

static struct up_arch filled[4];
static const struct up_arch *const tables[4] = {
	&up_arch_x86_64, &up_arch_aarch64, &up_arch_riscv64, &up_arch_loongarch64,
};

static int default_xol_build(const struct up_insn *insn, uint64_t slot_addr, struct up_xol *xol)
{
	return -ENOTSUP;
}

static int default_simulate(const struct up_insn *insn, struct up_regs *regs,
			    const struct up_mem *mem)
{
	return -ENOTSUP;
}

static unsigned default_insn_length(const uint8_t *bytes, size_t avail)
{
	return 0;
}

/* DWARF numbers 0-31 are the integer registers in up_regs order (aarch64: 31 = sp). */
static int default_dwarf_reg(unsigned regno)
{
	return regno < 32 ? (int)regno : -1;
}

static int default_dwarf_fp_reg(unsigned regno)
{
	return -1;
}

static int lookup_in_names(const struct up_arch *a, const char *name)
{
	for (unsigned i = 0; a->reg_names && i < a->nregs; i++)
		if (a->reg_names[i] && strcmp(a->reg_names[i], name) == 0)
			return (int)i;
	if (strcmp(name, "pc") == 0)
		return a->pc_reg;
	if (strcmp(name, "sp") == 0)
		return a->sp_reg;
	return -1;
}

/*
 * Defaults that must know their table (hooks take no arch pointer): one
 * instance per table index, generated here.
 */
#define DEFINE_DEFAULTS(n)                                                                       \
	static unsigned breakpoint_##n(uint32_t e_flags, uint8_t out[4])                         \
	{                                                                                        \
		memcpy(out, filled[n].bp, 4);                                                    \
		return filled[n].bp_len;                                                         \
	}                                                                                        \
	static void xol_enter_##n(const struct up_insn *insn, const struct up_xol *xol,          \
				  uint64_t slot_addr, struct up_regs *regs,                      \
				  struct up_xol_state *state)                                    \
	{                                                                                        \
		regs->r[filled[n].pc_reg] = slot_addr;                                           \
	}                                                                                        \
	static int xol_leave_##n(const struct up_insn *insn, const struct up_xol *xol,           \
				 uint64_t slot_addr, struct up_regs *regs,                       \
				 const struct up_mem *mem, const struct up_xol_state *state)     \
	{                                                                                        \
		regs->r[filled[n].pc_reg] = insn->addr + insn->len;                              \
		return 0;                                                                        \
	}                                                                                        \
	static int reg_lookup_##n(const char *name)                                              \
	{                                                                                        \
		return lookup_in_names(&filled[n], name);                                        \
	}                                                                                        \
	/* the return address in a link register (ra_reg) */                                    \
	static int ra_get_##n(const struct up_regs *regs, const struct up_mem *mem,              \
			      uint64_t *ret)                                                     \
	{                                                                                        \
		*ret = regs->r[filled[n].ra_reg];                                                \
		return 0;                                                                        \
	}                                                                                        \
	static int ra_set_##n(struct up_regs *regs, const struct up_mem *mem, uint64_t ret)      \
	{                                                                                        \
		regs->r[filled[n].ra_reg] = ret;                                                 \
		return 0;                                                                        \
	}
DEFINE_DEFAULTS(0)
DEFINE_DEFAULTS(1)
DEFINE_DEFAULTS(2)
DEFINE_DEFAULTS(3)

#define DEFAULT(n, hook) [n] = hook##_##n
static unsigned (*const breakpoints[4])(uint32_t, uint8_t[4]) = {
	DEFAULT(0, breakpoint), DEFAULT(1, breakpoint), DEFAULT(2, breakpoint), DEFAULT(3, breakpoint),
};
static void (*const xol_enters[4])(const struct up_insn *, const struct up_xol *, uint64_t,
				    struct up_regs *, struct up_xol_state *) = {
	DEFAULT(0, xol_enter), DEFAULT(1, xol_enter), DEFAULT(2, xol_enter), DEFAULT(3, xol_enter),
};
static int (*const xol_leaves[4])(const struct up_insn *, const struct up_xol *, uint64_t,
				  struct up_regs *, const struct up_mem *,
				  const struct up_xol_state *) = {
	DEFAULT(0, xol_leave), DEFAULT(1, xol_leave), DEFAULT(2, xol_leave), DEFAULT(3, xol_leave),
};
static int (*const reg_lookups[4])(const char *) = {
	DEFAULT(0, reg_lookup), DEFAULT(1, reg_lookup), DEFAULT(2, reg_lookup), DEFAULT(3, reg_lookup),
};

static int (*const ra_gets[4])(const struct up_regs *, const struct up_mem *, uint64_t *) = {
	DEFAULT(0, ra_get), DEFAULT(1, ra_get), DEFAULT(2, ra_get), DEFAULT(3, ra_get),
};
static int (*const ra_sets[4])(struct up_regs *, const struct up_mem *, uint64_t) = {
	DEFAULT(0, ra_set), DEFAULT(1, ra_set), DEFAULT(2, ra_set), DEFAULT(3, ra_set),
};

static const struct up_arch *fill(unsigned i)
{
	struct up_arch *a = &filled[i];

	if (a->name)
		return a;
	*a = *tables[i];
	if (!a->breakpoint)
		a->breakpoint = breakpoints[i];
	if (!a->simulate)
		a->simulate = default_simulate;
	if (!a->xol_build)
		a->xol_build = default_xol_build;
	if (!a->xol_enter)
		a->xol_enter = xol_enters[i];
	if (!a->xol_leave)
		a->xol_leave = xol_leaves[i];
	if (!a->reg_lookup)
		a->reg_lookup = reg_lookups[i];
	if (!a->dwarf_reg)
		a->dwarf_reg = default_dwarf_reg;
	if (!a->dwarf_fp_reg)
		a->dwarf_fp_reg = default_dwarf_fp_reg;
	if (!a->insn_length)
		a->insn_length = default_insn_length;
	if (!a->return_address_get && a->ra_reg >= 0)
		a->return_address_get = ra_gets[i];
	if (!a->return_address_set && a->ra_reg >= 0)
		a->return_address_set = ra_sets[i];
	return a;
}

const struct up_arch *up_arch_by_machine(unsigned e_machine)
{
	for (unsigned i = 0; i < 4; i++)
		if (tables[i]->e_machine == e_machine && tables[i]->decode)
			return fill(i);
	return NULL;
}

const struct up_arch *up_arch_by_name(const char *name)
{
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(tables[i]->name, name) == 0 && tables[i]->decode)
			return fill(i);
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
