/*
 * Isolation across CPUs (issue 11 item 6), on the host (tests/unit/hvhost):
 * a guest's IPIs through the xAPIC page (decoded EPT violations and
 * APIC-write exits) and the x2APIC ICR MSR, its IOAPIC redirection
 * entries and their messages reach no CPU but its own vCPU; the hv counts
 * and logs each kind once (hv/lapic_contain.c) and sends no physical IPI;
 * CPUID shows one logical processor whose APIC IDs agree with the vLAPIC's
 * wherever the host's topology says otherwise. The system test beside a
 * victim on the other CPU is tests/system/test_attack_cpus.py.
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
#include "ioapic.h"
#include "lapic.h"
#include "virq.h"
#include "vmx.h"

#define HV   "[hv]\ntrace = off\n"
#define GA   "[guest a]\nimage = \\a.elf\nmemory = 4M\n"
#define GB   "[guest b]\nimage = \\b.elf\nmemory = 4M\nlapic = off\n"
#define RIP0 0x100020u

#define EPTQ_WRITE_DATA 0x182u
#define GP_INJECTED     0x80000b0du
#define NMI_INJECTED    0x80000202u

#define ICR_LOGICAL     (1u << 11)
#define ICR_OTHERS      (3u << 18)
#define DM(m)           ((uint32_t)(m) << 8)

static struct vcpu *v;
static struct guest *g;
static uint64_t phys_rte[VIOAPIC_PINS];     /* the physical IOAPIC after boot */

/* The machine: a physical xAPIC and IOAPIC (the hv's interrupt layer uses them). */
static void pc_with_ioapic(void)
{
	fake_enable_lapic(false, 0);
	fake_add_ioapic(0, IOAPIC_ARCH_BASE);
}

static int boot(void (*machine)(void))
{
	host_tweak = machine;
	host_boot(HV GA "irqs = 4\n" GB);
	host_tweak = NULL;
	v = host_vcpu(0);
	g = &hv.guests[0];
	memcpy(phys_rte, fake.ioapic[0].io.rte, sizeof(phys_rte));
	fake.lapic.nicr = 0;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return boot(pc_with_ioapic);
}

/* mov dword [addr], imm32 (C7 05 disp32 imm32) by guest a, an EPT violation the hv decodes. */
static void store(uint32_t addr, uint32_t val)
{
	char insn[10] = { (char)0xc7, 0x05 };

	memcpy(insn + 2, &addr, 4);
	memcpy(insn + 6, &val, 4);
	memcpy(host_gpa(0, RIP0), insn, sizeof(insn));
	fake_vmcs_set(GUEST_RIP, RIP0);
	fake_vmcs_set(GUEST_PHYSICAL_ADDRESS, addr);
	fake_vmcs_set(GUEST_LINEAR_ADDRESS, addr);
	assert_int_equal(host_exit(v, EXIT_REASON_EPT_VIOLATION, EPTQ_WRITE_DATA, 0), EXIT_RESUME);
}

/* An IPI through the xAPIC page: ICR high (destination), then ICR low. */
static void xapic_ipi(uint8_t dest, uint32_t lo)
{
	store(VLAPIC_DEFAULT_BASE + VLAPIC_ICR_HI, (uint32_t)dest << 24);
	store(VLAPIC_DEFAULT_BASE + VLAPIC_ICR_LO, lo);
}

static void ioapic_write(unsigned reg, uint32_t val)
{
	store(VIOAPIC_BASE + VIOAPIC_IOREGSEL, reg);
	store(VIOAPIC_BASE + VIOAPIC_IOWIN, val);
}

/* WRMSR by v; returns 0, or -1 if the hv injected #GP. */
static int wrmsr(uint32_t msr, uint64_t val)
{
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	v->regs.rcx = msr, v->regs.rax = (uint32_t)val, v->regs.rdx = val >> 32;
	assert_int_equal(host_exit(v, EXIT_REASON_WRMSR, 0, 2), EXIT_RESUME);
	return fake_vmcs_get(VM_ENTRY_INTR_INFO) == GP_INJECTED ? -1 : 0;
}

static uint64_t rdmsr(uint32_t msr)
{
	v->regs.rcx = msr;
	assert_int_equal(host_exit(v, EXIT_REASON_RDMSR, 0, 2), EXIT_RESUME);
	return v->regs.rdx << 32 | (uint32_t)v->regs.rax;
}

