/* SPDX-License-Identifier: MIT */
/*
 * XOL slots run on the host CPU (x86_64 hosts only; 77 elsewhere): each
 * instruction is placed in an executable page followed by `ret`, so both
 * the original and its slot can be called as C functions; the slot's jump
 * back lands on that `ret`. The slot must do exactly what the original
 * does: same loaded value, same stored memory. Slots are tried near
 * (jmp rel32), far (jmp *0(%rip)) and, for rip-relative operands out of
 * reach, with the scratch register (its trailing breakpoint becomes `ret` here, and the
 * scratch value xol_enter() would set is passed as an argument).
 * Also: simulated add/sub $imm of a 64-bit register against the CPU's own
 * result and arithmetic flags, over edge-case operands.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "uptrace/arch.h"
#include "insn_table.h"

#define PAGE 4096
#define DATA_OFFSET 0x800

static uint8_t *code_page, *far_page;

typedef uint64_t (*fn2)(uint64_t, uint64_t);
typedef double (*fn_double)(uint64_t, uint64_t);

struct exec_case {
	const char *hex; /* up to the disp32 when rip-relative */
	bool riprel;	 /* then a disp32 so the operand is code_page + DATA_OFFSET */
	const char *imm; /* and these bytes after the disp32 */
	enum { RET_U64, RET_DOUBLE, RET_MEMORY } kind;
};

/* clang-format off */
static const struct exec_case cases[] = {
	{ "48 8b 05", true, "", RET_U64 },		/* mov disp(%rip),%rax */
	{ "48 8d 05", true, "", RET_U64 },		/* lea disp(%rip),%rax */
	{ "48 89 3d", true, "", RET_MEMORY },		/* mov %rdi,disp(%rip) */
	{ "48 83 05", true, "07", RET_MEMORY },		/* addq $7,disp(%rip) */
	{ "f0 48 81 05", true, "00 01 00 00", RET_MEMORY }, /* lock addq $0x100,disp(%rip) */
	{ "66 0f 6f 05", true, "", RET_DOUBLE },	/* movdqa disp(%rip),%xmm0 */
	{ "f2 0f 10 05", true, "", RET_DOUBLE },	/* movsd disp(%rip),%xmm0 */
	{ "48 8d 47 05", false, "", RET_U64 },		/* lea 5(%rdi),%rax */
	{ "48 8d 04 37", false, "", RET_U64 },		/* lea (%rdi,%rsi,1),%rax */
};
/* clang-format on */

static const struct up_arch *arch(void)
{
	const struct up_arch *a = up_arch_by_name("x86_64");

	assert_non_null(a);
	return a;
}

static void set_data(void)
{
	static const double d = 1234.5;

	memset(code_page + DATA_OFFSET, 0, 64);
	memcpy(code_page + DATA_OFFSET, &d, sizeof(d));
}

static uint64_t data_word(void)
{
	uint64_t v;

	memcpy(&v, code_page + DATA_OFFSET, sizeof(v));
	return v;
}

/* Calls fn as the case's kind of function; returns what it computed. */
static uint64_t run(const struct exec_case *c, void *fn, uint64_t rdi, uint64_t rsi)
{
	double d;
	uint64_t v;

	set_data();
	switch (c->kind) {
	case RET_DOUBLE:
		d = ((fn_double)fn)(rdi, rsi);
		memcpy(&v, &d, sizeof(v));
		return v;
	case RET_MEMORY:
		((fn2)fn)(rdi, rsi);
		return data_word();
	default:
		return ((fn2)fn)(rdi, rsi);
	}
}

static void test_slots(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct exec_case *c = &cases[i];
		uint8_t *orig = code_page;
		uint64_t addr = (uint64_t)(uintptr_t)orig;
		uint64_t slots[2] = {addr + 0x1000, (uint64_t)(uintptr_t)far_page};
		uint8_t bytes[16];
		size_t n = insn_case_bytes(c->hex, bytes, sizeof(bytes));
		struct up_insn insn;
		uint64_t want;

		if (c->riprel) {
			size_t m = insn_case_bytes(c->imm, bytes + n + 4, sizeof(bytes) - n - 4);
			int32_t disp = (int32_t)(DATA_OFFSET - (n + 4 + m));

			memcpy(bytes + n, &disp, 4);
			n += 4 + m;
		}
		memset(orig, 0xcc, DATA_OFFSET);
		memcpy(orig, bytes, n);
		orig[n] = 0xc3;
		__builtin___clear_cache((char *)orig, (char *)orig + n + 1);
		want = run(c, orig, 0x1111222233334444ull, 0x10);

		assert_int_equal(arch()->decode(arch(), &insn, addr, bytes, n), 0);
		assert_int_equal(insn.action, UP_INSN_XOL);
		for (int s = 0; s < 2; s++) {
			uint8_t *slot = (uint8_t *)(uintptr_t)slots[s];
			struct up_xol xol;
			struct up_regs regs = {{0}};
			struct up_xol_state st;
			uint64_t rdi = 0x1111222233334444ull, rsi = 0x10, got;

			if (!slot)
				continue;
			assert_int_equal(arch()->xol_build(arch(), &insn, slots[s], &xol), 0);
			memcpy(slot, xol.code, xol.len);
			if (xol.exit == UP_XOL_EXIT_TRAP) {
				assert_int_equal(slot[xol.trap_offset], 0xf4);
				slot[xol.trap_offset] = 0xc3;
				regs.r[UP_X86_RDI] = rdi;
				regs.r[UP_X86_RSI] = rsi;
				arch()->xol_enter(arch(), &insn, &xol, slots[s], &regs, &st);
				rdi = regs.r[UP_X86_RDI];
				rsi = regs.r[UP_X86_RSI];
				/* The test can pass only rdi and rsi in: the scratch must be one.
				 */
				assert_true(rdi != 0x1111222233334444ull || rsi != 0x10);
			}
			__builtin___clear_cache((char *)slot, (char *)slot + xol.len);
			got = run(c, slot, rdi, rsi);
			if (got != want)
				fail_msg("%s in a %s slot (exit %d): %#llx, the original %#llx",
					 insn.text, s ? "far" : "near", xol.exit,
					 (unsigned long long)got, (unsigned long long)want);
			if (s == 1 && c->riprel)
				assert_int_equal(xol.exit, UP_XOL_EXIT_TRAP);
			else
				assert_int_equal(xol.exit, UP_XOL_EXIT_JUMP);
		}
	}
}

