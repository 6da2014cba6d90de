/*
 * The guest's local APIC and IOAPIC wired to the hv, on the host
 * (tests/unit/hvhost): xAPIC and IOAPIC accesses as decoded EPT
 * violations, the x2APIC / IA32_APIC_BASE / TSC_DEADLINE MSR rows, CPUID
 * per guest, and the entry path's delivery (ExtINT through LINT0, the
 * LAPIC's vector above PPR, the TPR threshold, NMIs and the NMI window).
 * Issue 10 items 2, 3, 4 and 6.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "cpumodel.h"
#include "exit.h"
#include "guest.h"
#include "irq.h"
#include "lapic.h"
#include "pic.h"
#include "virq.h"
#include "vmx.h"
#include "vmxcap.h"
#include "vpit.h"

#define HV   "[hv]\ntrace = off\n"
#define GA   "[guest a]\nimage = \\a.elf\nmemory = 4M\n"
#define GB   "[guest b]\nimage = \\b.elf\nmemory = 4M\nlapic = off\n"
#define RIP0 0x100020u

#define EPTQ_READ_DATA  0x181u          /* read, linear address valid, to the translation */
#define EPTQ_WRITE_DATA 0x182u
#define GP_INJECTED     0x80000b0du     /* #GP, hardware exception, error code, valid */
#define NMI_INJECTED    0x80000202u

static struct vcpu *v;

static int setup(void **state)
{
	(void)state;
	host_boot(HV GA GB);
	v = host_vcpu(0);
	return 0;
}

/* An EPT violation of v at gpa (qualification q) with the instruction bytes at RIP0. */
static int mmio(uint64_t gpa, uint64_t q, const char *insn, unsigned len)
{
	memcpy(host_gpa(0, RIP0), insn, len);
	fake_vmcs_set(GUEST_RIP, RIP0);
	fake_vmcs_set(GUEST_PHYSICAL_ADDRESS, gpa);
	fake_vmcs_set(GUEST_LINEAR_ADDRESS, gpa);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	return host_exit(v, EXIT_REASON_EPT_VIOLATION, q, 0);
}

/* mov eax, [off of the APIC page] (A1 moffs32): returns EAX; the instruction must complete. */
static uint32_t apic_read(uint32_t off)
{
	char insn[5] = { (char)0xa1 };
	uint32_t addr = VLAPIC_DEFAULT_BASE + off;

	memcpy(insn + 1, &addr, 4);
	v->regs.rax = 0x5555555555555555ull;
	assert_int_equal(mmio(addr, EPTQ_READ_DATA, insn, 5), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 5);
	return (uint32_t)v->regs.rax;
}

/* mov dword [addr], imm32 (C7 05 disp32 imm32). */
static void mem_write(uint32_t addr, uint32_t val)
{
	char insn[10] = { (char)0xc7, 0x05 };

	memcpy(insn + 2, &addr, 4);
	memcpy(insn + 6, &val, 4);
	assert_int_equal(mmio(addr, EPTQ_WRITE_DATA, insn, 10), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 10);
}

static void apic_write(uint32_t off, uint32_t val) { mem_write(VLAPIC_DEFAULT_BASE + off, val); }

/* The entry path with interrupts on and no blocking: returns what it injected (0: nothing). */
static uint32_t enter(uint32_t interruptibility)
{
	fake_vmcs_set(GUEST_RFLAGS, 0x2 | RFLAGS_IF);
	fake_vmcs_set(GUEST_INTERRUPTIBILITY_INFO, interruptibility);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	fake_vmcs_set(IDT_VECTORING_INFO, 0);
	v->fresh = true;
	virq_prepare_entry(v, cpu_rdtsc(), UINT64_MAX);
	host_assert_entry_ok();
	return (uint32_t)fake_vmcs_get(VM_ENTRY_INTR_INFO);
}

