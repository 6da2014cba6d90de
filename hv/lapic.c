/*
 * A guest's local APIC and IOAPIC wired to the hv (hv/lapic.h): reset,
 * TPR between the virtual-APIC page and the model, the IOAPIC's messages
 * to the LAPIC and its EOI broadcasts back, the timer's next expiry for
 * the scheduler, device lines, and the MSR rows. The access path for the
 * MMIO pages is hv/lapic_io.c; delivery is hv/virq.c.
 */
#include "lapic.h"
#include "lapic_contain.h"
#include "cpu.h"
#include "irq.h"
#include "log.h"
#include "mem.h"
#include "vmcs.h"
#include "vmx.h"
#include "vmxcap.h"

int lapic_guest_setup(struct guest *g)
{
	void *page;

	if (!g->cfg->lapic || !vmx_controls()->apic_proc2 || g->apic.access_page)
		return 0;
	page = mem_alloc_pages(1);
	if (!page || ept_map_mt(&g->ept, VLAPIC_DEFAULT_BASE, (uintptr_t)page, 4096, EPT_R | EPT_W, EPT_MT_UC) < 0)
		return -1;
	g->apic.access_page = page;
	return 0;
}

void lapic_reset(struct guest *g)
{
	struct vlapic_config c = {
		.id = 0, .bsp = true, .x2apic = true, .tsc_deadline = true,
		.tsc_hz = hv.tsc_hz, .bus_hz = LAPIC_BUS_HZ,
	};

	g->apic.on = g->cfg->lapic;
	g->apic.page_regs = g->apic.on && g->apic.access_page;
	if (g->apic.on && vlapic_init(&g->lapic, &c) < 0) {
		/* Only a TSC rate no exact conversion handles: the guest gets the 8259 platform. */
		log_printf("hv: guest %s: no local APIC (TSC rate %lu Hz unusable for its timer)\n",
			   g->cfg->name, hv.tsc_hz);
		g->apic.on = false;
	}
	vioapic_init(&g->ioapic, 0);
	g->apic.dirty = true;
	g->apic.tpr_threshold = 0;
	g->apic.next = g->apic.on ? vlapic_next_event(&g->lapic) : UINT64_MAX;
	g->apic.nmis = 0;
	g->apic.mmio = 0;
	g->contain = (struct guest_contain){ 0 };
}

void lapic_tpr_changed(struct guest *g, uint8_t tpr)
{
	vlapic_set_tpr(&g->lapic, tpr);
	g->apic.dirty = true;                /* PPR follows */
}

/* ICR high in the virtual-APIC page, where the CPU keeps the guest's writes of it, or NULL. */
static volatile uint32_t *lapic_vicr_hi(struct guest *g)
{
	uint8_t *page = g->vcpu.vapic;

	return g->apic.page_regs && page ? (volatile uint32_t *)(page + VLAPIC_ICR_HI) : NULL;
}

void lapic_icr_hi_in(struct guest *g)
{
	volatile uint32_t *p = lapic_vicr_hi(g);

	if (p && vlapic_xapic_mode(&g->lapic))
		g->lapic.icr = (uint32_t)g->lapic.icr | (uint64_t)(*p & 0xff000000u) << 32;
}

void lapic_icr_hi_out(struct guest *g)
{
	volatile uint32_t *p = lapic_vicr_hi(g);

	if (p)
		*p = vlapic_xapic_mode(&g->lapic) ? (uint32_t)(g->lapic.icr >> 32) & 0xff000000u : 0;
}

/* Copies the model's TPR into the virtual-APIC page (CR8 reads it there). */
static void lapic_tpr_out(struct guest *g)
{
	volatile uint32_t *vtpr = lapic_vtpr(g);

	if (vtpr)
		*vtpr = vlapic_tpr(&g->lapic);
}

void lapic_commit(struct guest *g)
{
	struct vioapic_msg m;
	int vec, pin;

	if (g->lapic.ipis_dropped)
		lapic_contain_ipis(g);       /* an ICR write sent an IPI to no CPU */
	while ((vec = vlapic_take_eoi(&g->lapic)) >= 0) {
		vioapic_eoi(&g->ioapic, (uint8_t)vec);
		irq_guest_apic_eoi(g, (uint8_t)vec);
	}
	while ((pin = vioapic_take(&g->ioapic, &m)) >= 0)
		if (!lapic_contain_msg(g, pin, &m))
			g->apic.dirty |= vlapic_accept_irq(&g->lapic, m.delivery_mode, m.vector, m.level);
	g->apic.next = vlapic_next_event(&g->lapic);
	lapic_tpr_out(g);
}

