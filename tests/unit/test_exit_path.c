/*
 * The exit path on the host: the hv's own handlers against the fake VMCS
 * (tests/unit/hvhost). Every test ends with the SDM's VM-entry checks on
 * the state the next entry would see (fake_vmcheck): a stricter CPU than
 * Bochs must accept it. Issue 8 item 2 (exact emulation) and issue 7
 * items 1 and 5 (hypercalls, CPU state).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "percpu.h"
#include "exit.h"
#include "hypercall.h"
#include "irq.h"
#include "virq.h"
#include "setup.h"
#include "vmx.h"
#include "xstate.h"

#define CFG1 "[hv]\ntrace = off\n[guest a]\nimage = \\a.elf\nmemory = 4M\n"

#define GP_INJECTED  (0x80000000u | (3u << 8) | (1u << 11) | EXC_GP)
#define UD_INJECTED  (0x80000000u | (3u << 8) | EXC_UD)
#define DB_INJECTED  (0x80000000u | (3u << 8) | EXC_DB)

static struct vcpu *v;

static int setup(void **state)
{
	(void)state;
	host_boot(CFG1);
	v = host_vcpu(0);
	return 0;
}

/* Dispatches an exit of guest 0 and checks the next entry. */
static int exit_ok(uint32_t reason, uint64_t qual, uint32_t len)
{
	int act = host_exit(v, reason, qual, len);

	host_assert_entry_ok();
	return act;
}

/* MOV to CRn from RAX. */
static int mov_to_cr(unsigned cr, uint64_t val)
{
	v->regs.rax = val;
	return exit_ok(EXIT_REASON_CR_ACCESS, cr, 3);
}

static void assert_gp_not_skipped(uint64_t rip)
{
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), GP_INJECTED);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), rip);
}

/* Puts guest 0 in 64-bit mode with 4-level paging (CR3 0x10000), as a kernel would. */
static void enter_long_mode(bool cs_l)
{
	uint64_t cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;

	host_long_mode(cr0, 0x10000, cs_l);
	host_assert_entry_ok();
}

/* Puts guest 0 in unrestricted real mode (CR0.PE = 0). */
static void enter_real_mode(void)
{
	fake_vmcs_set(CR0_READ_SHADOW, CR0_ET);
	fake_vmcs_set(GUEST_CR0, CR0_ET | CR0_NE);
	for (unsigned i = 0; i < 6; i++) {
		fake_vmcs_set(GUEST_ES_SELECTOR + 2 * i, 0);
		fake_vmcs_set(GUEST_ES_LIMIT + 2 * i, 0xffff);
		fake_vmcs_set(GUEST_ES_AR_BYTES + 2 * i, 0x93);
	}
	fake_vmcs_set(GUEST_RIP, 0x7c00);
	host_assert_entry_ok();
}

/* ---- CPUID, RIP, RF, TF -------------------------------------------- */

static void test_cpuid_exit_advances_rip_and_shows_the_hv(void **state)
{
	uint64_t rip = fake_vmcs_get(GUEST_RIP);

	(void)state;
	v->regs.rax = 1;
	v->regs.rcx = 0;
	assert_int_equal(exit_ok(EXIT_REASON_CPUID, 0, 2), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), rip + 2);
	assert_true(v->regs.rcx & (1u << 31));          /* hypervisor present */
	assert_false(v->regs.rcx & (1u << 5));          /* no VMX */
}

/* An emulated instruction with RFLAGS.TF = 1 ends in a single-step #DB, DR6.BS set. */
static void test_single_step_trap_after_an_emulated_instruction(void **state)
{
	uint64_t rip = fake_vmcs_get(GUEST_RIP);

	(void)state;
	fake_vmcs_set(GUEST_RFLAGS, RFLAGS_FIXED | RFLAGS_TF);
	fake.dr[6] = 0xffff0ff0;
	v->regs.rax = 0;
	exit_ok(EXIT_REASON_CPUID, 0, 2);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), rip + 2);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), DB_INJECTED);
	assert_true(fake.dr[6] & (1u << 14));
	assert_false(fake_vmcs_get(GUEST_RFLAGS) & RFLAGS_RF);    /* a trap: no RF */
}

/* RF is cleared once an instruction completes (SDM "Resume Flag"). */
static void test_emulated_instruction_clears_rf(void **state)
{
	(void)state;
	fake_vmcs_set(GUEST_RFLAGS, RFLAGS_FIXED | RFLAGS_RF);
	exit_ok(EXIT_REASON_CPUID, 0, 2);
	assert_false(fake_vmcs_get(GUEST_RFLAGS) & RFLAGS_RF);
	assert_false(fake_vmcs_get(VM_ENTRY_INTR_INFO) & 0x80000000u);
}

