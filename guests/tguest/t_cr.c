/*
 * cr: control registers as the guest platform shows them (no VMX: CR4.VMXE
 * reads 0 and cannot be set, CPUID hides VMX and sets the hypervisor bit),
 * then the switch to long mode through lm_call: a 64-bit probe prints on
 * 0xE9 byte by byte and returns EFER, which must show LMA.
 *
 * lm_call runs a 64-bit routine and comes back: identity page tables for
 * the first GiB (2 MiB pages), CR4.PAE, EFER.LME, CR3, CR0.PG, a far jump
 * to the 64-bit code segment and a 64-bit IDT whose stubs record a fault
 * (struct lm_fault) and skip the faulting instruction when asked; then a
 * far return to 32-bit code (compatibility mode), CR0.PG cleared there
 * (SDM "IA-32e Mode Operation": leaving long mode), EFER.LME and CR4 back.
 *
 * exact: what a CPU gives for control-register writes it refuses and for
 * single-stepping an emulated instruction (issue 8 item 2):
 *   - CR0.PG set with PAE and a PDPTE with a reserved bit: #GP, paging
 *     stays off; the same with a valid PDPTE: paging on; MOV CR3 of a
 *     table with a reserved bit while PAE paging is on: #GP, CR3 kept;
 *   - CR0.PG cleared in 64-bit code (CS.L = 1): #GP at that instruction,
 *     paging stays on (leaving it from compatibility mode works: lm_call);
 *   - CPUID (which the hv emulates) with EFLAGS.TF = 1: a single-step #DB
 *     at the next instruction with DR6.BS set.
 */
#include "tguest.h"

#define CR0_PG    0x80000000u
#define CR4_PAE   (1u << 5)
#define CR4_VMXE  (1u << 13)
#define EFLAGS_TF (1u << 8)
#define DR6_BS    (1u << 14)
#define NOT_HV    "not under the hv"

uint64_t lm_pml4[512] __attribute__((aligned(4096)));
static uint64_t lm_pdpt[512] __attribute__((aligned(4096)));
static uint64_t lm_pd[512] __attribute__((aligned(4096)));
uint64_t lm_idt64[2 * LM_NVECTORS] __attribute__((aligned(16)));
volatile struct lm_fault lm_fault;

/*
 * lm_enter(fn64, arg): cdecl, 32-bit. Enters long mode with interrupts off,
 * calls fn64(arg) (SysV: RDI) on the same stack, returns its EAX after
 * leaving long mode; EFLAGS (IF) and CR4 as before. An exception in 64-bit
 * code with lm_fault.skip = 0 returns LM_FATAL | vector instead.
 */
