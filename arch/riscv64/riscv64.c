/* SPDX-License-Identifier: MIT */
/* Placeholder ops table for riscv64: filled in by arch/riscv64/. */
#include <elf.h>
#include "uptrace/arch.h"

const struct up_arch up_arch_riscv64 = {
	.name = "riscv64",
	.e_machine = EM_RISCV,
};