/* A fault is delivered with RFLAGS.RF set in the pushed image: the hv sets it in the RFLAGS field. */
static void test_injected_faults_carry_rf(void **state)
{
	(void)state;
	v->regs.rcx = 0x12345678;                       /* no such MSR */
	exit_ok(EXIT_REASON_RDMSR, 0, 2);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), GP_INJECTED);
	assert_true(fake_vmcs_get(GUEST_RFLAGS) & RFLAGS_RF);
}

/* Unrestricted real mode: a #GP goes in without an error code (SDM "Checks on VM-Entry Control Fields"). */
static void test_gp_in_real_mode_has_no_error_code(void **state)
{
	(void)state;
	enter_real_mode();
	v->regs.rcx = 0x12345678;
	exit_ok(EXIT_REASON_RDMSR, 0, 2);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), 0x80000000u | (3u << 8) | EXC_GP);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), 0x7c00);
}

/* ---- CR0 ------------------------------------------------------------ */

static void test_clearing_pg_in_64bit_code_raises_gp(void **state)
{
	uint64_t rip = fake_vmcs_get(GUEST_RIP);

	(void)state;
	enter_long_mode(true);
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_NE);
	assert_gp_not_skipped(rip);
	assert_true(fake_vmcs_get(CR0_READ_SHADOW) & CR0_PG);
	assert_true(fake_vmcs_get(VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST);
}

static void test_clearing_pg_with_pcide_raises_gp(void **state)
{
	uint64_t rip = fake_vmcs_get(GUEST_RIP);

	(void)state;
	enter_long_mode(false);                         /* compatibility mode */
	fake_vmcs_set(CR4_READ_SHADOW, CR4_PAE | CR4_PCIDE);
	fake_vmcs_set(GUEST_CR4, CR4_PAE | CR4_PCIDE | CR4_VMXE);
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_NE);
	assert_gp_not_skipped(rip);
}

/* From compatibility mode a kernel may leave IA-32e mode: LMA and the entry control follow, the TLB is flushed. */
static void test_leaving_paging_from_compatibility_mode(void **state)
{
	uint64_t flushes;

	(void)state;
	enter_long_mode(false);
	flushes = fake.invvpid_count;
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_NE);
	assert_false(fake_vmcs_get(VM_ENTRY_INTR_INFO) & 0x80000000u);
	assert_false(fake_vmcs_get(GUEST_IA32_EFER) & EFER_LMA);
	assert_false(fake_vmcs_get(VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST);
	assert_int_equal(fake.invvpid_count, flushes + 1);
	assert_int_equal(fake.last_invvpid_type, INVVPID_SINGLE_CONTEXT);
}

/* Writes the four PDPTEs of a PAE page-directory-pointer table at GPA 0x20000. */
static void put_pdptes(uint64_t e0)
{
	uint64_t *t = host_gpa(0, 0x20000);

	t[0] = e0, t[1] = 0, t[2] = 0, t[3] = 0;
	fake_vmcs_set(GUEST_CR3, 0x20000);
	fake_vmcs_set(CR4_READ_SHADOW, CR4_PAE);
	fake_vmcs_set(GUEST_CR4, CR4_PAE | CR4_VMXE);
}

static void test_pae_paging_with_a_reserved_pdpte_bit_raises_gp(void **state)
{
	uint64_t rip = fake_vmcs_get(GUEST_RIP);

	(void)state;
	put_pdptes(0x30000 | 1 | (1u << 5));            /* bit 5 is reserved in a PDPTE */
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_PG);
	assert_gp_not_skipped(rip);
	assert_false(fake_vmcs_get(CR0_READ_SHADOW) & CR0_PG);
}

static void test_pae_paging_loads_the_pdptes(void **state)
{
	(void)state;
	put_pdptes(0x30000 | 1);
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_PG);
	assert_true(fake_vmcs_get(CR0_READ_SHADOW) & CR0_PG);
	assert_int_equal(fake_vmcs_get(GUEST_PDPTE0), 0x30001);
	assert_false(fake_vmcs_get(VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST);
}

