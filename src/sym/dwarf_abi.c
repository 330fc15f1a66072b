/* SPDX-License-Identifier: MIT */
/*
 * Where the calling convention puts each parameter at a function's entry,
 * from the parameters' DWARF types: which integer or floating-point
 * argument registers, which stack slot, or a copy in memory whose address
 * is passed. Counting registers is not enough: a struct passed by value
 * may take two registers, a float register, both kinds, the stack, or a
 * hidden pointer, and moves every parameter after it.
 *
 * A type is first flattened into its scalar leaves (offset, size, float or
 * not); each ABI then classifies it:
 *   x86_64 SysV: INTEGER / SSE class per eightbyte, MEMORY above 16 bytes,
 *     for unaligned members and x87 long double; all or nothing in registers.
 *   aarch64 AAPCS64: HFAs (1-4 floats of one type) in v registers, other
 *     composites up to 16 bytes in x registers, larger ones by reference;
 *     the result pointer is x8, not an argument.
 *   riscv64 and loongarch64 LP64D: the hardware floating-point convention
 *     for structs of one or two leaves with a float (fa + fa, fa + a), the
 *     integer convention otherwise (a register pair, split with the stack,
 *     by reference above 16 bytes).
 * What none of these rules covers (vector types, complex long double,
 * unions of floats on aarch64, ...) makes that parameter and every one
 * after it unknown: shown as unavailable, never guessed.
 */
#include <errno.h>
#include <string.h>
#include <elf.h>
#include <dwarf.h>

#include "uptrace/arch.h"
#include "sym_internal.h"

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

#define LEAVES_MAX 16	/* a 16-byte struct of chars; more leaves: not register-eligible */
#define FLATTEN_DEPTH 8 /* nesting of structs and arrays followed */
#define ELEMENTS_MAX 64 /* array elements flattened (more: too many leaves anyway) */
/*
 * Types flattened for one parameter, in all: hostile DWARF can nest structs
 * of many members that add no leaf (64 members, 8 deep: 64^8 visits).
 */
#define FLATTEN_VISITS_MAX 4096

enum abi_kind {
	ABI_T_INT = 1, /* integer, pointer, enum, bool, char */
	ABI_T_FLOAT,   /* float, double, IEEE quad long double */
	ABI_T_X87,     /* x86_64's long double */
	ABI_T_AGG,     /* struct, union, class, complex float */
	ABI_T_UNKNOWN, /* something the rules here do not cover */
};

struct abi_leaf {
	uint32_t offset;
	uint8_t size;
	bool is_float;
};

struct abi_type {
	uint64_t size;
	unsigned align;
	enum abi_kind kind;
	bool by_ref;	/* C++: DW_CC_pass_by_reference (a non-trivial copy) */
	bool has_union; /* leaves may overlap */
	bool has_bitfield;
	bool unaligned; /* a member not at its natural alignment (packed) */
	bool too_many;	/* more than LEAVES_MAX leaves */
	bool unknown;	/* a member of a kind not covered */
	unsigned nleaves;
	unsigned visits; /* flatten() calls so far, up to FLATTEN_VISITS_MAX */
	struct abi_leaf leaves[LEAVES_MAX];
};

static void add_leaf(struct abi_type *t, uint64_t offset, uint64_t size, bool is_float)
{
	if (t->nleaves == LEAVES_MAX || offset > UINT32_MAX || size > 16) {
		t->too_many = true;
		return;
	}
	if (size && offset % size && !is_float && size <= 8)
		t->unaligned = true;
	else if (is_float && size && offset % size)
		t->unaligned = true;
	t->leaves[t->nleaves++] = (struct abi_leaf){(uint32_t)offset, (uint8_t)size, is_float};
}

static int base_encoding(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word enc;

	if (!dwarf_attr_integrate(die, DW_AT_encoding, &attr) || dwarf_formudata(&attr, &enc))
		return -1;
	return (int)enc;
}

static bool has_flag(Dwarf_Die *die, unsigned name)
{
	Dwarf_Attribute attr;
	bool flag = false;

	return dwarf_attr_integrate(die, name, &attr) && dwarf_formflag(&attr, &flag) == 0 && flag;
}

