/* SPDX-License-Identifier: MIT */
/*
 * x86_64 xol_build(), xol_enter(), xol_leave(): the exact slot bytes for
 * instructions at 0x401000 placed in slots near and far: rip-relative
 * displacements re-targeted, `jmp rel32` or `jmp *0(%rip)` back, and the
 * scratch-register fallback ending in the breakpoint with its register round trip.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "uptrace/arch.h"
#include "insn_table.h"

#define ADDR 0x401000ull
#define FAR 0x7f0000000000ull

struct xol_case {
	const char *insn;
	uint64_t slot;
	const char *code; /* expected slot bytes */
	uint8_t exit;
	int scratch; /* up_regs index set to addr+len in a TRAP slot, or -1 */
};

/* clang-format off */
static const struct xol_case cases[] = {
	/* rip-relative, slot within reach: disp32 re-targeted, jmp rel32 back */
	{ "48 8b 05 10 00 00 00", 0x402000, "48 8b 05 10 f0 ff ff e9 fb ef ff ff",
	  UP_XOL_EXIT_JUMP, -1 },
	{ "83 3d 10 00 00 00 00", 0x402000, "83 3d 10 f0 ff ff 00 e9 fb ef ff ff",
	  UP_XOL_EXIT_JUMP, -1 },
	{ "f0 48 83 05 10 00 00 00 01", 0x402000, "f0 48 83 05 10 f0 ff ff 01 e9 fb ef ff ff",
	  UP_XOL_EXIT_JUMP, -1 },
	{ "48 8d 3d 10 00 00 00", 0x400000, "48 8d 3d 10 10 00 00 e9 fb 0f 00 00",
	  UP_XOL_EXIT_JUMP, -1 },
	{ "66 0f 6f 05 10 00 00 00", 0x402000, "66 0f 6f 05 10 f0 ff ff e9 fb ef ff ff",
	  UP_XOL_EXIT_JUMP, -1 },
	/* rip target reachable from the slot, but the way back is not: jmp *0(%rip) */
	{ "48 8b 05 f0 ff ff 7f", 0x80500000,
	  "48 8b 05 f0 0f f0 ff ff 25 00 00 00 00 07 10 40 00 00 00 00 00",
	  UP_XOL_EXIT_JUMP, -1 },
	/* not rip-relative */
	{ "48 83 e4 f0", 0x402000, "48 83 e4 f0 e9 fb ef ff ff", UP_XOL_EXIT_JUMP, -1 },
	{ "48 83 e4 f0", FAR, "48 83 e4 f0 ff 25 00 00 00 00 04 10 40 00 00 00 00 00",
	  UP_XOL_EXIT_JUMP, -1 },
	/* rip-relative out of reach: ModRM -> disp32(scratch), the breakpoint (hlt) after */
	{ "48 8b 05 10 00 00 00", FAR, "48 8b 86 10 00 00 00 f4", UP_XOL_EXIT_TRAP,
	  UP_X86_RSI },
	{ "48 8b 35 10 00 00 00", FAR, "48 8b b7 10 00 00 00 f4", UP_XOL_EXIT_TRAP,
	  UP_X86_RDI },
	{ "49 8b 05 10 00 00 00", FAR, "48 8b 86 10 00 00 00 f4", UP_XOL_EXIT_TRAP,
	  UP_X86_RSI },
	{ "ff 35 10 00 00 00", FAR, "ff b7 10 00 00 00 f4", UP_XOL_EXIT_TRAP, UP_X86_RDI },
	{ "48 0f c7 0d 10 00 00 00", FAR, "48 0f c7 8e 10 00 00 00 f4", UP_XOL_EXIT_TRAP,
	  UP_X86_RSI },
	{ "c4 c1 7b 10 05 10 00 00 00", FAR, "c4 e1 7b 10 86 10 00 00 00 f4",
	  UP_XOL_EXIT_TRAP, UP_X86_RSI },
	{ "62 f1 fd 48 6f 05 10 00 00 00", FAR, "62 f1 fd 48 6f 86 10 00 00 00 f4",
	  UP_XOL_EXIT_TRAP, UP_X86_RSI },
};
/* clang-format on */

static const struct up_arch *arch(void)
{
	const struct up_arch *a = up_arch_by_name("x86_64");

	assert_non_null(a);
	return a;
}

static void decode_hex(const char *hex, struct up_insn *insn)
{
	uint8_t bytes[16];
	size_t n = insn_case_bytes(hex, bytes, sizeof(bytes));

	assert_int_equal(arch()->decode(arch(), insn, ADDR, bytes, n), 0);
	if (insn->action != UP_INSN_XOL)
		fail_msg("%s ('%s') is not XOL: %s", hex, insn->text, insn->why);
}

