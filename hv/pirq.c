/*
 * The physical interrupt layer (hv/pirq.h): the backend choice, and each
 * operation of the interface for the 8259 pair (hv/pic.c) and for the
 * IOAPICs (hv/ioapic.c) with the local APICs (hv/plapic.c).
 */
#include "pirq.h"
#include "cpu.h"
#include "fmt.h"
#include "ioapic.h"
#include "lib.h"
#include "log.h"
#include "percpu.h"
#include "pic.h"
#include "plapic.h"
#include "setup.h"
#include "spinlock.h"

/* A routed line, as the IOAPIC backend programmed it. */
struct pirq_line {
	bool routed;
	bool level, active_low;
	int chip;                  /* index in pirq_chips */
	unsigned pin;
	uint32_t gsi;
	uint32_t dest;             /* APIC ID */
	uint32_t low;              /* redirection entry bits 31:0 as last written (mask bit included) */
};

static enum pirq_backend pirq_be;
static const struct boot_madt *pirq_madt;
static uint64_t pirq_tsc_hz;
static struct ioapic_chip pirq_chips[IOAPIC_MAX];
static unsigned pirq_nchips;
static struct pirq_line pirq_lines[PIRQ_LINES];
static struct spinlock pirq_lock;      /* pirq_lines[].low and the entry it shadows */

/* Each CPU's wake-up timer: the deadline armed, and how its interrupts kept it. */
struct pirq_timer {
	uint64_t armed;            /* TSC pirq_wake_at asked for, 0 once taken */
	uint64_t taken, early;     /* interrupts with a deadline armed; before it (the PIT's 55 ms) */
	uint64_t late_sum, late_max;   /* TSC ticks from the deadline to pirq_timer_taken */
};
static struct pirq_timer pirq_timers[HV_MAX_CPUS];

static const char *const pirq_names[] = { "none", "8259 pair", "IOAPIC + local APIC" };

const char *pirq_backend_name(enum pirq_backend b)
{
	return b <= PIRQ_IOAPIC ? pirq_names[b] : "?";
}

enum pirq_backend pirq_backend(void)
{
	return pirq_be;
}

enum pirq_backend pirq_choose(const struct pirq_machine *m, enum pirq_want want, char *why, size_t len)
{
	const char *lack = !m->nioapic ? "no IOAPIC answers" : "the local APIC is disabled";
	bool ioapic_ok = m->nioapic && m->have_lapic;

	switch (want) {
	case PIRQ_WANT_PIC:
		if (m->have_8259) {
			fmt_snprintf(why, len, "irq_backend = pic");
			return PIRQ_PIC;
		}
		fmt_snprintf(why, len, "irq_backend = pic, but the MADT says this machine has no 8259 pair "
			     "(PCAT_COMPAT clear)");
		return PIRQ_NONE;
	case PIRQ_WANT_IOAPIC:
		if (ioapic_ok) {
			fmt_snprintf(why, len, "irq_backend = ioapic");
			return PIRQ_IOAPIC;
		}
		fmt_snprintf(why, len, "irq_backend = ioapic, but %s", lack);
		return PIRQ_NONE;
	default:
		if (ioapic_ok) {
			fmt_snprintf(why, len, "irq_backend = auto: an IOAPIC answers");
			return PIRQ_IOAPIC;
		}
		if (m->have_8259) {
			fmt_snprintf(why, len, "irq_backend = auto: %s", lack);
			return PIRQ_PIC;
		}
		fmt_snprintf(why, len, "no 8259 pair (PCAT_COMPAT clear) and %s", lack);
		return PIRQ_NONE;
	}
}

/* Adds the IOAPIC at addr if its version register answers; logs one that does not. */
static void pirq_add_ioapic(uint32_t addr, uint32_t gsi_base, int madt_id)
{
	struct ioapic_chip *c = &pirq_chips[pirq_nchips];

	if (pirq_nchips == IOAPIC_MAX)
		return;
	if (setup_map_uncached(addr) < 0 || ioapic_probe(addr, gsi_base, c) < 0) {
		if (madt_id >= 0)
			log_printf("hv: IOAPIC ID %d at 0x%x (MADT) does not answer: version register 0x%x; "
				   "not used\n", madt_id, addr, c->version);
		return;
	}
	if (madt_id >= 0)
		c->id = (uint32_t)madt_id;
	pirq_nchips++;
}

