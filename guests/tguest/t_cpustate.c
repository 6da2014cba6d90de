/*
 * cpustate: CPU state a guest keeps to itself, and instructions that must
 * not reach the machine (issue 7 item 5). `part=` chooses:
 *
 *   basic (default)  DR7 (a breakpoint on an address never touched) reads
 *                    back the same after a CPUID exit and a yield;
 *                    IA32_DEBUGCTL.BTF written and read back across an exit
 *                    (or refused with #GP and reading 0); MONITOR and MWAIT
 *                    #UD, RDPMC #GP, WBINVD and INVD complete (under the hv);
 *                    a data breakpoint on a write gives #DB after the write
 *                    with DR6.B0; an instruction breakpoint gives #DB before
 *                    the instruction with DR6.B1 and the RF the CPU pushes
 *                    (0), and once the handler sets RF execution goes on.
 *   cr8              long mode; CR8 = val (0..15), then reads CR8 back for
 *                    `ms` milliseconds (rewriting it before every read with
 *                    rewrite=1) and counts reads that were not val.
 *   storm            the #DB storm of CVE-2015-8104: long mode, #DB on IST1,
 *                    a data breakpoint on the IST1 slot the CPU pushes SS to,
 *                    then INT1. Delivering each #DB hits the breakpoint
 *                    again, so the CPU would deliver #DB forever without an
 *                    instruction boundary. Never ends by itself.
 */
#include "tguest.h"

#define DR7_FIXED   0x400u
#define DR7_LE      (1u << 8)
#define DR7_L0      (1u << 0)
#define DR7_L1      (1u << 2)
#define DR7_W0_4B   ((1u << 16) | (3u << 18))    /* R/W0 = 01 (writes), LEN0 = 11 (4 bytes) */
#define DR6_RESET   0xffff0ff0u
#define EFLAGS_RF   (1u << 16)
#define MSR_DEBUGCTL 0x1d9u
#define DEBUGCTL_BTF 2u

#define READ_DR(n) ({ uint32_t _v; __asm__ volatile("mov %%dr" #n ", %0" : "=r"(_v)); _v; })
#define WRITE_DR(n, v) __asm__ volatile("mov %0, %%dr" #n :: "r"((uint32_t)(v)) : "memory")

static struct checks ck = { .prefix = "cpustate" };

/* ---- 32-bit helpers: a write under a data breakpoint, a target of an instruction breakpoint ---- */

volatile uint32_t cs_watched, cs_ibp_ran;

__asm__(
	".pushsection .text\n"
	".code32\n"
	"cs_write_watched:\n"                  /* void cs_write_watched(void) */
	"	movl $1, cs_watched\n"
	"cs_after_write:\n"
	"	ret\n"
	"cs_ibp_target:\n"                     /* void cs_ibp_target(void): breakpoint on the first byte */
	"	movl $1, cs_ibp_ran\n"
	"	ret\n"
	".popsection\n");

void cs_write_watched(void);
void cs_ibp_target(void);
extern const char cs_after_write[];

/* ---- 64-bit routines (called through lm_call) ---- */

struct cs_cr8 {
	uint32_t val, rewrite;
	uint64_t tsc_end;
	uint32_t reads, bad, last_bad, pad;
};

