/* SPDX-License-Identifier: MIT */
/*
 * The symbol layer on the other architectures, without running them: a
 * static -O0 fixture for aarch64, riscv64 or loongarch64 is opened through
 * a remote-style target whose memory is the ELF file laid out by its
 * PT_LOAD headers and whose auxv is made from its header. Checks symbols,
 * ABI argument numbering at entry (the hidden struct-return argument
 * differs by arch), CFA/frame-base locations in a body, return types and
 * FILE:LINE, each against what the arch's ABI says.
 *
 * argv: FIXTURE-SOURCE ARCH=ELF...  (ARCH: aarch64, riscv64, loongarch64)
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "uptrace/arch.h"
#include "uptrace/sym.h"
#include "uptrace/target.h"
#include "fixture.h"

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

/* The real ops tables: their calling conventions and DWARF register numbering. */
struct foreign_arch {
	const char *name;
	unsigned e_machine;
	int fp, sp;   /* frame pointer and stack pointer indexes */
	int big_argn; /* fx_big's x: 1 where the struct return has its own register */
};

static const struct foreign_arch arches[] = {
    {"aarch64", EM_AARCH64, 29, 31, 1},
    {"riscv64", EM_RISCV, 8, 2, 2},
    {"loongarch64", EM_LOONGARCH, 22, 3, 2},
};

/* The target: the file's bytes, placed as its PT_LOAD headers say. */
struct file_target {
	struct up_target t;
	uint8_t *image;
	size_t size;
	const Elf64_Ehdr *ehdr;
};

static int file_read(struct up_target *t, uint64_t addr, void *buf, size_t len)
{
	struct file_target *ft = (struct file_target *)t;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(ft->image + ft->ehdr->e_phoff);

	for (int i = 0; i < ft->ehdr->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || addr < ph[i].p_vaddr ||
		    addr + len > ph[i].p_vaddr + ph[i].p_memsz)
			continue;
		for (size_t k = 0; k < len; k++) {
			uint64_t off = addr + k - ph[i].p_vaddr;

			((uint8_t *)buf)[k] =
			    off < ph[i].p_filesz ? ft->image[ph[i].p_offset + off] : 0;
		}
		return 0;
	}
	return -EFAULT;
}

static bool no_auxv;

static int file_auxv(struct up_target *t, void *buf, size_t len)
{
	struct file_target *ft = (struct file_target *)t;

	if (no_auxv)
		return -ENOTSUP; /* a stub without qXfer:auxv */
	Elf64_auxv_t auxv[] = {
	    {AT_ENTRY, {ft->ehdr->e_entry}},
	    {AT_BASE, {0}},
	    {AT_NULL, {0}},
	};

	if (len < sizeof(auxv))
		return -ENOSPC;
	memcpy(buf, auxv, sizeof(auxv));
	return sizeof(auxv);
}

static const struct up_target_ops file_ops = {.read = file_read, .auxv = file_auxv};

static const char *fixture_src;
static int nfixtures;
static struct {
	const struct foreign_arch *arch;
	const char *path;
} fixtures[8];

static int open_fixture(int i, struct file_target *ft, struct up_symtab **s)
{
	struct stat st;
	int fd = open(fixtures[i].path, O_RDONLY);

	memset(ft, 0, sizeof(*ft));
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	ft->size = st.st_size;
	ft->image = malloc(ft->size);
	if (!ft->image || read(fd, ft->image, ft->size) != (ssize_t)ft->size)
		return -EIO;
	close(fd);
	ft->ehdr = (const Elf64_Ehdr *)ft->image;
	up_target_init(&ft->t, &file_ops); /* no procfs: modules from the ELF header and memory */
	ft->t.arch = up_arch_by_machine(fixtures[i].arch->e_machine);
	if (!ft->t.arch)
		return -ENOTSUP;
	ft->t.pid = 1;
	snprintf(ft->t.exe, sizeof(ft->t.exe), "%s", fixtures[i].path);
	return up_sym_open(s, &ft->t);
}

static int body_line(void)
{
	char buf[256];
	FILE *f = fopen(fixture_src, "r");
	int line = 0;

	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		if (strstr(buf, "/* FX_BODY */"))
			break;
	}
	fclose(f);
	return line;
}

