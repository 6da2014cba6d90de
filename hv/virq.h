/*
 * Virtual interrupt delivery to a guest vCPU, and its timer's deadline.
 */
#ifndef HV_VIRQ_H
#define HV_VIRQ_H

#include "hv.h"

/*
 * Brings v's virtual timer up to now, re-delivers an event an exit
 * interrupted or injects the highest-priority pending virtual interrupt if
 * the guest can take it (else asks for an interrupt-window exit), and arms
 * the VMX preemption timer for deadline or the guest's own next timer
 * interrupt, whichever is first. v's VMCS must be current.
 */
void virq_prepare_entry(struct vcpu *v, uint64_t now, uint64_t deadline);

/*
 * Brings g's virtual PIT up to now: raises IRQ 0 in its vPIC if an edge is
 * due. catch_up: g waited for the hv (another guest held the CPU, or it was
 * halted): edges beyond the one the 8259 latches go to its tick backlog
 * instead of being lost. Edges lost all the same are counted.
 */
void virq_update_timer(struct guest *g, uint64_t now, bool catch_up);

/* Returns true if g has a virtual interrupt it could take if its IF were 1. */
bool virq_pending(struct guest *g);

/*
 * Returns the TSC at which g's timer next gives it an interrupt it can
 * take (its IRQ 0 unmasked, not latched already, not held off by a request
 * in service), UINT64_MAX if none: the hv need not act before then.
 */
uint64_t virq_next_event(struct guest *g, uint64_t now);

/* Sets the preemption-timer rate (IA32_VMX_MISC bits 4:0). */
void virq_init(unsigned preempt_shift);

#endif