static int msr(uint32_t exit_reason, uint32_t m, uint64_t *val)
{
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	v->regs.rcx = m;
	if (exit_reason == EXIT_REASON_WRMSR)
		v->regs.rax = (uint32_t)*val, v->regs.rdx = *val >> 32;
	assert_int_equal(host_exit(v, exit_reason, 0, 2), EXIT_RESUME);
	if (fake_vmcs_get(VM_ENTRY_INTR_INFO) == GP_INJECTED)
		return -1;
	*val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	return 0;
}

/* ---- access path ---------------------------------------------------------- */

static void test_xapic_reads_decode_and_complete(void **state)
{
	(void)state;
	assert_int_equal(apic_read(VLAPIC_VERSION), VLAPIC_VERSION_VALUE);
	assert_int_equal(v->regs.rax >> 32, 0);               /* a 32-bit load zero-extends */
	assert_int_equal(apic_read(VLAPIC_ID), 0);
	assert_int_equal(apic_read(VLAPIC_SVR), 0x1ff);       /* virtual wire as firmware leaves it */
	assert_int_equal(apic_read(VLAPIC_LVT_LINT0), 0x700);  /* ExtINT */
	/* mov bl, [0xfee00030] (8A 1D disp32): one byte, the rest of RBX kept. */
	v->regs.rbx = 0x1122334455667700ull;
	assert_int_equal(mmio(0xfee00030, EPTQ_READ_DATA, "\x8a\x1d\x30\x00\xe0\xfe", 6), EXIT_RESUME);
	assert_int_equal(v->regs.rbx, 0x1122334455667714ull);
	assert_int_equal(hv.guests[0].apic.mmio, 5);
	/* movzbl 0xfee00030,%eax and movsbl 0xfee000f0,%ecx (SVR's low byte, 0xff). */
	v->regs.rax = ~0ull;
	assert_int_equal(mmio(0xfee00030, EPTQ_READ_DATA, "\x0f\xb6\x05\x30\x00\xe0\xfe", 7), EXIT_RESUME);
	assert_int_equal(v->regs.rax, 0x14);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 7);
	v->regs.rcx = 0;
	assert_int_equal(mmio(0xfee000f0, EPTQ_READ_DATA, "\x0f\xbe\x0d\xf0\x00\xe0\xfe", 7), EXIT_RESUME);
	assert_int_equal(v->regs.rcx, 0xffffffffull);
}

static void test_xapic_writes_by_register_and_immediate(void **state)
{
	(void)state;
	apic_write(VLAPIC_SVR, 0x1f0);
	assert_int_equal(apic_read(VLAPIC_SVR), 0x1f0);
	/* mov [0xfee00080], ecx (89 0D disp32): TPR, and its copy in the virtual-APIC page. */
	v->regs.rcx = 0x50;
	assert_int_equal(mmio(0xfee00080, EPTQ_WRITE_DATA, "\x89\x0d\x80\x00\xe0\xfe", 6), EXIT_RESUME);
	assert_int_equal(vlapic_tpr(&hv.guests[0].lapic), 0x50);
	assert_int_equal(((uint32_t *)v->vapic)[0x80 / 4], 0x50);
}

/* A reserved register reads 0 and logs ESR "Illegal Register Address": what hardware gives, no stop. */
static void test_reserved_register_is_no_stop(void **state)
{
	(void)state;
	assert_int_equal(apic_read(0x3c0), 0);
	apic_write(VLAPIC_ESR, 0);
	assert_int_equal(apic_read(VLAPIC_ESR), VLAPIC_ESR_ILLEGAL_REG);
	assert_int_equal(hv.guests[0].state, GUEST_RUNNABLE);
}

/* What the decoder cannot do stops the guest, saying what it saw. */
static void test_undecodable_access_stops_with_the_bytes(void **state)
{
	(void)state;
	assert_int_equal(mmio(0xfee000b0, EPTQ_WRITE_DATA, "\x01\x05\xb0\x00\xe0\xfe", 6), EXIT_STOPPED);
	assert_true(host_log_has("EPT violation at GPA 0xfee000b0 (local APIC page) rip 0x100020: "
				 "instruction not emulated (MOV, MOVZX, MOVSX to or from memory only); bytes 01 05 b0 00 e0 fe"));
	assert_int_equal(hv.guests[1].state, GUEST_RUNNABLE);
}

