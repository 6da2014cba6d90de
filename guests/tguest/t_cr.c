/*
 * cr: control registers as the guest platform shows them (no VMX: CR4.VMXE
 * reads 0 and cannot be set, CPUID hides VMX and sets the hypervisor bit),
 * then the switch to long mode: identity page tables for the first 4 MiB,
 * CR4.PAE, EFER.LME, CR3, CR0.PG and a far jump to a 64-bit code segment.
 * The 64-bit part prints on 0xE9 byte by byte, checks EFER.LMA and ends
 * through port 0xF4 itself.
 */
#include "tguest.h"

#define CR4_PAE   (1u << 5)
#define CR4_VMXE  (1u << 13)
#define NOT_HV    "not under the hv"

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));

void tg_long_mode(uint32_t cr3, uint32_t status) __attribute__((noreturn));

/*
 * tg_long_mode(cr3, status): cdecl, interrupts off. Prints the long-mode
 * lines from 64-bit code and writes status (or 1 if EFER.LMA is clear) to
 * port 0xF4. No stack use after the jump: RSP's upper half is undefined.
 */
__asm__(
	".pushsection .text\n"
	".code32\n"
	".globl tg_long_mode\n"
	"tg_long_mode:\n"
	"	cli\n"
	"	movl 8(%esp), %edi\n"
	"	movl 4(%esp), %eax\n"
	"	movl %eax, %cr3\n"
	"	movl %cr4, %eax\n"
	"	orl $0x20, %eax\n"                 /* CR4.PAE */
	"	movl %eax, %cr4\n"
	"	movl $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	orl $0x100, %eax\n"                /* EFER.LME */
	"	wrmsr\n"
	"	movl %cr0, %eax\n"
	"	orl $0x80000001, %eax\n"           /* CR0.PG | PE */
	"	movl %eax, %cr0\n"
	"	ljmp $0x18, $tg_lm64\n"
	".code64\n"
	"tg_lm64:\n"
	"	leaq tg_lm_msg_ok(%rip), %rsi\n"
	"	movl $0xe9, %edx\n"
	"1:	lodsb\n"
	"	testb %al, %al\n"
	"	jz 2f\n"
	"	outb %al, %dx\n"
	"	jmp 1b\n"
	"2:	movl $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	leaq tg_lm_msg_lma(%rip), %rsi\n"
	"	testl $0x400, %eax\n"              /* EFER.LMA */
	"	jnz 3f\n"
	"	leaq tg_lm_msg_nolma(%rip), %rsi\n"
	"	movl $1, %edi\n"
	"3:	movl $0xe9, %edx\n"
	"4:	lodsb\n"
	"	testb %al, %al\n"
	"	jz 5f\n"
	"	outb %al, %dx\n"
	"	jmp 4b\n"
	"5:	leaq tg_lm_msg_exit0(%rip), %rsi\n"
	"	testl %edi, %edi\n"
	"	jz 6f\n"
	"	leaq tg_lm_msg_exit1(%rip), %rsi\n"
	"6:	lodsb\n"
	"	testb %al, %al\n"
	"	jz 7f\n"
	"	outb %al, %dx\n"
	"	jmp 6b\n"
	"7:	movl %edi, %eax\n"
	"	movl $0xf4, %edx\n"
	"	outb %al, %dx\n"
	"8:	hlt\n"
	"	jmp 8b\n"
	".code32\n"
	".popsection\n"
	".pushsection .rodata\n"
	"tg_lm_msg_ok:    .asciz \"cr: long mode ok\\n\"\n"
	"tg_lm_msg_lma:   .asciz \"cr: efer.lma ok\\n\"\n"
	"tg_lm_msg_nolma: .asciz \"cr: efer.lma FAIL (EFER.LMA clear in 64-bit mode)\\n\"\n"
	"tg_lm_msg_exit0: .asciz \"cr: exit 0\\n\"\n"
	"tg_lm_msg_exit1: .asciz \"cr: exit 1\\n\"\n"
	".popsection\n");

static struct checks ck = { .prefix = "cr" };

void test_cr(void)
{
	uint32_t cr4 = read_cr4(), a, b, c, d, got;
	int rc;

	tg_printf("cr: info cr0 0x%08x cr4 0x%08x\n", read_cr0(), cr4);
	check(&ck, "vmxe hidden", !(cr4 & CR4_VMXE), "CR4 reads 0x%08x: VMXE set", cr4);

	cpuid(1, &a, &b, &c, &d);
	check(&ck, "cpuid vmx hidden", !(c & (1u << 5)), "CPUID.1:ECX 0x%08x has VMX (bit 5)", c);
	if (tg_under_hv)
		check(&ck, "cpuid hypervisor bit", (c >> 31) & 1, "CPUID.1:ECX 0x%08x lacks bit 31", c);
	else
		check_skip(&ck, "cpuid hypervisor bit", NOT_HV);

	write_cr4(cr4 | CR4_PAE);
	got = read_cr4();
	check(&ck, "pae", (got & CR4_PAE) && !(got & CR4_VMXE), "wrote 0x%08x, read back 0x%08x",
	      cr4 | CR4_PAE, got);
	cr4 = got;

	if (tg_under_hv) {
		rc = safe_write_cr4(cr4 | CR4_VMXE);
		got = read_cr4();
		check(&ck, "vmxe write #GP", rc < 0 && !(got & CR4_VMXE),
		      "mov to CR4 of 0x%08x %s; CR4 now 0x%08x", cr4 | CR4_VMXE, rc < 0 ? "did #GP" : "did not #GP",
		      got);
	} else {
		check_skip(&ck, "vmxe write #GP", NOT_HV);
	}

	cpuid(0x80000000u, &a, &b, &c, &d);
	if (a < 0x80000001u)
		tg_fail_exit(1, "cr: long mode FAIL (CPUID max extended leaf 0x%x)\n", a);
	cpuid(0x80000001u, &a, &b, &c, &d);
	if (!(d & (1u << 29)))
		tg_fail_exit(1, "cr: long mode FAIL (CPUID.80000001:EDX 0x%08x lacks LM)\n", d);

	pml4[0] = (uint32_t)pdpt | 3;             /* present, writable */
	pdpt[0] = (uint32_t)pd | 3;
	pd[0] = 0x000000 | 0x83;                  /* 2 MiB page, present, writable */
	pd[1] = 0x200000 | 0x83;
	tg_printf("cr: entering long mode (%u checks, %u failed so far)\n", ck.n, ck.failed);
	tg_long_mode((uint32_t)pml4, ck.failed ? 1 : 0);
}