/* The entry path with interrupts on: what it injected (0: nothing). */
static uint32_t enter(void)
{
	fake_vmcs_set(GUEST_RFLAGS, 0x2 | RFLAGS_IF);
	fake_vmcs_set(GUEST_INTERRUPTIBILITY_INFO, 0);
	fake_vmcs_set(VM_ENTRY_INTR_INFO, 0);
	fake_vmcs_set(IDT_VECTORING_INFO, 0);
	v->fresh = true;
	virq_prepare_entry(v, cpu_rdtsc(), UINT64_MAX);
	return (uint32_t)fake_vmcs_get(VM_ENTRY_INTR_INFO);
}

/*
 * Nothing left the guest: the physical local APIC sent no IPI, the
 * physical IOAPIC's entries are as the hv programmed them, nothing is
 * pending for the other guest.
 */
static void assert_nothing_left(void)
{
	assert_int_equal(fake.lapic.nicr, 0);
	assert_memory_equal(fake.ioapic[0].io.rte, phys_rte, sizeof(phys_rte));
	assert_int_equal(fake.mmio_stray, 0);
	assert_int_equal(hv.guests[1].state, GUEST_RUNNABLE);
	assert_false(virq_pending(&hv.guests[1]));
	assert_int_equal(g->state, GUEST_RUNNABLE);
}

/* ---- IPIs ------------------------------------------------------------------- */

static void test_xapic_ipis_to_other_cpus_are_dropped_logged_once_per_kind(void **state)
{
	(void)state;
	xapic_ipi(1, DM(VLAPIC_DM_INIT));
	assert_true(host_log_has("hv: guest a: IPI (INIT, xAPIC page) to APIC ID 1 dropped: "
				 "no such CPU, its only CPU has APIC ID 0\n"));
	fake_log_clear();
	xapic_ipi(2, DM(VLAPIC_DM_INIT));                     /* the same kind: counted, not logged */
	xapic_ipi(0, DM(VLAPIC_DM_INIT));
	assert_false(host_log_has("IPI (INIT"));
	xapic_ipi(0, ICR_OTHERS | DM(VLAPIC_DM_NMI));
	assert_true(host_log_has("hv: guest a: IPI (NMI, xAPIC page) to all excluding self dropped: "
				 "no such CPU, its only CPU has APIC ID 0\n"));
	xapic_ipi(0, DM(VLAPIC_DM_SIPI) | 0x10);
	assert_true(host_log_has("hv: guest a: IPI (SIPI, xAPIC page) to APIC ID 0 dropped: "
				 "its only CPU (APIC ID 0) takes no INIT, SIPI or SMI\n"));
	xapic_ipi(0x0e, ICR_LOGICAL | 0x61);
	assert_true(host_log_has("hv: guest a: IPI (fixed, xAPIC page) to logical destination 0xe dropped"));
	xapic_ipi(0, DM(VLAPIC_DM_LOWEST) | 0x61);             /* itself, but never sent */
	assert_true(host_log_has("hv: guest a: IPI (lowest priority, xAPIC page) to APIC ID 0 dropped: "
				 "lowest-priority IPIs are not sent (ESR: redirectable IPI)\n"));
	assert_int_equal(enter(), 0);                         /* none of it reached the guest itself */
	assert_false(vlapic_nmi_pending(&g->lapic));
	assert_nothing_left();
	fake_log_clear();
	guest_print_stats(g);
	assert_true(host_log_has("hv: guest a APIC containment: 7 IPIs dropped (fixed 1, lowest priority 1, NMI 1, "
				 "INIT 3, SIPI 1), 0 IOAPIC entries routed to no CPU, 0 IOAPIC messages dropped\n"));
}

/* What reaches its own vCPU is no containment: delivered, never logged. */
static void test_ipis_to_itself_are_delivered_and_not_logged(void **state)
{
	(void)state;
	xapic_ipi(0, 0x61);                                  /* its own APIC ID */
	assert_int_equal(enter(), 0x80000061u);
	xapic_ipi(0xff, DM(VLAPIC_DM_NMI));                  /* broadcast: itself, the only CPU */
	assert_int_equal(enter(), NMI_INJECTED);
	fake_log_clear();
	guest_print_stats(g);
	assert_false(host_log_has("dropped"));
	assert_false(host_log_has("containment"));
	assert_nothing_left();
}

