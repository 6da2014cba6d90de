/*
 * x86 instruction decoder for memory moves and string I/O (see insn.h).
 * Encodings from the SDM: "Instruction Prefixes", "ModR/M and SIB Bytes"
 * (the 16-bit and 32-bit addressing tables), "REX Prefixes" ("Special
 * Cases of REX Encodings": RSP/R12 need a SIB, RBP/R13 with mod 00 are
 * displacement-only / RIP-relative), "RIP-Relative Addressing", and the
 * opcode pages of MOV, MOVS, STOS, INS and OUTS.
 */
#include "insn.h"

struct insn_pfx {
	unsigned n;                  /* prefix bytes */
	bool opsz, adsz, rep, lock, seg_set;
	enum insn_seg seg;
	uint8_t rex;                 /* 0x40-0x4f, or 0 if none (64-bit mode only) */
};

#define REX_B(p) (((p)->rex >> 0) & 1)
#define REX_X(p) (((p)->rex >> 1) & 1)
#define REX_R(p) (((p)->rex >> 2) & 1)
#define REX_W(p) (((p)->rex >> 3) & 1)

/* Maps a segment-override prefix to its register; returns false for other bytes. */
static bool insn_seg_prefix(uint8_t b, enum insn_seg *seg)
{
	switch (b) {
	case 0x26: *seg = INSN_ES; return true;
	case 0x2e: *seg = INSN_CS; return true;
	case 0x36: *seg = INSN_SS; return true;
	case 0x3e: *seg = INSN_DS; return true;
	case 0x64: *seg = INSN_FS; return true;
	case 0x65: *seg = INSN_GS; return true;
	}
	return false;
}

/*
 * Reads the prefixes. A REX prefix counts only right before the opcode (a
 * legacy prefix after it cancels it). Returns INSN_OK with p->n < avail,
 * or INSN_SHORT / INSN_UNKNOWN (15 bytes of prefixes).
 */
static enum insn_result insn_prefixes(const uint8_t *b, unsigned avail, enum insn_mode mode,
				      struct insn_pfx *p)
{
	unsigned i;

	*p = (struct insn_pfx){ .seg = INSN_DS };
	for (i = 0; i < avail && i < INSN_MAX_LEN; i++) {
		enum insn_seg seg;

		if (b[i] == 0x66)
			p->opsz = true;
		else if (b[i] == 0x67)
			p->adsz = true;
		else if (b[i] == 0xf2 || b[i] == 0xf3)
			p->rep = true;
		else if (b[i] == 0xf0)
			p->lock = true;
		else if (insn_seg_prefix(b[i], &seg))
			p->seg = seg, p->seg_set = true;
		else if (mode == INSN_MODE64 && (b[i] & 0xf0) == 0x40) {
			p->rex = b[i];
			continue;
		} else
			break;
		p->rex = 0;
	}
	p->n = i;
	if (i == INSN_MAX_LEN)
		return INSN_UNKNOWN;
	return i < avail ? INSN_OK : INSN_SHORT;
}

/* Reads a little-endian, sign-extended value of bytes (1, 2, 4, 8) at b[*pos]. */
static enum insn_result insn_fetch(const uint8_t *b, unsigned avail, unsigned *pos, unsigned bytes,
				   int64_t *out)
{
	uint64_t v = 0;

	if (*pos + bytes > avail)
		return INSN_SHORT;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)b[*pos + i] << (8 * i);
	*pos += bytes;
	if (bytes < 8 && (v >> (8 * bytes - 1)) & 1)
		v |= ~0ull << (8 * bytes);
	*out = (int64_t)v;
	return INSN_OK;
}

/* 16-bit addressing ("16-Bit Addressing Forms with the ModR/M Byte"): base and index of rm (BP: 5). */
static void insn_modrm16(unsigned mod, unsigned rm, struct insn *in)
{
	static const int8_t base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };       /* BX BX BP BP SI DI BP BX */
	static const int8_t index[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };  /* SI DI SI DI */

	in->mem.base = base[rm];
	in->mem.index = index[rm];
	if (mod == 0 && rm == 6)
		in->mem.base = INSN_NOREG;      /* disp16 only */
}

/* Decodes ModRM (and SIB, displacement) at b[*pos]. Sets reg, has_mem, mem and the default segment. */
static enum insn_result insn_modrm(const uint8_t *b, unsigned avail, unsigned *pos, const struct insn_pfx *p,
				   enum insn_mode mode, struct insn *in)
{
	unsigned modrm, mod, rm, dispbytes = 0;
	int64_t disp = 0;
	enum insn_result r;

