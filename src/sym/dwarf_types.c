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
	/* DWARF 2 style: DW_OP_plus_uconst N. */
	if (dwarf_getlocation(&attr, &expr, &len) == 0 && len == 1 &&
	    expr[0].atom == DW_OP_plus_uconst) {
		*offset = expr[0].number;
		return 0;
	}
	return -ENOTSUP;
}

int sym_type_member(Dwarf_Die *aggregate, const char *name, Dwarf_Die *member, uint64_t *offset)
{
	Dwarf_Die child;

	if (dwarf_child(aggregate, &child) != 0)
		return -ENOENT;
	do {
		const char *n;
		uint64_t off;

		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		n = dwarf_diename(&child);
		if (n && !strcmp(n, name)) {
			if (dwarf_hasattr(&child, DW_AT_bit_size) ||
			    dwarf_hasattr(&child, DW_AT_data_bit_offset))
				return -ENOTSUP; /* bit-fields */
			*member = child;
			return member_offset(&child, offset);
		}
		if (!n) {
			/* An anonymous struct or union: its members are the parent's. */
			Dwarf_Die type, inner;
			uint64_t inner_off;

			if (sym_die_type(&child, &type) || sym_type_aggregate(&type, &inner) ||
			    member_offset(&child, &off) ||
			    sym_type_member(&inner, name, member, &inner_off))
				continue;
			*offset = off + inner_off;
			return 0;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return -ENOENT;
}