__asm__(
	".pushsection .text\n"
	".code64\n"
	/* cs_cr8_loop(struct cs_cr8 *p): offsets 0 val, 4 rewrite, 8 tsc_end, 16 reads, 20 bad, 24 last_bad. */
	"cs_cr8_loop:\n"
	"	movl (%rdi), %r8d\n"
	"	movl 4(%rdi), %r9d\n"
	"	mov %r8, %cr8\n"
	"1:	testl %r9d, %r9d\n"
	"	jz 2f\n"
	"	mov %r8, %cr8\n"
	"2:	mov %cr8, %rax\n"
	"	incl 16(%rdi)\n"
	"	cmpq %r8, %rax\n"
	"	je 3f\n"
	"	incl 20(%rdi)\n"
	"	movl %eax, 24(%rdi)\n"
	"3:	rdtsc\n"
	"	shlq $32, %rdx\n"
	"	orq %rdx, %rax\n"
	"	cmpq 8(%rdi), %rax\n"
	"	jb 1b\n"
	"	xorl %eax, %eax\n"
	"	mov %rax, %cr8\n"
	"	ret\n"
	/* cs_storm64(slot): DR0 = slot (4 bytes, writes), then INT1. */
	"cs_storm64:\n"
	"	mov %rdi, %dr0\n"
	"	movl $0xd0501, %eax\n"                 /* LE, L0, R/W0 = 01, LEN0 = 11 */
	"	mov %rax, %dr7\n"
	"	.byte 0xf1\n"                          /* INT1 (ICEBP) */
	"	xorl %eax, %eax\n"
	"	ret\n"
	/* cs_storm64_int(slot): the same through INT 1 (delivered by the CPU, not exiting). */
	"cs_storm64_int:\n"
	"	mov %rdi, %dr0\n"
	"	movl $0xd0501, %eax\n"
	"	mov %rax, %dr7\n"
	"	int $1\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	".code32\n"
	".popsection\n");

extern const char cs_cr8_loop[], cs_storm64[], cs_storm64_int[];

/* ---- basic ---- */

static volatile unsigned cs_vec, cs_skip, db_hits;
static volatile uint32_t db_eip, db_eflags, db_dr6;

static void cs_catch(struct regs *r)
{
	cs_vec = r->vec;
	r->eip += cs_skip;
}

/* Runs the instruction in the asm block (len bytes); returns the vector it raised, or 0. */
#define CS_TRY(len, ...) ({ cs_vec = 0; cs_skip = (len); __asm__ volatile(__VA_ARGS__); cs_vec; })

/* A debugger's #DB handler: notes where and why, clears DR6, resumes past an instruction breakpoint (RF). */
static void cs_db(struct regs *r)
{
	db_hits++;
	db_eip = r->eip;
	db_eflags = r->eflags;
	db_dr6 = READ_DR(6);
	WRITE_DR(6, DR6_RESET);
	r->eflags |= EFLAGS_RF;
	if (db_hits >= 8)
		WRITE_DR(7, DR7_FIXED);         /* a loop: end it (the check fails) */
}

static void cs_dr7(void)
{
	uint32_t dr7 = DR7_FIXED | DR7_L0 | DR7_W0_4B, a, b, c, d, after_exit, after_yield, dr0;
	static volatile uint32_t untouched;

	WRITE_DR(0, &untouched);
	WRITE_DR(7, dr7);
	cpuid(0, &a, &b, &c, &d);
	after_exit = READ_DR(7);
	if (tg_under_hv)
		hypercall(HC_YIELD, 0, 0, 0);
	after_yield = READ_DR(7);
	dr0 = READ_DR(0);
	WRITE_DR(7, DR7_FIXED);
	check(&ck, "dr7 across exits", after_exit == dr7 && after_yield == dr7 && dr0 == (uint32_t)&untouched,
	      "wrote DR7 0x%08x DR0 0x%08x; after CPUID DR7 0x%08x, after a yield DR7 0x%08x DR0 0x%08x", dr7,
	      (uint32_t)&untouched, after_exit, after_yield, dr0);
}

