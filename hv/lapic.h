/*
 * A guest's local APIC and IOAPIC (lapic = on): the pure models
 * (hv/vlapic.c, hv/vioapic.c) wired to the hv. One vCPU per guest, APIC
 * ID 0. docs/architecture.md "The virtual local APIC and IOAPIC" has
 * the design; in short:
 *
 *   - Access paths. xAPIC page at 0xfee00000: with the CPU's APIC
 *     virtualization (vmx_controls()->apic_proc2: virtualize APIC
 *     accesses and APIC-register virtualization) the guest's EPT maps it
 *     to a per-guest APIC-access page; reads of most registers come from
 *     the vCPU's virtual-APIC page, which the hv keeps equal to the model
 *     (vlapic_fill_page); writes end in a trap-like APIC-write exit (the
 *     value is in the page) and the rest in fault-like APIC-access exits
 *     (hv/lapic_io.c decodes the instruction). Without it the page is not
 *     in the EPT: each access is an EPT violation decoded the same way.
 *     The IOAPIC at 0xfec00000 is always reached that way. x2APIC,
 *     IA32_APIC_BASE and IA32_TSC_DEADLINE are MSR exits (hv/exit_msr.c).
 *   - TPR. With the TPR shadow the guest's TPR lives in the virtual-APIC
 *     page (VTPR): CR8 and virtualized TPR writes change it without an
 *     exit. The hv copies VTPR into the model before it uses the model
 *     (lapic_tpr_in) and the model's TPR back when it changed it; a
 *     vector held off by TPR sets the TPR threshold, so the guest's
 *     lowering of TPR below it exits (TPR below threshold).
 *   - Delivery (hv/virq.c): IOAPIC messages are handed to the LAPIC as
 *     soon as a pin or an entry changes; the entry path takes NMIs
 *     first, then the 8259 through LINT0 (ExtINT), then the LAPIC's
 *     vector above PPR; the timer's next expiry is cached in guest TSC (apic.next).
 *   - Lines. ISA IRQ n of the guest is IOAPIC pin n, except the PIT's
 *     IRQ 0, which is pin 2 (the MADT's override).
 */
#ifndef HV_LAPIC_H
#define HV_LAPIC_H

#include "hv.h"
#include "cpumodel.h"
#include "exit.h"

#define LAPIC_BUS_HZ   1000000000ull    /* the timer's input clock (and CPUID 0x15's crystal) */
#define LAPIC_PIT_PIN  2                /* the PIT's IOAPIC pin (MADT: ISA IRQ 0 -> GSI 2) */

/*
 * Boot: with the CPU's APIC virtualization (vmx_controls()->apic_proc2)
 * and lapic = on, g's APIC-access page mapped at 0xfee00000 in its EPT.
 * Returns 0, or -1 if it could not be allocated or mapped.
 */
int lapic_guest_setup(struct guest *g);

/* Every boot: the models as firmware leaves them (LAPIC in virtual wire mode, IOAPIC masked). */
void lapic_reset(struct guest *g);

/* The guest's TSC at host TSC tsc. */
static inline uint64_t lapic_guest_tsc(const struct guest *g, uint64_t tsc)
{
	return tsc + g->vcpu.tsc_offset;
}

#define LAPIC_VTPR_OFFSET 0x80       /* TPR in the virtual-APIC page ("Virtual-APIC Page") */

/* The virtual-APIC page's TPR, or NULL without a TPR shadow. */
static inline volatile uint32_t *lapic_vtpr(struct guest *g)
{
	uint8_t *page = g->vcpu.vapic;

	return page ? (volatile uint32_t *)(page + LAPIC_VTPR_OFFSET) : NULL;
}

/* The guest changed its TPR to tpr behind the hv's back (CR8 or a virtualized write): the model follows. */
void lapic_tpr_changed(struct guest *g, uint8_t tpr);

/*
 * Copies the guest's TPR from the virtual-APIC page (where CR8 writes
 * land without an exit, "Virtualizing CR8-Based TPR Accesses") into the
 * model; a change makes the LAPIC dirty (PPR follows). One load and a
 * compare when the TPR is unchanged.
 */
static inline void lapic_tpr_in(struct guest *g)
{
	volatile uint32_t *vtpr = lapic_vtpr(g);
	uint8_t tpr;

	if (vtpr && (tpr = (uint8_t)*vtpr) != vlapic_tpr(&g->lapic))
		lapic_tpr_changed(g, tpr);
}

/*
 * ICR high with APIC-register virtualization: the CPU stores the guest's
 * writes of it in the virtual-APIC page and never exits for them (SDM
 * "APIC-Write Emulation"), and vlapic_fill_page leaves it there.
 * lapic_icr_hi_in copies it into the model (before an ICR low write
 * sends: the IPI goes where the guest said); lapic_icr_hi_out copies the
 * model's into the page after the model changed it (a decoded write, a
 * reset). Both do nothing without APIC-register virtualization.
 */
