/* SPDX-License-Identifier: MIT */
/* Placeholder ops table for loongarch64: filled in by arch/loongarch64/. */
#include <elf.h>
#include "uptrace/arch.h"

const struct up_arch up_arch_loongarch64 = {
	.name = "loongarch64",
	.e_machine = 258,
};
