/*
 * A small x86 instruction decoder for the forms kernels use to move data
 * to and from memory, enough to complete an instruction the hv emulates
 * after an EPT violation (which reports no instruction length) and to find
 * the segment and address size of INS/OUTS: MOV r/m from and to a
 * register (88, 89, 8A, 8B), MOV r/m from an immediate (C6 /0, C7 /0),
 * MOV with a memory offset (A0-A3), MOVZX and MOVSX from memory (0F B6,
 * 0F B7, 0F BE, 0F BF: the forms compilers emit for narrow volatile reads), STOS, MOVS, INS and OUTS (AA, AB, A4,
 * A5, 6C-6F) with their prefixes: operand size (66), address size (67),
 * segment overrides, REP/REPNE, LOCK and, in 64-bit mode, REX. ModRM, SIB,
 * displacements and RIP-relative forms are decoded (SDM "Instruction
 * Format", "Operand-Size and Address-Size Attributes", "REX Prefixes").
 * Pure: it sees only the bytes it is given.
 */
#ifndef HV_INSN_H
#define HV_INSN_H

#include <stdbool.h>
#include <stdint.h>

#define INSN_MAX_LEN 15              /* longer is #GP on the CPU */

/* The default operand and address size of the code: 16-bit, 32-bit or 64-bit mode. */
enum insn_mode { INSN_MODE16 = 2, INSN_MODE32 = 4, INSN_MODE64 = 8 };

enum insn_kind {
	INSN_MOV_STORE,              /* MOV to memory (or to a register: mod = 3, no memory operand) */
	INSN_MOV_LOAD,               /* MOV from memory */
	INSN_STOS,
	INSN_MOVS,
	INSN_INS,
	INSN_OUTS,
};

/* Segment registers, numbered as the VM-exit instruction-information field numbers them. */
enum insn_seg { INSN_ES, INSN_CS, INSN_SS, INSN_DS, INSN_FS, INSN_GS };

#define INSN_NOREG  (-1)
#define INSN_RIP    16               /* base of a RIP-relative operand */

/* A memory operand: base + index * scale + disp, in the instruction's address size. */
struct insn_mem {
	int base, index;             /* 0-15 (RAX..R15), INSN_NOREG, INSN_RIP */
	unsigned scale;              /* 1, 2, 4, 8 */
	int64_t disp;                /* sign-extended displacement; the offset for A0-A3 */
};

struct insn {
	enum insn_kind kind;
	unsigned len;                /* bytes, prefixes included */
	unsigned opsize;             /* operand size in bytes: 1, 2, 4, 8 (MOVZX/MOVSX: of the memory operand) */
	unsigned dstsize;            /* MOV from memory: bytes of the register written (MOVZX/MOVSX: wider) */
	bool sign_extend;            /* MOVSX: the value is sign-extended to dstsize, else zero-extended */
	unsigned addrsize;           /* address size in bytes: 2, 4, 8 */
	enum insn_seg seg;           /* segment of the memory operand (MOVS, OUTS: the source) */
	bool seg_override;           /* a segment prefix chose seg */
	bool rep;                    /* F3 or F2 on a string instruction */
	bool lock;
	bool has_mem;                /* a memory operand (not mod = 3) */
	struct insn_mem mem;         /* MOV forms only; string forms use RSI/RDI */
	int reg;                     /* register operand of MOV r/m, r and MOV r, r/m (0-15), else INSN_NOREG */
	bool reg_high8;              /* reg 4-7 is AH, CH, DH, BH (byte operand without REX) */
	bool has_imm;
	uint64_t imm;                /* immediate, sign-extended to 64 bits (C6, C7) */
};

enum insn_result {
	INSN_OK = 0,
	INSN_UNKNOWN = -1,           /* not one of the forms above, or longer than 15 bytes */
	INSN_SHORT = -2,             /* the bytes end before the instruction does */
};

/*
 * Decodes the instruction at buf (avail bytes may be read) as code of the
 * given mode would execute it. Returns INSN_OK and fills *in, or
 * INSN_UNKNOWN / INSN_SHORT.
 */
enum insn_result insn_decode(const uint8_t *buf, unsigned avail, enum insn_mode mode, struct insn *in);

/*
 * Returns the offset (effective address, before the segment base) of in's
 * memory operand, from the general registers (RAX..R15 in encoding order)
 * and the address of the next instruction, truncated to the address size.
 */
uint64_t insn_mem_offset(const struct insn *in, const uint64_t gpr[16], uint64_t next_rip);

/* Returns the mask of an address or operand of size bytes (2, 4, 8). */
uint64_t insn_mask(unsigned size);

/*
 * Returns register old after the CPU writes val to its low size bytes as
 * an address register (RCX, RSI, RDI of string instructions): 8 bytes
 * replace it, 4 zero-extend, 2 keep bits 63:16.
 */
uint64_t insn_reg_write(uint64_t old, uint64_t val, unsigned size);

/* Returns the name of a segment register ("es", "cs", ...). */
const char *insn_seg_name(enum insn_seg seg);

#endif