static void test_build(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct xol_case *c = &cases[i];
		uint8_t want[UP_XOL_SLOT_SIZE];
		size_t n = insn_case_bytes(c->code, want, sizeof(want));
		struct up_insn insn;
		struct up_xol xol;
		char got[3 * UP_XOL_SLOT_SIZE + 1] = "";

		decode_hex(c->insn, &insn);
		assert_int_equal(arch()->xol_build(arch(), &insn, c->slot, &xol), 0);
		for (unsigned k = 0; k < xol.len && k < UP_XOL_SLOT_SIZE; k++)
			snprintf(got + 3 * k, 4, "%02x ", xol.code[k]);
		if (xol.len != n || memcmp(xol.code, want, n) != 0 || xol.exit != c->exit)
			fail_msg("%s at slot %#llx: got exit %d [%s], want exit %d [%s]", c->insn,
				 (unsigned long long)c->slot, xol.exit, got, c->exit, c->code);
		if (c->exit == UP_XOL_EXIT_TRAP)
			assert_int_equal(xol.trap_offset, insn.len);
	}
}

/* Enter and leave around each slot: only rip and the scratch register move, and come back. */
static void test_enter_leave(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct xol_case *c = &cases[i];
		struct up_insn insn;
		struct up_xol xol;
		struct up_xol_state st = {{0}};
		struct up_regs regs, before, want;

		decode_hex(c->insn, &insn);
		assert_int_equal(arch()->xol_build(arch(), &insn, c->slot, &xol), 0);
		for (int r = 0; r < UP_REGS_MAX; r++)
			regs.r[r] = 0x2222000000000000ull + (uint64_t)r;
		regs.r[UP_X86_RIP] = ADDR + 1; /* as the trap left it */
		before = regs;

		arch()->xol_enter(arch(), &insn, &xol, c->slot, &regs, &st);
		want = before;
		want.r[UP_X86_RIP] = c->slot;
		if (c->scratch >= 0)
			want.r[c->scratch] = ADDR + insn.len;
		assert_memory_equal(&regs, &want, sizeof(regs));

		if (c->exit != UP_XOL_EXIT_TRAP)
			continue;
		regs.r[UP_X86_RIP] = c->slot + xol.trap_offset; /* on the breakpoint: it faults */
		regs.r[UP_X86_RAX] = 0x1234;			/* what the instruction did stays */
		assert_int_equal(arch()->xol_leave(arch(), &insn, &xol, c->slot, &regs, NULL, &st),
				 0);
		want = before;
		want.r[UP_X86_RIP] = ADDR + insn.len;
		want.r[UP_X86_RAX] = 0x1234;
		assert_memory_equal(&regs, &want, sizeof(regs));
	}
}

/* Only XOL instructions have slots. */
static void test_build_refuses(void **state)
{
	static const uint8_t push[] = {0x41, 0x55};
	struct up_insn insn;
	struct up_xol xol;

	assert_int_equal(arch()->decode(arch(), &insn, ADDR, push, 2), 0);
	assert_int_equal(insn.action, UP_INSN_SIMULATE);
	assert_int_equal(arch()->xol_build(arch(), &insn, 0x402000, &xol), -EINVAL);
}

/*
 * Addresses anywhere in 64 bits (a remote target's are only its stub's
 * word): the displacement from a slot high in the address space to a
 * target at the top wraps instead of overflowing a signed subtraction
 * (UBSan stops there), and the far case takes the scratch register.
 */
static void test_build_wide_addresses(void **state)
{
	static const uint8_t load[] = {0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00};
	/* the load re-targeted at the scratch register, then the arch's breakpoint */
	uint8_t want[] = {0x48, 0x8b, 0x86, 0x10, 0x00, 0x00, 0x00, arch()->bp[0]};
	static const struct {
		uint64_t addr, slot;
	} wide[] = {
	    {0xfffffffffffff000ull, 0x7ffffffffffff000ull},
	    {0x7ffffffffffff000ull, 0xfffffffffffff000ull},
	};

	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
		struct up_insn insn;
		struct up_xol xol;

		assert_int_equal(arch()->decode(arch(), &insn, wide[i].addr, load, sizeof(load)),
				 0);
		assert_int_equal(insn.action, UP_INSN_XOL);
		assert_int_equal(arch()->xol_build(arch(), &insn, wide[i].slot, &xol), 0);
		assert_int_equal(xol.exit, UP_XOL_EXIT_TRAP);
		assert_int_equal(xol.len, sizeof(want));
		assert_memory_equal(xol.code, want, sizeof(want));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build),
	    cmocka_unit_test(test_enter_leave),
	    cmocka_unit_test(test_build_refuses),
	    cmocka_unit_test(test_build_wide_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