/* Elements of an array type (one dimension after another), 0 when unknown. */
static uint64_t array_elements(Dwarf_Die *array)
{
	Dwarf_Die sub;
	uint64_t n = 1;

	if (dwarf_child(array, &sub) != 0)
		return 0;
	do {
		Dwarf_Attribute attr;
		Dwarf_Word count, upper, lower = 0;

		if (dwarf_tag(&sub) != DW_TAG_subrange_type)
			continue;
		if (dwarf_attr_integrate(&sub, DW_AT_count, &attr) &&
		    dwarf_formudata(&attr, &count) == 0) {
			n *= count;
		} else if (dwarf_attr_integrate(&sub, DW_AT_upper_bound, &attr) &&
			   dwarf_formudata(&attr, &upper) == 0) {
			if (dwarf_attr_integrate(&sub, DW_AT_lower_bound, &attr))
				dwarf_formudata(&attr, &lower);
			n *= upper + 1 - lower;
		} else {
			return 0;
		}
		if (n > (1u << 20))
			return 0;
	} while (dwarf_siblingof(&sub, &sub) == 0);
	return n;
}

static int member_offset(Dwarf_Die *member, uint64_t *offset)
{
	Dwarf_Attribute attr;
	Dwarf_Word off;
	Dwarf_Op *expr;
	size_t len;

	*offset = 0;
	if (!dwarf_attr(member, DW_AT_data_member_location, &attr))
		return 0; /* union members */
	if (dwarf_formudata(&attr, &off) == 0) {
		*offset = off;
		return 0;
	}
	if (dwarf_getlocation(&attr, &expr, &len) == 0 && len == 1 &&
	    expr[0].atom == DW_OP_plus_uconst) {
		*offset = expr[0].number;
		return 0;
	}
	return -ENOTSUP;
}

/* The scalar leaves of a type at base offset into t (depth-bounded). */
static void flatten(struct abi_type *t, Dwarf_Die *type, uint64_t base, int depth)
{
	Dwarf_Die peeled, child, element;
	int size, enc, tag;

	if (depth > FLATTEN_DEPTH || ++t->visits > FLATTEN_VISITS_MAX ||
	    dwarf_peel_type(type, &peeled) != 0) {
		t->unknown = true;
		return;
	}
	size = dwarf_bytesize(&peeled);
	tag = dwarf_tag(&peeled);
	switch (tag) {
	case DW_TAG_base_type:
		enc = base_encoding(&peeled);
		if (enc == DW_ATE_float) {
			add_leaf(t, base, size, true);
		} else if (enc == DW_ATE_complex_float && size > 0 && size <= 16) {
			add_leaf(t, base, size / 2, true);
			add_leaf(t, base + size / 2, size / 2, true);
		} else if (enc == DW_ATE_complex_float || enc == DW_ATE_decimal_float ||
			   size <= 0) {
			t->unknown = true;
		} else {
			add_leaf(t, base, size, false);
		}
		return;
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
	case DW_TAG_ptr_to_member_type:
	case DW_TAG_enumeration_type:
		add_leaf(t, base, size > 0 ? size : 8, false);
		return;
	case DW_TAG_array_type: {
		uint64_t n = array_elements(&peeled), esize;

		if (has_flag(&peeled, DW_AT_GNU_vector) || sym_die_type(&peeled, &element) ||
		    dwarf_peel_type(&element, &element) != 0) {
			t->unknown = true;
			return;
		}
		esize = dwarf_bytesize(&element) > 0 ? (uint64_t)dwarf_bytesize(&element) : 0;
		if (n > ELEMENTS_MAX || (n && !esize)) {
			t->too_many = true;
			return;
		}
		for (uint64_t i = 0; i < n && !t->too_many; i++)
			flatten(t, &element, base + i * esize, depth + 1);
		return;
	}
	case DW_TAG_union_type:
		t->has_union = true;
		/* fall through */
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
		if (dwarf_child(&peeled, &child) != 0)
			return; /* empty */
		do {
			Dwarf_Die mtype;
			uint64_t off;

			if (dwarf_tag(&child) == DW_TAG_inheritance) {
				if (member_offset(&child, &off) || sym_die_type(&child, &mtype))
					t->unknown = true;
				else
					flatten(t, &mtype, base + off, depth + 1);
				continue;
			}
			if (dwarf_tag(&child) != DW_TAG_member || has_flag(&child, DW_AT_external))
				continue; /* static members live elsewhere */
			if (dwarf_hasattr(&child, DW_AT_bit_size)) {
				Dwarf_Attribute attr;
				Dwarf_Word bits = 0, bit_off = 0;

				/* the bytes the bit-field occupies: integer data */
				t->has_bitfield = true;
				if (dwarf_attr(&child, DW_AT_bit_size, &attr))
					dwarf_formudata(&attr, &bits);
				if (dwarf_attr(&child, DW_AT_data_bit_offset, &attr))
					dwarf_formudata(&attr, &bit_off);
				else if (member_offset(&child, &off) == 0)
					bit_off =
					    off * 8; /* DWARF 2-4 bit_offset: the storage unit */
				if (bits)
					add_leaf(t, base + bit_off / 8,
						 (bit_off % 8 + bits + 7) / 8, false);
				continue;
			}
			if (member_offset(&child, &off) || sym_die_type(&child, &mtype)) {
				t->unknown = true;
				continue;
			}
			flatten(t, &mtype, base + off, depth + 1);
		} while (!t->unknown && !t->too_many && dwarf_siblingof(&child, &child) == 0);
		return;
	default:
		t->unknown = true;
	}
}