/* A decoded operand that is not the address the CPU reported is refused, never guessed at. */
static void test_operand_must_be_the_reported_address(void **state)
{
	(void)state;
	assert_int_equal(mmio(0xfee00030, EPTQ_READ_DATA, "\xa1\x20\x00\xe0\xfe", 5), EXIT_STOPPED);
	assert_true(host_log_has("its operand is not the address accessed"));
}

/* The other guest (lapic = off) has no pages there: its EPT violation stops it as before. */
static void test_lapic_off_guest_has_no_apic_page(void **state)
{
	(void)state;
	v = host_vcpu(1);
	fake_vmcs_set(GUEST_PHYSICAL_ADDRESS, 0xfee00030);
	assert_int_equal(host_exit(v, EXIT_REASON_EPT_VIOLATION, EPTQ_READ_DATA, 0), EXIT_STOPPED);
	assert_true(host_log_has("hv: guest b stopped: EPT violation at GPA 0xfee00030 (read)"));
}

static void test_ioapic_window_and_pit_on_pin_2(void **state)
{
	struct guest *g = &hv.guests[0];

	(void)state;
	mem_write(VIOAPIC_BASE + VIOAPIC_IOREGSEL, VIOAPIC_REG_VER);
	v->regs.rax = 0;
	assert_int_equal(mmio(VIOAPIC_BASE + VIOAPIC_IOWIN, EPTQ_READ_DATA, "\xa1\x10\x00\xc0\xfe", 5), EXIT_RESUME);
	assert_int_equal(v->regs.rax, 0x170020);
	mem_write(VIOAPIC_BASE + VIOAPIC_IOREGSEL, VIOAPIC_REG_RTE + 4);
	mem_write(VIOAPIC_BASE + VIOAPIC_IOWIN, 0x58);        /* pin 2: vector 0x58, fixed, edge, unmasked */
	assert_true(lapic_pin_open(g, LAPIC_PIT_PIN));
	lapic_pit_edge(g);
	assert_int_equal(enter(0), 0x80000058u);
	assert_true(g->lapic.isr[0x58 / 32] & (1u << (0x58 % 32)));
}

/*
 * A routed level-triggered device line (IRQ 10) in APIC mode: it reaches
 * the IOAPIC pin, stays masked at the physical PIC while in service, and
 * the guest's LAPIC EOI (broadcast to the IOAPIC) deasserts and unmasks it.
 */
static void test_routed_level_line_through_the_ioapic(void **state)
{
	struct guest *g;

	(void)state;
	host_teardown();
	fake_reset();
	host_boot(HV GA "irqs = 10\n" GB);
	fake.elcr[1] = 1u << 2;                       /* IRQ 10 level-triggered */
	g = &hv.guests[0];
	v = host_vcpu(0);
	mem_write(VIOAPIC_BASE + VIOAPIC_IOREGSEL, VIOAPIC_REG_RTE + 2 * 10);
	mem_write(VIOAPIC_BASE + VIOAPIC_IOWIN, 0x6a | VIOAPIC_RTE_LEVEL);
	hv_irq(PIC_VECTOR_BASE + 10);
	assert_true(fake.pic_imr[1] & (1u << 2));     /* masked until the guest is done with it */
	assert_int_equal(enter(0), 0x8000006au);
	assert_true(g->ioapic.rte[10] & VIOAPIC_RTE_REMOTE_IRR);
	apic_write(VLAPIC_EOI, 0);
	assert_false(g->ioapic.rte[10] & VIOAPIC_RTE_REMOTE_IRR);
	assert_false(g->ioapic.lines & (1u << 10));
	assert_false(fake.pic_imr[1] & (1u << 2));
	assert_int_equal(enter(0), 0);                /* nothing again until the device asks */
}

