/* SPDX-License-Identifier: MIT */
/*
 * DWARF types as the tracer shows them: scalars become a struct up_type
 * (base types by encoding and size; char pointers are strings, other
 * pointers addresses; enums by their underlying type), aggregates are only
 * walked through for member access ("req->len").
 */
#include <errno.h>
#include <string.h>
#include <dwarf.h>

#include "sym_internal.h"

int sym_die_type(Dwarf_Die *die, Dwarf_Die *type)
{
	Dwarf_Attribute attr;

	if (!dwarf_attr_integrate(die, DW_AT_type, &attr) || !dwarf_formref_die(&attr, type))
		return -ENOENT;
	return 0;
}

static int base_encoding(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word enc;

	if (!dwarf_attr_integrate(die, DW_AT_encoding, &attr) || dwarf_formudata(&attr, &enc))
		return -1;
	return (int)enc;
}

static bool is_char(Dwarf_Die *type)
{
	Dwarf_Die peeled;
	int enc;

	if (dwarf_peel_type(type, &peeled) != 0 || dwarf_tag(&peeled) != DW_TAG_base_type)
		return false;
	enc = base_encoding(&peeled);
	return dwarf_bytesize(&peeled) == 1 &&
	       (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char || enc == DW_ATE_UTF);
}

bool sym_type_char_array(Dwarf_Die *type)
{
	Dwarf_Die peeled, element;

	return dwarf_peel_type(type, &peeled) == 0 && dwarf_tag(&peeled) == DW_TAG_array_type &&
	       sym_die_type(&peeled, &element) == 0 && is_char(&element);
}

/* Signed or unsigned enum: the underlying type, else whether an enumerator is negative. */
static int enum_kind(Dwarf_Die *type)
{
	Dwarf_Die under, child;
	int enc;

	if (sym_die_type(type, &under) == 0 && dwarf_peel_type(&under, &under) == 0) {
		enc = base_encoding(&under);
		return enc == DW_ATE_signed || enc == DW_ATE_signed_char ? UP_TYPE_SIGNED
									 : UP_TYPE_UNSIGNED;
	}
	if (dwarf_child(type, &child) != 0)
		return UP_TYPE_UNSIGNED;
	do {
		Dwarf_Attribute attr;
		Dwarf_Sword v;

		if (dwarf_tag(&child) == DW_TAG_enumerator &&
		    dwarf_attr(&child, DW_AT_const_value, &attr) && attr.form != DW_FORM_udata &&
		    dwarf_formsdata(&attr, &v) == 0 && v < 0)
			return UP_TYPE_SIGNED;
	} while (dwarf_siblingof(&child, &child) == 0);
	return UP_TYPE_UNSIGNED;
}

int sym_type_classify(Dwarf_Die *type, bool x87_long_double, struct up_type *out)
{
	Dwarf_Die peeled, target;
	int size, enc;

	if (dwarf_peel_type(type, &peeled) != 0)
		return -EINVAL;
	size = dwarf_bytesize(&peeled);
	switch (dwarf_tag(&peeled)) {
	case DW_TAG_base_type:
		enc = base_encoding(&peeled);
		switch (enc) {
		case DW_ATE_signed:
		case DW_ATE_signed_fixed:
			out->kind = UP_TYPE_SIGNED;
			break;
		case DW_ATE_signed_char:
			out->kind = size == 1 ? UP_TYPE_CHAR : UP_TYPE_SIGNED;
			break;
		case DW_ATE_unsigned_char:
			out->kind = size == 1 ? UP_TYPE_UCHAR : UP_TYPE_UNSIGNED;
			break;
		case DW_ATE_boolean:
			out->kind = UP_TYPE_BOOL;
			break;
		case DW_ATE_unsigned:
		case DW_ATE_unsigned_fixed:
		case DW_ATE_UTF:
			out->kind = UP_TYPE_UNSIGNED;
			break;
		case DW_ATE_float:
			out->kind = UP_TYPE_FLOAT;
			/* long double: x87 80-bit in 16 bytes (x86_64), else IEEE quad */
			if (size == 16 && x87_long_double)
				size = 10;
			else if (size != 4 && size != 8)
				return -EDOM;
			break;
		default: /* complex, decimal float, fixed point: not shown */
			return -EDOM;
		}
		break;
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		if (size <= 0)
			size = 8;
		out->kind = sym_die_type(&peeled, &target) == 0 && is_char(&target) ? UP_TYPE_STRING
										    : UP_TYPE_PTR;
		break;
	case DW_TAG_enumeration_type:
		out->kind = enum_kind(&peeled);
		break;
	default:
		return -EDOM; /* a struct, union, array or function: not one value */
	}
	if (size != 1 && size != 2 && size != 4 && size != 8 &&
	    !(size == 10 && out->kind == UP_TYPE_FLOAT))
		return -EDOM;
	out->size = size;
	return 0;
}