/* The alignment of a type: its largest leaf's (DWARF 5 DW_AT_alignment when given). */
static unsigned type_align(Dwarf_Die *peeled, const struct abi_type *t)
{
	Dwarf_Attribute attr;
	Dwarf_Word a;
	unsigned align = 1;

	if (dwarf_attr_integrate(peeled, DW_AT_alignment, &attr) &&
	    dwarf_formudata(&attr, &a) == 0 && a && a <= 64)
		return (unsigned)a;
	for (unsigned i = 0; i < t->nleaves; i++)
		if (t->leaves[i].size > align && t->leaves[i].size <= 16)
			align = t->leaves[i].size;
	if (t->kind == ABI_T_X87)
		align = 16;
	return align;
}

/* A parameter's or return value's type as the calling conventions see it. */
static void abi_type_of(const struct up_arch *arch, Dwarf_Die *type, struct abi_type *t)
{
	Dwarf_Die peeled;
	Dwarf_Attribute attr;
	Dwarf_Word cc;
	int tag, size;

	memset(t, 0, sizeof(*t));
	if (dwarf_peel_type(type, &peeled) != 0) {
		t->kind = ABI_T_UNKNOWN;
		return;
	}
	tag = dwarf_tag(&peeled);
	size = dwarf_bytesize(&peeled);
	t->size = size > 0 ? (uint64_t)size : 0;
	flatten(t, &peeled, 0, 0);
	if (tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type) {
		t->kind = ABI_T_AGG;
		if (dwarf_hasattr(&peeled, DW_AT_declaration) || size < 0)
			t->kind = ABI_T_UNKNOWN;
		if (dwarf_attr_integrate(&peeled, DW_AT_calling_convention, &attr) &&
		    dwarf_formudata(&attr, &cc) == 0 && cc == DW_CC_pass_by_reference)
			t->by_ref = true;
	} else if (tag == DW_TAG_base_type && base_encoding(&peeled) == DW_ATE_complex_float) {
		t->kind = t->unknown ? ABI_T_UNKNOWN : ABI_T_AGG;
	} else if (tag == DW_TAG_base_type && base_encoding(&peeled) == DW_ATE_float) {
		const char *name = dwarf_diename(&peeled);

		t->kind = ABI_T_FLOAT;
		/* on x86_64 a 16-byte float is x87's long double, or __float128 (SSE): not covered
		 */
		if (size == 16 && arch->long_double_x87)
			t->kind = name && !strcmp(name, "long double") ? ABI_T_X87 : ABI_T_UNKNOWN;
	} else if (t->unknown || t->nleaves != 1 || t->size == 0) {
		t->kind = ABI_T_UNKNOWN; /* arrays are not parameters; vectors are not covered */
	} else {
		t->kind = ABI_T_INT;
	}
	if (t->unknown && !t->by_ref)
		t->kind = ABI_T_UNKNOWN;
	t->align = type_align(&peeled, t);
}