static void test_pae_pdpt_outside_ram_raises_gp(void **state)
{
	uint64_t rip = fake_vmcs_get(GUEST_RIP);

	(void)state;
	put_pdptes(0x30000 | 1);
	fake_vmcs_set(GUEST_CR3, 0x7fff0000);           /* beyond its 4 MiB */
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_PG);
	assert_gp_not_skipped(rip);
}

/* A 32-bit guest's MOV to CR0 takes EAX: the undefined upper half of RAX does not count. */
static void test_32bit_mov_to_cr_uses_the_low_half(void **state)
{
	(void)state;
	mov_to_cr(0, 0xdead000000000000ull | CR0_PE | CR0_ET | CR0_MP);
	assert_false(fake_vmcs_get(VM_ENTRY_INTR_INFO) & 0x80000000u);
	assert_int_equal(fake_vmcs_get(CR0_READ_SHADOW), CR0_PE | CR0_ET | CR0_MP);
}

/* ---- CR3, CR4, CR8 -------------------------------------------------- */

static void test_cr3_load_beyond_the_physical_width_raises_gp(void **state)
{
	uint64_t rip = fake_vmcs_get(GUEST_RIP);

	(void)state;
	enter_long_mode(true);
	mov_to_cr(3, 1ull << 60);
	assert_gp_not_skipped(rip);
	assert_int_equal(fake_vmcs_get(GUEST_CR3), 0x10000);
}

static void test_cr3_load_flushes_unless_pcid_no_flush(void **state)
{
	uint64_t n;

	(void)state;
	enter_long_mode(true);
	n = fake.invvpid_count;
	mov_to_cr(3, 0x11000);
	assert_int_equal(fake_vmcs_get(GUEST_CR3), 0x11000);
	assert_int_equal(fake.invvpid_count, n + 1);
	fake_vmcs_set(CR4_READ_SHADOW, CR4_PAE | CR4_PCIDE);
	fake_vmcs_set(GUEST_CR4, CR4_PAE | CR4_PCIDE | CR4_VMXE);
	mov_to_cr(3, (1ull << 63) | 0x12001);
	assert_int_equal(fake_vmcs_get(GUEST_CR3), 0x12001);       /* bit 63 is not stored */
	assert_int_equal(fake.invvpid_count, n + 1);
}

static void test_cr3_load_in_pae_mode_checks_the_new_pdptes(void **state)
{
	uint64_t rip;

	(void)state;
	put_pdptes(0x30000 | 1);
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_PG);
	rip = fake_vmcs_get(GUEST_RIP);
	((uint64_t *)host_gpa(0, 0x21000))[2] = 0x40000 | 1 | (1u << 7);
	mov_to_cr(3, 0x21000);
	assert_gp_not_skipped(rip);
	assert_int_equal(fake_vmcs_get(GUEST_CR3), 0x20000);
}

static void test_cr4_writes_the_cpu_refuses_raise_gp(void **state)
{
	uint64_t rip = fake_vmcs_get(GUEST_RIP);

	(void)state;
	mov_to_cr(4, CR4_VMXE);                         /* the platform has no VMX */
	assert_gp_not_skipped(rip);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	mov_to_cr(4, CR4_LA57);                         /* not in the CPU model */
	assert_gp_not_skipped(rip);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	mov_to_cr(4, CR4_PAE | CR4_PCIDE);              /* PCIDE outside IA-32e mode */
	assert_gp_not_skipped(rip);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	enter_long_mode(true);
	mov_to_cr(4, 0);                                /* PAE off in IA-32e mode */
	assert_gp_not_skipped(rip);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	fake_vmcs_set(GUEST_CR3, 0x10005);              /* PCID 5 current */
	mov_to_cr(4, CR4_PAE | CR4_PCIDE);
	assert_gp_not_skipped(rip);
}

static void test_cr4_paging_bits_flush_the_guest_tlb(void **state)
{
	uint64_t n;

	(void)state;
	enter_long_mode(true);
	n = fake.invvpid_count;
	mov_to_cr(4, CR4_PAE | CR4_PGE);
	assert_int_equal(fake.invvpid_count, n + 1);
	mov_to_cr(4, CR4_PAE | CR4_PGE | CR4_OSFXSR);
	assert_int_equal(fake.invvpid_count, n + 1);    /* OSFXSR changes no translation */
}

