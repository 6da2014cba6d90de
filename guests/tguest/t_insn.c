/*
 * insn: privileged and VMX instructions a guest may try, and what the hv
 * makes of them (each traps to the hv, SDM "Instructions That Cause VM
 * Exits Unconditionally"):
 *   VMXON, VMCALL-free VMX instructions -> #UD (the platform has no VMX)
 *   INVD                                -> runs (as WBINVD), no fault
 *   XSETBV XCR0 = x87|SSE               -> accepted (with CR4.OSXSAVE)
 *   XSETBV XCR0 = 0, or XCR1            -> #GP
 * Each instruction is emitted with a known length; the fault handler
 * records the vector and skips it.
 */
#include "tguest.h"

static struct checks ck = { .prefix = "insn" };
static volatile unsigned fault_vec, skip;

static void catch_fault(struct regs *r)
{
	fault_vec = r->vec;
	r->eip += skip;
}

/* Runs the instruction in the asm block (len bytes); returns the vector it raised, or 0. */
#define TRY(len, ...) ({ fault_vec = 0; skip = (len); __asm__ volatile(__VA_ARGS__); fault_vec; })

void test_insn(void)
{
	static uint64_t vmxon_region __attribute__((aligned(8)));
	uint32_t a, b, c, d;

	idt_set_handler(6, catch_fault);
	idt_set_handler(13, catch_fault);
	if (!tg_under_hv) {
		check_skip(&ck, "vmxon #UD", "not under the hv");
		checks_finish(&ck);
	}
	/* vmxon m64: F3 0F C7 /6 with a [eax] operand: f3 0f c7 30 (4 bytes). */
	unsigned v = TRY(4, ".byte 0xf3, 0x0f, 0xc7, 0x30" :: "a"(&vmxon_region) : "memory");
	check(&ck, "vmxon #UD", v == 6, "vector %u", v);
	/* vmptrst [eax]: 0f c7 38 (3 bytes). */
	v = TRY(3, ".byte 0x0f, 0xc7, 0x38" :: "a"(&vmxon_region) : "memory");
	check(&ck, "vmptrst #UD", v == 6, "vector %u", v);
	v = TRY(2, "invd");
	check(&ck, "invd runs", v == 0, "vector %u", v);
	cpuid(1, &a, &b, &c, &d);
	if (!(c & (1u << 26))) {
		check_skip(&ck, "xsetbv", "no XSAVE");
		checks_finish(&ck);
	}
	write_cr4(read_cr4() | (1u << 9) | (1u << 18));          /* OSFXSR, OSXSAVE */
	v = TRY(3, "xsetbv" :: "c"(0), "a"(3), "d"(0));
	check(&ck, "xsetbv x87|sse accepted", v == 0, "vector %u", v);
	v = TRY(3, "xsetbv" :: "c"(0), "a"(0), "d"(0));
	check(&ck, "xsetbv xcr0=0 #GP", v == 13, "vector %u", v);
	v = TRY(3, "xsetbv" :: "c"(1), "a"(1), "d"(0));
	check(&ck, "xsetbv xcr1 #GP", v == 13, "vector %u", v);
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	check(&ck, "xgetbv reads back", lo == 3 && hi == 0, "xcr0 0x%x", lo);
	checks_finish(&ck);
}