/* The argument registers and stack used so far. */
struct abi_state {
	const struct up_arch *arch;
	unsigned ngpr, nfpr;
	unsigned max_gpr, max_fpr;
	uint64_t stack;
	bool lost; /* a parameter before was not understood: nothing after it is certain */
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return a ? (v + a - 1) / a * a : v;
}

static void put_stack(struct abi_state *s, struct sym_abi_loc *loc, uint64_t size, uint64_t align)
{
	if (align < 8)
		align = 8;
	if (align > 16)
		align = 16;
	s->stack = align_up(s->stack, align);
	loc->where = SYM_ABI_STACK;
	loc->stack = s->stack;
	s->stack += align_up(size ? size : 8, 8);
}

static void put_part(struct sym_abi_loc *loc, bool fp, unsigned reg, uint64_t offset, uint64_t size)
{
	if (loc->nparts < SYM_ABI_PARTS)
		loc->part[loc->nparts++] =
		    (struct sym_abi_part){fp, (uint8_t)reg, (uint16_t)offset, (uint8_t)size};
}

/* A pointer to a copy: in the next integer register, else on the stack. */
static void put_ref(struct abi_state *s, struct sym_abi_loc *loc)
{
	if (s->ngpr < s->max_gpr) {
		loc->where = SYM_ABI_REF_REG;
		put_part(loc, false, s->ngpr++, 0, 8);
	} else {
		put_stack(s, loc, 8, 8);
		loc->where = SYM_ABI_REF_STACK;
	}
}

/* x86_64 SysV: the class of each eightbyte (0 none, 1 INTEGER, 2 SSE), or false for MEMORY. */
static bool x86_classes(const struct abi_type *t, int cls[2])
{
	unsigned n = (unsigned)((t->size + 7) / 8);

	cls[0] = cls[1] = 0;
	if (t->size > 16 || t->unaligned || t->too_many)
		return false;
	for (unsigned i = 0; i < t->nleaves; i++) {
		const struct abi_leaf *l = &t->leaves[i];
		unsigned e = l->offset / 8;

		if (!l->is_float && l->size == 16 && l->offset == 0) {
			cls[0] = cls[1] = 1; /* an __int128 member: two INTEGER eightbytes */
			continue;
		}
		if (l->size > 8 || e >= 2 || (l->offset + l->size - 1) / 8 != e)
			return false; /* an x87 long double member: MEMORY */
		if (!l->is_float)
			cls[e] = 1;
		else if (cls[e] == 0)
			cls[e] = 2;
	}
	for (unsigned e = 0; e < n; e++)
		if (cls[e] == 0)
			return false; /* an eightbyte of padding only: not covered, be safe */
	return true;
}

static void x86_64_param(struct abi_state *s, const struct abi_type *t, struct sym_abi_loc *loc)
{
	int cls[2];
	unsigned need_int = 0, need_sse = 0, n;

	switch (t->kind) {
	case ABI_T_INT:
		if (t->size == 16) {
			cls[0] = cls[1] = 1;
			break;
		}
		/* fall through */
	case ABI_T_FLOAT:
		if (t->size > 8) {
			put_stack(s, loc, t->size, 16);
			return;
		}
		cls[0] = t->kind == ABI_T_FLOAT ? 2 : 1;
		cls[1] = 0;
		break;
	case ABI_T_X87:
		put_stack(s, loc, 16, 16);
		return;
	case ABI_T_AGG:
		if (t->by_ref) {
			put_ref(s, loc);
			return;
		}
		if (t->size == 0) {
			loc->where = SYM_ABI_NONE;
			return;
		}
		if (!x86_classes(t, cls)) {
			put_stack(s, loc, t->size, t->align);
			return;
		}
		break;
	default:
		s->lost = true;
		return;
	}
	n = cls[1] ? 2 : 1;
	for (unsigned e = 0; e < n; e++) {
		need_int += cls[e] == 1;
		need_sse += cls[e] == 2;
	}
	if (s->ngpr + need_int > s->max_gpr || s->nfpr + need_sse > s->max_fpr) {
		put_stack(s, loc, t->size, t->align);
		return;
	}
	loc->where = SYM_ABI_REGS;
	for (unsigned e = 0; e < n; e++) {
		uint64_t size = t->size - 8 * e < 8 ? t->size - 8 * e : 8;

		if (cls[e] == 1)
			put_part(loc, false, s->ngpr++, 8 * e, size);
		else
			put_part(loc, true, s->nfpr++, 8 * e, size);
	}
}

