/*
 * Physical interrupts. They reach the hv two ways: as an external-
 * interrupt exit while a guest runs (acknowledged on exit, vector in the
 * exit information) or through the IDT while the hv idles with
 * interrupts on. Both end in hv_irq(vector). The controllers are behind
 * hv/pirq.h: the 8259 pair, or the IOAPICs and local APICs.
 *
 * A routed edge line is pulsed into its owner's virtual PIC and EOIed at
 * once. A routed level line is masked at the physical controller (the
 * 8259's IMR, or its IOAPIC entry) until the owner EOIs it in its
 * virtual PIC (or, lapic = on, its local APIC's EOI of the vector the
 * line's virtual IOAPIC entry sends): otherwise it would fire again and
 * again before the guest had a chance to quiet the device. With a LAPIC
 * every line reaches both the guest's 8259 and the IOAPIC pin the MADT
 * names, as on a PC.
 *
 * With the IOAPIC backend each line goes to the CPU of its owner: the
 * APIC ID of the guest's `cpu` once that CPU runs the hv, else the boot
 * CPU's (irq_cpu_online moves the lines when an AP comes up).
 */
#include "irq.h"
#include "cpu.h"
#include "lapic.h"
#include "log.h"
#include "percpu.h"
#include "pirq.h"
#include "sched.h"
#include "vpic.h"

uint64_t irq_count[16];
uint64_t irq_unexpected;
uint64_t irq_timer_wakeups, irq_spurious, irq_ipis, irq_forwarded;
static struct guest *irq_route[16];

struct guest *irq_owner(unsigned irq)
{
	return irq < 16 ? irq_route[irq] : NULL;
}

struct guest *irq_vector_owner(unsigned vector)
{
	return irq_owner(vector - PIRQ_VECTOR_BASE);   /* below the base: a large irq, no owner */
}

/* The APIC ID of the CPU g runs on: its cpu's once that CPU runs the hv, else the boot CPU's. */
static uint32_t irq_dest(const struct guest *g)
{
	unsigned cpu = g->cpu;

	if (cpu >= HV_MAX_CPUS || !pcpus[cpu].online)
		cpu = 0;
	return pcpus[cpu].apic_id;
}

/* Programs line irq for g; returns 0, or -1 (logged: the line stays masked). */
static int irq_program(struct guest *g, unsigned irq)
{
	char where[128];

	if (pirq_route(irq, irq_dest(g), where, sizeof(where)) < 0) {
		log_printf("hv: IRQ %u of guest %s cannot be routed: %s; it stays masked\n", irq,
			   g->cfg->name, where);
		return -1;
	}
	log_printf("hv: IRQ %u routed to guest %s (%s-triggered): %s\n", irq, g->cfg->name,
		   pirq_is_level(irq) ? "level" : "edge", where);
	return 0;
}

void irq_init(void)
{
	memset(irq_route, 0, sizeof(irq_route));
	memset(irq_count, 0, sizeof(irq_count));
	irq_unexpected = irq_timer_wakeups = irq_spurious = irq_ipis = irq_forwarded = 0;
	pirq_init(hv.bi, (enum pirq_want)hv.bi->cfg.irq_backend);
	pirq_cpu_init();
	for (int i = 0; i < hv.nguests; i++) {
		struct guest *g = &hv.guests[i];
		for (unsigned irq = 1; irq < 16; irq++) {
			if (!(g->cfg->irqs & (1u << irq)) || irq_program(g, irq) < 0)
				continue;
			irq_route[irq] = g;
			pirq_unmask(irq);
		}
	}
}

void irq_cpu_online(unsigned cpu)
{
	char where[128];

	for (unsigned irq = 1; irq < 16; irq++) {
		struct guest *g = irq_route[irq];

		if (g && g->cpu == cpu && pirq_route(irq, irq_dest(g), where, sizeof(where)) == 0)
			log_printf("hv: IRQ %u of guest %s now goes to CPU %u: %s\n", irq, g->cfg->name, cpu,
				   where);
	}
}

void irq_guest_eois(struct guest *g)
{
	uint16_t lines = vpic_take_eois(&g->pic);

	for (unsigned irq = 1; lines && irq < 16; irq++)
		if ((lines & (1u << irq)) && irq_route[irq] == g && pirq_is_level(irq)) {
			vpic_set_irq(&g->pic, (int)irq, 0);
			lapic_line(g, irq, 0, false);
			pirq_unmask(irq);
		}
}

void irq_guest_apic_eoi(struct guest *g, uint8_t vector)
{
	for (unsigned irq = 1; irq < 16; irq++) {
		uint64_t rte = g->ioapic.rte[irq];
		if (irq_route[irq] != g || !pirq_is_level(irq) || (uint8_t)rte != vector ||
		    !(g->ioapic.lines & (1u << irq)))
			continue;
		vpic_set_irq(&g->pic, (int)irq, 0);
		vioapic_set_irq(&g->ioapic, (int)irq, 0);
		pirq_unmask(irq);
	}
}

/* Returns true if no guest can run again (each has exited, stopped or halted for good). */
static bool irq_all_ended(void)
{
	for (int i = 0; i < hv.nguests; i++)
		if (hv.guests[i].state == GUEST_RUNNABLE || hv.guests[i].state == GUEST_HALTED)
			return false;
	return true;
}