void lapic_timer_due(struct guest *g, uint64_t gnow)
{
	vlapic_update(&g->lapic, gnow);
	g->apic.next = vlapic_next_event(&g->lapic);
	g->apic.dirty = true;
}

/* The IOAPIC pin of ISA IRQ irq (the MADT's override: IRQ 0 is pin 2). */
static unsigned lapic_pin_of(unsigned irq)
{
	return irq == 0 ? LAPIC_PIT_PIN : irq;
}

void lapic_line(struct guest *g, unsigned irq, int level, bool pulse)
{
	if (!g->apic.on || irq >= 16)
		return;
	lapic_tpr_in(g);                     /* a CR8 write since: the page's TPR is the guest's */
	if (pulse)
		vioapic_pulse_irq(&g->ioapic, (int)lapic_pin_of(irq));
	else
		vioapic_set_irq(&g->ioapic, (int)lapic_pin_of(irq), level);
	lapic_commit(g);
}

void lapic_pit_edge(struct guest *g)
{
	lapic_tpr_in(g);
	vioapic_pulse_irq(&g->ioapic, LAPIC_PIT_PIN);
	lapic_commit(g);
}

/*
 * The TPR threshold ("TPR Threshold", "Virtualizing CR8-Based TPR
 * Accesses"): the class of the highest vector in IRR when TPR is what
 * holds it off, so the guest's lowering of TPR below it exits and the
 * entry path delivers it; 0 otherwise. It never exceeds VTPR[7:4], as
 * VM entry requires without APIC-access virtualization.
 */
void lapic_finish_entry_slow(struct vcpu *v)
{
	struct guest *g = v->guest;
	int irr = vlapic_highest_irr(&g->lapic);
	uint8_t tpr_class = vlapic_tpr(&g->lapic) >> 4, thr = 0;

	if (!v->vapic)
		return;
	if (g->apic.page_regs && g->apic.dirty)
		vlapic_fill_page(&g->lapic, v->vapic);   /* what virtualized reads see */
	if (irr >= 0 && (unsigned)(irr >> 4) <= tpr_class)
		thr = (uint8_t)(irr >> 4);
	if (thr != g->apic.tpr_threshold) {
		vmcs_write32(TPR_THRESHOLD, thr);
		g->apic.tpr_threshold = thr;
	}
	g->apic.dirty = false;
}

uint64_t lapic_read_cr8(struct guest *g)
{
	return vlapic_read_cr8(&g->lapic);
}

void lapic_write_cr8(struct guest *g, uint64_t cr8)
{
	vlapic_write_cr8(&g->lapic, cr8);
	g->apic.dirty = true;
	lapic_commit(g);
}

int lapic_msr_read(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t *val)
{
	struct guest *g = v->guest;

	if (!g->apic.on)
		return -1;
	lapic_tpr_in(g);
	return vlapic_rdmsr(&g->lapic, msr, val, lapic_guest_tsc(g, cpu_rdtsc()));
}

int lapic_msr_write(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val)
{
	struct guest *g = v->guest;
	int rc;

	if (!g->apic.on)
		return -1;
	lapic_tpr_in(g);
	rc = vlapic_wrmsr(&g->lapic, msr, val, lapic_guest_tsc(g, cpu_rdtsc()));
	lapic_icr_hi_out(g);                 /* reset by a disable, or mode changed */
	g->apic.dirty = true;
	lapic_commit(g);
	return rc;
}

/*
 * CPUID leaf 15H ("Time Stamp Counter and Nominal Core Crystal Clock
 * Information"): EBX/EAX is the TSC's ratio to the crystal, ECX the
 * crystal's rate, here the timer's input clock, so a guest that sets its
 * LAPIC timer from this leaf (Linux does) gets the rate the model counts.
 */
void lapic_cpuid_15(const struct guest *g, struct cpuid_regs *r)
{
	uint64_t a = hv.tsc_hz, b = LAPIC_BUS_HZ;

	while (b) {
		uint64_t t = a % b;
		a = b, b = t;
	}
	*r = (struct cpuid_regs){ (uint32_t)(LAPIC_BUS_HZ / a), (uint32_t)(hv.tsc_hz / a),
				  (uint32_t)LAPIC_BUS_HZ, 0 };
}

bool lapic_mmio_page(const struct guest *g, uint64_t gpa)
{
	uint64_t page = gpa & ~0xfffull;

	return g->apic.on && (page == VLAPIC_DEFAULT_BASE || page == VIOAPIC_BASE);
}