/* AAPCS64: a homogeneous floating-point aggregate's member count (0: not one). */
static unsigned a64_hfa(const struct abi_type *t)
{
	if (t->kind != ABI_T_AGG || t->nleaves == 0 || t->nleaves > 4 || t->too_many ||
	    t->has_bitfield)
		return 0;
	for (unsigned i = 0; i < t->nleaves; i++)
		if (!t->leaves[i].is_float || t->leaves[i].size != t->leaves[0].size ||
		    t->leaves[i].offset != i * t->leaves[0].size)
			return 0;
	return t->size == t->nleaves * t->leaves[0].size ? t->nleaves : 0;
}

static void aarch64_param(struct abi_state *s, const struct abi_type *t, struct sym_abi_loc *loc)
{
	unsigned hfa, words;

	switch (t->kind) {
	case ABI_T_FLOAT:
		if (s->nfpr < s->max_fpr) {
			loc->where = SYM_ABI_REGS;
			put_part(loc, true, s->nfpr++, 0, t->size);
		} else {
			put_stack(s, loc, t->size, t->size);
		}
		return;
	case ABI_T_INT:
		if (t->size == 16) { /* __int128: an even-numbered pair */
			s->ngpr = (s->ngpr + 1) & ~1u;
			if (s->ngpr + 2 <= s->max_gpr) {
				loc->where = SYM_ABI_REGS;
				put_part(loc, false, s->ngpr++, 0, 8);
				put_part(loc, false, s->ngpr++, 8, 8);
			} else {
				s->ngpr = s->max_gpr;
				put_stack(s, loc, 16, 16);
			}
			return;
		}
		if (s->ngpr < s->max_gpr) {
			loc->where = SYM_ABI_REGS;
			put_part(loc, false, s->ngpr++, 0, t->size);
		} else {
			put_stack(s, loc, t->size, 8);
		}
		return;
	case ABI_T_AGG:
		break;
	default:
		s->lost = true;
		return;
	}
	if (t->by_ref) {
		put_ref(s, loc);
		return;
	}
	if (t->has_union && t->nleaves && t->leaves[0].is_float) {
		s->lost = true; /* a union of floats may be an HFA: not covered */
		return;
	}
	hfa = a64_hfa(t);
	if (hfa) {
		if (s->nfpr + hfa <= s->max_fpr) {
			loc->where = SYM_ABI_REGS;
			for (unsigned i = 0; i < hfa; i++)
				put_part(loc, true, s->nfpr++, t->leaves[i].offset,
					 t->leaves[i].size);
		} else {
			s->nfpr = s->max_fpr;
			put_stack(s, loc, t->size, t->align);
		}
		return;
	}
	if (t->size > 16) {
		put_ref(s, loc);
		return;
	}
	if (t->size == 0) {
		loc->where = SYM_ABI_NONE;
		return;
	}
	if (t->align == 16)
		s->ngpr = (s->ngpr + 1) & ~1u;
	words = (unsigned)((t->size + 7) / 8);
	if (s->ngpr + words <= s->max_gpr) {
		loc->where = SYM_ABI_REGS;
		for (unsigned w = 0; w < words; w++)
			put_part(loc, false, s->ngpr++, 8 * w,
				 t->size - 8 * w < 8 ? t->size - 8 * w : 8);
	} else {
		s->ngpr = s->max_gpr;
		put_stack(s, loc, t->size, t->align);
	}
}

