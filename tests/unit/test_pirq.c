/*
 * The physical interrupt layer on the host (hv/pirq.h; issue 11 item 2):
 * IOAPIC redirection entries, interrupt source overrides and GSI bases
 * across two IOAPICs (MADT fixtures), level lines masked until their
 * owner acknowledges them, the destination APIC ID, the local APIC's
 * set-up, timer arithmetic and modes, IPIs, and the backend choice. The
 * fake CPU (tests/unit/hvhost) has a fake local APIC and IOAPICs (the
 * vioapic model of the 82093AA) behind mmio_read32/write32.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "exit.h"
#include "guest.h"
#include "ioapic.h"
#include "irq.h"
#include "percpu.h"
#include "pic.h"
#include "pirq.h"
#include "plapic.h"
#include "vpic.h"

#define HV   "[hv]\ntrace = off\n"
#define GA   "[guest a]\nimage = \\a.elf\nmemory = 4M\n"
#define GB   "[guest b]\nimage = \\b.elf\nmemory = 4M\n"
#define TSC_HZ 200000000ull

#define RTE_LOW(r)  ((uint32_t)(r))
#define RTE_DEST(r) ((uint8_t)((r) >> 56))

/* ---- machines --------------------------------------------------------- */

/* A PC as OVMF under Bochs leaves it: xAPIC at 0xfee00000, one IOAPIC at 0xfec00000, no MADT. */
static void pc_without_madt(void)
{
	fake_enable_lapic(false, 0);
	fake_add_ioapic(0, IOAPIC_ARCH_BASE);
}

static void pc_x2apic(void)
{
	fake_enable_lapic(true, 0);
	fake_add_ioapic(0, IOAPIC_ARCH_BASE);
}

static void pc_no_tsc_deadline(void)
{
	struct cpuid_regs r;

	pc_without_madt();
	cpu_cpuid(1, 0, &r);
	fake_set_cpuid(1, 0, r.eax, r.ebx, r.ecx & ~(1u << 24), r.edx);
}

static void pc_level_irq10(void)
{
	pc_without_madt();
	fake.elcr[1] = 1u << 2;                  /* ELCR: IRQ 10 is a (PCI) level line */
}

/* Two IOAPICs: ID 4 at 0xfec00000 (GSIs 0-23), ID 5 at 0xfec01000 (GSIs 24-47). */
static void two_ioapics(void)
{
	fake_enable_lapic(false, 0);
	fake_add_ioapic(0, 0xfec00000u);
	fake_add_ioapic(1, 0xfec01000u);
}

/* The MADT fixture for two_ioapics, with overrides (ACPI "Interrupt Source Override Structure"). */
static void madt_two_ioapics(struct boot_info *bi)
{
	struct boot_madt *m = &bi->madt;

	memset(m, 0, sizeof(*m));
	m->found = 1;
	m->flags = 1;                                            /* PCAT_COMPAT */
	m->lapic_addr = PLAPIC_ARCH_BASE;
	m->nioapic = 2;
	m->ioapic[0] = (struct boot_ioapic){ .id = 4, .addr = 0xfec00000u, .gsi_base = 0 };
	m->ioapic[1] = (struct boot_ioapic){ .id = 5, .addr = 0xfec01000u, .gsi_base = 24 };
	m->niso = 4;
	m->iso[0] = (struct boot_iso){ .bus = 0, .source = 0, .gsi = 2, .flags = 0 };
	m->iso[1] = (struct boot_iso){ .bus = 0, .source = 4, .gsi = 28, .flags = 0xf };   /* level, low */
	m->iso[2] = (struct boot_iso){ .bus = 0, .source = 9, .gsi = 14, .flags = 0xd };   /* level, high */
	m->iso[3] = (struct boot_iso){ .bus = 1, .source = 3, .gsi = 30, .flags = 0xf };   /* not ISA */
}

static int teardown(void **state)
{
	host_tweak = NULL;
	host_bi_tweak = NULL;
	memset(&pcpus[1], 0, sizeof(pcpus[1]));
	return host_cmocka_teardown(state);
}

/* ---- pure: entries, lines, GSIs, versions ----------------------------- */

static void test_redirection_entry_encoding(void **state)
{
	(void)state;
	/* 82093AA "I/O Redirection Table Registers": vector, fixed, physical, polarity 13, trigger 15, mask 16, dest 63:56. */
	assert_int_equal(ioapic_rte(0x2e, 0, false, false, false), 0x2eull);
	assert_int_equal(ioapic_rte(0x24, 3, true, true, false), 0x030000000000a024ull);
	assert_int_equal(ioapic_rte(0x2a, 0xff, true, false, true), 0xff0000000001802aull);
	assert_int_equal(RTE_LOW(ioapic_rte(0x21, 7, false, false, true)) & 0x700u, 0);   /* fixed */
	assert_int_equal(RTE_LOW(ioapic_rte(0x21, 7, false, false, true)) & IOAPIC_RTE_DESTMOD_LOG, 0);
}