void lapic_icr_hi_in(struct guest *g);
void lapic_icr_hi_out(struct guest *g);

/*
 * After anything that changed the models (an access, an MSR, a line, the
 * timer; each brought the page's TPR in first with lapic_tpr_in):
 * broadcasts the LAPIC's level EOIs to the IOAPIC (freeing the routed
 * level lines they end), hands the IOAPIC's messages to the LAPIC (the
 * LAPIC is then dirty: the entry path refills the virtual-APIC page;
 * callers that changed it themselves set apic.dirty), re-reads the
 * timer's next expiry and copies the model's TPR to the virtual-APIC page.
 */
void lapic_commit(struct guest *g);

/* The timer is due at guest TSC gnow: its expiries into IRR. */
void lapic_timer_due(struct guest *g, uint64_t gnow);

/* Fires the timer if it is due at host TSC now (cheap when it is not). */
static inline void lapic_update_timer(struct guest *g, uint64_t now)
{
	uint64_t gnow = lapic_guest_tsc(g, now);

	if (gnow >= g->apic.next)
		lapic_timer_due(g, gnow);
}

/* Host TSC of the timer's next interrupt (UINT64_MAX: none), seen at host TSC now. */
static inline uint64_t lapic_next_event(const struct guest *g, uint64_t now)
{
	uint64_t next = g->apic.next;

	if (!g->apic.on || next == UINT64_MAX)
		return UINT64_MAX;
	if (lapic_guest_tsc(g, now) >= next)
		return now;
	return next - g->vcpu.tsc_offset;     /* host TSC = guest TSC - offset */
}

/*
 * A routed device line of g (ISA IRQ irq, 1-15) at the IOAPIC pin the
 * MADT names: level 1/0, or an edge (pulse). Messages go to the LAPIC.
 */
void lapic_line(struct guest *g, unsigned irq, int level, bool pulse);

/* The PIT's IRQ 0 edge, at IOAPIC pin 2. */
void lapic_pit_edge(struct guest *g);

/* Returns true if the IOAPIC passes pin's interrupts (its entry unmasked). */
static inline bool lapic_pin_open(const struct guest *g, unsigned pin)
{
	return g->apic.on && pin < VIOAPIC_PINS && !(g->ioapic.rte[pin] & VIOAPIC_RTE_MASKED);
}

void lapic_finish_entry_slow(struct vcpu *v);

/*
 * Entry path, after the injection decision (lapic = on): the virtual-APIC
 * page refilled if the LAPIC is dirty, and the TPR threshold for a vector
 * TPR holds off. Nothing to do, and nothing done, while the page is clean,
 * IRR is empty and the threshold is 0 (what the work would leave).
 */
static inline void lapic_finish_entry(struct vcpu *v)
{
	struct guest *g = v->guest;

	if (g->apic.dirty || vlapic_irr_pending(&g->lapic) || g->apic.tpr_threshold)
		lapic_finish_entry_slow(v);
}

/* MOV from/to CR8 without a TPR shadow (CR8 exiting), lapic = on: the model's TPR[7:4]. */
uint64_t lapic_read_cr8(struct guest *g);
void lapic_write_cr8(struct guest *g, uint64_t cr8);

/* MSR policy rows (hv/exit_msr.c): IA32_APIC_BASE, IA32_TSC_DEADLINE, x2APIC 0x800-0x8ff. */
int lapic_msr_read(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t *val);
int lapic_msr_write(struct vcpu *v, const struct msr_policy *p, uint32_t msr, uint64_t val);

/* CPUID leaf 0x15 of a guest with a LAPIC: TSC/crystal ratio and crystal = the timer's clock. */
void lapic_cpuid_15(const struct guest *g, struct cpuid_regs *r);

/* Returns true if gpa is in g's xAPIC or IOAPIC page (lapic = on). */
bool lapic_mmio_page(const struct guest *g, uint64_t gpa);

/*
 * hv/lapic_io.c: an EPT violation at gpa in one of those pages: the
 * access emulated (the instruction decoded and completed), or the guest
 * stopped with the reason.
 */
enum exit_action lapic_ept_violation(struct vcpu *v, struct exit_info *x, uint64_t gpa);

/* hv/lapic_io.c: APIC-access (44) and APIC-write (56) exits (APIC virtualization). */
enum exit_action exit_apic_access(struct vcpu *v, struct exit_info *x);
enum exit_action exit_apic_write(struct vcpu *v, struct exit_info *x);

/* hv/lapic_io.c: the guest lowered its TPR below the TPR threshold (43): the entry path delivers. */
enum exit_action exit_tpr_below_threshold(struct vcpu *v, struct exit_info *x);

/* hv/lapic_io.c: NMI-window exit (8): the guest can take the NMI it held off; the entry path injects it. */
enum exit_action exit_nmi_window(struct vcpu *v, struct exit_info *x);

#endif