/* The MADT's IOAPICs, else the PC's at its architectural address if it answers. */
static void pirq_find_ioapics(const struct boot_madt *m)
{
	pirq_nchips = 0;
	if (m->found) {
		for (uint32_t i = 0; i < m->nioapic && i < BOOT_MAX_IOAPICS; i++)
			pirq_add_ioapic(m->ioapic[i].addr, m->ioapic[i].gsi_base, (int)m->ioapic[i].id);
	} else {
		pirq_add_ioapic(IOAPIC_ARCH_BASE, 0, -1);
	}
}

static void pirq_log_choice(const char *why)
{
	log_printf("hv: physical interrupts: %s (%s)\n", pirq_backend_name(pirq_be), why);
	for (unsigned i = 0; i < pirq_nchips; i++) {
		const struct ioapic_chip *c = &pirq_chips[i];

		log_printf("hv: IOAPIC ID %u at 0x%x: version 0x%x, %u pins, GSIs %u-%u%s%s\n", c->id, c->addr,
			   c->version & 0xff, c->pins, c->gsi_base, c->gsi_base + c->pins - 1,
			   pirq_madt->found ? "" : " (the architectural address: no MADT)",
			   pirq_be == PIRQ_IOAPIC ? "" : ": not used");
	}
	if (pirq_be == PIRQ_IOAPIC)
		log_printf("hv: 8259 pair %s; each CPU's idle wake-up: its local APIC timer\n",
			   pirq_madt->found && !(pirq_madt->flags & 1) ? "absent (MADT)" : "masked whole");
	else
		log_printf("hv: 8259 pair at vectors 0x%x-0x%x; CPU 0's idle wake-up: the PIT (IRQ 0)\n",
			   PIRQ_VECTOR_BASE, PIRQ_VECTOR_BASE + 15);
}

void pirq_init(const struct boot_info *bi, enum pirq_want want)
{
	const struct boot_madt *m = &bi->madt;
	struct pirq_machine mach = { .have_8259 = !m->found || (m->flags & 1) };
	char why[160];

	pirq_madt = m;
	pirq_tsc_hz = bi->tsc_hz;
	memset(pirq_lines, 0, sizeof(pirq_lines));
	memset(pirq_timers, 0, sizeof(pirq_timers));
	if (plapic_probe(bi->tsc_hz) == PLAPIC_XAPIC && setup_map_uncached(plapic.base) < 0) {
		log_printf("hv: local APIC at 0x%lx is beyond the identity map: not used\n", plapic.base);
		plapic.mode = PLAPIC_NONE;
	}
	mach.have_lapic = plapic.mode != PLAPIC_NONE;
	pirq_find_ioapics(m);
	mach.nioapic = pirq_nchips;
	pirq_be = pirq_choose(&mach, want, why, sizeof(why));
	if (pirq_be == PIRQ_NONE)
		panic("pirq_init: no physical interrupt controller to use: %s", why);
	pirq_log_choice(why);
	if (mach.have_8259)
		pic_init();                       /* remapped to 0x20-0x2f, every line masked */
	if (pirq_be == PIRQ_PIC) {
		pic_unmask(0);                    /* the PIT: CPU 0's wake-up */
		return;
	}
	if (mach.have_8259)
		pic_mask_all();
	for (unsigned i = 0; i < pirq_nchips; i++)
		ioapic_mask_all(&pirq_chips[i]);
}

void pirq_cpu_init(void)
{
	unsigned cpu = this_cpu();
	bool pit_cpu = pirq_be == PIRQ_PIC && cpu == 0;
	char timer[80], where[40];

	if (plapic.mode == PLAPIC_NONE) {
		if (pit_cpu)
			return;                   /* the 8259 pair and the PIT alone, as ever */
		panic("pirq_cpu_init: CPU %u: no local APIC enabled: no wake-up timer, no IPIs", cpu);
	}
	if (plapic_cpu_enable(pit_cpu) < 0)
		panic("pirq_cpu_init: CPU %u: its local APIC (IA32_APIC_BASE 0x%lx) is not in the boot "
		      "CPU's mode (%s at 0x%lx)", cpu, cpu_rdmsr(MSR_IA32_APIC_BASE),
		      plapic_mode_name(plapic.mode), plapic.base);
	if (plapic.tsc_deadline) {
		fmt_snprintf(timer, sizeof(timer), "TSC-deadline");
	} else {
		/* Once, on the boot CPU: every CPU's timer has the same input clock. */
		if (!plapic.timer_hz && !plapic_calibrate(pirq_tsc_hz / 100) && !pit_cpu)
			panic("pirq_cpu_init: CPU %u: the local APIC timer does not count", cpu);
		fmt_snprintf(timer, sizeof(timer), "one-shot, %lu kHz (calibrated against the TSC)",
			     plapic.timer_hz / 1000);
	}
	if (plapic.mode == PLAPIC_XAPIC)
		fmt_snprintf(where, sizeof(where), "xAPIC at 0x%lx", plapic.base);
	else
		fmt_snprintf(where, sizeof(where), "x2APIC");
	log_printf("hv: CPU %u local APIC: %s, APIC ID %u; wake-up timer: %s\n", cpu, where, plapic_id(),
		   pit_cpu ? "the PIT (the LAPIC in virtual wire mode)" : timer);
}

