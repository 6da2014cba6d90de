/*
 * Unit tests for hv/insn.c: the decoder of memory moves and string I/O.
 * The encodings were produced by GNU as (.code16/.code32/.code64) and
 * checked against objdump; each row names the instruction it encodes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "insn.h"

#define NR INSN_NOREG

struct row {
	const char *what;
	enum insn_mode mode;
	uint8_t bytes[16];
	unsigned nbytes;
	enum insn_kind kind;
	unsigned len, opsize, addrsize;
	enum insn_seg seg;
	bool rep, has_mem;
	int reg;                     /* INSN_NOREG for string forms and immediates */
	bool high8;
	int base, index;
	unsigned scale;
	int64_t disp;
	bool has_imm;
	uint64_t imm;
};

#define B(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

static const struct row rows[] = {
	{ "mov %al,(%rdi)", INSN_MODE64, B(0x88, 0x07), INSN_MOV_STORE, 2, 1, 8, INSN_DS, 0, 1, 0, 0, 7, NR, 1, 0, 0, 0 },
	{ "mov %eax,0x12345678(%rip)", INSN_MODE64, B(0x89, 0x05, 0x78, 0x56, 0x34, 0x12), INSN_MOV_STORE,
	  6, 4, 8, INSN_DS, 0, 1, 0, 0, INSN_RIP, NR, 1, 0x12345678, 0, 0 },
	{ "mov %r8,0x8(%rsp,%r9,4)", INSN_MODE64, B(0x4e, 0x89, 0x44, 0x8c, 0x08), INSN_MOV_STORE,
	  5, 8, 8, INSN_SS, 0, 1, 8, 0, 4, 9, 4, 8, 0, 0 },
	{ "movw $0x1234,%fs:(%rbx)", INSN_MODE64, B(0x64, 0x66, 0xc7, 0x03, 0x34, 0x12), INSN_MOV_STORE,
	  6, 2, 8, INSN_FS, 0, 1, NR, 0, 3, NR, 1, 0, 1, 0x1234 },
	{ "movq $-1,-0x8(%rbp)", INSN_MODE64, B(0x48, 0xc7, 0x45, 0xf8, 0xff, 0xff, 0xff, 0xff), INSN_MOV_STORE,
	  8, 8, 8, INSN_SS, 0, 1, NR, 0, 5, NR, 1, -8, 1, ~0ull },
	{ "movb $0x55,0x0(%r13)", INSN_MODE64, B(0x41, 0xc6, 0x45, 0x00, 0x55), INSN_MOV_STORE,
	  5, 1, 8, INSN_DS, 0, 1, NR, 0, 13, NR, 1, 0, 1, 0x55 },
	{ "mov %eax,(%r12)", INSN_MODE64, B(0x41, 0x89, 0x04, 0x24), INSN_MOV_STORE,
	  4, 4, 8, INSN_DS, 0, 1, 0, 0, 12, NR, 1, 0, 0, 0 },
	{ "rep stos %rax,%es:(%rdi)", INSN_MODE64, B(0xf3, 0x48, 0xab), INSN_STOS, 3, 8, 8, INSN_ES, 1, 0, NR, 0, NR, NR, 1, 0, 0, 0 },
	{ "rep movsb", INSN_MODE64, B(0xf3, 0xa4), INSN_MOVS, 2, 1, 8, INSN_DS, 1, 0, NR, 0, NR, NR, 1, 0, 0, 0 },
	{ "rep insb (%dx),%es:(%rdi)", INSN_MODE64, B(0xf3, 0x6c), INSN_INS, 2, 1, 8, INSN_ES, 1, 0, NR, 0, NR, NR, 1, 0, 0, 0 },
	{ "rep outsw %ds:(%rsi),(%dx)", INSN_MODE64, B(0x66, 0xf3, 0x6f), INSN_OUTS, 3, 2, 8, INSN_DS, 1, 0, NR, 0, NR, NR, 1, 0, 0, 0 },
	{ "rex.w outsl: INS/OUTS stay 32-bit", INSN_MODE64, B(0x48, 0x6f), INSN_OUTS, 2, 4, 8, INSN_DS, 0, 0, NR, 0, NR, NR, 1, 0, 0, 0 },
	{ "mov %ah,(%rsi)", INSN_MODE64, B(0x88, 0x26), INSN_MOV_STORE, 2, 1, 8, INSN_DS, 0, 1, 4, 1, 6, NR, 1, 0, 0, 0 },
	{ "mov %sil,(%rsi)", INSN_MODE64, B(0x40, 0x88, 0x36), INSN_MOV_STORE, 3, 1, 8, INSN_DS, 0, 1, 6, 0, 6, NR, 1, 0, 0, 0 },
	{ "mov (%rax),%r10d", INSN_MODE64, B(0x44, 0x8b, 0x10), INSN_MOV_LOAD, 3, 4, 8, INSN_DS, 0, 1, 10, 0, 0, NR, 1, 0, 0, 0 },
	{ "movabs %eax,0x1122334455667788", INSN_MODE64, B(0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  INSN_MOV_STORE, 9, 4, 8, INSN_DS, 0, 1, 0, 0, NR, NR, 1, 0x1122334455667788ll, 0, 0 },
	{ "mov %ecx,(%eax) (addr32)", INSN_MODE64, B(0x67, 0x89, 0x08), INSN_MOV_STORE, 3, 4, 4, INSN_DS, 0, 1, 1, 0, 0, NR, 1, 0, 0, 0 },
	{ "rex.w then 66: the REX is dropped", INSN_MODE64, B(0x48, 0x66, 0x89, 0x07), INSN_MOV_STORE,
	  4, 2, 8, INSN_DS, 0, 1, 0, 0, 7, NR, 1, 0, 0, 0 },
	{ "es mov %eax,(%rdi) in 64-bit mode", INSN_MODE64, B(0x26, 0x89, 0x07), INSN_MOV_STORE, 3, 4, 8, INSN_ES, 0, 1, 0, 0, 7, NR, 1, 0, 0, 0 },
	{ "mov %rax,%rbx (no memory operand)", INSN_MODE64, B(0x48, 0x89, 0xc3), INSN_MOV_STORE, 3, 8, 8, INSN_DS, 0, 0, 0, 0, 3, NR, 1, 0, 0, 0 },
	/* 32-bit code */
	{ "mov %eax,(%ebx)", INSN_MODE32, B(0x89, 0x03), INSN_MOV_STORE, 2, 4, 4, INSN_DS, 0, 1, 0, 0, 3, NR, 1, 0, 0, 0 },
	{ "mov %ax,0x2(%ebp)", INSN_MODE32, B(0x66, 0x89, 0x45, 0x02), INSN_MOV_STORE, 4, 2, 4, INSN_SS, 0, 1, 0, 0, 5, NR, 1, 2, 0, 0 },
	{ "movl $7,0x100(,%esi,2)", INSN_MODE32, B(0xc7, 0x04, 0x75, 0x00, 0x01, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00),
	  INSN_MOV_STORE, 11, 4, 4, INSN_DS, 0, 1, NR, 0, NR, 6, 2, 0x100, 1, 7 },
	{ "mov %eax,%es:(%edi)", INSN_MODE32, B(0x26, 0x89, 0x07), INSN_MOV_STORE, 3, 4, 4, INSN_ES, 0, 1, 0, 0, 7, NR, 1, 0, 0, 0 },
	{ "mov %al,(%bx,%si) (addr16)", INSN_MODE32, B(0x67, 0x88, 0x00), INSN_MOV_STORE, 3, 1, 2, INSN_DS, 0, 1, 0, 0, 3, 6, 1, 0, 0, 0 },
	{ "rep stosl", INSN_MODE32, B(0xf3, 0xab), INSN_STOS, 2, 4, 4, INSN_ES, 1, 0, NR, 0, NR, NR, 1, 0, 0, 0 },
	{ "rep outsb %fs:(%esi)", INSN_MODE32, B(0x64, 0xf3, 0x6e), INSN_OUTS, 3, 1, 4, INSN_FS, 1, 0, NR, 0, NR, NR, 1, 0, 0, 0 },
	{ "es rep stosb: STOS ignores the override", INSN_MODE32, B(0x2e, 0xf3, 0xaa), INSN_STOS, 3, 1, 4, INSN_ES, 1, 0, NR, 0, NR, NR, 1, 0, 0, 0 },
	{ "repne movsw acts as rep", INSN_MODE32, B(0x66, 0xf2, 0xa5), INSN_MOVS, 3, 2, 4, INSN_DS, 1, 0, NR, 0, NR, NR, 1, 0, 0, 0 },
	{ "mov %eax,0x1234 (moffs32)", INSN_MODE32, B(0xa3, 0x34, 0x12, 0x00, 0x00), INSN_MOV_STORE, 5, 4, 4, INSN_DS, 0, 1, 0, 0, NR, NR, 1, 0x1234, 0, 0 },
	{ "mov 0x0(%esp),%ebp uses SS", INSN_MODE32, B(0x8b, 0x2c, 0x24), INSN_MOV_LOAD, 3, 4, 4, INSN_SS, 0, 1, 5, 0, 4, NR, 1, 0, 0, 0 },
	{ "mov %eax,%ds:(%ebp): the override wins", INSN_MODE32, B(0x3e, 0x89, 0x45, 0x00), INSN_MOV_STORE, 4, 4, 4, INSN_DS, 0, 1, 0, 0, 5, NR, 1, 0, 0, 0 },
	{ "mov %eax,0xfffffff0(%ebx) disp32 sign-extends", INSN_MODE32, B(0x89, 0x83, 0xf0, 0xff, 0xff, 0xff), INSN_MOV_STORE,
	  6, 4, 4, INSN_DS, 0, 1, 0, 0, 3, NR, 1, -16, 0, 0 },
	/* 16-bit code */
	{ "mov %ax,(%bx)", INSN_MODE16, B(0x89, 0x07), INSN_MOV_STORE, 2, 2, 2, INSN_DS, 0, 1, 0, 0, 3, NR, 1, 0, 0, 0 },
	{ "movb $1,0x10(%bp,%di)", INSN_MODE16, B(0xc6, 0x43, 0x10, 0x01), INSN_MOV_STORE, 4, 1, 2, INSN_SS, 0, 1, NR, 0, 5, 7, 1, 0x10, 1, 1 },
	{ "mov %ax,0x1234 (moffs16)", INSN_MODE16, B(0xa3, 0x34, 0x12), INSN_MOV_STORE, 3, 2, 2, INSN_DS, 0, 1, 0, 0, NR, NR, 1, 0x1234, 0, 0 },
	{ "mov %eax,(%bx) (data32)", INSN_MODE16, B(0x66, 0x89, 0x07), INSN_MOV_STORE, 3, 4, 2, INSN_DS, 0, 1, 0, 0, 3, NR, 1, 0, 0, 0 },
	{ "mov %ax,0x1234 (disp16 alone)", INSN_MODE16, B(0x89, 0x06, 0x34, 0x12), INSN_MOV_STORE, 4, 2, 2, INSN_DS, 0, 1, 0, 0, NR, NR, 1, 0x1234, 0, 0 },
	{ "rep stosw", INSN_MODE16, B(0xf3, 0xab), INSN_STOS, 2, 2, 2, INSN_ES, 1, 0, NR, 0, NR, NR, 1, 0, 0, 0 },
	{ "mov %al,(%edi) (addr32 in 16-bit code)", INSN_MODE16, B(0x67, 0x88, 0x07), INSN_MOV_STORE, 3, 1, 4, INSN_DS, 0, 1, 0, 0, 7, NR, 1, 0, 0, 0 },
};

static const struct row *find_row(const char *what)
{
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!strcmp(rows[i].what, what))
			return &rows[i];
	fail_msg("no row %s", what);
	return NULL;
}