void irq_guest_stopped(struct guest *g)
{
	/* Nobody serves its devices now: their lines stay masked until it boots again. */
	for (unsigned irq = 1; irq < 16; irq++)
		if (irq_route[irq] == g) {
			pirq_mask(irq);
			log_printf("hv: guest %s: physical IRQ %u arrived %lu times (%s)\n", g->cfg->name,
				   irq, irq_count[irq], pirq_backend_name(pirq_backend()));
		}
	if (irq_all_ended())
		pirq_log_timers();
}

void irq_guest_started(struct guest *g)
{
	/* A fresh boot: every line of its devices is open again, level ones included. */
	for (unsigned irq = 1; irq < 16; irq++)
		if (irq_route[irq] == g)
			pirq_unmask(irq);
}

/* Raises line irq in g's virtual PIC (and IOAPIC) and wakes g: on g's own CPU only. */
static void irq_deliver(struct guest *g, unsigned irq, bool level)
{
	if (level) {
		vpic_set_irq(&g->pic, (int)irq, 1);
		lapic_line(g, irq, 1, false);
	} else {
		vpic_pulse_irq(&g->pic, (int)irq);
		lapic_line(g, irq, 0, true);
	}
	sched_kick(g);
}

/*
 * Line irq of g arrived on another CPU (the 8259 reaches CPU 0 only, and an
 * IOAPIC entry points at CPU 0 until g's CPU runs): it is posted in g's
 * CPU's mailbox and that CPU kicked with an IPI, which takes it out
 * (irq_take_posted): a guest's virtual devices are only ever touched by
 * its own CPU. This CPU's time on the line is g's (the exit path's
 * sched_blame names g; hv/sched.c hands the time to g's CPU).
 */
static void irq_post(struct guest *g, unsigned irq, bool level)
{
	struct pcpu *c = &pcpus[g->cpu];

	__atomic_fetch_or(level ? &c->posted_level : &c->posted_edge, 1u << irq, __ATOMIC_RELEASE);
	__atomic_fetch_add(&irq_forwarded, 1, __ATOMIC_RELAXED);
	if (pirq_kick(c->apic_id) < 0 && __atomic_fetch_add(&irq_unexpected, 1, __ATOMIC_RELAXED) < 4)
		log_printf("hv: IRQ %u of guest %s: the IPI to its CPU %u was not sent\n", irq,
			   g->cfg->name, g->cpu);
}

/* This CPU's posted lines (a kick arrived): into their owners' virtual devices. */
static void irq_take_posted(void)
{
	struct pcpu *c = this_pcpu();
	uint32_t edge = __atomic_exchange_n(&c->posted_edge, 0, __ATOMIC_ACQUIRE);
	uint32_t level = __atomic_exchange_n(&c->posted_level, 0, __ATOMIC_ACQUIRE);

	for (unsigned irq = 1; (edge | level) >> irq; irq++) {
		struct guest *g = irq_route[irq];

		if (((edge | level) & (1u << irq)) && g && g->cpu == c->id) {
			sched_blame(g);              /* the kick's exit is the line's owner's cost */
			irq_deliver(g, irq, level & (1u << irq));
		}
	}
}

/* A device line's vector: to its owner (here, or posted to its CPU), then the EOI. */
static void irq_line(unsigned irq, unsigned vector)
{
	struct guest *g = irq_route[irq];
	bool level = pirq_is_level(irq);

	__atomic_fetch_add(&irq_count[irq], 1, __ATOMIC_RELAXED);
	if (g && level)
		pirq_mask(irq);                  /* before the EOI: see pirq.h */
	if (g && g->cpu != this_cpu()) {
		pirq_eoi(vector);
		irq_post(g, irq, level);
		return;
	}
	if (g)
		irq_deliver(g, irq, level);
	pirq_eoi(vector);
}

void hv_irq_idle(unsigned vector)
{
	sched_idle_interrupt(irq_vector_owner(vector));
	hv_irq(vector);
}

void hv_irq(unsigned vector)
{
	unsigned irq;
	uint32_t esr;

	switch (pirq_classify(vector, &irq)) {
	case PIRQ_EV_LINE:
		irq_line(irq, vector);
		return;
	case PIRQ_EV_SPURIOUS:
		__atomic_fetch_add(&irq_spurious, 1, __ATOMIC_RELAXED);
		return;                          /* nothing in service: no EOI */
	case PIRQ_EV_TIMER:
		pirq_timer_taken(cpu_rdtsc());
		__atomic_fetch_add(&irq_timer_wakeups, 1, __ATOMIC_RELAXED);
		break;
	case PIRQ_EV_IPI:
		/* The CPU left HLT or its guest; the lines another CPU posted to it go in. */
		__atomic_fetch_add(&irq_ipis, 1, __ATOMIC_RELAXED);
		irq_take_posted();
		sched_requests_arrived();        /* a manager's request: to the scheduler */
		break;
	case PIRQ_EV_ERROR:
		esr = pirq_error_status();
		if (__atomic_fetch_add(&irq_unexpected, 1, __ATOMIC_RELAXED) < 4)
			log_printf("hv: local APIC error on CPU %u: ESR 0x%x (counted)\n", this_cpu(), esr);
		break;
	case PIRQ_EV_UNEXPECTED:
		/* A vector nothing here programs: a stray route, a firmware leftover. */
		if (__atomic_fetch_add(&irq_unexpected, 1, __ATOMIC_RELAXED) < 4)
			log_printf("hv: unexpected interrupt vector %u (counted, ignored)\n", vector);
		break;
	}
	pirq_eoi(vector);
}