static void test_isa_line_from_overrides_and_defaults(void **state)
{
	struct boot_info bi;
	struct ioapic_line l;

	(void)state;
	madt_two_ioapics(&bi);
	ioapic_isa_line(&bi.madt, 0, false, &l);                 /* conforms: edge, high */
	assert_true(l.gsi == 2 && !l.level && !l.active_low && l.override);
	ioapic_isa_line(&bi.madt, 4, false, &l);
	assert_true(l.gsi == 28 && l.level && l.active_low && l.override);
	ioapic_isa_line(&bi.madt, 9, false, &l);
	assert_true(l.gsi == 14 && l.level && !l.active_low);
	ioapic_isa_line(&bi.madt, 3, true, &l);                  /* bus 1's override is not ISA's; ELCR ignored */
	assert_true(l.gsi == 3 && !l.level && !l.active_low && !l.override);
	bi.madt.found = 0;                                       /* no MADT: the ELCR decides */
	ioapic_isa_line(&bi.madt, 4, false, &l);
	assert_true(l.gsi == 4 && !l.level && !l.active_low && !l.override);
	ioapic_isa_line(&bi.madt, 10, true, &l);
	assert_true(l.gsi == 10 && l.level && !l.active_low);
}

static void test_gsi_lookup_across_two_ioapics(void **state)
{
	struct ioapic_chip c[2] = { { .gsi_base = 0, .pins = 24 }, { .gsi_base = 24, .pins = 16 } };
	unsigned pin = 99;

	(void)state;
	assert_int_equal(ioapic_find(c, 2, 0, &pin), 0);
	assert_int_equal(pin, 0);
	assert_int_equal(ioapic_find(c, 2, 23, &pin), 0);
	assert_int_equal(pin, 23);
	assert_int_equal(ioapic_find(c, 2, 24, &pin), 1);
	assert_int_equal(pin, 0);
	assert_int_equal(ioapic_find(c, 2, 39, &pin), 1);
	assert_int_equal(pin, 15);
	assert_int_equal(ioapic_find(c, 2, 40, &pin), -1);
	assert_int_equal(ioapic_find(c, 1, 24, &pin), -1);
}

static void test_version_register_says_whether_an_ioapic_answers(void **state)
{
	(void)state;
	assert_true(ioapic_version_ok(0x00170011));              /* 82093AA, 24 pins */
	assert_true(ioapic_version_ok(0x00170020));              /* ICH I/O xAPIC */
	assert_false(ioapic_version_ok(0xffffffffu));            /* nothing there */
	assert_false(ioapic_version_ok(0x00000011));             /* one pin only: not a PC's */
	assert_false(ioapic_version_ok(0x00170001));             /* not an IOAPIC version */
	assert_false(ioapic_version_ok(0x00f00011));             /* 241 pins */
}

/* ---- the backend choice ------------------------------------------------ */

static void test_backend_choice(void **state)
{
	struct pirq_machine pc = { .have_8259 = true, .have_lapic = true, .nioapic = 1 };
	struct pirq_machine old = { .have_8259 = true, .have_lapic = true, .nioapic = 0 };
	struct pirq_machine off = { .have_8259 = true, .have_lapic = false, .nioapic = 1 };
	struct pirq_machine modern = { .have_8259 = false, .have_lapic = true, .nioapic = 2 };
	struct pirq_machine none = { .have_8259 = false, .have_lapic = false, .nioapic = 1 };
	char why[160];

	(void)state;
	assert_int_equal(pirq_choose(&pc, PIRQ_WANT_AUTO, why, sizeof(why)), PIRQ_IOAPIC);
	assert_string_equal(why, "irq_backend = auto: an IOAPIC answers");
	assert_int_equal(pirq_choose(&pc, PIRQ_WANT_PIC, why, sizeof(why)), PIRQ_PIC);
	assert_int_equal(pirq_choose(&pc, PIRQ_WANT_IOAPIC, why, sizeof(why)), PIRQ_IOAPIC);
	assert_int_equal(pirq_choose(&old, PIRQ_WANT_AUTO, why, sizeof(why)), PIRQ_PIC);
	assert_string_equal(why, "irq_backend = auto: no IOAPIC answers");
	assert_int_equal(pirq_choose(&old, PIRQ_WANT_IOAPIC, why, sizeof(why)), PIRQ_NONE);
	assert_string_equal(why, "irq_backend = ioapic, but no IOAPIC answers");
	assert_int_equal(pirq_choose(&off, PIRQ_WANT_AUTO, why, sizeof(why)), PIRQ_PIC);
	assert_string_equal(why, "irq_backend = auto: the local APIC is disabled");
	assert_int_equal(pirq_choose(&off, PIRQ_WANT_IOAPIC, why, sizeof(why)), PIRQ_NONE);
	assert_int_equal(pirq_choose(&modern, PIRQ_WANT_AUTO, why, sizeof(why)), PIRQ_IOAPIC);
	assert_int_equal(pirq_choose(&modern, PIRQ_WANT_PIC, why, sizeof(why)), PIRQ_NONE);
	assert_non_null(strstr(why, "no 8259 pair (PCAT_COMPAT clear)"));
	assert_int_equal(pirq_choose(&none, PIRQ_WANT_AUTO, why, sizeof(why)), PIRQ_NONE);
	assert_string_equal(why, "no 8259 pair (PCAT_COMPAT clear) and the local APIC is disabled");
}