static void cs_debugctl(void)
{
	uint32_t a, b, c, d;
	uint64_t v = ~0ull;
	int wr, rd;

	if (!tg_under_hv) {
		check_skip(&ck, "debugctl", "not under the hv: QEMU TCG drops the write");
		return;
	}
	wr = safe_wrmsr(MSR_DEBUGCTL, DEBUGCTL_BTF);
	cpuid(0, &a, &b, &c, &d);
	rd = safe_rdmsr(MSR_DEBUGCTL, &v);
	if (wr == 0) {
		check(&ck, "debugctl btf across an exit", rd == 0 && v == DEBUGCTL_BTF,
		      "wrote 0x%x, read back %s 0x%llx", DEBUGCTL_BTF, rd ? "#GP" : "", v);
		safe_wrmsr(MSR_DEBUGCTL, 0);
	} else {
		tg_printf("cpustate: info DEBUGCTL.BTF write refused (#GP)\n");
		check(&ck, "debugctl reads 0 across an exit", rd == 0 && v == 0, "read %s 0x%llx",
		      rd ? "#GP" : "", v);
	}
}

static void cs_insns(void)
{
	static volatile uint32_t line;
	unsigned v;

	if (!tg_under_hv) {
		check_skip(&ck, "monitor mwait #UD", "not under the hv");
		check_skip(&ck, "rdpmc #GP", "not under the hv");
		return;
	}
	v = CS_TRY(3, ".byte 0x0f, 0x01, 0xc8" :: "a"(&line), "c"(0), "d"(0) : "memory");  /* monitor */
	check(&ck, "monitor #UD", v == 6, "vector %u", v);
	v = CS_TRY(3, ".byte 0x0f, 0x01, 0xc9" :: "a"(0), "c"(0) : "memory");             /* mwait */
	check(&ck, "mwait #UD", v == 6, "vector %u", v);
	v = CS_TRY(2, ".byte 0x0f, 0x33" :: "c"(0) : "eax", "edx", "memory");              /* rdpmc */
	check(&ck, "rdpmc #GP", v == 13, "vector %u", v);
	v = CS_TRY(2, "wbinvd" ::: "memory");
	check(&ck, "wbinvd completes", v == 0, "vector %u", v);
	v = CS_TRY(2, "invd" ::: "memory");
	check(&ck, "invd completes", v == 0, "vector %u", v);
}

/* Calls fn with DR7 = dr7: one #DB must come, with DR6 bits 3:0 = b, at eip; fn must have set *ran. */
static void cs_bp_check(const char *name, uint32_t dr7, void (*fn)(void), uint32_t b, uint32_t eip,
			volatile uint32_t *ran)
{
	WRITE_DR(6, DR6_RESET);
	WRITE_DR(7, dr7);
	db_hits = 0;
	fn();
	WRITE_DR(7, DR7_FIXED);
	check(&ck, name, db_hits == 1 && (db_dr6 & 0xf) == b && db_eip == eip && *ran == 1,
	      "%u #DB, DR6 0x%08x, at eip 0x%x (want 0x%x), ran %u", db_hits, db_dr6, db_eip, eip, *ran);
}

static void cs_breakpoints(void)
{
	WRITE_DR(0, &cs_watched);
	cs_bp_check("data breakpoint #DB", DR7_FIXED | DR7_LE | DR7_L0 | DR7_W0_4B, cs_write_watched, 1,
		    (uint32_t)cs_after_write, &cs_watched);
	WRITE_DR(1, cs_ibp_target);                     /* R/W1 = 00, LEN1 = 00: execution */
	cs_bp_check("instruction breakpoint #DB", DR7_FIXED | DR7_L1, cs_ibp_target, 2,
		    (uint32_t)cs_ibp_target, &cs_ibp_ran);
	/* SDM "Debug Exceptions", RF: an instruction breakpoint's #DB pushes RF as it was (0). */
	check(&ck, "instruction breakpoint pushes rf 0", !(db_eflags & EFLAGS_RF),
	      "pushed EFLAGS 0x%08x", db_eflags);
}

static void cs_basic(void)
{
	idt_set_handler(1, cs_db);
	idt_set_handler(6, cs_catch);
	idt_set_handler(13, cs_catch);
	cs_dr7();
	cs_debugctl();
	cs_insns();
	cs_breakpoints();
	checks_finish(&ck);
}

/* ---- cr8 ---- */