__asm__(
	".pushsection .text\n"
	".code32\n"
	".globl lm_enter\n"
	"lm_enter:\n"
	"	pushl %ebp\n"
	"	pushl %ebx\n"
	"	pushl %esi\n"
	"	pushl %edi\n"
	"	pushfl\n"
	"	cli\n"
	"	movl 24(%esp), %ebx\n"             /* fn64 */
	"	movl 28(%esp), %esi\n"             /* arg */
	"	movl %esp, lm_saved_esp\n"
	"	sidt lm_idtr32\n"
	"	movl $lm_pml4, %eax\n"
	"	movl %eax, %cr3\n"
	"	movl %cr4, %eax\n"
	"	movl %eax, lm_saved_cr4\n"
	"	orl $0x20, %eax\n"                 /* CR4.PAE */
	"	movl %eax, %cr4\n"
	"	movl $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	orl $0x100, %eax\n"                /* EFER.LME */
	"	wrmsr\n"
	"	movl %cr0, %eax\n"
	"	orl $0x80000001, %eax\n"           /* CR0.PG | PE */
	"	movl %eax, %cr0\n"
	"	ljmp $0x18, $lm_enter64\n"
	".code64\n"
	"lm_enter64:\n"
	"	lidt lm_idtr64(%rip)\n"
	"	movl %esp, %esp\n"                 /* RSP's upper half is undefined */
	"	movl %esi, %edi\n"
	"	movl %ebx, %ebx\n"
	"	call *%rbx\n"
	"	movl %eax, %esi\n"
	"lm_leave:\n"
	"	movl lm_saved_esp(%rip), %esp\n"
	"	pushq $0x08\n"
	"	movl $lm_back32, %eax\n"
	"	pushq %rax\n"
	"	lretq\n"
	".code32\n"
	"lm_back32:\n"                          /* compatibility mode: CS.L = 0 */
	"	movl $1, lm_leaving\n"
	"	movl %cr0, %eax\n"
	"	andl $0x7fffffff, %eax\n"
	"	movl %eax, %cr0\n"
	"	movl $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	andl $0xfffffeff, %eax\n"
	"	wrmsr\n"
	"	movl lm_saved_cr4, %eax\n"
	"	movl %eax, %cr4\n"
	"	lidt lm_idtr32\n"
	"	movl $0, lm_leaving\n"
	"	movl %esi, %eax\n"
	"	popfl\n"
	"	popl %edi\n"
	"	popl %esi\n"
	"	popl %ebx\n"
	"	popl %ebp\n"
	"	ret\n"
	/*
	 * 64-bit exception stubs: error code (0 if the CPU pushes none),
	 * vector, then lm_isr_common, which fills lm_fault and either skips
	 * lm_fault.skip bytes at RIP (and clears skip) or leaves long mode.
	 */
	".code64\n"
	".macro LM_ISR_NOERR n\n"
	"lm_isr_\\n: pushq $0\n"
	"	pushq $\\n\n"
	"	jmp lm_isr_common\n"
	".endm\n"
	".macro LM_ISR_ERR n\n"
	"lm_isr_\\n: pushq $\\n\n"
	"	jmp lm_isr_common\n"
	".endm\n"
	"LM_ISR_NOERR 0\n LM_ISR_NOERR 1\n LM_ISR_NOERR 2\n LM_ISR_NOERR 3\n"
	"LM_ISR_NOERR 4\n LM_ISR_NOERR 5\n LM_ISR_NOERR 6\n LM_ISR_NOERR 7\n"
	"LM_ISR_ERR 8\n LM_ISR_NOERR 9\n LM_ISR_ERR 10\n LM_ISR_ERR 11\n"
	"LM_ISR_ERR 12\n LM_ISR_ERR 13\n LM_ISR_ERR 14\n LM_ISR_NOERR 15\n"
	"LM_ISR_NOERR 16\n LM_ISR_ERR 17\n LM_ISR_NOERR 18\n LM_ISR_NOERR 19\n"
	"LM_ISR_NOERR 20\n LM_ISR_ERR 21\n LM_ISR_NOERR 22\n LM_ISR_NOERR 23\n"
	"LM_ISR_NOERR 24\n LM_ISR_NOERR 25\n LM_ISR_NOERR 26\n LM_ISR_NOERR 27\n"
	"LM_ISR_NOERR 28\n LM_ISR_ERR 29\n LM_ISR_ERR 30\n LM_ISR_NOERR 31\n"
	"lm_isr_common:\n"
	"	pushq %rax\n"
	"	pushq %rcx\n"
	"	movl 16(%rsp), %eax\n"
	"	movl %eax, lm_fault(%rip)\n"        /* vec */
	"	movl 24(%rsp), %eax\n"
	"	movl %eax, lm_fault+4(%rip)\n"      /* err */
	"	movq 32(%rsp), %rax\n"
	"	movq %rax, lm_fault+16(%rip)\n"     /* rip */
	"	incl lm_fault+12(%rip)\n"           /* count */
	"	movl lm_fault+8(%rip), %ecx\n"      /* skip */
	"	testl %ecx, %ecx\n"
	"	jz lm_isr_fatal\n"
	"	movl $0, lm_fault+8(%rip)\n"
	"	addq %rcx, 32(%rsp)\n"
	"	popq %rcx\n"
	"	popq %rax\n"
	"	addq $16, %rsp\n"
	"	iretq\n"
	"lm_isr_fatal:\n"
	"	cmpl $0, lm_leaving(%rip)\n"        /* a fault on the way out: give up */
	"	jne 1f\n"
	"	movl lm_fault(%rip), %esi\n"
	"	orl $0xfa170000, %esi\n"            /* LM_FATAL */
	"	jmp lm_leave\n"
	"1:	movl $2, %eax\n"
	"	movl $0xf4, %edx\n"
	"	outb %al, %dx\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	/*
	 * lm_cr_probe(): prints "cr: long mode ok" from 64-bit code, returns
	 * EFER's low half.
	 */
	"lm_cr_probe:\n"
	"	leaq lm_msg_ok(%rip), %rsi\n"
	"	movl $0xe9, %edx\n"
	"1:	lodsb\n"
	"	testb %al, %al\n"
	"	jz 2f\n"
	"	outb %al, %dx\n"
	"	jmp 1b\n"
	"2:	movl $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	ret\n"
	/*
	 * lm_pg_clear(): MOV to CR0 with PG clear in 64-bit code (a #GP the
	 * stub skips, 3 bytes); returns CR0.PG after it.
	 */
	"lm_pg_clear:\n"
	"	movl $3, lm_fault+8(%rip)\n"
	"	movq %cr0, %rax\n"
	"	btrq $31, %rax\n"
	".globl lm_pg_clear_insn\n"
	"lm_pg_clear_insn:\n"
	"	.byte 0x0f, 0x22, 0xc0\n"            /* mov %rax, %cr0 */
	"	movq %cr0, %rax\n"
	"	shrq $31, %rax\n"
	"	ret\n"
	".code32\n"
	".popsection\n"
	".pushsection .rodata\n"
	"lm_msg_ok: .asciz \"cr: long mode ok\\n\"\n"
	".balign 4\n"
	"lm_isr_table:\n"
	".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
	"24,25,26,27,28,29,30,31\n"
	"	.long lm_isr_\\n\n"
	".endr\n"
	".popsection\n"
	".pushsection .data\n"
	".balign 8\n"
	"lm_idtr64: .word 16 * 32 - 1\n"
	"	.long lm_idt64, 0\n"
	"lm_idtr32: .word 0\n"
	"	.long 0\n"
	"lm_saved_esp: .long 0\n"
	"lm_saved_cr4: .long 0\n"
	"lm_leaving: .long 0\n"
	".popsection\n");