/* The IOAPIC backend's pirq_route: line irq's GSI, its entry, masked unless it was open. */
static int pirq_route_ioapic(unsigned irq, uint32_t dest_apic, char *where, size_t len)
{
	struct pirq_line *p = &pirq_lines[irq];
	struct ioapic_line l;
	unsigned pin;
	uint64_t rte;
	int c;

	ioapic_isa_line(pirq_madt, irq, pic_is_level(irq), &l);
	c = ioapic_find(pirq_chips, pirq_nchips, l.gsi, &pin);
	if (c < 0) {
		fmt_snprintf(where, len, "GSI %u is on no IOAPIC", l.gsi);
		return -1;
	}
	if (dest_apic > 0xff) {
		fmt_snprintf(where, len, "APIC ID %u: an IOAPIC entry names 8-bit destinations", dest_apic);
		return -1;
	}
	for (unsigned j = 1; j < PIRQ_LINES; j++)
		if (j != irq && pirq_lines[j].routed && pirq_lines[j].gsi == l.gsi) {
			fmt_snprintf(where, len, "GSI %u already carries IRQ %u", l.gsi, j);
			return -1;
		}
	spin_lock(&pirq_lock);
	rte = ioapic_rte((uint8_t)(PIRQ_VECTOR_BASE + irq), (uint8_t)dest_apic, l.level, l.active_low,
			 !p->routed || (p->low & IOAPIC_RTE_MASKED));
	*p = (struct pirq_line){ .routed = true, .level = l.level, .active_low = l.active_low,
				 .chip = c, .pin = pin, .gsi = l.gsi, .dest = dest_apic, .low = (uint32_t)rte };
	ioapic_write_rte(&pirq_chips[c], pin, rte);
	spin_unlock(&pirq_lock);
	fmt_snprintf(where, len, "IOAPIC %u pin %u (GSI %u%s), vector 0x%x, active %s, to APIC ID %u",
		     pirq_chips[c].id, pin, l.gsi, l.override ? ", MADT override" : "",
		     PIRQ_VECTOR_BASE + irq, l.active_low ? "low" : "high", dest_apic);
	return 0;
}

int pirq_route(unsigned irq, uint32_t dest_apic, char *where, size_t len)
{
	if (irq == 0 || irq >= PIRQ_LINES) {
		fmt_snprintf(where, len, "IRQ %u cannot be routed", irq);
		return -1;
	}
	if (pirq_be != PIRQ_PIC)
		return pirq_route_ioapic(irq, dest_apic, where, len);
	pirq_lines[irq].routed = true;
	fmt_snprintf(where, len, "8259 IR%u, vector 0x%x%s", irq, PIRQ_VECTOR_BASE + irq,
		     dest_apic == pcpus[0].apic_id ? "" : ", to CPU 0: the 8259 reaches no other");
	return 0;
}

/* Sets or clears the mask bit of routed line irq's redirection entry. */
static void pirq_ioapic_mask(unsigned irq, bool masked)
{
	struct pirq_line *p;

	if (irq >= PIRQ_LINES || !pirq_lines[irq].routed)
		return;
	p = &pirq_lines[irq];
	spin_lock(&pirq_lock);
	p->low = masked ? p->low | IOAPIC_RTE_MASKED : p->low & ~IOAPIC_RTE_MASKED;
	ioapic_write_rte_low(&pirq_chips[p->chip], p->pin, p->low);
	spin_unlock(&pirq_lock);
}

void pirq_mask(unsigned irq)
{
	if (pirq_be == PIRQ_PIC)
		pic_mask(irq);
	else
		pirq_ioapic_mask(irq, true);
}

void pirq_unmask(unsigned irq)
{
	if (pirq_be == PIRQ_PIC)
		pic_unmask(irq);
	else
		pirq_ioapic_mask(irq, false);
}