int sym_type_aggregate(Dwarf_Die *type, Dwarf_Die *aggregate)
{
	int tag;

	if (dwarf_peel_type(type, aggregate) != 0)
		return -EINVAL;
	tag = dwarf_tag(aggregate);
	if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_class_type)
		return -ENOTSUP;
	if (dwarf_hasattr(aggregate, DW_AT_declaration))
		return -ENOTSUP; /* incomplete here */
	return 0;
}

int sym_type_member_offset(Dwarf_Die *member, uint64_t *offset)
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
	/* DWARF 2 style: DW_OP_plus_uconst N. */
	if (dwarf_getlocation(&attr, &expr, &len) == 0 && len == 1 &&
	    expr[0].atom == DW_OP_plus_uconst) {
		*offset = expr[0].number;
		return 0;
	}
	return -ENOTSUP;
}

/*
 * Member lookup walks into anonymous structs and unions, whose types come
 * from the target's DWARF: a hostile file can make one contain itself, or
 * nest pairs of them so the walk doubles at each level. The walk is bounded
 * in depth, never re-enters an aggregate on its own path, and examines a
 * bounded number of members in all; past those it fails with -ELOOP.
 */
#define MEMBER_DEPTH_MAX 32
#define MEMBER_VISITS_MAX 65536

struct member_walk {
	const char *name;
	Dwarf_Off path[MEMBER_DEPTH_MAX];
	int depth;
	unsigned visits;
};

static int find_member(struct member_walk *w, Dwarf_Die *aggregate, Dwarf_Die *member,
		       uint64_t *offset)
{
	Dwarf_Die child;
	bool anonymous = false;
	int err = -ENOENT;

	if (w->depth >= MEMBER_DEPTH_MAX)
		return -ELOOP;
	for (int i = 0; i < w->depth; i++)
		if (w->path[i] == dwarf_dieoffset(aggregate))
			return -ELOOP; /* it contains itself */
	if (dwarf_child(aggregate, &child) != 0)
		return -ENOENT;
	/* The names at this level first: they are found without walking anything. */
	do {
		const char *n;

		if (++w->visits > MEMBER_VISITS_MAX)
			return -ELOOP;
		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		n = dwarf_diename(&child);
		if (!n) {
			anonymous = true;
		} else if (!strcmp(n, w->name)) {
			if (dwarf_hasattr(&child, DW_AT_bit_size) ||
			    dwarf_hasattr(&child, DW_AT_data_bit_offset))
				return -ENOTSUP; /* bit-fields */
			*member = child;
			return sym_type_member_offset(&child, offset);
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	if (!anonymous || dwarf_child(aggregate, &child) != 0)
		return -ENOENT;
	/* An anonymous struct or union: its members are the parent's. */
	w->path[w->depth++] = dwarf_dieoffset(aggregate);
	do {
		Dwarf_Die type, inner;
		uint64_t off, inner_off;
		int r;

		if (++w->visits > MEMBER_VISITS_MAX) {
			err = -ELOOP;
			break;
		}
		if (dwarf_tag(&child) != DW_TAG_member || dwarf_diename(&child) ||
		    sym_die_type(&child, &type) || sym_type_aggregate(&type, &inner) ||
		    sym_type_member_offset(&child, &off))
			continue;
		r = find_member(w, &inner, member, &inner_off);
		if (r == 0) {
			*offset = off + inner_off;
			err = 0;
			break;
		}
		if (r != -ENOENT) {
			err = r;
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	w->depth--;
	return err;
}

int sym_type_member(Dwarf_Die *aggregate, const char *name, Dwarf_Die *member, uint64_t *offset)
{
	struct member_walk w = {.name = name};

	return find_member(&w, aggregate, member, offset);
}