/* The integer convention of RISC-V and LoongArch for size bytes (scalars and aggregates). */
static void lp64_integer(struct abi_state *s, const struct abi_type *t, struct sym_abi_loc *loc)
{
	if (t->size > 16) {
		put_ref(s, loc);
		return;
	}
	if (t->size <= 8) {
		if (s->ngpr < s->max_gpr) {
			loc->where = SYM_ABI_REGS;
			put_part(loc, false, s->ngpr++, 0, t->size);
		} else {
			put_stack(s, loc, t->size, t->align);
		}
		return;
	}
	if (s->ngpr + 2 <= s->max_gpr) {
		loc->where = SYM_ABI_REGS;
		put_part(loc, false, s->ngpr++, 0, 8);
		put_part(loc, false, s->ngpr++, 8, t->size - 8);
	} else if (s->ngpr < s->max_gpr) {
		/* the low half in the last register, the high half on the stack */
		loc->where = SYM_ABI_SPLIT;
		put_part(loc, false, s->ngpr++, 0, 8);
		s->stack += 8;
	} else {
		put_stack(s, loc, t->size, t->align);
	}
}

static void lp64d_param(struct abi_state *s, const struct abi_type *t, struct sym_abi_loc *loc)
{
	unsigned nfloat = 0, nint = 0;

	switch (t->kind) {
	case ABI_T_FLOAT:
		if (t->size <= 8 && s->nfpr < s->max_fpr) {
			loc->where = SYM_ABI_REGS;
			put_part(loc, true, s->nfpr++, 0, t->size);
			return;
		}
		lp64_integer(s, t, loc);
		return;
	case ABI_T_INT:
		lp64_integer(s, t, loc);
		return;
	case ABI_T_AGG:
		break;
	default:
		s->lost = true;
		return;
	}
	if (t->by_ref) {
		put_ref(s, loc);
		return;
	}
	if (t->size == 0) {
		loc->where = SYM_ABI_NONE;
		return;
	}
	for (unsigned i = 0; i < t->nleaves; i++) {
		nfloat += t->leaves[i].is_float && t->leaves[i].size <= 8;
		nint += !t->leaves[i].is_float && t->leaves[i].size <= 8;
	}
	/* The hardware floating-point convention: one or two leaves, at least one a float. */
	if (nfloat && !t->too_many && t->nleaves <= 2 && nfloat + nint == t->nleaves &&
	    !(nint && t->leaves[0].is_float == t->leaves[t->nleaves - 1].is_float)) {
		if (t->has_union || t->has_bitfield) {
			s->lost = true; /* the flattening rules for these differ by compiler */
			return;
		}
		if (s->nfpr + nfloat <= s->max_fpr && s->ngpr + nint <= s->max_gpr) {
			loc->where = SYM_ABI_REGS;
			for (unsigned i = 0; i < t->nleaves; i++) {
				const struct abi_leaf *l = &t->leaves[i];

				if (l->is_float)
					put_part(loc, true, s->nfpr++, l->offset, l->size);
				else
					put_part(loc, false, s->ngpr++, l->offset, l->size);
			}
			return;
		}
	}
	lp64_integer(s, t, loc);
}

static void classify_one(struct abi_state *s, const struct abi_type *t, struct sym_abi_loc *loc)
{
	memset(loc, 0, sizeof(*loc));
	if (!s->lost) {
		switch (s->arch->e_machine) {
		case EM_X86_64:
			x86_64_param(s, t, loc);
			break;
		case EM_AARCH64:
			aarch64_param(s, t, loc);
			break;
		case EM_RISCV:
		case EM_LOONGARCH:
			lp64d_param(s, t, loc);
			break;
		default:
			s->lost = true;
		}
	}
	if (s->lost)
		loc->where = SYM_ABI_UNKNOWN;
}

/* Is the function's result returned through memory whose address is the first argument? */
static bool result_in_memory(const struct up_arch *arch, const struct abi_type *t, bool *unknown)
{
	int cls[2];

	*unknown = false;
	if (t->kind == ABI_T_UNKNOWN) {
		*unknown = true;
		return false;
	}
	if (t->kind != ABI_T_AGG && !(t->kind == ABI_T_INT && t->size > 16))
		return false;
	if (t->by_ref)
		return arch->e_machine != EM_AARCH64;
	switch (arch->e_machine) {
	case EM_X86_64:
		return t->kind == ABI_T_AGG && t->size && !x86_classes(t, cls);
	case EM_AARCH64:
		return false; /* x8 carries it */
	case EM_RISCV:
	case EM_LOONGARCH:
		return t->size > 16;
	}
	*unknown = true;
	return false;
}