/* ---- delivery ---------------------------------------------------------------- */

/* g's 8259 pair as a kernel sets it up (ICW1..4: base 0x20, cascade), IRQ 0 alone unmasked. */
static void pic_irq0_only(struct guest *g)
{
	vpic_write(&g->pic, 0x20, 0x11);
	vpic_write(&g->pic, 0x21, 0x20);
	vpic_write(&g->pic, 0x21, 0x04);
	vpic_write(&g->pic, 0x21, 0x01);
	vpic_write(&g->pic, 0x21, 0xfe);
}

/* A guest that never touches its APIC gets its 8259 through LINT0 (virtual wire), as before. */
static void test_8259_through_lint0_extint(void **state)
{
	struct guest *g = &hv.guests[0];

	(void)state;
	pic_irq0_only(g);
	vpic_pulse_irq(&g->pic, 0);
	assert_int_equal(enter(0), 0x80000020u);
	/* LINT0 masked: the 8259's INTR no longer reaches the CPU. */
	vpic_write(&g->pic, 0x20, 0x20);            /* EOI */
	apic_write(VLAPIC_LVT_LINT0, 0x10700);
	vpic_pulse_irq(&g->pic, 0);
	assert_int_equal(enter(0), 0);
	assert_false(virq_pending(g));
}

static void test_self_ipis_by_priority_and_eoi(void **state)
{
	struct guest *g = &hv.guests[0];

	(void)state;
	apic_write(VLAPIC_ICR_LO, (1u << 18) | 0x50);
	apic_write(VLAPIC_ICR_LO, (1u << 18) | 0x80);
	assert_int_equal(enter(0), 0x80000080u);
	/* 0x50 is below PPR (0x80 in service): nothing until the EOI. */
	assert_int_equal(enter(0), 0);
	apic_write(VLAPIC_EOI, 0);
	assert_int_equal(enter(0), 0x80000050u);
	apic_write(VLAPIC_EOI, 0);
	assert_int_equal(vlapic_highest_irr(&g->lapic), -1);
}

/* TPR holding a vector off sets the TPR threshold to its class; CR8 lowering below exits. */
static void test_tpr_masks_and_sets_the_threshold(void **state)
{
	(void)state;
	apic_write(VLAPIC_TPR, 0x70);
	apic_write(VLAPIC_ICR_LO, (1u << 18) | 0x60);
	assert_int_equal(enter(0), 0);
	assert_int_equal(fake_vmcs_get(TPR_THRESHOLD), 6);
	/* The guest's MOV to CR8 lands in the virtual-APIC page; the exit brings it in. */
	((uint32_t *)v->vapic)[0x80 / 4] = 0;
	assert_int_equal(host_exit(v, EXIT_REASON_TPR_BELOW_THRESHOLD, 0, 0), EXIT_RESUME);
	assert_int_equal(enter(0), 0x80000060u);
	assert_int_equal(fake_vmcs_get(TPR_THRESHOLD), 0);
}

/* A guest's CR8 write (in the virtual-APIC page) survives a line changing the models before the next entry. */
static void test_cr8_write_survives_a_device_line(void **state)
{
	struct guest *g = &hv.guests[0];

	(void)state;
	((uint32_t *)v->vapic)[0x80 / 4] = 0x50;
	lapic_line(g, 4, 1, false);
	assert_int_equal(((uint32_t *)v->vapic)[0x80 / 4], 0x50);
	assert_int_equal(vlapic_tpr(&g->lapic), 0x50);
}