extern const uint32_t lm_isr_table[LM_NVECTORS];
extern const char lm_cr_probe[], lm_pg_clear[], lm_pg_clear_insn[];
uint32_t lm_enter(const void *fn64, uint32_t arg);

/* Writes the 64-bit interrupt gate of vector vec (code segment 0x18, DPL 0) with IST ist. */
static void lm_gate(unsigned vec, unsigned ist)
{
	uint32_t off = lm_isr_table[vec];

	lm_idt64[2 * vec] = (off & 0xffffu) | ((uint64_t)SEL_CODE64 << 16) | ((uint64_t)ist << 32) |
			    (0x8eull << 40) | ((uint64_t)(off >> 16) << 48);
	lm_idt64[2 * vec + 1] = 0;
}

/* Builds the identity page tables and the 64-bit IDT once. */
static void lm_init(void)
{
	static int ready;
	unsigned i;

	if (ready)
		return;
	lm_pml4[0] = (uint32_t)lm_pdpt | 3;       /* present, writable */
	lm_pdpt[0] = (uint32_t)lm_pd | 3;
	for (i = 0; i < 512; i++)
		lm_pd[i] = ((uint64_t)i << 21) | 0x83;   /* 2 MiB page, present, writable */
	for (i = 0; i < LM_NVECTORS; i++)
		lm_gate(i, 0);
	ready = 1;
}

void lm_set_ist(unsigned vec, unsigned ist)
{
	lm_init();
	if (vec < LM_NVECTORS)
		lm_gate(vec, ist);
}