/* Bytes of `mov %rdi,%rax; INSN; [pushfq; pop %rax]; ret` at code, INSN acting on rax. */
static void *make_fn(uint8_t *code, const uint8_t *insn, size_t n, bool flags)
{
	size_t k = 0;

	memcpy(code + k, "\x48\x89\xf8", 3);
	k += 3;
	memcpy(code + k, insn, n);
	k += n;
	if (flags) {
		code[k++] = 0x9c;
		code[k++] = 0x58;
	}
	code[k++] = 0xc3;
	__builtin___clear_cache((char *)code, (char *)code + k);
	return code;
}

static void test_add_sub_flags(void **state)
{
	static const uint64_t values[] = {
	    0,
	    1,
	    5,
	    0xf,
	    0x10,
	    0x7f,
	    0x80,
	    0xff,
	    0x7fff8000,
	    0x123456789abcdef0ull,
	    0x7fffffffffffffffull,
	    0x8000000000000000ull,
	    0xfffffffffffffff0ull,
	    ~0ull,
	};
	static const int32_t imms[] = {1,     5,  0xf,	 0x10,	     0x7f,
				       -0x80, -1, 0x100, 0x7fffffff, INT32_MIN};
	const uint64_t arith = 0x8d5; /* CF PF AF ZF SF OF */
	uint8_t *code = code_page + 0x1800;
	unsigned checked = 0;

	for (size_t i = 0; i < sizeof(imms) / sizeof(imms[0]); i++) {
		for (int sub = 0; sub < 2; sub++) {
			uint8_t insn_bytes[8];
			size_t n;
			struct up_insn insn;

			/* 48 83 /0 /5 ib where the immediate fits a byte, else 48 81 /0 /5 id */
			insn_bytes[0] = 0x48;
			insn_bytes[2] = sub ? 0xe8 : 0xc0;
			if (imms[i] >= -128 && imms[i] <= 127) {
				insn_bytes[1] = 0x83;
				insn_bytes[3] = (uint8_t)imms[i];
				n = 4;
			} else {
				insn_bytes[1] = 0x81;
				memcpy(insn_bytes + 3, &imms[i], 4);
				n = 7;
			}
			assert_int_equal(arch()->decode(arch(), &insn, 0x401000, insn_bytes, n), 0);
			assert_int_equal(insn.action, UP_INSN_SIMULATE);
			for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
				struct up_regs regs = {{0}};
				const struct up_mem none = {0};
				uint64_t res =
				    ((fn2)make_fn(code, insn_bytes, n, false))(values[v], 0);
				uint64_t fl =
				    ((fn2)make_fn(code, insn_bytes, n, true))(values[v], 0);

				regs.r[UP_X86_RAX] = values[v];
				regs.r[UP_X86_EFLAGS] = 0x202 | (~fl & arith);
				assert_int_equal(arch()->simulate(arch(), &insn, &regs, &none), 0);
				if (regs.r[UP_X86_RAX] != res ||
				    (regs.r[UP_X86_EFLAGS] & arith) != (fl & arith) ||
				    (regs.r[UP_X86_EFLAGS] & ~arith) != 0x202)
					fail_msg(
					    "%s with rax %#llx: %#llx flags %#llx, the CPU %#llx "
					    "flags %#llx",
					    insn.text, (unsigned long long)values[v],
					    (unsigned long long)regs.r[UP_X86_RAX],
					    (unsigned long long)regs.r[UP_X86_EFLAGS],
					    (unsigned long long)res, (unsigned long long)fl);
				checked++;
			}
		}
	}
	assert_int_equal(checked, 2 * 10 * 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slots),
	    cmocka_unit_test(test_add_sub_flags),
	};
	void *p, *far;

#if !defined(__x86_64__)
	printf("skip: slots run on the host CPU only on an x86_64 host\n");
	return 77;
#endif
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED) {
		printf("skip: no writable and executable memory (%s)\n", strerror(errno));
		return 77;
	}
	code_page = p;
	/* 8 GiB away: out of rel32 reach. Tried below and above; without it, near slots only. */
	far = MAP_FAILED;
	for (int dir = -1; dir <= 1 && far == MAP_FAILED; dir += 2) {
		uintptr_t hint = (uintptr_t)p + (uintptr_t)dir * (8ull << 30);

		far = mmap((void *)hint, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (far != MAP_FAILED && far != (void *)hint) {
			munmap(far, PAGE);
			far = MAP_FAILED;
		}
	}
	if (far == MAP_FAILED)
		printf("note: no page 8 GiB away: far slots not run\n");
	else
		far_page = far;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