/* An NMI IPI: injected as an NMI; held off by NMI blocking, it asks for the NMI window. */
static void test_nmi_injection_and_window(void **state)
{
	(void)state;
	apic_write(VLAPIC_ICR_LO, (1u << 18) | (VLAPIC_DM_NMI << 8));
	assert_int_equal(enter(1u << 3), 0);
	assert_true(fake_vmcs_get(CPU_BASED_VM_EXEC_CONTROL) & PROC_NMI_WINDOW_EXITING);
	assert_int_equal(host_exit(v, EXIT_REASON_NMI_WINDOW, 0, 0), EXIT_RESUME);
	assert_int_equal(enter(0), NMI_INJECTED);
	assert_false(fake_vmcs_get(CPU_BASED_VM_EXEC_CONTROL) & PROC_NMI_WINDOW_EXITING);
	assert_int_equal(hv.guests[0].apic.nmis, 1);
	guest_print_stats(&hv.guests[0]);
	assert_true(host_log_has("hv: guest a APIC: 1 xAPIC/IOAPIC accesses emulated, 1 NMIs injected"));
}

/* ---- APIC virtualization (the fake CPU offers it) --------------------------- */

/* The guest with a LAPIC gets the APIC-access page in its EPT and its controls; the other neither. */
static void test_apic_access_page_only_with_lapic(void **state)
{
	uint64_t hpa;

	(void)state;
	assert_non_null(hv.guests[0].apic.access_page);
	assert_int_equal(ept_translate(&hv.guests[0].ept, 0xfee00000, &hpa, NULL), 0);
	assert_int_equal(hpa, (uintptr_t)hv.guests[0].apic.access_page);
	assert_true(fake_vmcs_get(SECONDARY_VM_EXEC_CONTROL) & PROC2_VIRTUALIZE_APIC);
	assert_int_equal(fake_vmcs_get(APIC_ACCESS_ADDR), (uintptr_t)hv.guests[0].apic.access_page);
	assert_true(host_log_has("hv: LAPIC access: APIC-access page with APIC-register virtualization"));
	v = host_vcpu(1);
	assert_null(hv.guests[1].apic.access_page);
	assert_false(fake_vmcs_get(SECONDARY_VM_EXEC_CONTROL) & PROC2_VIRTUALIZE_APIC);
	assert_int_equal(ept_translate(&hv.guests[1].ept, 0xfee00000, &hpa, NULL), -1);
}

/* A virtualized ICR write ends in an APIC-write exit: the IPI is sent; the page then shows IRR/ISR. */
static void test_apic_write_exit_sends_the_ipi_and_the_page_follows(void **state)
{
	uint32_t *page = v->vapic;

	(void)state;
	page[VLAPIC_ICR_LO / 4] = (1u << 18) | 0x50;
	assert_int_equal(host_exit(v, EXIT_REASON_APIC_WRITE, VLAPIC_ICR_LO, 0), EXIT_RESUME);
	assert_int_equal(enter(0), 0x80000050u);
	assert_true(page[(VLAPIC_ISR + 0x20) / 4] & (1u << (0x50 % 32)));       /* ISR 0x40-0x5f */
	assert_int_equal(page[VLAPIC_VERSION / 4], VLAPIC_VERSION_VALUE);
	assert_int_equal(page[VLAPIC_SVR / 4], 0x1ff);
}

/* Accesses the CPU does not virtualize are APIC-access exits, decoded like EPT violations (here an EOI by a CPU that exits on it). */
static void test_apic_access_exits_are_decoded(void **state)
{
	(void)state;
	apic_write(VLAPIC_ICR_LO, (1u << 18) | 0x60);
	assert_int_equal(enter(0), 0x80000060u);
	memcpy(host_gpa(0, RIP0), "\xa3\xb0\x00\xe0\xfe", 5);        /* mov [0xfee000b0], eax */
	fake_vmcs_set(GUEST_RIP, RIP0);
	v->regs.rax = 0;
	assert_int_equal(host_exit(v, EXIT_REASON_APIC_ACCESS, 0x10b0, 0), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 5);
	assert_int_equal(hv.guests[0].lapic.isr[0x60 / 32], 0);
	/* A fetch from the page stops the guest. */
	assert_int_equal(host_exit(v, EXIT_REASON_APIC_ACCESS, 0x2000, 0), EXIT_STOPPED);
	assert_true(host_log_has("(local APIC page: not a data access by an instruction)"));
}