int sym_abi_param(struct sym_dwarf_ctx *c, Dwarf_Die *param, struct sym_abi_loc *loc)
{
	const struct up_arch *arch = c->s->t->arch;
	struct abi_state s = {.arch = arch};
	struct abi_type t;
	Dwarf_Die child, type;
	bool unknown;

	memset(loc, 0, sizeof(*loc));
	loc->where = SYM_ABI_UNKNOWN;
	if (!arch || c->func < 0 || dwarf_child(&c->scopes[c->func], &child) != 0)
		return -ENOENT;
	s.max_gpr = arch->n_arg_regs;
	s.max_fpr = arch->n_fp_arg_regs;
	/* a variadic function's named parameters follow the same rules (the ... comes last) */
	if (sym_die_type(&c->scopes[c->func], &type) == 0) {
		abi_type_of(arch, &type, &t);
		if (result_in_memory(arch, &t, &unknown))
			s.ngpr = 1;
		s.lost = unknown;
	}
	do {
		if (dwarf_tag(&child) != DW_TAG_formal_parameter)
			continue;
		if (sym_die_type(&child, &type) != 0)
			s.lost = true;
		else
			abi_type_of(arch, &type, &t);
		classify_one(&s, &t, loc);
		if (dwarf_dieoffset(&child) == dwarf_dieoffset(param))
			return 0;
	} while (dwarf_siblingof(&child, &child) == 0);
	loc->where = SYM_ABI_UNKNOWN;
	return -ENOENT;
}

int sym_abi_result(const struct up_arch *arch, Dwarf_Die *type, struct up_fetch *f)
{
	struct abi_type t;

	memset(f, 0, sizeof(*f));
	abi_type_of(arch, type, &t);
	switch (t.kind) {
	case ABI_T_INT:
		if (t.size > 8)
			return -EDOM;
		f->base = UP_FETCH_RETVAL;
		return 0;
	case ABI_T_FLOAT:
		if (t.size > 8 || arch->fp_retval_reg < 0)
			return -EDOM;
		f->base = UP_FETCH_FPREG;
		f->reg = arch->fp_retval_reg;
		return 0;
	case ABI_T_X87:
		f->base = UP_FETCH_FPREG;
		f->reg = UP_FP_X87; /* st(0) */
		return 0;
	default:
		return -EDOM;
	}
}

int sym_abi_result_loc(const struct up_arch *arch, Dwarf_Die *type, struct sym_abi_loc *loc)
{
	/* the result registers, numbered per kind as the first arguments' are */
	struct abi_state s = {.arch = arch, .max_gpr = 2, .max_fpr = 2};
	struct abi_type t;

	memset(loc, 0, sizeof(*loc));
	loc->where = SYM_ABI_UNKNOWN;
	abi_type_of(arch, type, &t);
	if (t.kind != ABI_T_AGG)
		return -EDOM;
	if (arch->e_machine == EM_AARCH64)
		s.max_fpr = 4; /* an HFA of up to four members comes back in v0-v3 */
	/* x86_64: a long double member makes the class X87 (st0), not covered here */
	for (unsigned i = 0; arch->e_machine == EM_X86_64 && i < t.nleaves; i++)
		if (t.leaves[i].is_float && t.leaves[i].size > 8)
			return -ENODATA;
	classify_one(&s, &t, loc);
	switch (loc->where) {
	case SYM_ABI_REGS:
	case SYM_ABI_NONE:
		return 0;
	case SYM_ABI_STACK:   /* x86_64's MEMORY class */
	case SYM_ABI_REF_REG: /* by reference: larger than 16 bytes, or a non-trivial copy */
	case SYM_ABI_REF_STACK:
		memset(loc, 0, sizeof(*loc));
		loc->where = SYM_ABI_REF_REG;
		return 0;
	default:
		loc->where = SYM_ABI_UNKNOWN;
		return -ENODATA;
	}
}