/* A virtualized ICR write (APIC-write exit) and the x2APIC ICR MSR are the same IPI path. */
static void test_apic_write_exit_and_x2apic_msr_ipis_are_dropped_and_logged(void **state)
{
	uint32_t *page = v->vapic;

	(void)state;
	page[VLAPIC_ICR_HI / 4] = 3u << 24;                 /* virtualized: no exit */
	page[VLAPIC_ICR_LO / 4] = DM(VLAPIC_DM_NMI);
	assert_int_equal(host_exit(v, EXIT_REASON_APIC_WRITE, VLAPIC_ICR_LO, 0), EXIT_RESUME);
	assert_true(host_log_has("hv: guest a: IPI (NMI, xAPIC page) to APIC ID 3 dropped: "
				 "no such CPU, its only CPU has APIC ID 0\n"));
	assert_int_equal(wrmsr(0x830, 1ull << 32 | DM(VLAPIC_DM_INIT)), -1);   /* xAPIC mode: #GP */
	assert_int_equal(wrmsr(0x1b, 0xfee00d00ull), 0);                       /* x2APIC on */
	assert_int_equal(wrmsr(0x830, 1ull << 32 | DM(VLAPIC_DM_INIT)), 0);
	assert_true(host_log_has("hv: guest a: IPI (INIT, x2APIC MSR) to APIC ID 1 dropped: "
				 "no such CPU, its only CPU has APIC ID 0\n"));
	assert_int_equal(wrmsr(0x830, 0x0000000eull << 32 | ICR_LOGICAL | 0x62), 0);
	assert_true(host_log_has("hv: guest a: IPI (fixed, x2APIC MSR) to logical destination 0xe dropped"));
	assert_int_equal(wrmsr(0x830, 0xffffffffull << 32 | DM(VLAPIC_DM_NMI)), 0);   /* itself */
	assert_int_equal(enter(), NMI_INJECTED);
	assert_int_equal(g->contain.ipis[VLAPIC_DM_NMI], 1);
	assert_int_equal(g->contain.ipis[VLAPIC_DM_INIT], 1);
	assert_int_equal(g->contain.ipis[VLAPIC_DM_FIXED], 1);
	assert_nothing_left();
}

/*
 * With APIC-register virtualization the CPU keeps a write of ICR high in
 * the virtual-APIC page and never exits for it (SDM "APIC-Write
 * Emulation"); the IPI the ICR low write sends goes there, even when the
 * hv refilled the page in between. (Before: the model's stale ICR high,
 * 0, sent an IPI for APIC ID 1 to the guest itself.)
 */
static void test_icr_high_in_the_page_is_the_destination(void **state)
{
	uint32_t *page = v->vapic;

	(void)state;
	page[VLAPIC_ICR_HI / 4] = 1u << 24;
	g->apic.dirty = true;                                   /* a refill before the ICR low write */
	assert_int_equal(enter(), 0);
	assert_int_equal(page[VLAPIC_ICR_HI / 4], 1u << 24);
	page[VLAPIC_ICR_LO / 4] = 0x61;
	assert_int_equal(host_exit(v, EXIT_REASON_APIC_WRITE, VLAPIC_ICR_LO, 0), EXIT_RESUME);
	assert_int_equal(enter(), 0);                           /* not to itself */
	assert_true(host_log_has("hv: guest a: IPI (fixed, xAPIC page) to APIC ID 1 dropped"));
	page[VLAPIC_ICR_HI / 4] = 0;
	page[VLAPIC_ICR_LO / 4] = 0x62;
	assert_int_equal(host_exit(v, EXIT_REASON_APIC_WRITE, VLAPIC_ICR_LO, 0), EXIT_RESUME);
	assert_int_equal(enter(), 0x80000062u);                 /* APIC ID 0: itself */
	/* A decoded write of ICR high (an APIC-access exit) reaches the page too; a disable resets it. */
	store(VLAPIC_DEFAULT_BASE + VLAPIC_ICR_HI, 2u << 24);
	assert_int_equal(page[VLAPIC_ICR_HI / 4], 2u << 24);
	assert_int_equal(wrmsr(0x1b, 0xfee00100ull), 0);
	assert_int_equal(page[VLAPIC_ICR_HI / 4], 0);
}