/* Without a TPR shadow MOV CR8 exits: the value is the guest's own. */
static void test_cr8_without_tpr_shadow_stays_in_the_guest(void **state)
{
	uint64_t rip = fake_vmcs_get(GUEST_RIP), wrmsrs = fake.wrmsr_count;

	(void)state;
	enter_long_mode(true);
	mov_to_cr(8, 9);
	assert_int_equal(v->cr8, 9);
	v->regs.rbx = 0;
	exit_ok(EXIT_REASON_CR_ACCESS, 8 | (1u << 4) | (3u << 8), 3);    /* mov rbx, cr8 */
	assert_int_equal(v->regs.rbx, 9);
	assert_int_equal(fake.wrmsr_count, wrmsrs);
	rip = fake_vmcs_get(GUEST_RIP);
	mov_to_cr(8, 16);                               /* bits 63:4 reserved */
	assert_gp_not_skipped(rip);
}

/* ---- controls and CPU state (issue 7 item 5) ------------------------- */

static void test_controls_keep_guest_cpu_state_in_the_guest(void **state)
{
	uint32_t proc = (uint32_t)fake_vmcs_get(CPU_BASED_VM_EXEC_CONTROL);
	uint32_t proc2 = (uint32_t)fake_vmcs_get(SECONDARY_VM_EXEC_CONTROL);
	uint32_t exc = (uint32_t)fake_vmcs_get(EXCEPTION_BITMAP);

	(void)state;
	/* CR8 in the virtual-APIC page, never the CPU's TPR. */
	assert_true(proc & PROC_USE_TPR_SHADOW);
	assert_false(proc & (PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING));
	assert_int_equal(fake_vmcs_get(VIRTUAL_APIC_PAGE_ADDR), (uintptr_t)v->vapic);
	/* DR7 and DEBUGCTL go with the VM state. */
	assert_true(fake_vmcs_get(VM_EXIT_CONTROLS) & EXIT_SAVE_DEBUG_CONTROLS);
	assert_true(fake_vmcs_get(VM_ENTRY_CONTROLS) & ENTRY_LOAD_DEBUG_CONTROLS);
	/* Instructions that reach beyond the partition exit. */
	assert_true(proc & PROC_MWAIT_EXITING);
	assert_true(proc & PROC_MONITOR_EXITING);
	assert_true(proc & PROC_RDPMC_EXITING);
	assert_true(proc2 & PROC2_WBINVD_EXITING);
	/* Exceptions whose delivery can loop in the CPU exit. */
	assert_true(exc & (1u << EXC_DB));
	assert_true(exc & (1u << EXC_AC));
	assert_true(exc & (1u << EXC_MC));
}

static void test_mwait_monitor_ud_rdpmc_gp_wbinvd_invd_complete(void **state)
{
	uint64_t rip = fake_vmcs_get(GUEST_RIP);

	(void)state;
	exit_ok(EXIT_REASON_MWAIT, 0, 3);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), UD_INJECTED);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	exit_ok(EXIT_REASON_MONITOR, 0, 3);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), UD_INJECTED);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	exit_ok(EXIT_REASON_RDPMC, 0, 2);
	assert_gp_not_skipped(rip);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	exit_ok(EXIT_REASON_WBINVD, 0, 2);
	exit_ok(EXIT_REASON_INVD, 0, 2);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), rip + 4);
	assert_false(fake_vmcs_get(VM_ENTRY_INTR_INFO) & 0x80000000u);
}

/* A #DB exit goes back to the guest as the CPU would deliver it: DR6 set from the qualification. */
static void test_db_exit_is_reflected_with_dr6(void **state)
{
	(void)state;
	fake.dr[6] = 0xffff0ff0;
	fake_vmcs_set(GUEST_DR7, 0x400 | 2 | (1u << 16));   /* G0, breakpoint 0 on data writes */
	fake_vmcs_set(VM_EXIT_INTR_INFO, 0x80000000u | (3u << 8) | EXC_DB);
	exit_ok(EXIT_REASON_EXCEPTION_NMI, 1, 0);          /* B0 */
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), DB_INJECTED);
	assert_int_equal(fake.dr[6] & 0xf, 1);
	assert_false(fake_vmcs_get(GUEST_RFLAGS) & RFLAGS_RF);    /* data breakpoint: a trap */
}

/*
 * SDM "Debug Exceptions" (RF): the #DB of an instruction breakpoint is the
 * one fault delivered with RF as it was (0): the guest's handler sets RF
 * in the pushed flags to go on. The hv must not set it for the handler.
 */
