/* SPDX-License-Identifier: MIT */
/*
 * x86_64 encodings the XOL builder and the trap-free relocator both write:
 * a rel32 that must fit, and a jump to anywhere (jmp rel32 when it
 * reaches, else jmp *0(%rip) with the address after it). Private to
 * arch/x86_64.
 */
#ifndef UPTRACE_ARCH_X86_64_ENCODE_H
#define UPTRACE_ARCH_X86_64_ENCODE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline bool x86_fits_int32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

static inline void x86_put32(uint8_t *p, int32_t v)
{
	memcpy(p, &v, 4);
}

/*
 * A jump at code + at, which will live at base + at, to dest: 5 bytes, or
 * 14 when dest is out of rel32's reach. Returns its length.
 */
static inline unsigned x86_emit_jump(uint8_t *code, unsigned at, uint64_t base, uint64_t dest)
{
	/* in uint64_t: addresses anywhere in 64 bits wrap, as rip-relative ones do */
	int64_t rel = (int64_t)(dest - (base + at + 5));

	if (x86_fits_int32(rel)) {
		code[at] = 0xe9;
		x86_put32(code + at + 1, (int32_t)rel);
		return 5;
	}
	code[at] = 0xff; /* jmp *0(%rip); .quad dest */
	code[at + 1] = 0x25;
	x86_put32(code + at + 2, 0);
	memcpy(code + at + 6, &dest, 8);
	return 14;
}

#endif