/* The guest without a LAPIC: the x2APIC ICR and IA32_APIC_BASE #GP, refused as any MSR it lacks. */
static void test_lapic_off_guest_gets_gp_for_the_x2apic_icr(void **state)
{
	(void)state;
	v = host_vcpu(1);
	assert_int_equal(wrmsr(0x1b, 0xfee00d00ull), -1);
	assert_int_equal(wrmsr(0x830, DM(VLAPIC_DM_INIT)), -1);
	assert_true(host_log_has("hv: guest b: write of 0x500 to MSR 0x830 refused (#GP)"));
	assert_int_equal(fake.lapic.nicr, 0);
}

/* ---- the IOAPIC ------------------------------------------------------------- */

static void test_ioapic_routes_and_messages_to_no_cpu_are_dropped_and_logged(void **state)
{
	(void)state;
	ioapic_write(VIOAPIC_REG_RTE + 2 * 2 + 1, 1u << 24);    /* pin 2: APIC ID 1 */
	ioapic_write(VIOAPIC_REG_RTE + 2 * 2, 0x62);            /* fixed, edge, unmasked */
	assert_true(host_log_has("hv: guest a: IOAPIC pin 2 routed to APIC ID 1 (fixed, vector 0x62): "
				 "no such CPU, its only CPU has APIC ID 0; its interrupts go nowhere\n"));
	lapic_pit_edge(g);
	assert_true(host_log_has("hv: guest a: IOAPIC pin 2 message (fixed, vector 0x62) to APIC ID 1 dropped: "
				 "no such CPU, its only CPU has APIC ID 0\n"));
	assert_int_equal(enter(), 0);
	lapic_pit_edge(g);
	/* INIT to itself: no CPU of it takes an INIT message. */
	ioapic_write(VIOAPIC_REG_RTE + 2 * 2 + 1, 0);
	ioapic_write(VIOAPIC_REG_RTE + 2 * 2, DM(VLAPIC_DM_INIT));
	assert_true(host_log_has("hv: guest a: IOAPIC pin 2 routed to APIC ID 0 (INIT, vector 0x0): "
				 "its only CPU (APIC ID 0) takes no SMI, INIT or ExtINT message; its interrupts go nowhere\n"));
	lapic_pit_edge(g);
	assert_true(host_log_has("hv: guest a: IOAPIC pin 2 message (INIT, vector 0x0) to APIC ID 0 dropped"));
	assert_int_equal(enter(), 0);
	/* NMI to itself is what a one-CPU PC does: delivered, not logged. */
	fake_log_clear();
	ioapic_write(VIOAPIC_REG_RTE + 2 * 2, DM(VLAPIC_DM_NMI));
	lapic_pit_edge(g);
	assert_int_equal(enter(), NMI_INJECTED);
	/* Masked entries go nowhere by design: never logged. */
	ioapic_write(VIOAPIC_REG_RTE + 2 * 5 + 1, 7u << 24);
	ioapic_write(VIOAPIC_REG_RTE + 2 * 5, VIOAPIC_RTE_MASKED | DM(VLAPIC_DM_INIT));
	assert_false(host_log_has("IOAPIC pin"));
	assert_nothing_left();
	guest_print_stats(g);
	assert_true(host_log_has("hv: guest a APIC containment: 0 IPIs dropped, 2 IOAPIC entries routed to no CPU, "
				 "3 IOAPIC messages dropped\n"));
}

/* A legitimate kernel's entries (its own ID, its logical ID in flat mode, the broadcast) are never logged. */
static void test_ioapic_routes_to_itself_are_not_logged(void **state)
{
	(void)state;
	ioapic_write(VIOAPIC_REG_RTE + 2 * 4, 0x64);                       /* APIC ID 0 */
	store(VLAPIC_DEFAULT_BASE + VLAPIC_LDR, 1u << 24);                  /* flat, bit 0 */
	ioapic_write(VIOAPIC_REG_RTE + 2 * 3 + 1, 1u << 24);
	ioapic_write(VIOAPIC_REG_RTE + 2 * 3, VIOAPIC_RTE_LOGICAL | 0x63);
	ioapic_write(VIOAPIC_REG_RTE + 2 * 2 + 1, 0xffu << 24);
	ioapic_write(VIOAPIC_REG_RTE + 2 * 2, 0x62);
	lapic_pit_edge(g);
	assert_int_equal(enter(), 0x80000062u);
	guest_print_stats(g);
	assert_false(host_log_has("IOAPIC pin"));
	assert_false(host_log_has("containment"));
	assert_nothing_left();
}