static void check_row(const struct row *r)
{
	struct insn in;
	enum insn_result res = insn_decode(r->bytes, r->nbytes, r->mode, &in);

	if (res != INSN_OK)
		print_error("%s: result %d\n", r->what, res);
	assert_int_equal(res, INSN_OK);
#define EQ(field, want) do { if ((uint64_t)(field) != (uint64_t)(want)) \
	print_error("%s: " #field " is 0x%llx, want 0x%llx\n", r->what, (unsigned long long)(field), \
		    (unsigned long long)(want)); assert_true((uint64_t)(field) == (uint64_t)(want)); } while (0)
	EQ(in.kind, r->kind);
	EQ(in.len, r->len);
	EQ(in.opsize, r->opsize);
	EQ(in.addrsize, r->addrsize);
	EQ(in.seg, r->seg);
	EQ(in.rep, r->rep);
	EQ(in.has_mem, r->has_mem);
	EQ(in.reg, r->reg);
	EQ(in.reg_high8, r->high8);
	if (r->kind != INSN_STOS && r->kind != INSN_MOVS && r->kind != INSN_INS && r->kind != INSN_OUTS) {
		EQ(in.mem.base, r->base);
		if (r->has_mem) {
			EQ(in.mem.index, r->index);
			EQ(in.mem.scale, r->scale);
			EQ(in.mem.disp, r->disp);
		}
	}
	EQ(in.has_imm, r->has_imm);
	EQ(in.imm, r->imm);
