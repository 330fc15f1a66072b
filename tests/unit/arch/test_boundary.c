/* SPDX-License-Identifier: MIT */
/*
 * The instruction-boundary sweep (arch/common/boundary.c) over real arch
 * tables and byte strings whose instruction starts are known from the
 * encodings (the same bytes as the riscv64 fixture boundary.S; x86 bytes
 * with one Capstone cannot decode): where it finds a boundary, where it
 * names the instruction around an offset, where it must give up.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "uptrace/arch.h"

#define BASE 0x10000ull

struct text {
	const uint8_t *bytes;
	size_t len;
};

static int text_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct text *t = ctx;

	if (addr < BASE || addr - BASE > t->len || len > t->len - (addr - BASE))
		return -EFAULT;
	memcpy(buf, t->bytes + (addr - BASE), len);
	return 0;
}

static int sweep(const char *arch, const uint8_t *bytes, size_t len, uint64_t offset,
		 struct up_arch_boundary *b)
{
	static struct text t;
	const struct up_arch *a = up_arch_by_name(arch);
	struct up_mem mem = {.ctx = &t, .read = text_read};

	assert_non_null(a);
	t.bytes = bytes;
	t.len = len;
	return up_arch_boundary_sweep(a, &mem, BASE, offset, b);
}

/* rv_bnd of tests/fixtures/riscv64/boundary.S: c.li; c.j 1f; c.unimp; 1: addi; c.jr ra. */
static const uint8_t rv_bnd[] = {
    0x05, 0x45,		    /* +0x0 c.li a0,1 */
    0x11, 0xa0,		    /* +0x2 c.j +4 */
    0x00, 0x00,		    /* +0x4 c.unimp */
    0x13, 0x05, 0x95, 0x02, /* +0x6 addi a0,a0,41 */
    0x82, 0x80,		    /* +0xa c.jr ra */
};

static void test_riscv_past_unimp(void **state)
{
	struct up_arch_boundary b;

	for (uint64_t off = 0; off <= sizeof(rv_bnd); off += 2) {
		int want = off == 8 ? -EINVAL : 0;

		print_message("rv_bnd+0x%llx\n", (unsigned long long)off);
		assert_int_equal(sweep("riscv64", rv_bnd, sizeof(rv_bnd), off, &b), want);
	}
	/* inside addi: the instruction around it, not the function's entry */
	assert_int_equal(sweep("riscv64", rv_bnd, sizeof(rv_bnd), 8, &b), -EINVAL);
	assert_int_equal(b.before, 6);
	assert_int_equal(b.after, 10);
}

/* Longer encodings no ratified instruction uses: stepped over by their length bits. */
static void test_riscv_long_encodings(void **state)
{
	static const uint8_t text[] = {
	    0x1f, 0x00, 0x00, 0x00, 0x00, 0x00,		    /* +0x0 48-bit */
	    0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* +0x6 64-bit */
	    0x01, 0x00,					    /* +0xe c.nop */
	    0x7f, 0x70, 0x00, 0x00,			    /* +0x10 >= 192-bit, reserved */
	    0x01, 0x00,
	};
	struct up_arch_boundary b;

	assert_int_equal(sweep("riscv64", text, sizeof(text), 6, &b), 0);
	assert_int_equal(sweep("riscv64", text, sizeof(text), 0xe, &b), 0);
	assert_int_equal(sweep("riscv64", text, sizeof(text), 0x10, &b), 0);
	assert_int_equal(sweep("riscv64", text, sizeof(text), 4, &b), -EINVAL);
	assert_int_equal(b.before, 0);
	assert_int_equal(b.after, 6);
	/* nothing tells the length of the reserved format: the sweep stops there */
	assert_int_equal(sweep("riscv64", text, sizeof(text), 0x14, &b), -EBADMSG);
	assert_int_equal(b.stuck, 0x10);
	assert_int_equal(b.nbytes, 4);
	assert_int_equal(b.bytes[0], 0x7f);
}

/* x86: mov $1,%eax; jmp 1f; .byte 0x06 (no instruction in 64-bit mode); 1: add $41,%eax; ret */
static void test_x86_undecodable(void **state)
{
	static const uint8_t text[] = {
	    0xb8, 0x01, 0x00, 0x00, 0x00, /* +0x0 */
	    0xeb, 0x01,			  /* +0x5 */
	    0x06,			  /* +0x7 */
	    0x83, 0xc0, 0x29,		  /* +0x8 */
	    0xc3,			  /* +0xb */
	};
	struct up_arch_boundary b;

	assert_int_equal(sweep("x86_64", text, sizeof(text), 5, &b), 0);
	assert_int_equal(sweep("x86_64", text, sizeof(text), 7, &b), 0);
	assert_int_equal(sweep("x86_64", text, sizeof(text), 3, &b), -EINVAL);
	assert_int_equal(b.before, 0);
	assert_int_equal(b.after, 5);
	/* past the byte Capstone refuses, only other evidence can tell */
	assert_int_equal(sweep("x86_64", text, sizeof(text), 8, &b), -EBADMSG);
	assert_int_equal(b.stuck, 7);
	assert_int_equal(b.bytes[0], 0x06);
}

static void test_bounds(void **state)
{
	struct up_arch_boundary b;

	/* unreadable text past the end of the mapping */
	assert_int_equal(sweep("riscv64", rv_bnd, sizeof(rv_bnd), 0x20, &b), -EFAULT);
	assert_int_equal(b.stuck, sizeof(rv_bnd));
	/* a scan bounded however far the offset is */
	assert_int_equal(sweep("x86_64", rv_bnd, sizeof(rv_bnd), UP_ARCH_SWEEP_MAX + 1ull, &b),
			 -E2BIG);
	assert_int_equal(sweep("riscv64", rv_bnd, sizeof(rv_bnd), 0, &b), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_riscv_past_unimp),
	    cmocka_unit_test(test_riscv_long_encodings),
	    cmocka_unit_test(test_x86_undecodable),
	    cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