	if (*pos >= avail)
		return INSN_SHORT;
	modrm = b[(*pos)++];
	mod = modrm >> 6;
	rm = modrm & 7;
	in->reg = (int)(((modrm >> 3) & 7) | REX_R(p) << 3);
	in->mem = (struct insn_mem){ .base = INSN_NOREG, .index = INSN_NOREG, .scale = 1 };
	if (mod == 3) {
		in->has_mem = false;
		in->mem.base = (int)(rm | REX_B(p) << 3);
		return INSN_OK;
	}
	in->has_mem = true;
	if (in->addrsize == 2) {
		insn_modrm16(mod, rm, in);
		dispbytes = mod == 1 ? 1 : (mod == 2 || (mod == 0 && rm == 6)) ? 2 : 0;
	} else {
		unsigned base = rm;
		if (rm == 4) {
			unsigned sib;
			if (*pos >= avail)
				return INSN_SHORT;
			sib = b[(*pos)++];
			in->mem.scale = 1u << (sib >> 6);
			unsigned idx = ((sib >> 3) & 7) | REX_X(p) << 3;
			in->mem.index = idx == 4 ? INSN_NOREG : (int)idx;
			base = sib & 7;
		}
		if (base == 5 && mod == 0) {
			/* disp32 alone; without a SIB in 64-bit mode, RIP-relative. */
			in->mem.base = (rm == 5 && mode == INSN_MODE64) ? INSN_RIP : INSN_NOREG;
			dispbytes = 4;
		} else {
			in->mem.base = (int)(base | REX_B(p) << 3);
			dispbytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;
		}
	}
	/* rSP and rBP as base (not R12, R13) default to SS, unless a prefix names the segment. */
	if ((in->mem.base == 4 || in->mem.base == 5) && !p->seg_set)
		in->seg = INSN_SS;
	if (dispbytes && (r = insn_fetch(b, avail, pos, dispbytes, &disp)) != INSN_OK)
		return r;
	in->mem.disp = disp;
	return INSN_OK;
}

/* Operand size of a non-byte form: 16/32 (66 toggles), 64 with REX.W unless no64. */
static unsigned insn_opsize(const struct insn_pfx *p, enum insn_mode mode, bool no64)
{
	if (mode == INSN_MODE64 && REX_W(p) && !no64)
		return 8;
	if (mode == INSN_MODE16)
		return p->opsz ? 4 : 2;
	return p->opsz ? 2 : 4;
}

static unsigned insn_addrsize(const struct insn_pfx *p, enum insn_mode mode)
{
	if (mode == INSN_MODE64)
		return p->adsz ? 4 : 8;
	if (mode == INSN_MODE32)
		return p->adsz ? 2 : 4;
	return p->adsz ? 4 : 2;
}

/* The string instructions: STOS, MOVS, INS, OUTS. Returns false for other opcodes. */
static bool insn_string(uint8_t op, const struct insn_pfx *p, enum insn_mode mode, struct insn *in)
{
	switch (op) {
	case 0xaa: case 0xab: in->kind = INSN_STOS; break;
	case 0xa4: case 0xa5: in->kind = INSN_MOVS; break;
	case 0x6c: case 0x6d: in->kind = INSN_INS; break;
	case 0x6e: case 0x6f: in->kind = INSN_OUTS; break;
	default: return false;
	}
	/* INS and OUTS move at most 32 bits: REX.W does not widen them. */
	in->opsize = (op & 1) ? insn_opsize(p, mode, in->kind == INSN_INS || in->kind == INSN_OUTS) : 1;
	in->rep = p->rep;
	/* STOS and INS write ES:rDI, which no prefix overrides. */
	if (in->kind == INSN_STOS || in->kind == INSN_INS)
		in->seg = INSN_ES, in->seg_override = false;
	return true;
}

/* MOV with a memory offset (A0-A3): the offset has the address size. */
static enum insn_result insn_moffs(const uint8_t *b, unsigned avail, unsigned *pos, uint8_t op,
				   const struct insn_pfx *p, enum insn_mode mode, struct insn *in)
{
	int64_t off;
	enum insn_result r = insn_fetch(b, avail, pos, in->addrsize, &off);

	if (r != INSN_OK)
		return r;
	in->kind = op >= 0xa2 ? INSN_MOV_STORE : INSN_MOV_LOAD;
	in->opsize = (op & 1) ? insn_opsize(p, mode, false) : 1;
	in->reg = 0;                                    /* AL, AX, EAX, RAX */
	in->has_mem = true;
	in->mem = (struct insn_mem){ .base = INSN_NOREG, .index = INSN_NOREG, .scale = 1 };
	in->mem.disp = in->addrsize == 8 ? off : (int64_t)((uint64_t)off & ((1ull << (8 * in->addrsize)) - 1));
	return INSN_OK;
}

