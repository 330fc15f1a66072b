/* SPDX-License-Identifier: MIT */
/*
 * riscv64 simulate(): every simulated class, with sign-extended immediates
 * (negative branch and jump offsets, auipc and lui with a negative upper
 * immediate, negative load/store offsets), x0 as source and destination,
 * memory through a fake up_mem, and errors that leave registers unchanged.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "uptrace/arch.h"

#define ADDR 0x10000ull
#define MEM_BASE 0x7ff000ull
#define MEM_SIZE 1024

static const struct up_arch *rv;
#include "../fake_mem.h"

/* Decode word at ADDR, check it is simulated, run it on regs (pc set to ADDR). */
static int sim(uint32_t word, struct up_regs *regs)
{
	struct up_insn insn;
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(word >> (8 * i));
	assert_int_equal(rv->decode(rv, &insn, ADDR, b, 4), 0);
	assert_int_equal(insn.action, UP_INSN_SIMULATE);
	regs->r[UP_RV_PC] = ADDR;
	return rv->simulate(rv, &insn, regs, &mem);
}

static void setup_regs(struct up_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	for (int i = 1; i < 32; i++)
		regs->r[i] = 0x1000 * i;
	regs->r[UP_RV_SP] = MEM_BASE + 512;
}

/* Only PC and the registers listed may differ from the initial state. */
static void expect_only(const struct up_regs *after, uint64_t pc, int reg, uint64_t val)
{
	struct up_regs before;

	setup_regs(&before);
	assert_int_equal(after->r[UP_RV_PC], pc);
	for (int i = 0; i < 32; i++)
		assert_int_equal(after->r[i], i == reg ? val : before.r[i]);
}

static void test_jal(void **state)
{
	struct up_regs r;

	setup_regs(&r);
	assert_int_equal(sim(0x001000ef, &r), 0); /* jal ra,.+0x800 */
	expect_only(&r, ADDR + 0x800, 1, ADDR + 4);
	setup_regs(&r);
	assert_int_equal(sim(0xff1ff06f, &r), 0); /* jal zero,.-16 */
	expect_only(&r, ADDR - 16, -1, 0);
	setup_regs(&r);
	assert_int_equal(sim(0xbffd, &r), 0); /* c.j .-2 */
	expect_only(&r, ADDR - 2, -1, 0);
	setup_regs(&r);
	assert_int_equal(sim(0xaffd, &r), 0); /* c.j .+2046 */
	expect_only(&r, ADDR + 2046, -1, 0);
}

static void test_jalr(void **state)
{
	struct up_regs r;

	setup_regs(&r);
	r.r[15] = 0x4001;			  /* odd target: bit 0 is cleared */
	assert_int_equal(sim(0x000780e7, &r), 0); /* jalr ra,0(a5) */
	assert_int_equal(r.r[UP_RV_PC], 0x4000);
	assert_int_equal(r.r[1], ADDR + 4);
	setup_regs(&r);
	assert_int_equal(sim(0xff828067, &r), 0); /* jalr zero,-8(t0) */
	expect_only(&r, 0x5000 - 8, -1, 0);
	setup_regs(&r);
	assert_int_equal(sim(0x000080e7, &r), 0); /* jalr ra,0(ra): rs1 read first */
	expect_only(&r, 0x1000, 1, ADDR + 4);
	setup_regs(&r);
	assert_int_equal(sim(0x8082, &r), 0); /* c.jr ra */
	expect_only(&r, 0x1000, -1, 0);
	setup_regs(&r);
	assert_int_equal(sim(0x9782, &r), 0); /* c.jalr a5 */
	expect_only(&r, 0xf000, 1, ADDR + 2);
}

static void test_auipc_lui(void **state)
{
	struct up_regs r;

	setup_regs(&r);
	assert_int_equal(sim(0xfffff097, &r), 0); /* auipc ra,0xfffff */
	expect_only(&r, ADDR + 4, 1, ADDR - 0x1000);
	setup_regs(&r);
	assert_int_equal(sim(0x00000517, &r), 0); /* auipc a0,0 */
	expect_only(&r, ADDR + 4, 10, ADDR);
	setup_regs(&r);
	assert_int_equal(sim(0x12345537, &r), 0); /* lui a0,0x12345 */
	expect_only(&r, ADDR + 4, 10, 0x12345000);
	setup_regs(&r);
	assert_int_equal(sim(0xfffff337, &r), 0); /* lui t1,0xfffff */
	expect_only(&r, ADDR + 4, 6, 0xfffffffffffff000ull);
	setup_regs(&r);
	assert_int_equal(sim(0x757d, &r), 0); /* c.lui a0,0xfffff */
	expect_only(&r, ADDR + 2, 10, 0xfffffffffffff000ull);
	setup_regs(&r);
	assert_int_equal(sim(0x6485, &r), 0); /* c.lui s1,1 */
	expect_only(&r, ADDR + 2, 9, 0x1000);
}