bool pirq_is_level(unsigned irq)
{
	struct ioapic_line l;

	if (pirq_be == PIRQ_PIC)
		return pic_is_level(irq);
	if (irq < PIRQ_LINES && pirq_lines[irq].routed)
		return pirq_lines[irq].level;
	ioapic_isa_line(pirq_madt, irq, pic_is_level(irq), &l);
	return l.level;
}

enum pirq_event pirq_classify(unsigned vector, unsigned *irq)
{
	*irq = vector - PIRQ_VECTOR_BASE;
	if (vector >= PIRQ_VECTOR_BASE && *irq < PIRQ_LINES) {
		if (pirq_be != PIRQ_PIC)
			return PIRQ_EV_LINE;
		if (*irq == 0)
			return PIRQ_EV_TIMER;
		if ((*irq == 7 || *irq == 15) && pic_is_spurious(*irq)) {
			if (*irq == 15)
				pic_eoi(2);       /* the master saw a real IR2 */
			return PIRQ_EV_SPURIOUS;
		}
		return PIRQ_EV_LINE;
	}
	if (plapic.mode == PLAPIC_NONE)
		return PIRQ_EV_UNEXPECTED;
	switch (vector) {
	case PIRQ_VECTOR_TIMER:    return PIRQ_EV_TIMER;
	case PIRQ_VECTOR_IPI:      return PIRQ_EV_IPI;
	case PIRQ_VECTOR_ERROR:    return PIRQ_EV_ERROR;
	case PIRQ_VECTOR_SPURIOUS: return PIRQ_EV_SPURIOUS;
	default:                   return PIRQ_EV_UNEXPECTED;
	}
}

void pirq_eoi(unsigned vector)
{
	if (pirq_be == PIRQ_PIC && vector >= PIRQ_VECTOR_BASE && vector < PIRQ_VECTOR_BASE + PIRQ_LINES) {
		pic_eoi(vector - PIRQ_VECTOR_BASE);
		return;
	}
	/* "Spurious Interrupt": not in service, no EOI. Anything else the LAPIC delivered: EOI. */
	if (vector != PIRQ_VECTOR_SPURIOUS && plapic.mode != PLAPIC_NONE)
		plapic_eoi();
}

uint32_t pirq_error_status(void)
{
	if (plapic.mode == PLAPIC_NONE)
		return 0;
	plapic_write(PLAPIC_ESR, 0);
	return plapic_read(PLAPIC_ESR);
}

void pirq_wake_at(uint64_t wake, uint64_t now)
{
	pirq_timers[this_cpu()].armed = wake == UINT64_MAX ? 0 : wake;
	if (pirq_be == PIRQ_PIC && this_cpu() == 0) {
		if (wake != UINT64_MAX)
			pit_oneshot(wake > now ? wake - now : 0, pirq_tsc_hz);
		return;
	}
	plapic_timer_arm(wake, now);
}

void pirq_timer_taken(uint64_t now)
{
	struct pirq_timer *t = &pirq_timers[this_cpu()];

	if (!t->armed)
		return;                           /* none armed: a stale interrupt */
	t->taken++;
	if (now < t->armed) {
		t->early++;
	} else {
		t->late_sum += now - t->armed;
		t->late_max = MAX(t->late_max, now - t->armed);
	}
	t->armed = 0;
}

void pirq_log_timers(void)
{
	for (unsigned cpu = 0; cpu < HV_MAX_CPUS; cpu++) {
		const struct pirq_timer *t = &pirq_timers[cpu];
		uint64_t on_time = t->taken - t->early, avg = on_time ? t->late_sum / on_time : 0;

		if (!t->taken)
			continue;
		log_printf("hv: CPU %u wake-up timer (%s): %lu interrupts, %lu before their deadline; "
			   "the others late by %lu TSC ticks on average (%lu ns), %lu at most (%lu ns)\n", cpu,
			   pirq_be == PIRQ_PIC && cpu == 0 ? "PIT" :
			   plapic.tsc_deadline ? "LAPIC TSC-deadline" : "LAPIC one-shot",
			   t->taken, t->early, avg, avg * 1000000 / (pirq_tsc_hz / 1000),
			   t->late_max, t->late_max * 1000000 / (pirq_tsc_hz / 1000));
	}
}

int pirq_kick(uint32_t apic_id)
{
	return plapic_send_fixed(apic_id, PIRQ_VECTOR_IPI);
}