/* MOV r/m, r; MOV r, r/m; MOV r/m, imm (88, 89, 8A, 8B, C6 /0, C7 /0). */
static enum insn_result insn_mov(const uint8_t *b, unsigned avail, unsigned *pos, uint8_t op,
				 const struct insn_pfx *p, enum insn_mode mode, struct insn *in)
{
	enum insn_result r;
	int64_t imm;

	in->opsize = (op & 1) ? insn_opsize(p, mode, false) : 1;
	in->kind = (op == 0x8a || op == 0x8b) ? INSN_MOV_LOAD : INSN_MOV_STORE;
	if ((r = insn_modrm(b, avail, pos, p, mode, in)) != INSN_OK)
		return r;
	if (op == 0xc6 || op == 0xc7) {
		if ((in->reg & 7) != 0)
			return INSN_UNKNOWN;     /* C6/C7 with reg != 0 are other instructions */
		in->reg = INSN_NOREG;
		r = insn_fetch(b, avail, pos, in->opsize > 4 ? 4 : in->opsize, &imm);
		if (r != INSN_OK)
			return r;
		in->has_imm = true;
		in->imm = (uint64_t)imm;
	} else if (in->opsize == 1 && !p->rex && in->reg >= 4 && in->reg <= 7) {
		in->reg_high8 = true;
	}
	return INSN_OK;
}

/* MOVZX / MOVSX r, r/m8 or r/m16 (0F B6, 0F B7, 0F BE, 0F BF); pos is past the 0F. */
static enum insn_result insn_movx(const uint8_t *b, unsigned avail, unsigned *pos, const struct insn_pfx *p,
				  enum insn_mode mode, struct insn *in)
{
	uint8_t op2;

	if (*pos >= avail)
		return INSN_SHORT;
	op2 = b[(*pos)++];
	if (op2 != 0xb6 && op2 != 0xb7 && op2 != 0xbe && op2 != 0xbf)
		return INSN_UNKNOWN;
	in->kind = INSN_MOV_LOAD;
	in->opsize = (op2 & 1) ? 2 : 1;
	in->dstsize = insn_opsize(p, mode, false);
	in->sign_extend = op2 >= 0xbe;
	return insn_modrm(b, avail, pos, p, mode, in);
}

enum insn_result insn_decode(const uint8_t *buf, unsigned avail, enum insn_mode mode, struct insn *in)
{
	struct insn_pfx p;
	enum insn_result r;
	unsigned pos;
	uint8_t op;

	if (avail > INSN_MAX_LEN)
		avail = INSN_MAX_LEN;
	*in = (struct insn){ .reg = INSN_NOREG };
	if ((r = insn_prefixes(buf, avail, mode, &p)) != INSN_OK)
		return r == INSN_SHORT && avail == INSN_MAX_LEN ? INSN_UNKNOWN : r;
	pos = p.n;
	op = buf[pos++];
	in->addrsize = insn_addrsize(&p, mode);
	in->seg = p.seg;
	in->seg_override = p.seg_set;
	in->lock = p.lock;
	in->mem = (struct insn_mem){ .base = INSN_NOREG, .index = INSN_NOREG, .scale = 1 };
	if (insn_string(op, &p, mode, in))
		r = INSN_OK;
	else if (op >= 0xa0 && op <= 0xa3)
		r = insn_moffs(buf, avail, &pos, op, &p, mode, in);
	else if (op == 0x88 || op == 0x89 || op == 0x8a || op == 0x8b || op == 0xc6 || op == 0xc7)
		r = insn_mov(buf, avail, &pos, op, &p, mode, in);
	else if (op == 0x0f)
		r = insn_movx(buf, avail, &pos, &p, mode, in);
	else
		r = INSN_UNKNOWN;
	if (r == INSN_OK)
		in->len = pos;
	if (r == INSN_OK && !in->dstsize)
		in->dstsize = in->opsize;
	/* Bytes missing past the 15th: the instruction is too long, not short. */
	return r == INSN_SHORT && avail == INSN_MAX_LEN ? INSN_UNKNOWN : r;
}

uint64_t insn_mem_offset(const struct insn *in, const uint64_t gpr[16], uint64_t next_rip)
{
	uint64_t off = (uint64_t)in->mem.disp;

	if (in->mem.base == INSN_RIP)
		off += next_rip;
	else if (in->mem.base != INSN_NOREG)
		off += gpr[in->mem.base];
	if (in->mem.index != INSN_NOREG)
		off += gpr[in->mem.index] * in->mem.scale;
	return off & insn_mask(in->addrsize);
}

uint64_t insn_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

uint64_t insn_reg_write(uint64_t old, uint64_t val, unsigned size)
{
	if (size >= 8)
		return val;
	if (size == 4)
		return (uint32_t)val;
	return (old & ~insn_mask(size)) | (val & insn_mask(size));
}

const char *insn_seg_name(enum insn_seg seg)
{
	static const char *const names[] = { "es", "cs", "ss", "ds", "fs", "gs" };

	return (unsigned)seg < 6 ? names[seg] : "?";
}