#undef EQ
}

static void test_each_form_decodes_with_its_length_and_operands(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i]);
}

static void test_a_truncated_instruction_asks_for_more_bytes(void **state)
{
	struct insn in;

	(void)state;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (unsigned n = 0; n < rows[i].nbytes; n++) {
			enum insn_result res = insn_decode(rows[i].bytes, n, rows[i].mode, &in);
			if (res != INSN_SHORT)
				print_error("%s cut at %u bytes: result %d\n", rows[i].what, n, res);
			assert_int_equal(res, INSN_SHORT);
		}
}

/* MOVZX/MOVSX from memory: the memory operand's size, the register's, and the extension. */
static void test_movzx_and_movsx_from_memory(void **state)
{
	static const struct { uint8_t b[8]; unsigned n; enum insn_mode mode; unsigned len, opsize, dstsize; bool sx;
			      int reg, base; } m[] = {
		{ { 0x0f, 0xb6, 0x03 }, 3, INSN_MODE32, 3, 1, 4, false, 0, 3 },              /* movzbl (%ebx),%eax */
		{ { 0x0f, 0xb7, 0x4e, 0x04 }, 4, INSN_MODE32, 4, 2, 4, false, 1, 6 },        /* movzwl 4(%esi),%ecx */
		{ { 0x66, 0x0f, 0xbe, 0x07 }, 4, INSN_MODE32, 4, 1, 2, true, 0, 7 },         /* movsbw (%edi),%ax */
		{ { 0x4c, 0x0f, 0xbf, 0x00 }, 4, INSN_MODE64, 4, 2, 8, true, 8, 0 },         /* movswq (%rax),%r8 */
	};
	struct insn in;

	(void)state;
	for (unsigned i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		assert_int_equal(insn_decode(m[i].b, m[i].n, m[i].mode, &in), INSN_OK);
		assert_int_equal(in.kind, INSN_MOV_LOAD);
		assert_int_equal(in.len, m[i].len);
		assert_int_equal(in.opsize, m[i].opsize);
		assert_int_equal(in.dstsize, m[i].dstsize);
		assert_int_equal(in.sign_extend, m[i].sx);
		assert_int_equal(in.reg, m[i].reg);
		assert_int_equal(in.mem.base, m[i].base);
		assert_true(in.has_mem);
		/* One byte short: more bytes are asked for. */
		assert_int_equal(insn_decode(m[i].b, m[i].n - 1, m[i].mode, &in), INSN_SHORT);
	}
	/* A plain MOV writes a register of its own size. */
	assert_int_equal(insn_decode((const uint8_t[]){ 0x8b, 0x03 }, 2, INSN_MODE32, &in), INSN_OK);
	assert_int_equal(in.dstsize, 4);
	assert_false(in.sign_extend);
}

