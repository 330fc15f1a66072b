/* SPDX-License-Identifier: MIT */
/* Placeholder ops table for x86_64: filled in by arch/x86_64/. */
#include <elf.h>
#include "uptrace/arch.h"

const struct up_arch up_arch_x86_64 = {
	.name = "x86_64",
	.e_machine = EM_X86_64,
};