/* The fake's default host has no APIC enabled and no IOAPIC: auto is the 8259 pair, as before. */
static void test_auto_without_ioapic_is_the_8259_pair(void **state)
{
	(void)state;
	host_boot(HV GA "irqs = 5\n");
	assert_int_equal(pirq_backend(), PIRQ_PIC);
	assert_true(host_log_has("hv: physical interrupts: 8259 pair (irq_backend = auto: no IOAPIC answers)"));
	assert_true(host_log_has("hv: IRQ 5 routed to guest a (edge-triggered): 8259 IR5, vector 0x25"));
	assert_int_equal(fake.pic_imr[0], (uint8_t)~((1u << 0) | (1u << 2) | (1u << 5)));
	assert_int_equal(fake.pic_imr[1], 0xff);
}

static void test_auto_with_ioapic_masks_the_8259_and_routes_through_the_ioapic(void **state)
{
	const struct vioapic *io = &fake.ioapic[0].io;

	(void)state;
	host_tweak = pc_without_madt;
	host_boot(HV GA "irqs = 4, 14\n");
	assert_int_equal(pirq_backend(), PIRQ_IOAPIC);
	assert_true(host_log_has("hv: physical interrupts: IOAPIC + local APIC (irq_backend = auto: an IOAPIC answers)"));
	assert_true(host_log_has("hv: IOAPIC ID 0 at 0xfec00000: version 0x20, 24 pins, GSIs 0-23 "
				 "(the architectural address: no MADT)"));
	assert_true(host_log_has("hv: CPU 0 local APIC: xAPIC at 0xfee00000, APIC ID 0; wake-up timer: TSC-deadline"));
	assert_true(host_log_has("hv: IRQ 4 routed to guest a (edge-triggered): IOAPIC 0 pin 4 (GSI 4), "
				 "vector 0x24, active high, to APIC ID 0"));
	assert_int_equal(fake.pic_imr[0], 0xff);                 /* the 8259 pair masked whole */
	assert_int_equal(fake.pic_imr[1], 0xff);
	assert_int_equal(io->rte[4], 0x24);                      /* edge, high, open, APIC ID 0 */
	assert_int_equal(io->rte[14], 0x2e);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		if (pin != 4 && pin != 14)
			assert_true(io->rte[pin] & VIOAPIC_RTE_MASKED);
	/* The local APIC: enabled with the spurious vector, LINT0 masked, LINT1 NMI, errors, the timer. */
	assert_int_equal(fake.lapic.reg[PLAPIC_SVR >> 4], 0x1ff);
	assert_true(fake.lapic.reg[PLAPIC_LVT_LINT0 >> 4] & PLAPIC_LVT_MASKED);
	assert_int_equal(fake.lapic.reg[PLAPIC_LVT_LINT1 >> 4], PLAPIC_DM_NMI);
	assert_int_equal(fake.lapic.reg[PLAPIC_LVT_ERROR >> 4], PIRQ_VECTOR_ERROR);
	assert_int_equal(fake.lapic.reg[PLAPIC_LVT_TIMER >> 4], PIRQ_VECTOR_TIMER | PLAPIC_TIMER_DEADLINE);
	assert_int_equal(fake.lapic.reg[PLAPIC_TPR >> 4], 0);
	assert_int_equal(fake.mmio_stray, 0);
}

/* The APICs' pages are uncacheable in the hv's identity map (PCD and PWT in their 2 MiB entries). */
static void test_apic_pages_are_mapped_uncacheable(void **state)
{
	uint64_t *pml4, *pdpt, *pd;

	(void)state;
	host_tweak = pc_without_madt;
	host_boot(HV GA);
	pml4 = (uint64_t *)(uintptr_t)fake.cr3;
	pdpt = (uint64_t *)(uintptr_t)(pml4[0] & ~0xfffull);
	pd = (uint64_t *)(uintptr_t)(pdpt[3] & ~0xfffull);
	assert_int_equal(pd[(0xfec00000u >> 21) & 511] & 0x18, 0x18);
	assert_int_equal(pd[(0xfee00000u >> 21) & 511] & 0x18, 0x18);
	assert_int_equal(pd[(0xfea00000u >> 21) & 511] & 0x18, 0);
}

static void test_forced_pic_leaves_the_ioapic_alone_and_the_lapic_in_virtual_wire_mode(void **state)
{
	(void)state;
	host_tweak = pc_without_madt;
	host_boot("[hv]\nirq_backend = pic\n" GA "irqs = 5\n");
	assert_int_equal(pirq_backend(), PIRQ_PIC);
	assert_true(host_log_has("hv: physical interrupts: 8259 pair (irq_backend = pic)"));
	assert_true(host_log_has("GSIs 0-23 (the architectural address: no MADT): not used"));
	assert_true(host_log_has("wake-up timer: the PIT (the LAPIC in virtual wire mode)"));
	assert_int_equal(fake.pic_imr[0], (uint8_t)~((1u << 0) | (1u << 2) | (1u << 5)));
	assert_int_equal(fake.lapic.reg[PLAPIC_LVT_LINT0 >> 4], PLAPIC_DM_EXTINT);
	assert_int_equal(fake.lapic.reg[PLAPIC_SVR >> 4], 0x1ff);
	assert_true(fake.ioapic[0].io.rte[5] & VIOAPIC_RTE_MASKED);
	/* The PIT is CPU 0's wake-up: the LAPIC timer stays disarmed. */
	pirq_wake_at(fake.tsc + 100000, fake.tsc);
	assert_int_equal(fake_get_msr(MSR_IA32_TSC_DEADLINE), 0);
}

static jmp_buf boot_halted;