/* ---- MSRs, CPUID, the timer ----------------------------------------------- */

static void test_msrs_and_cpuid_follow_lapic(void **state)
{
	struct cpuid_regs r;
	uint64_t val = 0;

	(void)state;
	cpumodel_cpuid(v, 1, 0, &r);
	assert_true(r.edx & (1u << 9));
	assert_true(r.ecx & (1u << 21));
	assert_true(r.ecx & (1u << 24));
	assert_int_equal(msr(EXIT_REASON_RDMSR, 0x1b, &val), 0);
	assert_int_equal(val, 0xfee00900ull);
	assert_int_equal(msr(EXIT_REASON_RDMSR, 0x802, &val), -1);      /* x2APIC MSR in xAPIC mode */
	val = 0xfee00d00ull;                                               /* EN | EXTD | BSP */
	assert_int_equal(msr(EXIT_REASON_WRMSR, 0x1b, &val), 0);
	assert_int_equal(msr(EXIT_REASON_RDMSR, 0x803, &val), 0);
	assert_int_equal(val, VLAPIC_VERSION_VALUE);
	assert_int_equal(msr(EXIT_REASON_RDMSR, 0x804, &val), -1);      /* reserved */
	assert_int_equal(msr(EXIT_REASON_RDMSR, 0x900, &val), -1);      /* beyond the x2APIC rows */
	/* The guest with lapic = off: no APIC in CPUID, its MSRs #GP. */
	v = host_vcpu(1);
	cpumodel_cpuid(v, 1, 0, &r);
	assert_false(r.edx & (1u << 9));
	assert_false(r.ecx & ((1u << 21) | (1u << 24)));
	assert_int_equal(msr(EXIT_REASON_RDMSR, 0x1b, &val), -1);
	assert_int_equal(msr(EXIT_REASON_RDMSR, 0x6e0, &val), -1);
}

/* A TSC-deadline timer is the guest's next wake-up; once due, its vector is injected. */
static void test_tsc_deadline_feeds_the_wakeup(void **state)
{
	struct guest *g = &hv.guests[0];
	uint64_t now = cpu_rdtsc(), val;

	(void)state;
	apic_write(VLAPIC_LVT_TIMER, (VLAPIC_TIMER_DEADLINE << 17) | 0x70);
	val = now + 1000000;
	assert_int_equal(msr(EXIT_REASON_WRMSR, 0x6e0, &val), 0);
	assert_int_equal(virq_next_event(g, now), now + 1000000 - g->vcpu.tsc_offset);
	fake.tsc = now + 1000001;
	assert_int_equal(enter(0), 0x80000070u);
	assert_int_equal(virq_next_event(g, cpu_rdtsc()), UINT64_MAX);
}

/* ---- the entry path's summaries (issue 11 item 1) --------------------------- */

/* The highest IRR vector by a scan of the register, as the model had it before its summary. */
static int irr_scan(const struct vlapic *a)
{
	for (int i = 7; i >= 0; i--)
		if (a->irr[i])
			return i * 32 + 31 - __builtin_clz(a->irr[i]);
	return -1;
}

/* The IRR/ISR summaries agree with the registers (they are what every entry reads). */
static void assert_summary_fresh(const struct vlapic *a)
{
	for (int i = 0; i < 8; i++) {
		assert_int_equal(!!(a->irr_words & (1u << i)), !!a->irr[i]);
		assert_int_equal(!!(a->isr_words & (1u << i)), !!a->isr[i]);
	}
	assert_int_equal(vlapic_highest_irr(a), irr_scan(a));
	assert_int_equal(vlapic_irr_pending(a), irr_scan(a) >= 0);
}

/*
 * Vectors in several IRR words, taken in priority order, acknowledged,
 * EOIed, and dropped by an APIC disable: the summary follows every
 * change, so an entry never injects from an emptied word nor misses one.
 */