uint32_t lm_call(const void *fn64, uint32_t arg)
{
	lm_init();
	lm_fault.count = 0;
	lm_fault.vec = lm_fault.err = 0;
	lm_fault.rip = 0;
	return lm_enter(fn64, arg);
}

static struct checks ck = { .prefix = "cr" };

void test_cr(void)
{
	uint32_t cr4 = read_cr4(), a, b, c, d, got, efer;
	int rc, status;

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

	lm_require();
	tg_printf("cr: entering long mode (%u checks, %u failed so far)\n", ck.n, ck.failed);
	efer = lm_call(lm_cr_probe, 0);
	check(&ck, "efer.lma", (efer & LM_FATAL_MASK) != LM_FATAL && (efer & 0x400),
	      "EFER.LMA clear in 64-bit mode (EFER low 0x%x)", efer);
	status = ck.failed ? 1 : 0;
	tg_printf("cr: exit %d\n", status);
	guest_exit((uint8_t)status);
}

void lm_require(void)
{
	uint32_t a, b, c, d;

	cpuid(0x80000000u, &a, &b, &c, &d);
	if (a < 0x80000001u)
		tg_fail_exit(1, "cr: long mode FAIL (CPUID max extended leaf 0x%x)\n", a);
	cpuid(0x80000001u, &a, &b, &c, &d);
	if (!(d & (1u << 29)))
		tg_fail_exit(1, "cr: long mode FAIL (CPUID.80000001:EDX 0x%08x lacks LM)\n", d);
}

/* ---- exact ---- */

static struct checks ex = { .prefix = "exact" };
static volatile unsigned ex_vec, ex_skip, ex_err, ex_db_hits;
static volatile uint32_t ex_db_eip, ex_db_dr6;
static uint64_t pae_pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_bad[4] __attribute__((aligned(32)));
static uint64_t pae_pd[512] __attribute__((aligned(4096)));
static volatile uint32_t ex_probe = 0x5a5a1234;

static void ex_catch(struct regs *r)
{
	ex_vec = r->vec;
	ex_err = r->err;
	r->eip += ex_skip;
}

/* The single-step trap: where it came, DR6, and TF off so that it comes once. */
static void ex_db(struct regs *r)
{
	uint32_t dr6;

	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	ex_db_hits++;
	ex_db_eip = r->eip;
	ex_db_dr6 = dr6;
	r->eflags &= ~EFLAGS_TF;
}

/* MOV to CR0 / CR3 from EAX (3 bytes each); return the vector they raised, or 0. */
static unsigned ex_mov_cr0(uint32_t v)
{
	ex_vec = 0, ex_skip = 3;
	__asm__ volatile(".byte 0x0f, 0x22, 0xc0" :: "a"(v) : "memory");
	return ex_vec;
}

static unsigned ex_mov_cr3(uint32_t v)
{
	ex_vec = 0, ex_skip = 3;
	__asm__ volatile(".byte 0x0f, 0x22, 0xd8" :: "a"(v) : "memory");
	return ex_vec;
}

