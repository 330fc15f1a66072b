/* SPDX-License-Identifier: MIT */
/* Placeholder ops table for aarch64: filled in by arch/aarch64/. */
#include <elf.h>
#include "uptrace/arch.h"

const struct up_arch up_arch_aarch64 = {
	.name = "aarch64",
	.e_machine = EM_AARCH64,
};