static void test_irr_summary_follows_every_change(void **state)
{
	static const uint8_t vecs[] = { 0x31, 0x5f, 0x60, 0x7e, 0xef, 0xf0 };
	struct vlapic *a = &hv.guests[0].lapic;
	uint64_t val;

	(void)state;
	assert_summary_fresh(a);
	for (unsigned i = 0; i < sizeof(vecs); i++) {
		apic_write(VLAPIC_ICR_LO, (1u << 18) | vecs[i]);
		assert_summary_fresh(a);
	}
	for (int i = (int)sizeof(vecs) - 1; i >= 0; i--) {
		assert_int_equal(enter(0), 0x80000000u | vecs[i]);
		assert_summary_fresh(a);
		apic_write(VLAPIC_EOI, 0);
		assert_summary_fresh(a);
	}
	assert_int_equal(enter(0), 0);
	assert_int_equal(fake_vmcs_get(TPR_THRESHOLD), 0);
	/* Two in service, two requested; the APIC disabled: every register empty, and the summary. */
	apic_write(VLAPIC_ICR_LO, (1u << 18) | 0x41);
	assert_int_equal(enter(0), 0x80000041u);
	apic_write(VLAPIC_ICR_LO, (1u << 18) | 0xc1);
	assert_int_equal(enter(0), 0x800000c1u);       /* a higher class nests */
	apic_write(VLAPIC_ICR_LO, (1u << 18) | 0x42);
	apic_write(VLAPIC_ICR_LO, (1u << 18) | 0xa2);
	assert_summary_fresh(a);
	val = 0xfee00100ull;                                       /* BSP, EN = 0 */
	assert_int_equal(msr(EXIT_REASON_WRMSR, 0x1b, &val), 0);
	assert_summary_fresh(a);
	assert_int_equal(vlapic_ppr(a), 0);
	val = 0xfee00900ull;
	assert_int_equal(msr(EXIT_REASON_WRMSR, 0x1b, &val), 0);
	apic_write(VLAPIC_SVR, 0x1ff);
	assert_int_equal(enter(0), 0);
	apic_write(VLAPIC_ICR_LO, (1u << 18) | 0x33);
	assert_int_equal(enter(0), 0x80000033u);
	assert_summary_fresh(a);
}

/*
 * An entry with nothing pending does no LAPIC work, but a TPR the guest
 * wrote without an exit (CR8, into the virtual-APIC page) still reaches
 * the model at that entry, and the page's PPR follows it.
 */
static void test_clean_entry_still_takes_the_guests_tpr(void **state)
{
	struct guest *g = &hv.guests[0];
	uint32_t *page = v->vapic;

	(void)state;
	assert_int_equal(enter(0), 0);
	assert_false(g->apic.dirty);
	page[VLAPIC_TPR / 4] = 0x50;
	assert_int_equal(enter(0), 0);
	assert_int_equal(vlapic_tpr(&g->lapic), 0x50);
	assert_int_equal(page[VLAPIC_PPR / 4], 0x50);
	assert_false(g->apic.dirty);
	/* A vector at that class waits (threshold 5); one above it is taken. */
	apic_write(VLAPIC_ICR_LO, (1u << 18) | 0x58);
	assert_int_equal(enter(0), 0);
	assert_int_equal(fake_vmcs_get(TPR_THRESHOLD), 5);
	page[VLAPIC_TPR / 4] = 0x40;
	assert_int_equal(enter(0), 0x80000058u);
	assert_int_equal(fake_vmcs_get(TPR_THRESHOLD), 0);
}

/* What the PIT itself says of IRQ 0 at now; the entry path's snapshot must agree. */
static void assert_pit_snapshot_agrees(struct guest *g, uint64_t now)
{
	struct vpit copy = g->pit;

	assert_int_equal(virq_next_event(g, now), vpit_next_irq0(&g->pit, now));
	assert_int_equal(vpit_irq0_pending(&copy, now), 0);
}