/* host_boot resets the fake CPU first: the panic's landing is set from its tweak. */
static void land_panics(void)
{
	fake.halt_jmp = &boot_halted;
}

static void test_forced_ioapic_without_one_stops_the_hv_with_the_reason(void **state)
{
	(void)state;
	host_tweak = land_panics;
	if (!setjmp(boot_halted))
		host_boot("[hv]\nirq_backend = ioapic\n" GA);
	fake.halt_jmp = NULL;
	assert_true(fake.halted_forever);
	assert_true(fake_log_has("pirq_init: no physical interrupt controller to use: "
				 "irq_backend = ioapic, but no IOAPIC answers"));
}

/* ---- routing: overrides, GSI bases, destinations ----------------------- */

static void test_madt_overrides_and_the_second_ioapics_gsi_base(void **state)
{
	const struct vioapic *io0 = &fake.ioapic[0].io, *io1 = &fake.ioapic[1].io;

	(void)state;
	host_tweak = two_ioapics;
	host_bi_tweak = madt_two_ioapics;
	host_boot(HV GA "irqs = 4, 9, 14\n" GB "irqs = 3\n");
	assert_true(host_log_has("hv: IOAPIC ID 4 at 0xfec00000: version 0x20, 24 pins, GSIs 0-23\n"));
	assert_true(host_log_has("hv: IOAPIC ID 5 at 0xfec01000: version 0x20, 24 pins, GSIs 24-47\n"));
	/* IRQ 4 -> GSI 28: pin 4 of the second IOAPIC, level, active low (the override's flags). */
	assert_int_equal(io1->rte[4], 0x24 | VIOAPIC_RTE_LEVEL | VIOAPIC_RTE_POLARITY);
	assert_true(io0->rte[4] & VIOAPIC_RTE_MASKED);
	assert_true(host_log_has("hv: IRQ 4 routed to guest a (level-triggered): IOAPIC 5 pin 4 "
				 "(GSI 28, MADT override), vector 0x24, active low, to APIC ID 0"));
	/* IRQ 9 -> GSI 14 (level, high) takes pin 14: IRQ 14 (ide0) cannot have it too. */
	assert_int_equal(io0->rte[14], 0x29 | VIOAPIC_RTE_LEVEL);
	assert_true(host_log_has("hv: IRQ 14 of guest a cannot be routed: GSI 14 already carries IRQ 9; "
				 "it stays masked"));
	assert_null(irq_owner(14));
	/* IRQ 3: bus 1's override is not ISA's: GSI 3, edge, high. */
	assert_int_equal(io0->rte[3], 0x23);
	assert_true(pirq_is_level(4) && pirq_is_level(9) && !pirq_is_level(3));
}

static void test_line_goes_to_its_owners_cpu_once_that_cpu_runs(void **state)
{
	const struct vioapic *io = &fake.ioapic[0].io;

	(void)state;
	host_tweak = pc_without_madt;
	host_cpus = 2;
	host_boot(HV GA GB "cpu = 1\nirqs = 5\n");
	/* Routed before CPU 1 ran the hv: to CPU 0; moved when it started. */
	assert_true(host_log_has("hv: IRQ 5 routed to guest b (edge-triggered): IOAPIC 0 pin 5 (GSI 5), "
				 "vector 0x25, active high, to APIC ID 0"));
	assert_int_equal(RTE_DEST(io->rte[5]), 1);
	assert_int_equal(RTE_LOW(io->rte[5]), 0x25);             /* still open, still edge */
	assert_true(host_log_has("hv: IRQ 5 of guest b now goes to CPU 1: IOAPIC 0 pin 5 (GSI 5), "
				 "vector 0x25, active high, to APIC ID 1"));
	/* A masked line stays masked when it moves. */
	pirq_mask(5);
	irq_cpu_online(1);
	assert_true(io->rte[5] & VIOAPIC_RTE_MASKED);
}

static void test_apic_id_above_255_cannot_be_an_ioapic_destination(void **state)
{
	char where[128];

	(void)state;
	host_tweak = pc_without_madt;
	host_boot(HV GA);
	assert_int_equal(pirq_route(5, 256, where, sizeof(where)), -1);
	assert_string_equal(where, "APIC ID 256: an IOAPIC entry names 8-bit destinations");
	assert_int_equal(pirq_route(0, 0, where, sizeof(where)), -1);
}

/* ---- delivery: edge, level, spurious, EOI ------------------------------ */

static void test_edge_line_is_pulsed_and_eoied(void **state)
{
	struct vioapic *io = &fake.ioapic[0].io;
	struct vioapic_msg m;
	unsigned eois;

	(void)state;
	host_tweak = pc_without_madt;
	host_boot(HV GA "irqs = 5\n");
	vioapic_pulse_irq(io, 5);
	assert_int_equal(vioapic_take(io, &m), 5);
	assert_true(m.vector == 0x25 && !m.level && !m.logical && m.dest == 0 && m.delivery_mode == 0);
	eois = fake.lapic.eois;
	fake_deliver(m.vector);
	assert_int_equal(irq_count[5], 1);
	assert_int_equal(fake.lapic.eois, eois + 1);
	assert_false(io->rte[5] & VIOAPIC_RTE_MASKED);          /* an edge line stays open */
}