static void test_branches(void **state)
{
	struct up_regs r;

	setup_regs(&r);
	assert_int_equal(sim(0x00b50863, &r), 0); /* beq a0,a1,.+16: not taken */
	expect_only(&r, ADDR + 4, -1, 0);
	setup_regs(&r);
	r.r[11] = r.r[10];
	assert_int_equal(sim(0x00b50863, &r), 0); /* taken */
	assert_int_equal(r.r[UP_RV_PC], ADDR + 16);
	setup_regs(&r);
	assert_int_equal(sim(0xfe0510e3, &r), 0); /* bne a0,zero,.-32: taken */
	expect_only(&r, ADDR - 32, -1, 0);
	setup_regs(&r);
	r.r[12] = (uint64_t)-1;
	r.r[13] = 1;
	assert_int_equal(sim(0x80d64063, &r), 0); /* blt a2,a3,.-4096: -1 < 1 */
	assert_int_equal(r.r[UP_RV_PC], ADDR - 4096);
	assert_int_equal(sim(0x00d65463, &r), 0); /* bge a2,a3,.+8: not taken */
	assert_int_equal(r.r[UP_RV_PC], ADDR + 4);
	setup_regs(&r);
	r.r[9] = (uint64_t)-1;
	r.r[18] = 1;
	assert_int_equal(sim(0xff24efe3, &r), 0); /* bltu s1,s2,.-2: ~0 is not below 1 */
	assert_int_equal(r.r[UP_RV_PC], ADDR + 4);
	r.r[9] = 0;
	assert_int_equal(sim(0xff24efe3, &r), 0); /* 0 < 1: taken backwards */
	assert_int_equal(r.r[UP_RV_PC], ADDR - 2);
	setup_regs(&r);
	assert_int_equal(sim(0x7e62ffe3, &r), 0); /* bgeu t0,t1,.+4094: 0x5000 < 0x6000 */
	assert_int_equal(r.r[UP_RV_PC], ADDR + 4);
	r.r[5] = 0x6000;
	assert_int_equal(sim(0x7e62ffe3, &r), 0); /* equal: taken */
	assert_int_equal(r.r[UP_RV_PC], ADDR + 4094);

	setup_regs(&r);
	assert_int_equal(sim(0xd101, &r), 0); /* c.beqz a0,.-256: a0 != 0 */
	expect_only(&r, ADDR + 2, -1, 0);
	r.r[10] = 0;
	assert_int_equal(sim(0xd101, &r), 0);
	assert_int_equal(r.r[UP_RV_PC], ADDR - 256);
	setup_regs(&r);
	assert_int_equal(sim(0xecfd, &r), 0); /* c.bnez s1,.+254 */
	expect_only(&r, ADDR + 254, -1, 0);
	r.r[9] = 0;
	assert_int_equal(sim(0xecfd, &r), 0);
	assert_int_equal(r.r[UP_RV_PC], ADDR + 2);
}

static void test_arith(void **state)
{
	const uint64_t sp = MEM_BASE + 512;
	struct up_regs r;

	setup_regs(&r);
	assert_int_equal(sim(0xfe010113, &r), 0); /* addi sp,sp,-32 */
	expect_only(&r, ADDR + 4, 2, sp - 32);
	setup_regs(&r);
	assert_int_equal(sim(0x7ff58513, &r), 0); /* addi a0,a1,2047 */
	expect_only(&r, ADDR + 4, 10, 0xb000 + 2047);
	setup_regs(&r);
	assert_int_equal(sim(0x1141, &r), 0); /* c.addi sp,-16 */
	expect_only(&r, ADDR + 2, 2, sp - 16);
	setup_regs(&r);
	assert_int_equal(sim(0x7139, &r), 0); /* c.addi16sp sp,-64 */
	expect_only(&r, ADDR + 2, 2, sp - 64);
	setup_regs(&r);
	assert_int_equal(sim(0x617d, &r), 0); /* c.addi16sp sp,496 */
	expect_only(&r, ADDR + 2, 2, sp + 496);
	setup_regs(&r);
	assert_int_equal(sim(0x0808, &r), 0); /* c.addi4spn a0,sp,16 */
	expect_only(&r, ADDR + 2, 10, sp + 16);
	setup_regs(&r);
	assert_int_equal(sim(0x556d, &r), 0); /* c.li a0,-5 */
	expect_only(&r, ADDR + 2, 10, (uint64_t)-5);
	setup_regs(&r);
	assert_int_equal(sim(0x47fd, &r), 0); /* c.li a5,31 */
	expect_only(&r, ADDR + 2, 15, 31);
	setup_regs(&r);
	assert_int_equal(sim(0x852e, &r), 0); /* c.mv a0,a1 */
	expect_only(&r, ADDR + 2, 10, 0xb000);
	setup_regs(&r);
	assert_int_equal(sim(0x952e, &r), 0); /* c.add a0,a1 */
	expect_only(&r, ADDR + 2, 10, 0xa000 + 0xb000);
	setup_regs(&r);
	assert_int_equal(sim(0x00c58533, &r), 0); /* add a0,a1,a2 */
	expect_only(&r, ADDR + 4, 10, 0xb000 + 0xc000);
	setup_regs(&r);
	assert_int_equal(sim(0x00000013, &r), 0); /* addi zero,zero,0 (nop) */
	expect_only(&r, ADDR + 4, -1, 0);
	setup_regs(&r);
	assert_int_equal(sim(0x0001, &r), 0); /* c.nop */
	expect_only(&r, ADDR + 2, -1, 0);
	setup_regs(&r);
	r.r[0] = 0x55;				  /* garbage in x0 must read as zero */
	assert_int_equal(sim(0x00050593, &r), 0); /* addi a1,a0,0 */
	assert_int_equal(r.r[11], 0xa000);
	assert_int_equal(sim(0x00000593, &r), 0); /* addi a1,zero,0 */
	assert_int_equal(r.r[11], 0);
}

