/* SPDX-License-Identifier: MIT */
/*
 * fake_elf.h's writer: ELF64 little-endian, e_machine x86_64 (the symbol
 * layer reads symbols and segments; it never runs the code). Layout:
 * headers, the text at a file offset congruent to its address, the
 * dynamic section likewise, then .symtab, .strtab, .shstrtab and the
 * section headers.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_elf.h"

#define PAGE 0x1000ull

struct out {
	uint8_t *buf;
	size_t len, cap;
};

static int put(struct out *o, size_t at, const void *data, size_t len)
{
	if (at + len > o->cap) {
		size_t cap = (at + len) * 2;
		uint8_t *n = realloc(o->buf, cap);

		if (!n)
			return -ENOMEM;
		memset(n + o->cap, 0, cap - o->cap);
		o->buf = n;
		o->cap = cap;
	}
	memcpy(o->buf + at, data, len);
	if (at + len > o->len)
		o->len = at + len;
	return 0;
}

/* The first file offset at or after `from` that is congruent to addr modulo a page. */
static size_t congruent(size_t from, uint64_t addr)
{
	size_t at = (from + PAGE - 1) & ~(PAGE - 1);

	return at + (addr & (PAGE - 1));
}

int fake_elf_write(const char *path, const struct fake_elf *e)
{
	static const char shstr[] = "\0.text\0.dynamic\0.symtab\0.strtab\0.shstrtab";
	/* offsets of the names in shstr */
	enum { N_TEXT = 1, N_DYNAMIC = 7, N_SYMTAB = 16, N_STRTAB = 24, N_SHSTRTAB = 32 };
	const Elf64_Dyn dyn[2] = {{.d_tag = DT_DEBUG}, {.d_tag = DT_NULL}};
	bool has_dyn = e->dynamic_addr != 0;
	unsigned nph = has_dyn ? 3 : 1, nsh = has_dyn ? 6 : 5, ish = 1;
	Elf64_Ehdr eh = {0};
	Elf64_Phdr ph[3] = {{0}};
	Elf64_Shdr sh[6] = {{0}};
	struct out o = {0};
	size_t text_off, dyn_off = 0, sym_off, str_off, str_len = 1, shstr_off, sh_off;
	int err = 0;
	FILE *f;

	text_off = congruent(sizeof(eh) + nph * sizeof(*ph), e->text_addr);
	err = put(&o, text_off, e->text, e->text_size);
	if (!err && has_dyn) {
		dyn_off = congruent(o.len, e->dynamic_addr);
		err = put(&o, dyn_off, dyn, sizeof(dyn));
	}
	sym_off = (o.len + 7) & ~(size_t)7;
	for (unsigned i = 0; !err && i <= e->nsyms; i++) {
		Elf64_Sym s = {0};

		if (i) {
			s.st_name = (Elf64_Word)str_len;
			s.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
			s.st_shndx = 1; /* .text */
			s.st_value = e->syms[i - 1].addr;
			s.st_size = e->syms[i - 1].size;
			str_len += strlen(e->syms[i - 1].name) + 1;
		}
		err = put(&o, sym_off + i * sizeof(s), &s, sizeof(s));
	}
	str_off = o.len;
	err = err ? err : put(&o, str_off, "", 1);
	for (unsigned i = 0, at = 1; !err && i < e->nsyms; i++) {
		err = put(&o, str_off + at, e->syms[i].name, strlen(e->syms[i].name) + 1);
		at += (unsigned)strlen(e->syms[i].name) + 1;
	}
	shstr_off = o.len;
	err = err ? err : put(&o, shstr_off, shstr, sizeof(shstr));
	sh_off = (o.len + 7) & ~(size_t)7;

	ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
			     .p_flags = PF_R | PF_X,
			     .p_offset = text_off,
			     .p_vaddr = e->text_addr,
			     .p_paddr = e->text_addr,
			     .p_filesz = e->text_size,
			     .p_memsz = e->text_size,
			     .p_align = PAGE};
	sh[ish++] = (Elf64_Shdr){.sh_name = N_TEXT,
				 .sh_type = SHT_PROGBITS,
				 .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
				 .sh_addr = e->text_addr,
				 .sh_offset = text_off,
				 .sh_size = e->text_size,
				 .sh_addralign = 16};
	if (has_dyn) {
		ph[1] = (Elf64_Phdr){.p_type = PT_LOAD,
				     .p_flags = PF_R | PF_W,
				     .p_offset = dyn_off,
				     .p_vaddr = e->dynamic_addr,
				     .p_paddr = e->dynamic_addr,
				     .p_filesz = sizeof(dyn),
				     .p_memsz = e->dynamic_size,
				     .p_align = PAGE};
		ph[2] = (Elf64_Phdr){.p_type = PT_DYNAMIC,
				     .p_flags = PF_R | PF_W,
				     .p_offset = dyn_off,
				     .p_vaddr = e->dynamic_addr,
				     .p_paddr = e->dynamic_addr,
				     .p_filesz = sizeof(dyn),
				     .p_memsz = sizeof(dyn),
				     .p_align = 8};
		sh[ish++] = (Elf64_Shdr){.sh_name = N_DYNAMIC,
					 .sh_type = SHT_DYNAMIC,
					 .sh_flags = SHF_ALLOC | SHF_WRITE,
					 .sh_addr = e->dynamic_addr,
					 .sh_offset = dyn_off,
					 .sh_size = sizeof(dyn),
					 .sh_link = ish + 1, /* .strtab */
					 .sh_addralign = 8,
					 .sh_entsize = sizeof(Elf64_Dyn)};
	}
	sh[ish] = (Elf64_Shdr){.sh_name = N_SYMTAB,
			       .sh_type = SHT_SYMTAB,
			       .sh_offset = sym_off,
			       .sh_size = (e->nsyms + 1) * sizeof(Elf64_Sym),
			       .sh_link = ish + 1,
			       .sh_info = 1, /* every symbol but the first is global */
			       .sh_addralign = 8,
			       .sh_entsize = sizeof(Elf64_Sym)};
	ish++;
	sh[ish++] = (Elf64_Shdr){.sh_name = N_STRTAB,
				 .sh_type = SHT_STRTAB,
				 .sh_offset = str_off,
				 .sh_size = str_len,
				 .sh_addralign = 1};
	sh[ish++] = (Elf64_Shdr){.sh_name = N_SHSTRTAB,
				 .sh_type = SHT_STRTAB,
				 .sh_offset = shstr_off,
				 .sh_size = sizeof(shstr),
				 .sh_addralign = 1};

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = e->shared ? ET_DYN : ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = e->entry;
	eh.e_phoff = sizeof(eh);
	eh.e_shoff = sh_off;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(*ph);
	eh.e_phnum = (Elf64_Half)nph;
	eh.e_shentsize = sizeof(*sh);
	eh.e_shnum = (Elf64_Half)nsh;
	eh.e_shstrndx = (Elf64_Half)(nsh - 1);
	err = err ? err : put(&o, 0, &eh, sizeof(eh));
	err = err ? err : put(&o, sizeof(eh), ph, nph * sizeof(*ph));
	err = err ? err : put(&o, sh_off, sh, nsh * sizeof(*sh));

	f = err ? NULL : fopen(path, "wb");
	if (!err && !f)
		err = -errno;
	if (f && fwrite(o.buf, 1, o.len, f) != o.len)
		err = -EIO;
	if (f && fclose(f) && !err)
		err = -errno;
	free(o.buf);
	return err;
}