/* Programs guest 0's virtual 8259 pair (vectors 0x20/0x28) with every line open, through port exits. */
static void guest_init_vpic(struct vcpu *v)
{
	static const uint8_t seq[][2] = {
		{ 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 }, { 0x21, 0x01 },
		{ 0xa0, 0x11 }, { 0xa1, 0x28 }, { 0xa1, 0x02 }, { 0xa1, 0x01 },
		{ 0x21, 0x00 }, { 0xa1, 0x00 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(seq); i++)
		host_port_out(v, seq[i][0], seq[i][1]);
}

/*
 * A level line (the ELCR's IRQ 10) through the IOAPIC: when its vector
 * arrives its entry is masked before the LAPIC EOI (whose broadcast
 * clears remote IRR), so the still-asserted line does not fire again; the
 * owner's EOI at its virtual 8259 unmasks it, and the IOAPIC sends again
 * while the device still asks.
 */
static void test_level_line_stays_masked_at_the_ioapic_until_its_owner_acknowledges(void **state)
{
	struct vioapic *io = &fake.ioapic[0].io;
	struct guest *g;
	struct vcpu *v;
	struct vioapic_msg m;

	(void)state;
	host_tweak = pc_level_irq10;
	host_boot(HV GA "irqs = 10\n");
	g = &hv.guests[0];
	v = host_vcpu(0);
	guest_init_vpic(v);
	assert_true(host_log_has("hv: IRQ 10 routed to guest a (level-triggered): IOAPIC 0 pin 10 (GSI 10), "
				 "vector 0x2a, active high, to APIC ID 0"));
	assert_int_equal(io->rte[10], 0x2a | VIOAPIC_RTE_LEVEL);
	vioapic_set_irq(io, 10, 1);                               /* the device asserts its line */
	assert_int_equal(vioapic_take(io, &m), 10);
	assert_true(m.vector == 0x2a && m.level && m.dest == 0);
	assert_true(io->rte[10] & VIOAPIC_RTE_REMOTE_IRR);
	fake_deliver(m.vector);
	assert_true(io->rte[10] & VIOAPIC_RTE_MASKED);           /* masked until the guest is done */
	assert_false(io->rte[10] & VIOAPIC_RTE_REMOTE_IRR);      /* the EOI broadcast cleared it */
	assert_int_equal(vioapic_take(io, &m), -1);              /* asserted, masked: silent */
	/* The guest takes the interrupt and EOIs it at its 8259 (slave, then master). */
	assert_int_equal(vpic_ack(&g->pic), 0x2a);
	host_port_out(v, 0xa0, 0x20);
	host_port_out(v, 0x20, 0x20);
	assert_false(io->rte[10] & VIOAPIC_RTE_MASKED);
	assert_int_equal(vioapic_take(io, &m), 10);              /* still asserted: it fires again */
	vioapic_set_irq(io, 10, 0);
	assert_int_equal(irq_count[10], 1);
}

/*
 * A guest that stops leaves its lines masked at the IOAPIC, with their
 * counts in the log. guest_stop changes only the guest's state; the
 * scheduler's close of the boot (guest_close_boot) masks the lines.
 */
static void test_stopped_guest_lines_are_masked_at_the_ioapic(void **state)
{
	struct vioapic *io = &fake.ioapic[0].io;

	(void)state;
	host_tweak = pc_without_madt;
	host_boot(HV GA "irqs = 5\n");
	fake_deliver(0x25);
	guest_stop(&hv.guests[0], "test");
	assert_int_equal(hv.guests[0].state, GUEST_STOPPED);
	assert_true(hv.guests[0].boot_over);
	assert_false(io->rte[5] & VIOAPIC_RTE_MASKED);
	assert_false(host_log_has("hv: guest a exits:"));
	guest_close_boot(&hv.guests[0]);
	assert_false(hv.guests[0].boot_over);
	assert_true(host_log_has("hv: guest a exits:"));
	assert_true(io->rte[5] & VIOAPIC_RTE_MASKED);
	assert_true(host_log_has("hv: guest a: physical IRQ 5 arrived 1 times (IOAPIC + local APIC)"));
	irq_guest_started(&hv.guests[0]);
	assert_false(io->rte[5] & VIOAPIC_RTE_MASKED);
}

static void test_spurious_unexpected_and_error_vectors(void **state)
{
	unsigned eois;

	(void)state;
	host_tweak = pc_without_madt;
	host_boot(HV GA);
	eois = fake.lapic.eois;
	fake_deliver(PIRQ_VECTOR_SPURIOUS);
	assert_int_equal(irq_spurious, 1);
	assert_int_equal(fake.lapic.eois, eois);                 /* a spurious vector is not in service */
	fake_deliver(0x40);
	assert_int_equal(irq_unexpected, 1);
	assert_int_equal(fake.lapic.eois, eois + 1);             /* EOIed: it would block lower classes */
	fake_deliver(PIRQ_VECTOR_ERROR);
	assert_true(host_log_has("hv: local APIC error on CPU 0: ESR 0x0 (counted)"));
	fake_deliver(PIRQ_VECTOR_IPI);
	assert_int_equal(irq_ipis, 1);
	assert_int_equal(fake.lapic.eois, eois + 3);
}

/* Without a LAPIC (the fake's default) the APIC vectors are nothing of the hv's: counted, no EOI. */
static void test_apic_vectors_without_a_lapic_are_unexpected(void **state)
{
	(void)state;
	host_boot(HV GA);
	hv_irq(PIRQ_VECTOR_SPURIOUS);
	hv_irq(PIRQ_VECTOR_TIMER);
	assert_int_equal(irq_unexpected, 2);
	assert_int_equal(fake.lapic.eois, 0);
}

/* ---- the wake-up timer -------------------------------------------------- */

static void test_oneshot_count_arithmetic(void **state)
{
	(void)state;
	/* 200 MHz TSC, 50 MHz timer: 4 TSC ticks per count, rounded up, at least 1. */
	assert_int_equal(plapic_oneshot_count(0, TSC_HZ, 50000000), 1);
	assert_int_equal(plapic_oneshot_count(1, TSC_HZ, 50000000), 1);
	assert_int_equal(plapic_oneshot_count(4, TSC_HZ, 50000000), 1);
	assert_int_equal(plapic_oneshot_count(5, TSC_HZ, 50000000), 2);
	assert_int_equal(plapic_oneshot_count(1000, TSC_HZ, 50000000), 250);
	assert_int_equal(plapic_oneshot_count(TSC_HZ, TSC_HZ, 50000000), 50000000);
	assert_int_equal(plapic_oneshot_count(TSC_HZ + 4, TSC_HZ, 50000000), 50000001);
	/* Clamped to the 32-bit count: 100 s, and the longest delta. */
	assert_int_equal(plapic_oneshot_count(100 * TSC_HZ, TSC_HZ, 50000000), UINT32_MAX);
	assert_int_equal(plapic_oneshot_count(UINT64_MAX, TSC_HZ, 50000000), UINT32_MAX);
	/* A 5 GHz TSC and a 1 GHz timer (KVM's): no overflow inside a second. */
	assert_int_equal(plapic_oneshot_count(5000000000ull - 1, 5000000000ull, 1000000000ull), 1000000000u);
	/* 20 GHz TSC: r * timer_hz overflows 64 bits; the result is still right to a count. */
	uint32_t c = plapic_oneshot_count(19999999999ull, 20000000000ull, 1000000000ull);
	assert_true(c >= 999999999u && c <= 1000000000u);
	/* A timer faster than the TSC: 4 counts per TSC tick. */
	assert_int_equal(plapic_oneshot_count(3, 250000000, 1000000000), 12);
	assert_int_equal(plapic_oneshot_count(1000, 0, 50000000), UINT32_MAX);
}

static void test_timer_clock_from_a_calibration(void **state)
{
	(void)state;
	assert_int_equal(plapic_timer_hz(500000, 2000000, TSC_HZ), 50000000);
	assert_int_equal(plapic_timer_hz(0, 2000000, TSC_HZ), 0);
	assert_int_equal(plapic_timer_hz(500000, 0, TSC_HZ), 0);
	/* 4e9 counts x 20 GHz overflows 64 bits: the halving keeps it exact here. */
	assert_int_equal(plapic_timer_hz(4000000000ull, 1000000000ull, 20000000000ull), 80000000000ull);
}

static void test_tsc_deadline_timer_arms_and_wakes(void **state)
{
	uint64_t now, wakes;

	(void)state;
	host_tweak = pc_without_madt;
	host_boot(HV GA);
	now = fake.tsc;
	pirq_wake_at(now + 5000, now);
	assert_int_equal(fake_get_msr(MSR_IA32_TSC_DEADLINE), now + 5000);
	pirq_wake_at(now - 10, now);                              /* passed: interrupts at once */
	assert_int_equal(fake_get_msr(MSR_IA32_TSC_DEADLINE), now - 10);
	pirq_wake_at(UINT64_MAX, now);
	assert_int_equal(fake_get_msr(MSR_IA32_TSC_DEADLINE), 0);
	pirq_wake_at(now + 5000, now);
	wakes = irq_timer_wakeups;
	cpu_idle_until_interrupt();
	assert_true(fake.tsc > now + 5000);
	assert_int_equal(irq_timer_wakeups, wakes + 1);
	assert_int_equal(fake.lapic.in_service, -1);             /* EOIed */
}

static void test_oneshot_timer_is_calibrated_against_the_tsc(void **state)
{
	uint64_t now;

	(void)state;
	host_tweak = pc_no_tsc_deadline;
	host_boot(HV GA);
	assert_int_equal(plapic.timer_hz, 50000000);            /* the fake's 4 TSC ticks per count */
	assert_true(host_log_has("wake-up timer: one-shot, 50000 kHz (calibrated against the TSC)"));
	assert_int_equal(fake.lapic.reg[PLAPIC_LVT_TIMER >> 4], PIRQ_VECTOR_TIMER | PLAPIC_TIMER_ONESHOT);
	assert_int_equal(fake.lapic.reg[PLAPIC_TDCR >> 4], PLAPIC_TDCR_DIV1);
	now = fake.tsc;
	pirq_wake_at(now + 1001, now);
	assert_int_equal(fake.lapic.reg[PLAPIC_TMICT >> 4], 251);
	pirq_wake_at(now - 1, now);
	assert_int_equal(fake.lapic.reg[PLAPIC_TMICT >> 4], 1);
	pirq_wake_at(UINT64_MAX, now);
	assert_int_equal(fake.lapic.reg[PLAPIC_TMICT >> 4], 0);
	pirq_wake_at(fake.tsc + 40000, fake.tsc);
	now = fake.tsc;
	cpu_idle_until_interrupt();
	assert_true(fake.tsc >= now + 40000 && fake.tsc <= now + 40008);
	assert_int_equal(irq_timer_wakeups, 1);
}

/* A halted guest's 100 Hz PIT wakes it through the LAPIC timer, on time, in the run loop. */
static void set_if_on(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	fake_vmcs_set(GUEST_RFLAGS, fake_vmcs_get(GUEST_RFLAGS) | RFLAGS_IF);
}

static uint64_t halter_until;

/* The guest takes its interrupt and halts again at once, until halter_until. */
static struct fake_exit gen_halter(struct vcpu *v, void *arg)
{
	(void)v, (void)arg;
	if (fake.tsc > halter_until && fake_run.done_jmp)
		longjmp(*fake_run.done_jmp, 1);
	return (struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1, .tsc_advance = 100,
				   .before = set_if_on };
}

static void test_idle_wakes_by_the_lapic_timer_in_the_run_loop(void **state)
{
	struct guest *g;
	uint64_t start;

	(void)state;
	host_tweak = pc_without_madt;
	host_boot(HV GA);
	g = &hv.guests[0];
	vpic_write(&g->pic, 0x20, 0x11);
	vpic_write(&g->pic, 0x21, 0x20);
	vpic_write(&g->pic, 0x21, 0x04);
	vpic_write(&g->pic, 0x21, 0x03);                          /* auto-EOI: the guest never EOIs */
	vpic_write(&g->pic, 0x21, 0xfe);
	start = cpu_rdtsc();
	vpit_write(&g->pit, 0x43, 0x34, start);                   /* mode 2, 100 Hz */
	vpit_write(&g->pit, 0x40, 11932 & 0xff, start);
	vpit_write(&g->pit, 0x40, 11932 >> 8, start);
	halter_until = start + 100 * TSC_HZ / 1000;
	fake_run.generator = gen_halter;
	assert_false(host_run());
	/* ~100 ms of guest time: 10 ticks, each taken after a wake-up by the LAPIC timer. */
	assert_true(g->virqs_injected >= 9 && g->virqs_injected <= 11);
	assert_true(irq_timer_wakeups >= 9);
	assert_true(fake.lapic.eois >= 9);
	assert_true(pcpus[0].idle_tsc > 90 * TSC_HZ / 1000);
	/*
	 * The fake wakes one tick after the deadline; the IDT entry reads the
	 * TSC (the idle time ends) and hv_irq one tick after that.
	 */
	pirq_log_timers();
	assert_true(host_log_has("hv: CPU 0 wake-up timer (LAPIC TSC-deadline): "));
	assert_true(host_log_has(" interrupts, 0 before their deadline; the others late by 3 TSC ticks on "
				 "average (15 ns), 3 at most (15 ns)\n"));
}

/* ---- IPIs ----------------------------------------------------------------- */

static void test_ipis_in_xapic_mode(void **state)
{
	(void)state;
	host_tweak = pc_without_madt;
	host_boot(HV GA);
	fake.lapic.nicr = 0;
	assert_int_equal(plapic_send_fixed(3, 0x40), 0);
	assert_int_equal(pirq_kick(2), 0);
	assert_int_equal(plapic_send_nmi(1), 0);
	assert_int_equal(plapic_send_init(1), 0);
	assert_int_equal(plapic_send_startup(1, 0x9a), 0);
	assert_int_equal(fake.lapic.nicr, 6);
	assert_int_equal(fake.lapic.icr[0], 3ull << 32 | 0x4040);        /* fixed, assert, physical */
	assert_int_equal(fake.lapic.icr[1], 2ull << 32 | 0x4000 | PIRQ_VECTOR_IPI);
	assert_int_equal(fake.lapic.icr[2], 1ull << 32 | 0x4400);        /* NMI */
	assert_int_equal(fake.lapic.icr[3], 1ull << 32 | 0xc500);        /* INIT, level, assert */
	assert_int_equal(fake.lapic.icr[4], 1ull << 32 | 0x8500);        /* INIT level de-assert */
	assert_int_equal(fake.lapic.icr[5], 1ull << 32 | 0x469a);        /* STARTUP at 0x9a000 */
	/* Refused: an illegal vector, the broadcast ID, IDs beyond 8 bits. */
	assert_int_equal(plapic_send_fixed(1, 0x10), -1);
	assert_int_equal(plapic_send_fixed(0xff, 0x40), -1);
	assert_int_equal(plapic_send_nmi(256), -1);
	assert_int_equal(fake.lapic.nicr, 6);
	/* INIT-SIPI-SIPI. */
	fake.lapic.nicr = 0;
	assert_int_equal(plapic_start_ap(2, 0x08), 0);
	assert_int_equal(fake.lapic.nicr, 4);
	assert_int_equal(fake.lapic.icr[2], 2ull << 32 | 0x4608);
	assert_int_equal(fake.lapic.icr[3], 2ull << 32 | 0x4608);
}

/* A send still pending after 100 ms is an error, not a hang. */
static void test_ipi_waits_for_the_delivery_status_and_gives_up(void **state)
{
	(void)state;
	host_tweak = pc_without_madt;
	host_boot(HV GA);
	fake.lapic.nicr = 0;
	fake.lapic.reg[PLAPIC_ICR_LO >> 4] = PLAPIC_ICR_DELIVS;
	fake.tsc_step = 1000;
	assert_int_equal(plapic_send_fixed(1, 0x40), -1);
	assert_int_equal(fake.lapic.nicr, 0);
	fake.tsc_step = 1;
}

static void test_x2apic_mode(void **state)
{
	unsigned eois;

	(void)state;
	host_tweak = pc_x2apic;
	host_boot(HV GA "irqs = 5\n");
	assert_int_equal(plapic.mode, PLAPIC_X2APIC);
	assert_true(host_log_has("hv: CPU 0 local APIC: x2APIC, APIC ID 0; wake-up timer: TSC-deadline"));
	assert_int_equal(fake.lapic.reg[PLAPIC_SVR >> 4], 0x1ff);        /* through MSR 0x80f */
	fake.lapic.nicr = 0;
	assert_int_equal(plapic_send_fixed(300, 0x40), 0);               /* 32-bit destinations */
	assert_int_equal(plapic_send_init(300), 0);                      /* no de-assert in x2APIC mode */
	assert_int_equal(fake.lapic.nicr, 2);
	assert_int_equal(fake.lapic.icr[0], 300ull << 32 | 0x4040);
	assert_int_equal(fake.lapic.icr[1], 300ull << 32 | 0xc500);
	assert_int_equal(plapic_send_fixed(UINT32_MAX, 0x40), -1);
	eois = fake.lapic.eois;
	fake_deliver(0x25);
	assert_int_equal(fake.lapic.eois, eois + 1);                     /* MSR 0x80b */
	assert_int_equal(fake.mmio_stray, 0);
}

/* An AP whose APIC is not in the boot CPU's mode cannot run the hv: a clear panic. */
static void test_ap_in_another_apic_mode_is_refused(void **state)
{
	jmp_buf halted;

	(void)state;
	host_tweak = pc_without_madt;
	host_boot(HV GA);
	percpu_enter(1, 1);
	fake_set_msr(MSR_IA32_APIC_BASE, PLAPIC_ARCH_BASE | PLAPIC_BASE_EN | PLAPIC_BASE_EXTD);
	fake.halt_jmp = &halted;
	if (!setjmp(halted))
		pirq_cpu_init();
	fake.halt_jmp = NULL;
	percpu_enter(0, 0);
	assert_true(fake_log_has("pirq_cpu_init: CPU 1: its local APIC (IA32_APIC_BASE 0xfee00c00) is not "
				 "in the boot CPU's mode (xAPIC at 0xfee00000)"));
}

/* An AP with the PIC backend: its own LAPIC timer (LINT0 masked: the 8259 is CPU 0's). */
static void test_ap_with_the_pic_backend_wakes_by_its_lapic_timer(void **state)
{
	(void)state;
	host_tweak = pc_without_madt;
	host_boot("[hv]\nirq_backend = pic\n" GA);
	percpu_enter(1, 1);
	pirq_cpu_init();
	assert_true(fake.lapic.reg[PLAPIC_LVT_LINT0 >> 4] & PLAPIC_LVT_MASKED);
	pirq_wake_at(fake.tsc + 777, fake.tsc);
	assert_int_equal(fake_get_msr(MSR_IA32_TSC_DEADLINE), fake.tsc + 777);
	percpu_enter(0, 0);
	assert_true(host_log_has("hv: CPU 1 local APIC: xAPIC at 0xfee00000, APIC ID 0; wake-up timer: TSC-deadline"));
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redirection_entry_encoding),
		cmocka_unit_test(test_isa_line_from_overrides_and_defaults),
		cmocka_unit_test(test_gsi_lookup_across_two_ioapics),
		cmocka_unit_test(test_version_register_says_whether_an_ioapic_answers),
		cmocka_unit_test(test_backend_choice),
		cmocka_unit_test(test_oneshot_count_arithmetic),
		cmocka_unit_test(test_timer_clock_from_a_calibration),
		T(test_auto_without_ioapic_is_the_8259_pair),
		T(test_auto_with_ioapic_masks_the_8259_and_routes_through_the_ioapic),
		T(test_apic_pages_are_mapped_uncacheable),
		T(test_forced_pic_leaves_the_ioapic_alone_and_the_lapic_in_virtual_wire_mode),
		T(test_forced_ioapic_without_one_stops_the_hv_with_the_reason),
		T(test_madt_overrides_and_the_second_ioapics_gsi_base),
		T(test_line_goes_to_its_owners_cpu_once_that_cpu_runs),
		T(test_apic_id_above_255_cannot_be_an_ioapic_destination),
		T(test_edge_line_is_pulsed_and_eoied),
		T(test_level_line_stays_masked_at_the_ioapic_until_its_owner_acknowledges),
		T(test_stopped_guest_lines_are_masked_at_the_ioapic),
		T(test_spurious_unexpected_and_error_vectors),
		T(test_apic_vectors_without_a_lapic_are_unexpected),
		T(test_tsc_deadline_timer_arms_and_wakes),
		T(test_oneshot_timer_is_calibrated_against_the_tsc),
		T(test_idle_wakes_by_the_lapic_timer_in_the_run_loop),
		T(test_ipis_in_xapic_mode),
		T(test_ipi_waits_for_the_delivery_status_and_gives_up),
		T(test_x2apic_mode),
		T(test_ap_in_another_apic_mode_is_refused),
		T(test_ap_with_the_pic_backend_wakes_by_its_lapic_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