static void test_db_code_breakpoint_pushes_rf_as_it_was_and_bd_clears_gd(void **state)
{
	(void)state;
	fake_vmcs_set(GUEST_DR7, 0x400 | 2 | (1u << 13));   /* G0 on execution, GD */
	fake_vmcs_set(VM_EXIT_INTR_INFO, 0x80000000u | (3u << 8) | EXC_DB);
	exit_ok(EXIT_REASON_EXCEPTION_NMI, 1 | (1u << 13), 0);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), DB_INJECTED);
	assert_false(fake_vmcs_get(GUEST_RFLAGS) & RFLAGS_RF);
	assert_false(fake_vmcs_get(GUEST_DR7) & (1u << 13));
	assert_true(fake.dr[6] & (1u << 13));
}

/* B0-B3 are the only DR6 bits a #DB may clear; an earlier BS stays set. */
static void test_db_reflection_keeps_dr6_bs_and_bd(void **state)
{
	(void)state;
	fake.dr[6] = 0xffff0ff0 | (1u << 14) | 2;     /* BS from an earlier single step, stale B1 */
	fake_vmcs_set(GUEST_DR7, 0x400 | 1 | (1u << 16));
	fake_vmcs_set(VM_EXIT_INTR_INFO, 0x80000000u | (3u << 8) | EXC_DB);
	exit_ok(EXIT_REASON_EXCEPTION_NMI, 1, 0);
	assert_int_equal(fake.dr[6] & 0xf, 1);
	assert_true(fake.dr[6] & (1u << 14));
}

static void test_ac_exit_is_reflected_with_its_error_code(void **state)
{
	(void)state;
	fake_vmcs_set(VM_EXIT_INTR_INFO, 0x80000000u | (3u << 8) | (1u << 11) | EXC_AC);
	fake_vmcs_set(VM_EXIT_INTR_ERROR_CODE, 0);
	exit_ok(EXIT_REASON_EXCEPTION_NMI, 0, 0);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), 0x80000000u | (3u << 8) | (1u << 11) | EXC_AC);
}

/* A #DB during the delivery of an external interrupt: #DB first, the interrupt after. */
static void test_db_during_interrupt_delivery_keeps_the_interrupt(void **state)
{
	(void)state;
	fake_vmcs_set(GUEST_RFLAGS, RFLAGS_FIXED | RFLAGS_IF);
	fake_vmcs_set(VM_EXIT_INTR_INFO, 0x80000000u | (3u << 8) | EXC_DB);
	fake_vmcs_set(IDT_VECTORING_INFO, 0x80000000u | 0x30);
	exit_ok(EXIT_REASON_EXCEPTION_NMI, 1, 0);
	assert_int_equal(v->reinject_vector, 0x30);
	/* The entry path delivers the #DB now, and the interrupt on a later entry. */
	virq_prepare_entry(v, cpu_rdtsc(), UINT64_MAX);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), DB_INJECTED);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	fake_vmcs_set(IDT_VECTORING_INFO, 0);
	v->fresh = true;
	virq_prepare_entry(v, cpu_rdtsc(), UINT64_MAX);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), 0x80000030u);
	assert_int_equal(v->reinject_vector, -1);
	host_assert_entry_ok();
}

/* ---- exception storms (CVE-2015-8104, CVE-2015-5307) ----------------- */

/*
 * Guest a storms: the delivery of each exception the hv reflects raises the
 * same exception again (a #DB data breakpoint on the stack slot the CPU
 * pushes to; #AC on a misaligned ring-3 stack), so no instruction ever
 * completes and the preemption timer never gets its exit. Guest b halts
 * with interrupts off (it has ended) as soon as it gets the CPU.
 */
static struct fake_exit gen_storm(struct vcpu *sv, void *arg)
{
	unsigned vec = (unsigned)(uintptr_t)arg;
	uint32_t hw = 0x80000000u | (3u << 8), err = vec == EXC_AC ? 1u << 11 : 0;

	if (fake_run.nentries > 200000 && fake_run.done_jmp)
		longjmp(*fake_run.done_jmp, 1);        /* the hv never left the storm */
	if (sv->guest->id == 1)
		return (struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1 };
	return (struct fake_exit){ .reason = EXIT_REASON_EXCEPTION_NMI, .qual = vec == EXC_DB ? 1 : 0,
				   .intr_info = hw | err | vec,
				   .idt_vectoring = vec == EXC_AC ? hw | err | vec : 0, .tsc_advance = 900 };
}