static void test_other_instructions_are_not_decoded(void **state)
{
	static const uint8_t other[][4] = {
		{ 0x01, 0x07 },              /* add %eax,(%rdi) */
		{ 0x0f, 0x11, 0x07 },        /* movups %xmm0,(%rdi) */
		{ 0xc6, 0xf8, 0x00 },        /* xabort: C6 /7 */
		{ 0xc7, 0x4f, 0x00, 0 },     /* C7 /1 */
		{ 0xff, 0x07 },              /* incl (%rdi) */
		{ 0x87, 0x07 },              /* xchg */
		{ 0xa9, 0, 0, 0 },           /* test $imm32,%eax */
		{ 0x0f, 0xb0, 0x07 },        /* cmpxchg %al,(%edi) */
		{ 0x0f, 0xaf, 0x07 },        /* imul (%edi),%eax */
	};
	struct insn in;

	(void)state;
	for (unsigned i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(insn_decode(other[i], 4, INSN_MODE32, &in), INSN_UNKNOWN);
}

static void test_more_than_fifteen_bytes_is_not_an_instruction(void **state)
{
	uint8_t b[20];
	struct insn in;

	(void)state;
	memset(b, 0x66, sizeof(b));
	b[13] = 0x89, b[14] = 0x07;                          /* 13 prefixes + 2 bytes: 15, fine */
	assert_int_equal(insn_decode(b, sizeof(b), INSN_MODE32, &in), INSN_OK);
	assert_int_equal(in.len, 15);
	memset(b, 0x66, sizeof(b));
	b[14] = 0x89, b[15] = 0x07;                          /* 14 prefixes + 2 bytes: 16 */
	assert_int_equal(insn_decode(b, sizeof(b), INSN_MODE32, &in), INSN_UNKNOWN);
	memset(b, 0x66, sizeof(b));
	b[12] = 0xc7, b[13] = 0x07;                          /* 12 + c7 07 + imm32: 18 */
	assert_int_equal(insn_decode(b, sizeof(b), INSN_MODE32, &in), INSN_UNKNOWN);
}

static void test_rex_is_only_a_prefix_in_64bit_mode(void **state)
{
	static const uint8_t b[] = { 0x48, 0x89, 0x07 };
	struct insn in;

	(void)state;
	/* In 32-bit code 0x48 is DEC EAX: not a form the decoder knows. */
	assert_int_equal(insn_decode(b, sizeof(b), INSN_MODE32, &in), INSN_UNKNOWN);
	assert_int_equal(insn_decode(b, sizeof(b), INSN_MODE64, &in), INSN_OK);
	assert_int_equal(in.opsize, 8);
}

static void test_memory_offset_follows_base_index_scale_and_address_size(void **state)
{
	uint64_t gpr[16] = { 0 };
	const struct row *r;
	struct insn in;

	(void)state;
	gpr[4] = 0x1000;             /* rsp */
	gpr[9] = 0x10;               /* r9 */
	r = find_row("mov %r8,0x8(%rsp,%r9,4)");
	assert_int_equal(insn_decode(r->bytes, r->nbytes, INSN_MODE64, &in), INSN_OK);
	assert_int_equal(insn_mem_offset(&in, gpr, 0), 0x1000 + 0x40 + 8);
	/* RIP-relative: from the next instruction. */
	r = find_row("mov %eax,0x12345678(%rip)");
	assert_int_equal(insn_decode(r->bytes, r->nbytes, INSN_MODE64, &in), INSN_OK);
	assert_int_equal(insn_mem_offset(&in, gpr, 0x400006), 0x400006 + 0x12345678);
	/* 16-bit addressing wraps at 64 KiB: bp + di + 0x10. */
	gpr[5] = 0xfff8, gpr[7] = 0x4;
	assert_int_equal(insn_decode((const uint8_t[]){ 0xc6, 0x43, 0x10, 0x01 }, 4, INSN_MODE16, &in), INSN_OK);
	assert_int_equal(insn_mem_offset(&in, gpr, 0), (0xfff8 + 0x4 + 0x10) & 0xffff);
	/* 32-bit addressing wraps at 4 GiB: ebx - 16 with ebx = 8. */
	gpr[3] = 8;
	r = find_row("mov %eax,0xfffffff0(%ebx) disp32 sign-extends");
	assert_int_equal(insn_decode(r->bytes, r->nbytes, INSN_MODE32, &in), INSN_OK);
	assert_int_equal(insn_mem_offset(&in, gpr, 0), 0xfffffff8u);
}

static void test_register_writes_follow_the_address_size(void **state)
{
	(void)state;
	assert_int_equal(insn_mask(2), 0xffff);
	assert_int_equal(insn_mask(4), 0xffffffffull);
	assert_int_equal(insn_mask(8), ~0ull);
	assert_int_equal(insn_reg_write(0x1122334455667788ull, 0x10000, 2), 0x1122334455660000ull);
	assert_int_equal(insn_reg_write(0x1122334455667788ull, 0x1fffffffeull, 4), 0xfffffffeull);
	assert_int_equal(insn_reg_write(0x1122334455667788ull, 5, 8), 5);
}

static void test_segment_names(void **state)
{
	(void)state;
	assert_string_equal(insn_seg_name(INSN_ES), "es");
	assert_string_equal(insn_seg_name(INSN_GS), "gs");
	assert_string_equal(insn_seg_name((enum insn_seg)9), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_form_decodes_with_its_length_and_operands),
		cmocka_unit_test(test_a_truncated_instruction_asks_for_more_bytes),
		cmocka_unit_test(test_movzx_and_movsx_from_memory),
		cmocka_unit_test(test_other_instructions_are_not_decoded),
		cmocka_unit_test(test_more_than_fifteen_bytes_is_not_an_instruction),
		cmocka_unit_test(test_rex_is_only_a_prefix_in_64bit_mode),
		cmocka_unit_test(test_memory_offset_follows_base_index_scale_and_address_size),
		cmocka_unit_test(test_register_writes_follow_the_address_size),
		cmocka_unit_test(test_segment_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
