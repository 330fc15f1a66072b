/* SPDX-License-Identifier: MIT */
/*
 * Trap-free sites on x86_64 (include/uptrace/fast.h): which sites can take
 * a 5-byte `jmp rel32` to a trampoline, and their displaced instructions
 * relocated to run there.
 *
 * A site qualifies when the window of whole instructions the jump covers
 * runs anywhere (no call, ret, syscall, int, loop, jrcxz; a jmp or jcc
 * only as its last instruction), stays inside its function, and nothing
 * can enter it past its first byte:
 *   - one instruction of 5 bytes or more: nothing can (it is one
 *     instruction, whatever the function does);
 *   - several: the whole function (and any cold part of it) is decoded,
 *     and no direct branch, and no rip-relative reference (an address
 *     taken), may land inside the window; a function with an indirect
 *     jump (a jump table, computed goto) has targets no decoder sees, so
 *     there only single instructions qualify.
 * Relocation rewrites rip-relative displacements for the new address and
 * re-encodes a trailing jmp/jcc as rel32, or through an absolute jump when
 * rel32 cannot reach. Capstone runs here only, never on a hit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>

#include "uptrace/fast.h"
#include "encode.h"
#include "x86_64.h"

#define PATCH_LEN 5
#define FUNC_MAX (1u << 20) /* bytes of a function decoded, at most */