/* The storming guest loses the CPU at the end of its turn and is stopped by its time limit; b runs. */
static void storm_is_contained(unsigned vec)
{
	host_teardown();
	host_boot("[hv]\ntrace = off\n[guest a]\nimage = \\a.elf\nmemory = 4M\ntime_limit_ms = 50\n"
		  "[guest b]\nimage = \\b.elf\nmemory = 4M\n");
	fake_run.generator = gen_storm;
	fake_run.generator_arg = (void *)(uintptr_t)vec;
	assert_true(host_run());
	assert_true(fake_log_has("hv: guest b halted with interrupts off"));
	assert_true(fake_log_has("hv: guest a stopped: time limit of 50 ms reached"));
	assert_true(fake.tsc < 70 * 200000ull);
}

static void test_db_storm_in_event_delivery_yields_the_cpu(void **state)
{
	(void)state;
	storm_is_contained(EXC_DB);
}

static void test_ac_storm_in_event_delivery_yields_the_cpu(void **state)
{
	(void)state;
	storm_is_contained(EXC_AC);
}

/* ---- XSETBV (issue 7 item 5) ----------------------------------------- */

static int xsetbv(uint32_t xcr, uint64_t val)
{
	fake_vmcs_set(GUEST_CR4, fake_vmcs_get(GUEST_CR4) | CR4_OSXSAVE);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	v->regs.rcx = xcr;
	v->regs.rax = (uint32_t)val;
	v->regs.rdx = val >> 32;
	return exit_ok(EXIT_REASON_XSETBV, 0, 3);
}

static bool gp_injected(void)
{
	return fake_vmcs_get(VM_ENTRY_INTR_INFO) == GP_INJECTED;
}

static void test_xsetbv_from_ring3_raises_gp(void **state)
{
	(void)state;
	fake_vmcs_set(GUEST_SS_AR_BYTES, 0xc093 | (3u << 5));
	fake_vmcs_set(GUEST_CS_AR_BYTES, 0xc0fb);
	fake_vmcs_set(GUEST_SS_SELECTOR, 0x13);
	fake_vmcs_set(GUEST_CS_SELECTOR, 0x1b);
	xsetbv(0, 3);
	assert_true(gp_injected());
	assert_int_equal(v->xcr0, 1);
}

static void test_xsetbv_checks_the_sdm_rules(void **state)
{
	(void)state;
	xsetbv(0, 3);
	assert_false(gp_injected());
	assert_int_equal(v->xcr0, 3);
	assert_int_equal(fake.xcr0, 3);
	xsetbv(0, 0);                      /* x87 must stay set */
	assert_true(gp_injected());
	xsetbv(0, 5);                      /* AVX without SSE */
	assert_true(gp_injected());
	xsetbv(1, 1);                      /* XCR1 */
	assert_true(gp_injected());
	xsetbv(0, 1ull << 40);             /* not supported */
	assert_true(gp_injected());
	assert_int_equal(v->xcr0, 3);
}

static void test_xsetbv_without_cr4_osxsave_is_ud(void **state)
{
	(void)state;
	fake_vmcs_set(GUEST_CR4, CR4_VMXE);
	v->regs.rcx = 0, v->regs.rax = 3, v->regs.rdx = 0;
	exit_ok(EXIT_REASON_XSETBV, 0, 3);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), UD_INJECTED);
}

/* The XCR0 groups (SDM "Enabling the XSAVE Feature Set"): MPX both or none, AVX-512 all with AVX, AMX both. */
static void test_xcr0_groups_follow_the_sdm(void **state)
{
	uint64_t all = ~0ull;

	(void)state;
	assert_true(xstate_xcr0_valid(0x7, all));
	assert_false(xstate_xcr0_valid(0x1 | 0x2 | 0x8, all));           /* BNDREGS without BNDCSR */
	assert_true(xstate_xcr0_valid(0x1 | 0x2 | 0x18, all));
	assert_false(xstate_xcr0_valid(0x7 | 0x20, all));                /* opmask alone */
	assert_false(xstate_xcr0_valid(0x3 | 0xe0, all));                /* AVX-512 without AVX */
	assert_true(xstate_xcr0_valid(0xe7, all));
	assert_false(xstate_xcr0_valid(0x3 | (1ull << 17), all));        /* TILECFG alone */
	assert_true(xstate_xcr0_valid(0x3 | (3ull << 17), all));
	assert_false(xstate_xcr0_valid(0xe7, 0x7));                      /* unsupported */
}

/* A value the host CPU still refuses (a stricter host): the armed XSETBV faults, the guest gets #GP. */
static void test_xsetbv_that_faults_in_root_mode_becomes_the_guests_gp(void **state)
{
	(void)state;
	fake.xsetbv_faults = true;
	xsetbv(0, 3);
	assert_true(gp_injected());
	assert_false(fake.halted_forever);
	assert_int_equal(v->xcr0, 1);
}