static void cs_cr8(void)
{
	static struct cs_cr8 p;
	uint32_t val = arg_u32("val", 15), ms = arg_u32("ms", 500), r;

	if (val > 15 || ms < 1 || ms > 60000)
		tg_fail_exit(2, "cpustate: FAIL val=%u (0..15) or ms=%u (1..60000) out of range\n", val, ms);
	lm_require();
	p.val = val;
	p.rewrite = arg_u32("rewrite", 0) != 0;
	p.tsc_end = rdtsc() + tsc_from_us((uint64_t)ms * 1000);
	tg_printf("cpustate: cr8 = %u for %u ms (%s)\n", val, ms, p.rewrite ? "written before every read" :
		  "written once");
	r = lm_call(cs_cr8_loop, (uint32_t)&p);
	tg_printf("cpustate: cr8 %u reads, %u not %u (last 0x%x)\n", p.reads, p.bad, val, p.last_bad);
	check(&ck, "cr8 is the guest's own", (r & LM_FATAL_MASK) != LM_FATAL && p.reads > 1000 && p.bad == 0,
	      "lm_call 0x%x, %u reads, %u not %u (last 0x%x)", r, p.reads, p.bad, val, p.last_bad);
	checks_finish(&ck);
}

/* ---- storm ---- */

static uint64_t cs_gdt[6] __attribute__((aligned(8)));
static uint32_t cs_tss[26] __attribute__((aligned(16)));
static uint8_t cs_ist[4096] __attribute__((aligned(16)));

/* tguest's GDT plus a 64-bit TSS at 0x20 whose IST1 is the top of cs_ist; loaded, TR = 0x20. */
static void cs_load_tss(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; } gdtr;
	uint32_t base = (uint32_t)cs_tss, limit = sizeof(cs_tss) - 1;

	cs_gdt[0] = 0;
	cs_gdt[1] = 0x00cf9a000000ffffull;              /* 0x08: code, 32-bit (as idt.c) */
	cs_gdt[2] = 0x00cf92000000ffffull;              /* 0x10: data */
	cs_gdt[3] = 0x00af9a000000ffffull;              /* 0x18: code, 64-bit */
	cs_gdt[4] = (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | (0x89ull << 40) |
		    ((uint64_t)(base >> 24) << 56);     /* 0x20: available TSS */
	cs_gdt[5] = 0;                                  /* base 63:32 */
	cs_tss[9] = (uint32_t)(cs_ist + sizeof(cs_ist));      /* IST1 (byte 36) */
	cs_tss[10] = 0;
	cs_tss[25] = (uint32_t)sizeof(cs_tss) << 16;          /* no I/O bitmap */
	gdtr.limit = sizeof(cs_gdt) - 1;
	gdtr.base = (uint32_t)cs_gdt;
	__asm__ volatile("lgdt %0\n\tltr %w1" :: "m"(gdtr), "r"(0x20) : "memory");
}

static void cs_storm(void)
{
	uint32_t slot = (uint32_t)(cs_ist + sizeof(cs_ist)) - 8, r;

	lm_require();
	cs_load_tss();
	lm_set_ist(1, 1);
	tg_printf("cpustate: storm: #DB on IST1 (top 0x%x), data breakpoint on 0x%x (the pushed SS), INT1\n",
		  slot + 8, slot);
	r = lm_call(arg_u32("int1", 1) ? cs_storm64 : cs_storm64_int, slot);
	tg_fail_exit(1, "cpustate: storm FAIL no storm: lm_call returned 0x%x after %u exceptions (vector %u at "
		     "rip 0x%llx)\n", r, lm_fault.count, lm_fault.vec, lm_fault.rip);
}

/* ---- acstorm ---- */

static uint64_t ac_gdt[8] __attribute__((aligned(8)));
static uint64_t ac_idt[NVECTORS] __attribute__((aligned(8)));
static uint8_t ac_stack[256] __attribute__((aligned(16)));