/*
 * The entry path skips the PIT's arithmetic until the next IRQ 0 edge it
 * computed. A reprogrammed PIT, by a port exit or by a direct write
 * (as the hv's own code might), is seen at the next entry: its first
 * edge, long before the old next edge, is injected on time.
 */
static void test_pit_reprogrammed_before_the_edge_it_was_waiting_for(void **state)
{
	struct guest *g = &hv.guests[0];
	uint64_t t0, ms = hv.tsc_hz / 1000;

	(void)state;
	pic_irq0_only(g);
	assert_int_equal(enter(0), 0);              /* the BIOS rate: the next edge ~55 ms on */
	t0 = fake.tsc;
	assert_true(virq_next_event(g, t0) > t0 + 50 * ms);
	assert_pit_snapshot_agrees(g, t0);
	host_port_out(v, 0x43, 0x34);               /* channel 0, mode 2, count 1193: 1 ms */
	host_port_out(v, 0x40, 1193 & 0xff);
	host_port_out(v, 0x40, 1193 >> 8);
	assert_true(virq_next_event(g, fake.tsc) <= fake.tsc + ms);
	assert_int_equal(enter(0), 0);
	fake.tsc += ms + ms / 2;
	assert_int_equal(enter(0), 0x80000020u);
	vpic_write(&g->pic, 0x20, 0x20);            /* EOI */
	assert_pit_snapshot_agrees(g, fake.tsc);
	/* The same by a direct write of the model: 10 ms; nothing until then. */
	vpit_write(&g->pit, 0x43, 0x34, fake.tsc);
	vpit_write(&g->pit, 0x40, 11932 & 0xff, fake.tsc);
	vpit_write(&g->pit, 0x40, 11932 >> 8, fake.tsc);
	t0 = fake.tsc;
	fake.tsc += 2 * ms;
	assert_int_equal(enter(0), 0);
	assert_pit_snapshot_agrees(g, fake.tsc);
	fake.tsc = t0 + 10 * ms + ms / 10;
	assert_int_equal(enter(0), 0x80000020u);
	vpic_write(&g->pic, 0x20, 0x20);
	/* Only the count differs (the same start TSC): 2 ms instead of 10 is seen too. */
	t0 = fake.tsc;
	vpit_write(&g->pit, 0x40, 11932 & 0xff, t0);
	vpit_write(&g->pit, 0x40, 11932 >> 8, t0);
	fake.tsc += ms;
	assert_int_equal(enter(0), 0);
	vpit_write(&g->pit, 0x40, 2386 & 0xff, t0);
	vpit_write(&g->pit, 0x40, 2386 >> 8, t0);
	fake.tsc = t0 + 2 * ms + ms / 10;
	assert_int_equal(enter(0), 0x80000020u);
	assert_int_equal(g->ticks_lost, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, host_cmocka_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_xapic_reads_decode_and_complete),
		T(test_xapic_writes_by_register_and_immediate),
		T(test_reserved_register_is_no_stop),
		T(test_undecodable_access_stops_with_the_bytes),
		T(test_operand_must_be_the_reported_address),
		T(test_lapic_off_guest_has_no_apic_page),
		T(test_ioapic_window_and_pit_on_pin_2),
		T(test_routed_level_line_through_the_ioapic),
		T(test_8259_through_lint0_extint),
		T(test_self_ipis_by_priority_and_eoi),
		T(test_tpr_masks_and_sets_the_threshold),
		T(test_cr8_write_survives_a_device_line),
		T(test_nmi_injection_and_window),
		T(test_apic_access_page_only_with_lapic),
		T(test_apic_write_exit_sends_the_ipi_and_the_page_follows),
		T(test_apic_access_exits_are_decoded),
		T(test_msrs_and_cpuid_follow_lapic),
		T(test_tsc_deadline_feeds_the_wakeup),
		T(test_irr_summary_follows_every_change),
		T(test_clean_entry_still_takes_the_guests_tpr),
		T(test_pit_reprogrammed_before_the_edge_it_was_waiting_for),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