static void test_foreign(void **state)
{
	for (int i = 0; i < nfixtures; i++) {
		const struct foreign_arch *fa = fixtures[i].arch;
		struct file_target ft;
		struct up_symtab *s;
		struct up_func_match m[8], func;
		struct up_module_info info;
		struct up_arg a[4], v;
		struct up_type type;
		char amb[64];
		uint64_t addr;
		int n;

		print_message("%s: %s\n", fa->name, fixtures[i].path);
		assert_int_equal(open_fixture(i, &ft, &s), 0);
		assert_int_equal(up_sym_module(s, NULL, &info), 0);
		assert_int_equal(info.bias, 0); /* static, non-PIE */
		assert_int_equal(up_sym_functions(s, NULL, "fx_*", m, 8, amb, sizeof(amb)), 3);

		/* Entry: ABI argument registers by position. */
		assert_int_equal(up_sym_functions(s, NULL, "fx_long", m, 8, amb, sizeof(amb)), 1);
		assert_int_equal(up_sym_params(s, m[0].addr, a, 4), 2);
		assert_int_equal(a[0].fetch.base, UP_FETCH_ARG);
		assert_int_equal(a[0].fetch.argn, 1);
		assert_int_equal(a[1].fetch.argn, 2);
		assert_int_equal(a[1].type.kind, UP_TYPE_SIGNED);
		assert_int_equal(a[1].type.size, 4);
		assert_int_equal(up_sym_return_type(s, m[0].addr, &type), 0);
		assert_int_equal(type.kind, UP_TYPE_SIGNED);
		assert_int_equal(type.size, 8);

		/* After the first instruction, still in the prologue: still the registers. */
		uint16_t half;

		assert_int_equal(ft.t.ops->read(&ft.t, m[0].addr, &half, 2), 0);
		addr = m[0].addr + ((fa->e_machine == EM_RISCV && (half & 3) != 3) ? 2 : 4);
		assert_int_equal(up_sym_params(s, addr, a, 4), 2);
		assert_int_equal(a[0].fetch.base, UP_FETCH_ARG);
		assert_int_equal(a[1].fetch.base, UP_FETCH_ARG);
		assert_int_equal(a[1].fetch.argn, 2);

		/* A struct return: x8 on aarch64, a hidden a0 elsewhere. */
		assert_int_equal(up_sym_functions(s, NULL, "fx_big", m, 8, amb, sizeof(amb)), 1);
		assert_int_equal(up_sym_params(s, m[0].addr, a, 4), 1);
		assert_int_equal(a[0].fetch.base, UP_FETCH_ARG);
		assert_int_equal(a[0].fetch.argn, fa->big_argn);

		/* Body: r is in the frame, from the frame pointer or stack pointer. */
		assert_int_equal(up_sym_line(s, NULL, "foreign.c", body_line(), &addr, &func), 0);
		assert_string_equal(func.func, "fx_body");
		assert_true(addr > func.addr && addr < func.addr + func.size);
		assert_int_equal(up_sym_variable(s, addr, "r->len", &v), 0);
		assert_int_equal(v.fetch.base, UP_FETCH_REG);
		assert_true(v.fetch.reg == fa->fp || v.fetch.reg == fa->sp);
		n = v.fetch.nops;
		assert_true(n >= 3);
		assert_int_equal(v.fetch.ops[n - 3].op, UP_FOP_LOAD);
		assert_int_equal(v.fetch.ops[n - 3].size, 8);
		assert_int_equal(v.fetch.ops[n - 2].op, UP_FOP_ADD);
		assert_int_equal(v.fetch.ops[n - 2].imm, offsetof(struct fx_req, len));
		assert_int_equal(v.fetch.ops[n - 1].op, UP_FOP_LOAD);
		assert_int_equal(v.fetch.ops[n - 1].size, 8);

		/* No dynamic linker: nothing to stop at for library loads. */
		assert_int_equal(up_sym_rbrk(s, &addr), -ENOENT);
		up_sym_close(s);
		free(ft.image);

		/* Without an auxv a fixed-address program is still found. */
		no_auxv = true;
		assert_int_equal(open_fixture(i, &ft, &s), 0);
		no_auxv = false;
		assert_int_equal(up_sym_module(s, NULL, &info), 0);
		assert_int_equal(up_sym_functions(s, NULL, "fx_long", m, 8, amb, sizeof(amb)), 1);
		assert_int_equal(up_sym_params(s, m[0].addr, a, 4), 2);
		up_sym_close(s);
		free(ft.image);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_foreign),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s FIXTURE-SOURCE ARCH=ELF...\n", argv[0]);
		return 2;
	}
	fixture_src = argv[1];
	for (int i = 2; i < argc && nfixtures < 8; i++) {
		for (size_t k = 0; k < sizeof(arches) / sizeof(arches[0]); k++) {
			size_t len = strlen(arches[k].name);

			if (!strncmp(argv[i], arches[k].name, len) && argv[i][len] == '=') {
				fixtures[nfixtures].arch = &arches[k];
				fixtures[nfixtures++].path = argv[i] + len + 1;
			}
		}
	}
	if (!nfixtures) {
		printf("skip: no cross compiler built a foreign fixture\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