#define AC_UCODE 0x33                   /* ring-3 code (0x30 | RPL 3) */
#define AC_UDATA 0x3b                   /* ring-3 data (0x38 | RPL 3) */
#define CR0_AM   (1u << 18)
#define EFLAGS_AC (1u << 18)

__asm__(
	".pushsection .text\n"
	".code32\n"
	"ac_ring3:\n"                          /* CPL 3, ESP misaligned, AC = 1 */
	"	pushl %eax\n"
	"	jmp ac_ring3\n"
	"ac_handler:\n"                        /* the #AC handler (CPL 3): never reached */
	"	jmp ac_handler\n"
	".popsection\n");

extern const char ac_ring3[], ac_handler[];

/*
 * tguest's GDT plus ring-3 code and data; its IDT with #AC going to a
 * ring-3 handler (same privilege: no stack switch); CR0.AM on; then IRET to
 * ring 3 with EFLAGS.AC and a misaligned stack. The PUSH there raises #AC,
 * and so does every push of the #AC's own delivery (CVE-2015-5307).
 */
static void cs_acstorm(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; } gdtr, idtr;
	uint32_t off = (uint32_t)ac_handler, esp = (uint32_t)(ac_stack + sizeof(ac_stack)) - 2;

	ac_gdt[1] = 0x00cf9a000000ffffull;              /* 0x08: code, 32-bit (as idt.c) */
	ac_gdt[2] = 0x00cf92000000ffffull;              /* 0x10: data */
	ac_gdt[3] = 0x00af9a000000ffffull;              /* 0x18: code, 64-bit */
	ac_gdt[6] = 0x00cffa000000ffffull;              /* 0x30: code, 32-bit, DPL 3 */
	ac_gdt[7] = 0x00cff2000000ffffull;              /* 0x38: data, DPL 3 */
	gdtr.limit = sizeof(ac_gdt) - 1;
	gdtr.base = (uint32_t)ac_gdt;
	__asm__ volatile("sidt %0" : "=m"(idtr));
	for (unsigned v = 0; v < NVECTORS; v++)
		ac_idt[v] = ((const uint64_t *)idtr.base)[v];
	ac_idt[17] = (off & 0xffffu) | ((uint64_t)(AC_UCODE & ~3) << 16) | (0x8eull << 40) |
		     ((uint64_t)(off >> 16) << 48);
	idtr.limit = sizeof(ac_idt) - 1;
	idtr.base = (uint32_t)ac_idt;
	tg_printf("cpustate: acstorm: ring 3, EFLAGS.AC, CR0.AM, ESP 0x%x, #AC handler in ring 3\n", esp);
	__asm__ volatile("lgdt %0\n\t"
			 "lidt %1\n\t"
			 "movl %%cr0, %%eax\n\t"
			 "orl %2, %%eax\n\t"
			 "movl %%eax, %%cr0\n\t"
			 "pushl %3\n\t"              /* SS */
			 "pushl %4\n\t"              /* ESP */
			 "pushl %5\n\t"              /* EFLAGS: AC, IF = 0 */
			 "pushl %6\n\t"              /* CS */
			 "pushl %7\n\t"              /* EIP */
			 "iretl"
			 :: "m"(gdtr), "m"(idtr), "i"(CR0_AM), "i"(AC_UDATA), "r"(esp), "i"(EFLAGS_AC | 2),
			    "i"(AC_UCODE), "r"(ac_ring3) : "eax", "memory");
	__builtin_unreachable();
}

void test_cpustate(void)
{
	const char *part = arg_str("part", "basic");

	if (tg_streq(part, "basic"))
		cs_basic();
	if (tg_streq(part, "cr8"))
		cs_cr8();
	if (tg_streq(part, "storm"))
		cs_storm();
	if (tg_streq(part, "acstorm"))
		cs_acstorm();
	tg_fail_exit(2, "cpustate: FAIL unknown part=%s (basic, cr8, storm)\n", part);
}