static void why(struct up_fast_site *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(struct up_fast_site *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static bool has_group(const cs_insn *ci, unsigned group)
{
	for (unsigned i = 0; i < ci->detail->groups_count; i++)
		if (ci->detail->groups[i] == group)
			return true;
	return false;
}

/* A direct branch's target (jmp, jcc, call, loop, jrcxz with an immediate), else 0. */
static uint64_t direct_target(const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;

	if (!has_group(ci, X86_GRP_JUMP) && !has_group(ci, X86_GRP_CALL) &&
	    !has_group(ci, X86_GRP_BRANCH_RELATIVE))
		return 0;
	if (x->op_count >= 1 && x->operands[0].type == X86_OP_IMM)
		return (uint64_t)x->operands[0].imm;
	return 0;
}

/* A jump through a register or memory: its targets are not in the code. */
static bool indirect_jump(const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;

	return ci->id == X86_INS_JMP && x->op_count >= 1 && x->operands[0].type != X86_OP_IMM;
}

/* The address a rip-relative memory operand refers to, else 0. */
static uint64_t riprel_target(const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;

	for (unsigned i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && x->operands[i].mem.base == X86_REG_RIP)
			return ci->address + ci->size + (uint64_t)x->operands[i].mem.disp;
	return 0;
}

/* What can enter a window: the direct branches and taken addresses of every part. */
struct scan {
	uint64_t lo, hi;     /* the window's interior: (site, site + len) */
	bool indirect;	     /* some part has an indirect jump */
	uint64_t entry_from; /* an instruction that enters the interior, and where */
	uint64_t entry_to;
	bool taken;	/* that entry is an address taken, not a branch */
	bool site_seen; /* part 0's decode met site as an instruction start */
	uint64_t stuck; /* where a decode stopped short of its part's end, else 0 */
};

static int scan_part(csh h, const struct up_fast_code *part, uint64_t site, struct scan *sc)
{
	const uint8_t *code = part->bytes;
	size_t size = part->len < FUNC_MAX ? part->len : FUNC_MAX;
	uint64_t addr = part->addr;
	cs_insn *ci = cs_malloc(h);

	if (!ci)
		return -ENOMEM;
	while (size > 0) {
		uint64_t at = addr, t;

		if (!cs_disasm_iter(h, &code, &size, &addr, ci)) {
			sc->stuck = at;
			break;
		}
		if (at == site)
			sc->site_seen = true;
		if (indirect_jump(ci))
			sc->indirect = true;
		t = direct_target(ci);
		if (t > sc->lo && t < sc->hi && !sc->entry_from) {
			sc->entry_from = at;
			sc->entry_to = t;
		}
		t = riprel_target(ci);
		if (t > sc->lo && t < sc->hi && !sc->entry_from) {
			sc->entry_from = at;
			sc->entry_to = t;
			sc->taken = true;
		}
	}
	cs_free(ci, 1);
	return 0;
}

/* Why an instruction cannot be in a window (last: it ends the window), or NULL. */
static const char *not_relocatable(const struct up_insn *insn, bool last)
{
	if (insn->action == UP_INSN_REFUSE)
		return insn->why[0] ? insn->why : "cannot run elsewhere";
	switch (insn->op) {
	case X86_CLASS_CALL:
	case X86_CLASS_CALL_IND:
		return "a call (its return address would be the trampoline's)";
	case X86_CLASS_RET:
		return "a return";
	case X86_CLASS_LOOP:
	case X86_CLASS_LOOPE:
	case X86_CLASS_LOOPNE:
	case X86_CLASS_JRCXZ:
		return "a loop or jrcxz (rel8 only)";
	case X86_CLASS_JMP:
	case X86_CLASS_JCC:
	case X86_CLASS_JMP_IND:
		return last ? NULL : "a branch before the window's end";
	}
	return NULL;
}

static int up_x86_64_fast_analyze(const struct up_arch *a, const struct up_fast_code *parts,
				  unsigned nparts, uint64_t site, struct up_fast_site *out)
{
	const struct up_fast_code *f = &parts[0];
	uint64_t end = f->addr + f->len;
	struct scan sc;
	csh h;
	int err;

	memset(out, 0, sizeof(*out));
	out->addr = site;
	if (!nparts || site < f->addr || site >= end || site - f->addr > FUNC_MAX) {
		why(out, "the site is outside its function's code");
		return -ENOTSUP;
	}
	/* the window: whole instructions from site until the jump fits */
	while (out->len < PATCH_LEN) {
		uint64_t at = site + out->len;
		struct up_insn insn;
		const char *bad;

		if (at >= end || out->ninsns == UP_FAST_INSNS_MAX) {
			why(out, "the function ends before 5 bytes of instructions");
			return -ENOTSUP;
		}
		if (up_x86_64_decode(a, &insn, at, f->bytes + (at - f->addr), end - at) != 0) {
			why(out, "cannot decode the instruction at +0x%llx",
			    (unsigned long long)(at - f->addr));
			return -ENOTSUP;
		}
		bad = not_relocatable(&insn, out->len + insn.len >= PATCH_LEN);
		if (bad) {
			why(out, "'%s' at +0x%llx: %s", insn.text,
			    (unsigned long long)(at - f->addr), bad);
			return -ENOTSUP;
		}
		if (out->len + insn.len > UP_FAST_WINDOW_MAX) {
			why(out, "the window would be longer than %d bytes", UP_FAST_WINDOW_MAX);
			return -ENOTSUP;
		}
		out->insn_off[out->ninsns++] = out->len;
		memcpy(out->orig + out->len, insn.bytes, insn.len);
		out->len += insn.len;
	}
	out->single = out->ninsns == 1;
	if (!f->sized) {
		if (out->single)
			return 0; /* nothing can land inside one instruction */
		why(out, "the function's extent is not known (no symbol size)");
		return -ENOTSUP;
	}

	/* what can land inside: decode the whole function and its other parts */
	memset(&sc, 0, sizeof(sc));
	sc.lo = site;
	sc.hi = site + out->len;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		why(out, "Capstone cannot be opened");
		return -ENOTSUP;
	}
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	err = 0;
	for (unsigned i = 0; i < nparts && !err; i++) {
		err = scan_part(h, &parts[i], site, &sc);
		if (!err && sc.stuck && !out->single) {
			why(out, "cannot decode the whole function (stuck at 0x%llx)",
			    (unsigned long long)sc.stuck);
			err = -ENOTSUP;
		}
		if (i == 0 && !sc.site_seen && !err) {
			why(out, "the site is not on an instruction boundary of a linear decode");
			err = -ENOTSUP;
		}
	}
	cs_close(&h);
	if (err)
		return err == -ENOMEM ? err : -ENOTSUP;
	if (sc.entry_from) {
		why(out, "%s at 0x%llx %s +0x%llx, inside the window",
		    sc.taken ? "the address taken" : "a branch", (unsigned long long)sc.entry_from,
		    sc.taken ? "is" : "goes to", (unsigned long long)(sc.entry_to - f->addr));
		return -ENOTSUP;
	}
	if (!out->single && sc.indirect) {
		why(out,
		    "the function has an indirect jump (a jump table?): only an instruction of "
		    "5 bytes or more is patched");
		return -ENOTSUP;
	}
	return 0;
}

static int up_x86_64_fast_entries(const struct up_arch *a, const struct up_fast_code *part,
				  uint64_t **out, size_t *count)
{
	const uint8_t *code = part->bytes;
	size_t size = part->len, n = 0, cap = 0;
	uint64_t addr = part->addr, *v = NULL;
	cs_insn *ci;
	csh h;

	*out = NULL;
	*count = 0;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	ci = cs_malloc(h);
	if (!ci) {
		cs_close(&h);
		return -ENOMEM;
	}
	while (size > 0) {
		uint64_t t[2];

		if (!cs_disasm_iter(h, &code, &size, &addr, ci)) {
			code++; /* data, or bytes Capstone does not know: step over one */
			size--;
			addr++;
			continue;
		}
		t[0] = direct_target(ci);
		t[1] = riprel_target(ci);
		for (int k = 0; k < 2; k++) {
			if (t[k] < part->addr || t[k] >= part->addr + part->len)
				continue;
			if (n == cap) {
				size_t c2 = cap ? cap * 2 : 4096;
				uint64_t *g = realloc(v, c2 * sizeof(*v));

				if (!g) {
					free(v);
					cs_free(ci, 1);
					cs_close(&h);
					return -ENOMEM;
				}
				v = g;
				cap = c2;
			}
			v[n++] = t[k];
		}
	}
	cs_free(ci, 1);
	cs_close(&h);
	*out = v;
	*count = n;
	return 0;
}

/* One instruction's re-encoding at base + at: its length in *len, or -ERANGE / -EINVAL. */
static int relocate_one(const struct up_insn *insn, uint8_t *code, unsigned at, uint64_t base,
			unsigned *len)
{
	const int64_t *p = insn->priv;
	uint64_t here = base + at;

	switch (insn->op) {
	case X86_CLASS_JMP:
		*len = x86_emit_jump(code, at, base, (uint64_t)p[0]);
		return 0;
	case X86_CLASS_JCC: {
		uint64_t target = (uint64_t)p[0];
		int64_t rel = (int64_t)(target - (here + 6));

		if (x86_fits_int32(rel)) {
			code[at] = 0x0f;
			code[at + 1] = (uint8_t)(0x80 | p[1]);
			x86_put32(code + at + 2, (int32_t)rel);
			*len = 6;
			return 0;
		}
		/* the opposite condition jumps over an absolute jump to the target */
		code[at] = (uint8_t)(0x70 | (p[1] ^ 1));
		code[at + 1] = 14;
		*len = 2 + x86_emit_jump(code, at + 2, base, target);
		return *len == 16 ? 0 : -EINVAL;
	}
	case X86_CLASS_XOL_RIPREL: {
		int64_t disp = (int64_t)((uint64_t)p[X86_RIP_TARGET] - (here + insn->len));

		if (!x86_fits_int32(disp))
			return -ERANGE;
		memcpy(code + at, insn->bytes, insn->len);
		x86_put32(code + at + p[X86_RIP_DISP_OFFSET], (int32_t)disp);
		*len = insn->len;
		return 0;
	}
	case X86_CLASS_JMP_IND:
		/* jmp *disp(%rip) (ff 25 disp32): the pointer's address, seen from here */
		if (insn->len >= 6 && insn->bytes[insn->len - 6] == 0xff &&
		    insn->bytes[insn->len - 5] == 0x25) {
			int64_t disp = (int64_t)((uint64_t)p[X86_IND_DISP] - (here + insn->len));

			if (!x86_fits_int32(disp))
				return -ERANGE;
			memcpy(code + at, insn->bytes, insn->len);
			x86_put32(code + at + insn->len - 4, (int32_t)disp);
			*len = insn->len;
			return 0;
		}
		break;
	case X86_CLASS_CALL:
	case X86_CLASS_CALL_IND:
	case X86_CLASS_RET:
	case X86_CLASS_LOOP:
	case X86_CLASS_LOOPE:
	case X86_CLASS_LOOPNE:
	case X86_CLASS_JRCXZ:
		return -EINVAL;
	}
	/* position-independent as it is */
	memcpy(code + at, insn->bytes, insn->len);
	*len = insn->len;
	return 0;
}

static int up_x86_64_fast_relocate(const struct up_arch *a, const struct up_fast_site *site,
				   uint64_t addr, struct up_fast_reloc *out)
{
	unsigned at = 0;
	bool ends_in_jump = false;

	memset(out, 0, sizeof(*out));
	for (unsigned k = 0; k < site->ninsns; k++) {
		unsigned off = site->insn_off[k], n;
		unsigned avail = (k + 1 < site->ninsns ? site->insn_off[k + 1] : site->len) - off;
		struct up_insn insn;
		int err;

		/* room for the longest re-encoding (16) and the jump back (14) */
		if (at + 16 + 14 > sizeof(out->code))
			return -E2BIG;
		if (up_x86_64_decode(a, &insn, site->addr + off, site->orig + off, avail) != 0 ||
		    insn.len != avail)
			return -EINVAL;
		out->insn_off[k] = (uint8_t)at;
		err = relocate_one(&insn, out->code, at, addr, &n);
		if (err)
			return err;
		at += n;
		ends_in_jump = insn.op == X86_CLASS_JMP || insn.op == X86_CLASS_JMP_IND;
	}
	if (!ends_in_jump)
		at += x86_emit_jump(out->code, at, addr, site->addr + site->len);
	out->len = (uint8_t)at;
	return 0;
}

static int up_x86_64_fast_patch(const struct up_arch *a, const struct up_fast_site *site,
				uint64_t tramp, uint8_t *out)
{
	int64_t rel = (int64_t)(tramp - (site->addr + PATCH_LEN));

	if (site->len < PATCH_LEN || !x86_fits_int32(rel))
		return -ERANGE;
	out[0] = 0xe9;
	x86_put32(out + 1, (int32_t)rel);
	/* a stray landing past the jump faults into the tracer (design.md) */
	memset(out + PATCH_LEN, X86_BP, site->len - PATCH_LEN);
	return 0;
}

const struct up_fast_ops up_x86_64_fast = {
    .patch_len = PATCH_LEN,
    .reach = (1ull << 31) - 4096,
    .analyze = up_x86_64_fast_analyze,
    .entries = up_x86_64_fast_entries,
    .relocate = up_x86_64_fast_relocate,
    .patch = up_x86_64_fast_patch,
    .build = up_x86_64_fast_build,
    .can_fetch = up_x86_64_fast_can_fetch,
    .has_key = up_x86_64_fast_has_key,
    .key_of = up_x86_64_fast_key_of,
    .stepped = up_x86_64_fast_stepped,
    .leave = up_x86_64_fast_leave,
};