static uint32_t read_cr3(void)
{
	uint32_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* PAE paging (32-bit): refused with a reserved PDPTE bit, taken with a valid table. */
static void ex_pae(void)
{
	uint32_t cr0 = read_cr0(), cr4 = read_cr4(), v, cr3;
	unsigned i;

	for (i = 0; i < 512; i++)
		pae_pd[i] = ((uint64_t)i << 21) | 0x83;
	pae_pdpt[0] = (uint32_t)pae_pd | 1 | 2;         /* bit 1 (R/W) is reserved in a PDPTE */
	__asm__ volatile("mov %0, %%cr3" :: "r"((uint32_t)pae_pdpt) : "memory");
	write_cr4(cr4 | CR4_PAE);
	v = ex_mov_cr0(cr0 | CR0_PG);
	check(&ex, "pae reserved pdpte #GP", v == 13 && ex_err == 0 && !(read_cr0() & CR0_PG),
	      "CR0.PG with PDPTE 0x%llx: vector %u error 0x%x, CR0 now 0x%08x", pae_pdpt[0], v, ex_err,
	      read_cr0());

	pae_pdpt[0] = (uint32_t)pae_pd | 1;
	v = ex_mov_cr0(cr0 | CR0_PG);
	check(&ex, "pae valid pdpte paging on", v == 0 && (read_cr0() & CR0_PG) && ex_probe == 0x5a5a1234,
	      "vector %u, CR0 0x%08x, probe 0x%08x", v, read_cr0(), ex_probe);
	if (read_cr0() & CR0_PG) {
		pae_bad[0] = (uint32_t)pae_pd | 1 | (1u << 5);   /* bit 5 reserved */
		cr3 = read_cr3();
		v = ex_mov_cr3((uint32_t)pae_bad);
		check(&ex, "pae cr3 reserved pdpte #GP", v == 13 && read_cr3() == cr3,
		      "MOV CR3 of a PDPT with 0x%llx: vector %u, CR3 0x%08x (was 0x%08x)", pae_bad[0], v,
		      read_cr3(), cr3);
		v = ex_mov_cr0(cr0 & ~CR0_PG);
		check(&ex, "pae paging off", v == 0 && !(read_cr0() & CR0_PG), "vector %u, CR0 0x%08x", v,
		      read_cr0());
	}
	write_cr4(cr4);
}

/* CR0.PG cleared in 64-bit code: #GP at the MOV, paging still on after it. */
static void ex_pg_clear_64(void)
{
	uint32_t r = lm_call(lm_pg_clear, 0);

	check(&ex, "pg clear in 64-bit code #GP",
	      (r & LM_FATAL_MASK) != LM_FATAL && r == 1 && lm_fault.count == 1 && lm_fault.vec == 13 &&
	      lm_fault.err == 0 && lm_fault.rip == (uint32_t)lm_pg_clear_insn,
	      "returned 0x%x (CR0.PG after), %u faults, vector %u error 0x%x at rip 0x%llx (the MOV is at 0x%x)",
	      r, lm_fault.count, lm_fault.vec, lm_fault.err, lm_fault.rip, (uint32_t)lm_pg_clear_insn);
	check(&ex, "leave long mode from compatibility mode", !(read_cr0() & CR0_PG), "CR0 0x%08x", read_cr0());
}

/* CPUID with TF: the hv emulates it; the single-step #DB comes after it, DR6.BS set. */
static __attribute__((noinline)) void ex_single_step(void)
{
	extern const char ex_after_cpuid[];
	uint32_t a = 0, b, c = 0, d;

	__asm__ volatile("mov %0, %%dr6" :: "r"(0xffff0ff0u));
	ex_db_hits = 0;
	__asm__ volatile("pushfl\n\t"
			 "orl $0x100, (%%esp)\n\t"
			 "popfl\n\t"
			 "cpuid\n"
			 ".globl ex_after_cpuid\n"
			 "ex_after_cpuid:\n\t"
			 "nop"
			 : "+a"(a), "=b"(b), "+c"(c), "=d"(d) :: "memory");
	check(&ex, "cpuid single step #DB", ex_db_hits == 1 && ex_db_eip == (uint32_t)ex_after_cpuid &&
	      (ex_db_dr6 & DR6_BS), "%u #DB, at eip 0x%x (the next instruction is at 0x%x), DR6 0x%08x",
	      ex_db_hits, ex_db_eip, (uint32_t)ex_after_cpuid, ex_db_dr6);
}

void test_exact(void)
{
	if (!tg_under_hv) {
		/* QEMU TCG takes reserved PDPTE bits and CR0.PG cleared in 64-bit code. */
		check_skip(&ex, "all", "not under the hv: the emulator is not the reference");
		checks_finish(&ex);
	}
	idt_set_handler(13, ex_catch);
	idt_set_handler(1, ex_db);
	lm_require();
	ex_pae();
	ex_pg_clear_64();
	ex_single_step();
	checks_finish(&ex);
}
