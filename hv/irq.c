/*
 * Physical interrupts. They reach the hv two ways: as an external-
 * interrupt exit while a guest runs (acknowledged on exit, vector in the
 * exit information) or through the IDT while the hv idles with
 * interrupts on. Both end in hv_irq(vector).
 *
 * A routed edge line is pulsed into its owner's virtual PIC and EOIed at
 * once. A routed level line is masked at the physical PIC until the owner
 * EOIs it in its virtual PIC (or, lapic = on, its local APIC's EOI of
 * the vector the line's IOAPIC entry sends): otherwise it would fire again
 * and again before the guest had a chance to quiet the device. With a
 * LAPIC every line reaches both the 8259 and the IOAPIC pin the MADT
 * names, as on a PC.
 */
#include "irq.h"
#include "lapic.h"
#include "log.h"
#include "pic.h"
#include "sched.h"
#include "vpic.h"

uint64_t irq_count[16];
uint64_t irq_unexpected;
static struct guest *irq_route[16];

struct guest *irq_owner(unsigned irq)
{
	return irq < 16 ? irq_route[irq] : NULL;
}

void irq_init(void)
{
	memset(irq_route, 0, sizeof(irq_route));
	memset(irq_count, 0, sizeof(irq_count));
	irq_unexpected = 0;
	pic_init();
	for (int i = 0; i < hv.nguests; i++) {
		struct guest *g = &hv.guests[i];
		for (unsigned irq = 1; irq < 16; irq++) {
			if (!(g->cfg->irqs & (1u << irq)))
				continue;
			irq_route[irq] = g;
			pic_unmask(irq);
			log_printf("hv: IRQ %u routed to guest %s (%s-triggered)\n", irq,
				   g->cfg->name, pic_is_level(irq) ? "level" : "edge");
		}
	}
	pic_unmask(0);
}

void irq_guest_eois(struct guest *g)
{
	uint16_t lines = vpic_take_eois(&g->pic);

	for (unsigned irq = 1; lines && irq < 16; irq++)
		if ((lines & (1u << irq)) && irq_route[irq] == g && pic_is_level(irq)) {
			vpic_set_irq(&g->pic, (int)irq, 0);
			lapic_line(g, irq, 0, false);
			pic_unmask(irq);
		}
}

void irq_guest_apic_eoi(struct guest *g, uint8_t vector)
{
	for (unsigned irq = 1; irq < 16; irq++) {
		uint64_t rte = g->ioapic.rte[irq];
		if (irq_route[irq] != g || !pic_is_level(irq) || (uint8_t)rte != vector ||
		    !(g->ioapic.lines & (1u << irq)))
			continue;
		vpic_set_irq(&g->pic, (int)irq, 0);
		vioapic_set_irq(&g->ioapic, (int)irq, 0);
		pic_unmask(irq);
	}
}

void irq_guest_stopped(struct guest *g)
{
	/* Nobody serves its devices now: their lines stay masked until it boots again. */
	for (unsigned irq = 1; irq < 16; irq++)
		if (irq_route[irq] == g)
			pic_mask(irq);
}

void irq_guest_started(struct guest *g)
{
	/* A fresh boot: every line of its devices is open again, level ones included. */
	for (unsigned irq = 1; irq < 16; irq++)
		if (irq_route[irq] == g)
			pic_unmask(irq);
}

void hv_irq(unsigned vector)
{
	unsigned irq = vector - PIC_VECTOR_BASE;

	if (vector < PIC_VECTOR_BASE || irq >= 16) {
		/* A vector nothing here programs: a LAPIC spurious or LVT vector, a stray route. */
		if (irq_unexpected++ < 4)
			log_printf("hv: unexpected interrupt vector %u (counted, ignored)\n", vector);
		return;
	}
	if ((irq == 7 || irq == 15) && pic_is_spurious(irq)) {
		if (irq == 15)
			pic_eoi(2);             /* the master saw a real IR2 */
		return;
	}
	irq_count[irq]++;
	struct guest *g = irq_route[irq];
	if (g && pic_is_level(irq)) {
		pic_mask(irq);
		vpic_set_irq(&g->pic, (int)irq, 1);
		lapic_line(g, irq, 1, false);
	} else if (g) {
		vpic_pulse_irq(&g->pic, (int)irq);
		lapic_line(g, irq, 0, true);
	}
	pic_eoi(irq);
	if (g)
		sched_kick(g);
}
