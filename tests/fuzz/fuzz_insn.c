/*
 * Fuzz target: the instruction decoder (hv/insn.c), which reads bytes a
 * guest controls (the instruction at its RIP after an EPT violation in the
 * PC hole, or an INS/OUTS). Input: byte 0 the code size (16, 32, 64-bit),
 * then the bytes at RIP. Invariants: a decoded instruction is 1-15 bytes
 * long, within the bytes given, decodes the same from exactly its own
 * bytes and is "short" one byte less; sizes, registers, segment and scale
 * are in range and fit the mode; string forms use ES where no prefix can
 * override it, INS/OUTS move at most 32 bits; the memory offset fits the
 * address size. "Short" only below 15 bytes. The bytes are an exact-size
 * heap block: ASan sees any read past them.
 */
#include <string.h>

#include "fuzz.h"
#include "insn.h"

static const enum insn_mode modes[3] = { INSN_MODE16, INSN_MODE32, INSN_MODE64 };

static bool is_reg(int r) { return r >= 0 && r < 16; }

static void check_fields(const struct insn *in, enum insn_mode mode, unsigned n)
{
	uint64_t gpr[16];

	FUZZ_CHECK(in->len >= 1 && in->len <= INSN_MAX_LEN && in->len <= n, "len %u of %u", in->len, n);
	FUZZ_CHECK(in->opsize == 1 || in->opsize == 2 || in->opsize == 4 || in->opsize == 8, "opsize %u",
		   in->opsize);
	FUZZ_CHECK(in->opsize != 8 || mode == INSN_MODE64, "64-bit operand in mode %d", mode);
	FUZZ_CHECK(mode == INSN_MODE64 ? (in->addrsize == 4 || in->addrsize == 8)
				       : (in->addrsize == 2 || in->addrsize == 4), "addrsize %u in mode %d",
		   in->addrsize, mode);
	FUZZ_CHECK((unsigned)in->seg <= INSN_GS, "segment %d", in->seg);
	if (in->kind == INSN_INS || in->kind == INSN_OUTS)
		FUZZ_CHECK(in->opsize <= 4, "INS/OUTS of %u bytes", in->opsize);
	if (in->kind == INSN_INS || in->kind == INSN_STOS)
		FUZZ_CHECK(in->seg == INSN_ES, "STOS/INS through segment %d", in->seg);
	if (in->kind == INSN_MOV_STORE || in->kind == INSN_MOV_LOAD) {
		FUZZ_CHECK(in->has_imm ? in->reg == INSN_NOREG && in->kind == INSN_MOV_STORE : is_reg(in->reg),
			   "reg %d imm %d kind %d", in->reg, in->has_imm, in->kind);
		FUZZ_CHECK(!in->reg_high8 || (in->opsize == 1 && in->reg >= 4 && in->reg <= 7), "high8 reg %d",
			   in->reg);
		FUZZ_CHECK(in->mem.scale == 1 || in->mem.scale == 2 || in->mem.scale == 4 || in->mem.scale == 8,
			   "scale %u", in->mem.scale);
		FUZZ_CHECK(in->mem.base == INSN_NOREG || is_reg(in->mem.base) ||
			   (in->mem.base == INSN_RIP && mode == INSN_MODE64), "base %d", in->mem.base);
		FUZZ_CHECK(in->mem.index == INSN_NOREG || (is_reg(in->mem.index) && in->mem.index != 4),
			   "index %d", in->mem.index);
	} else {
		FUZZ_CHECK(!in->has_mem && !in->has_imm && in->reg == INSN_NOREG, "string form with operands");
	}
	memset(gpr, 0xff, sizeof(gpr));
	FUZZ_CHECK(!(insn_mem_offset(in, gpr, ~0ull) & ~insn_mask(in->addrsize)), "offset beyond the address size");
}

/* Returns true if a and b decode to the same instruction (fields, not padding). */
static bool same(const struct insn *a, const struct insn *b)
{
	return a->kind == b->kind && a->len == b->len && a->opsize == b->opsize && a->addrsize == b->addrsize &&
	       a->seg == b->seg && a->seg_override == b->seg_override && a->rep == b->rep && a->lock == b->lock &&
	       a->has_mem == b->has_mem && a->mem.base == b->mem.base && a->mem.index == b->mem.index &&
	       a->mem.scale == b->mem.scale && a->mem.disp == b->mem.disp && a->reg == b->reg &&
	       a->reg_high8 == b->reg_high8 && a->has_imm == b->has_imm && a->imm == b->imm;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum insn_mode mode;
	struct insn in, again;
	enum insn_result r;
	uint8_t *buf;
	unsigned n;

	if (size < 1)
		return 0;
	mode = modes[data[0] % 3];
	n = (unsigned)(size - 1 > 32 ? 32 : size - 1);
	buf = malloc(n ? n : 1);
	memcpy(buf, data + 1, n);
	r = insn_decode(buf, n, mode, &in);
	FUZZ_CHECK(r == INSN_OK || r == INSN_UNKNOWN || r == INSN_SHORT, "result %d", r);
	FUZZ_CHECK(r != INSN_SHORT || n < INSN_MAX_LEN, "short with %u bytes", n);
	if (r == INSN_OK) {
		check_fields(&in, mode, n);
		FUZZ_CHECK(insn_decode(buf, in.len, mode, &again) == INSN_OK && same(&in, &again),
			   "decodes differently from its own %u bytes", in.len);
		FUZZ_CHECK(insn_decode(buf, in.len - 1, mode, &again) == INSN_SHORT, "not short at %u bytes",
			   in.len - 1);
	}
	free(buf);
	return 0;
}