/* With its APIC globally disabled a guest's IOAPIC messages are lost as on a PC: no containment to log. */
static void test_messages_to_a_disabled_apic_are_lost_silently(void **state)
{
	(void)state;
	assert_int_equal(wrmsr(0x1b, 0xfee00100ull), 0);                     /* EN = 0 */
	ioapic_write(VIOAPIC_REG_RTE + 2 * 2 + 1, 1u << 24);
	ioapic_write(VIOAPIC_REG_RTE + 2 * 2, 0x62);
	lapic_pit_edge(g);
	assert_false(host_log_has("IOAPIC pin"));
	assert_int_equal(g->contain.routes + g->contain.msgs, 0);
}

/* A restart begins a new count: the summary is per boot, and each kind is logged again. */
static void test_counts_start_again_on_each_boot(void **state)
{
	(void)state;
	xapic_ipi(1, DM(VLAPIC_DM_INIT));
	assert_int_equal(g->contain.ipis[VLAPIC_DM_INIT], 1);
	lapic_reset(g);
	assert_int_equal(g->contain.ipis[VLAPIC_DM_INIT], 0);
	assert_int_equal(g->contain.logged, 0);
	fake_log_clear();
	xapic_ipi(1, DM(VLAPIC_DM_INIT));
	assert_true(host_log_has("IPI (INIT, xAPIC page) to APIC ID 1 dropped"));
}

/* ---- CPUID topology --------------------------------------------------------- */

/* The host CPU the guest runs on has APIC ID 1, two threads, eight cores: the guest sees none of it. */
static void host_cpu_1(void)
{
	pc_with_ioapic();
	fake_set_cpuid(1, 0, 0x000306c3, 0x01100800, 0x7ffafbff | (1u << 21), 0xbfebfbff);
	fake_set_cpuid(4, 0, 0x1c004121, 0x01c0003f, 0x3f, 0);
	fake_set_cpuid(0xb, 0, 1, 2, 0x100, 1);
	fake_set_cpuid(0xb, 1, 4, 16, 0x201, 1);
	fake_set_cpuid(0xb, 2, 0, 0, 2, 1);
}

static int setup_cpu_1(void **state)
{
	(void)state;
	return boot(host_cpu_1);
}

static void test_cpuid_topology_is_one_cpu_with_the_vlapics_id(void **state)
{
	struct cpuid_regs r;

	(void)state;
	cpumodel_cpuid(v, 1, 0, &r);
	assert_int_equal(r.ebx >> 16, 0x0001);                /* APIC ID 0, one logical processor */
	assert_false(r.edx & (1u << 28));                     /* no HTT */
	cpumodel_cpuid(v, 4, 0, &r);
	assert_int_equal(r.eax >> 14, 0);                     /* one thread, one core per cache */
	cpumodel_cpuid(v, 0xb, 0, &r);
	assert_true(r.eax == 0 && r.ebx == 1 && r.ecx == 0x100 && r.edx == 0);
	cpumodel_cpuid(v, 0xb, 1, &r);
	assert_true(r.eax == 0 && r.ebx == 1 && r.ecx == 0x201 && r.edx == 0);
	cpumodel_cpuid(v, 0xb, 2, &r);
	assert_true(r.ebx == 0 && (r.ecx & 0xff00) == 0 && r.edx == 0);
	/* The vLAPIC agrees: xAPIC ID register, then the x2APIC ID MSR. */
	assert_int_equal(vlapic_mmio_read(&g->lapic, VLAPIC_ID, 4, 0), 0);
	assert_int_equal(wrmsr(0x1b, 0xfee00d00ull), 0);
	assert_int_equal(rdmsr(0x802), 0);
}

#define T(f)  cmocka_unit_test_setup_teardown(f, setup, host_cmocka_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_xapic_ipis_to_other_cpus_are_dropped_logged_once_per_kind),
		T(test_ipis_to_itself_are_delivered_and_not_logged),
		T(test_apic_write_exit_and_x2apic_msr_ipis_are_dropped_and_logged),
		T(test_icr_high_in_the_page_is_the_destination),
		T(test_lapic_off_guest_gets_gp_for_the_x2apic_icr),
		T(test_ioapic_routes_and_messages_to_no_cpu_are_dropped_and_logged),
		T(test_ioapic_routes_to_itself_are_not_logged),
		T(test_messages_to_a_disabled_apic_are_lost_silently),
		T(test_counts_start_again_on_each_boot),
		cmocka_unit_test_setup_teardown(test_cpuid_topology_is_one_cpu_with_the_vlapics_id, setup_cpu_1,
						host_cmocka_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
