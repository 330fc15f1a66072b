/* SPDX-License-Identifier: MIT */
/*
 * Bit helpers every arch/<arch>/ decoder, simulator and XOL builder needs:
 * fields of an instruction word, sign extension, and target memory as
 * little-endian bytes (all four architectures are little-endian; the host
 * need not be). Private to arch/.
 */
#ifndef UPTRACE_ARCH_COMMON_BITS_H
#define UPTRACE_ARCH_COMMON_BITS_H

#include <stdint.h>

/* Bits hi..lo of w, shifted down. */
static inline uint32_t bits(uint32_t w, unsigned hi, unsigned lo)
{
	return (w >> lo) & (uint32_t)((1ull << (hi - lo + 1)) - 1);
}

/* The low nbits of v as a signed number (1 <= nbits <= 64). */
static inline int64_t sign_extend(uint64_t v, unsigned nbits)
{
	return (int64_t)(v << (64 - nbits)) >> (64 - nbits);
}

/* n (<= 8) little-endian bytes at p. */
static inline uint64_t le_load(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* The low n (<= 8) bytes of v at p, little-endian. */
static inline void le_store(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t le32_load(const uint8_t *p)
{
	return (uint32_t)le_load(p, 4);
}

static inline void le32_store(uint8_t *p, uint32_t w)
{
	le_store(p, w, 4);
}

#endif
