/* SPDX-License-Identifier: MIT */
/*
 * The riscv64 instruction table the unit tests share: encodings (made with
 * riscv64-linux-gnu-as -march=rv64gc) with the length, action and mnemonic
 * decode() must report. test_objdump.c checks every mnemonic here against
 * `riscv64-linux-gnu-objdump -M no-aliases`, so a wrong row cannot pass.
 */
#ifndef TEST_RISCV64_INSN_TABLE_H
#define TEST_RISCV64_INSN_TABLE_H

#include <stdint.h>

#include "uptrace/arch.h"

#define SIM UP_INSN_SIMULATE
#define XOL UP_INSN_XOL
#define REF UP_INSN_REFUSE

struct rv_case {
	uint32_t word;
	uint8_t len;
	uint8_t action;
	const char *mnemonic;
};

static const struct rv_case rv_cases[] = {
    {0x12345537, 4, SIM, "lui"},
    {0xfffff337, 4, SIM, "lui"},
    {0x00000517, 4, SIM, "auipc"},
    {0xfffff097, 4, SIM, "auipc"},
    {0x001000ef, 4, SIM, "jal"},
    {0xff1ff06f, 4, SIM, "jal"},
    {0x000780e7, 4, SIM, "jalr"},
    {0xff828067, 4, SIM, "jalr"},
    {0x00b50863, 4, SIM, "beq"},
    {0xfe0510e3, 4, SIM, "bne"},
    {0x80d64063, 4, SIM, "blt"},
    {0x00d65463, 4, SIM, "bge"},
    {0xff24efe3, 4, SIM, "bltu"},
    {0x7e62ffe3, 4, SIM, "bgeu"},
    {0xfe010113, 4, SIM, "addi"},
    {0x7ff58513, 4, SIM, "addi"},
    {0x00000013, 4, SIM, "addi"},
    {0x00c58533, 4, SIM, "add"},
    {0x00113c23, 4, SIM, "sd"},
    {0xfe843c23, 4, SIM, "sd"},
    {0x01813083, 4, SIM, "ld"},
    {0xff05b503, 4, SIM, "ld"},
    {0x0045a503, 4, XOL, "lw"},
    {0xfea12e23, 4, XOL, "sw"},
    {0x00054283, 4, XOL, "lbu"},
    {0xfff54513, 4, XOL, "xori"},
    {0x03f51513, 4, XOL, "slli"},
    {0x4035d593, 4, XOL, "srai"},
    {0x0015051b, 4, XOL, "addiw"},
    {0x40c58533, 4, XOL, "sub"},
    {0x02c58533, 4, XOL, "mul"},
    {0x02c5d53b, 4, XOL, "divuw"},
    {0x407352bb, 4, XOL, "sraw"},
    {0x00b6252f, 4, XOL, "amoadd.w"},
    {0x0eb6352f, 4, XOL, "amoswap.d.aqrl"},
    {0x00813507, 4, XOL, "fld"},
    {0x00813827, 4, XOL, "fsd"},
    {0x02c5f553, 4, XOL, "fadd.d"},
    {0xe2050553, 4, XOL, "fmv.x.d"},
    {0x68c5f543, 4, XOL, "fmadd.s"},
    {0x0330000f, 4, XOL, "fence"},
    {0x00000073, 4, REF, "ecall"},
    {0x00100073, 4, REF, "ebreak"},
    {0xc0002573, 4, REF, "csrrs"},
    {0x10500073, 4, REF, "wfi"},
    {0x0000100f, 4, REF, "fence.i"},
    {0x1005a52f, 4, REF, "lr.w"},
    {0x1405b52f, 4, REF, "lr.d.aq"},
    {0x18b6352f, 4, REF, "sc.d"},
    {0x0808, 2, SIM, "c.addi4spn"},
    {0x6588, 2, SIM, "c.ld"},
    {0xffe0, 2, SIM, "c.sd"},
    {0x41c8, 2, XOL, "c.lw"},
    {0x1141, 2, SIM, "c.addi"},
    {0x0001, 2, SIM, "c.addi"},
    {0x2505, 2, XOL, "c.addiw"},
    {0x556d, 2, SIM, "c.li"},
    {0x47fd, 2, SIM, "c.li"},
    {0x7139, 2, SIM, "c.addi16sp"},
    {0x617d, 2, SIM, "c.addi16sp"},
    {0x757d, 2, SIM, "c.lui"},
    {0x6485, 2, SIM, "c.lui"},
    {0x8109, 2, XOL, "c.srli"},
    {0x99fd, 2, XOL, "c.andi"},
    {0x8d0d, 2, XOL, "c.sub"},
    {0x8c65, 2, XOL, "c.and"},
    {0xbffd, 2, SIM, "c.j"},
    {0xaffd, 2, SIM, "c.j"},
    {0xd101, 2, SIM, "c.beqz"},
    {0xecfd, 2, SIM, "c.bnez"},
    {0x050e, 2, XOL, "c.slli"},
    {0x60a2, 2, SIM, "c.ldsp"},
    {0x4512, 2, XOL, "c.lwsp"},
    {0x8082, 2, SIM, "c.jr"},
    {0x8782, 2, SIM, "c.jr"},
    {0x852e, 2, SIM, "c.mv"},
    {0x9002, 2, REF, "c.ebreak"},
    {0x9782, 2, SIM, "c.jalr"},
    {0x952e, 2, SIM, "c.add"},
    {0xe406, 2, SIM, "c.sdsp"},
    {0xffa2, 2, SIM, "c.sdsp"},
    {0xc22a, 2, XOL, "c.swsp"},
    {0x2522, 2, XOL, "c.fldsp"},
};

#define RV_NCASES (sizeof(rv_cases) / sizeof(rv_cases[0]))

static inline void rv_case_bytes(const struct rv_case *c, uint8_t out[4])
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(c->word >> (8 * i));
}

#endif