/* ---- hypercalls (issue 7 item 1) ------------------------------------- */

static void test_hypercall_from_ring3_is_refused_and_writes_nothing(void **state)
{
	uint8_t *buf = host_gpa(0, 0x200000);

	(void)state;
	memset(buf, 0xaa, 64);
	fake_vmcs_set(GUEST_SS_AR_BYTES, 0xc093 | (3u << 5));
	fake_vmcs_set(GUEST_CS_AR_BYTES, 0xc0fb);
	fake_vmcs_set(GUEST_SS_SELECTOR, 0x13);
	fake_vmcs_set(GUEST_CS_SELECTOR, 0x1b);
	v->regs.rax = HC_GUEST_INFO, v->regs.rbx = 0x200000, v->regs.rcx = 64;
	exit_ok(EXIT_REASON_VMCALL, 0, 3);
	assert_int_equal((int64_t)v->regs.rax, HC_EPERM);
	for (int i = 0; i < 64; i++)
		assert_int_equal(buf[i], 0xaa);
	assert_true(fake_log_has("hypercall 4 from CPL 3 refused"));
}

static void test_hypercall_arguments_are_32_bits_outside_64bit_mode(void **state)
{
	struct hc_guest_info *info = host_gpa(0, 0x200000);

	(void)state;
	v->regs.rax = 0xffffffff00000000ull | HC_GUEST_INFO;
	v->regs.rbx = 0x1234567800200000ull;
	v->regs.rcx = 0xffffffff00000000ull | sizeof(*info);
	exit_ok(EXIT_REASON_VMCALL, 0, 3);
	assert_int_equal(v->regs.rax, sizeof(*info));
	assert_string_equal(info->name, "a");
	assert_int_equal(info->ram_bytes, 4 << 20);
}

/* ---- root mode (issue 8 item 5) -------------------------------------- */

static void test_host_idt_has_256_gates(void **state)
{
	(void)state;
	assert_int_equal(fake.idtr.limit, 256 * 16 - 1);
}

struct frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};
void hv_exception(struct frame *f);

static void test_nmi_in_root_mode_is_counted_not_fatal(void **state)
{
	struct frame f = { .vector = EXC_NMI, .rip = 0x1234 };

	(void)state;
	hv_exception(&f);
	assert_int_equal(setup_nmis, 1);
	assert_false(fake.halted_forever);
	assert_int_equal(f.rip, 0x1234);
}

static void test_armed_instruction_fault_resumes_after_it(void **state)
{
	struct frame f = { .vector = EXC_GP, .rip = 0x1000 };
	struct cpu_fixup *fix = &this_pcpu()->fixup;

	(void)state;
	fix->rip = 0x1000;
	fix->resume = 0x1003;
	hv_exception(&f);
	assert_int_equal(f.rip, 0x1003);
	assert_int_equal(fix->vector, EXC_GP + 1);
	assert_int_equal(fix->rip, 0);
	assert_false(fake.halted_forever);
}

/* Each CPU arms its own instruction: a fault on CPU 1 never resumes at CPU 0's fixup. */
static void test_armed_instruction_fixups_are_per_cpu(void **state)
{
	struct frame f = { .vector = EXC_GP, .rip = 0x1000 };

	(void)state;
	pcpus[0].fixup.rip = 0x1000;
	pcpus[0].fixup.resume = 0x1003;
	percpu_host_cpu = 1;
	pcpus[1].fixup.rip = 0x2000;
	pcpus[1].fixup.resume = 0x2005;
	f.rip = 0x2000;
	hv_exception(&f);
	assert_int_equal(f.rip, 0x2005);
	assert_int_equal(pcpus[1].fixup.vector, EXC_GP + 1);
	assert_int_equal(pcpus[0].fixup.rip, 0x1000);     /* CPU 0's armed instruction untouched */
	assert_int_equal(pcpus[0].fixup.vector, 0);
	percpu_host_cpu = 0;
	pcpus[0].fixup.rip = 0;
}

static void test_unexpected_vectors_are_counted(void **state)
{
	(void)state;
	hv_irq(0xff);
	hv_irq(0x40);
	assert_int_equal(irq_unexpected, 2);
	assert_false(fake.halted_forever);
}