static uint64_t mem64(uint64_t addr)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | memory[addr - MEM_BASE + i];
	return v;
}

static void test_store_load(void **state)
{
	const uint64_t sp = MEM_BASE + 512;
	struct up_regs r;

	memset(memory, 0xee, sizeof(memory));
	setup_regs(&r);
	r.r[1] = 0x1122334455667788ull;
	assert_int_equal(sim(0x00113c23, &r), 0); /* sd ra,24(sp) */
	expect_only(&r, ADDR + 4, 1, 0x1122334455667788ull);
	assert_int_equal(mem64(sp + 24), 0x1122334455667788ull);
	assert_int_equal(memory[sp + 32 - MEM_BASE], 0xee);
	assert_int_equal(memory[sp + 23 - MEM_BASE], 0xee);

	setup_regs(&r);
	r.r[8] = MEM_BASE + 100;
	assert_int_equal(sim(0xfe843c23, &r), 0); /* sd s0,-8(s0) */
	assert_int_equal(mem64(MEM_BASE + 92), MEM_BASE + 100);

	setup_regs(&r);
	assert_int_equal(sim(0xffa2, &r), 0); /* c.sdsp s0,504(sp) */
	assert_int_equal(mem64(sp + 504), 0x8000);
	assert_int_equal(r.r[UP_RV_PC], ADDR + 2);

	setup_regs(&r);
	r.r[15] = MEM_BASE + 8;
	assert_int_equal(sim(0xffe0, &r), 0); /* c.sd s0,248(a5) */
	assert_int_equal(mem64(MEM_BASE + 256), 0x8000);

	setup_regs(&r);
	assert_int_equal(sim(0x01813083, &r), 0); /* ld ra,24(sp) */
	expect_only(&r, ADDR + 4, 1, 0x1122334455667788ull);
	setup_regs(&r);
	r.r[11] = MEM_BASE + 108;
	assert_int_equal(sim(0xff05b503, &r), 0); /* ld a0,-16(a1) */
	assert_int_equal(r.r[10], MEM_BASE + 100);
	setup_regs(&r);
	memcpy(memory + 512 + 8, "\x01\x02\x03\x04\x05\x06\x07\x88", 8);
	assert_int_equal(sim(0x60a2, &r), 0); /* c.ldsp ra,8(sp) */
	expect_only(&r, ADDR + 2, 1, 0x8807060504030201ull);
	setup_regs(&r);
	r.r[11] = MEM_BASE + 248;
	assert_int_equal(sim(0x6588, &r), 0); /* c.ld a0,8(a1) */
	assert_int_equal(r.r[10], 0x8000);
}

static void test_errors(void **state)
{
	struct up_regs r, before;
	struct up_insn insn;

	setup_regs(&r);
	r.r[UP_RV_SP] = 0x100; /* unmapped */
	r.r[UP_RV_PC] = ADDR;
	before = r;
	assert_int_equal(sim(0x01813083, &r), -EFAULT); /* ld ra,24(sp) */
	r.r[UP_RV_PC] = ADDR;
	assert_memory_equal(&r, &before, sizeof(r));
	assert_int_equal(sim(0x00113c23, &r), -EFAULT); /* sd ra,24(sp) */
	r.r[UP_RV_PC] = ADDR;
	assert_memory_equal(&r, &before, sizeof(r));

	assert_int_equal(rv->decode(rv, &insn, ADDR, (const uint8_t *)"\x03\xa5\x45\x00", 4), 0);
	assert_int_equal(insn.action, UP_INSN_XOL); /* lw: not simulated */
	assert_int_equal(rv->simulate(rv, &insn, &r, &mem), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jal),	      cmocka_unit_test(test_jalr),
	    cmocka_unit_test(test_auipc_lui), cmocka_unit_test(test_branches),
	    cmocka_unit_test(test_arith),     cmocka_unit_test(test_store_load),
	    cmocka_unit_test(test_errors),
	};

	rv = up_arch_by_name("riscv64");
	if (!rv)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