static void test_a_failed_vmwrite_names_the_field(void **state)
{
	jmp_buf j;

	(void)state;
	fake.refuse_field = GUEST_IA32_PAT;
	fake.halt_jmp = &j;
	if (!setjmp(j))
		vmx_vcpu_rebuild(&hv.guests[0]);
	fake.halt_jmp = NULL;
	assert_true(fake.halted_forever);
	assert_true(fake_log_has("VMWRITE of field GUEST_IA32_PAT (0x2804) failed"));
}

static void tweak_no_2m(void)
{
	fake_set_msr(MSR_IA32_VMX_EPT_VPID_CAP, fake_get_msr(MSR_IA32_VMX_EPT_VPID_CAP) & ~EPT_CAP_2M);
}

/* IA32_VMX_EPT_VPID_CAP without bit 16: the guest's EPT uses 4 KiB leaves only. */
static void test_no_2mib_ept_leaves_without_the_capability(void **state)
{
	uint64_t hpa;
	unsigned perms;
	const uint64_t *pdpt, *pd;

	(void)state;
	host_teardown();
	host_tweak = tweak_no_2m;
	host_boot(CFG1);
	host_tweak = NULL;
	pdpt = (const uint64_t *)(uintptr_t)(hv.guests[0].ept.pml4[0] & EPT_ADDR_MASK);
	pd = (const uint64_t *)(uintptr_t)(pdpt[0] & EPT_ADDR_MASK);
	assert_false(pd[1] & EPT_LARGE);
	assert_int_equal(ept_translate(&hv.guests[0].ept, 0x200000, &hpa, &perms), 0);
	assert_int_equal(hpa, hv.guests[0].boot->ram_hpa + 0x200000);
	assert_true(fake_log_has("2 MiB pages no"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, host_cmocka_teardown)
		T(test_cpuid_exit_advances_rip_and_shows_the_hv),
		T(test_single_step_trap_after_an_emulated_instruction),
		T(test_emulated_instruction_clears_rf),
		T(test_injected_faults_carry_rf),
		T(test_gp_in_real_mode_has_no_error_code),
		T(test_clearing_pg_in_64bit_code_raises_gp),
		T(test_clearing_pg_with_pcide_raises_gp),
		T(test_leaving_paging_from_compatibility_mode),
		T(test_pae_paging_with_a_reserved_pdpte_bit_raises_gp),
		T(test_pae_paging_loads_the_pdptes),
		T(test_pae_pdpt_outside_ram_raises_gp),
		T(test_32bit_mov_to_cr_uses_the_low_half),
		T(test_cr3_load_beyond_the_physical_width_raises_gp),
		T(test_cr3_load_flushes_unless_pcid_no_flush),
		T(test_cr3_load_in_pae_mode_checks_the_new_pdptes),
		T(test_cr4_writes_the_cpu_refuses_raise_gp),
		T(test_cr4_paging_bits_flush_the_guest_tlb),
		T(test_cr8_without_tpr_shadow_stays_in_the_guest),
		T(test_controls_keep_guest_cpu_state_in_the_guest),
		T(test_mwait_monitor_ud_rdpmc_gp_wbinvd_invd_complete),
		T(test_db_exit_is_reflected_with_dr6),
		T(test_db_code_breakpoint_pushes_rf_as_it_was_and_bd_clears_gd),
		T(test_db_reflection_keeps_dr6_bs_and_bd),
		T(test_ac_exit_is_reflected_with_its_error_code),
		T(test_db_during_interrupt_delivery_keeps_the_interrupt),
		T(test_db_storm_in_event_delivery_yields_the_cpu),
		T(test_ac_storm_in_event_delivery_yields_the_cpu),
		T(test_xsetbv_from_ring3_raises_gp),
		T(test_xsetbv_checks_the_sdm_rules),
		T(test_xsetbv_without_cr4_osxsave_is_ud),
		T(test_xcr0_groups_follow_the_sdm),
		T(test_xsetbv_that_faults_in_root_mode_becomes_the_guests_gp),
		T(test_hypercall_from_ring3_is_refused_and_writes_nothing),
		T(test_hypercall_arguments_are_32_bits_outside_64bit_mode),
		T(test_host_idt_has_256_gates),
		T(test_nmi_in_root_mode_is_counted_not_fatal),
		T(test_armed_instruction_fault_resumes_after_it),
		T(test_armed_instruction_fixups_are_per_cpu),
		T(test_unexpected_vectors_are_counted),
		T(test_a_failed_vmwrite_names_the_field),
		T(test_no_2mib_ept_leaves_without_the_capability),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
