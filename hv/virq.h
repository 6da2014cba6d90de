/*
 * Virtual interrupt delivery to a guest vCPU and its time slice.
 */
#ifndef HV_VIRQ_H
#define HV_VIRQ_H

#include "hv.h"

/*
 * Brings v's virtual timer up to now, injects the highest-priority pending
 * virtual interrupt if the guest can take it (else asks for an
 * interrupt-window exit), and arms the VMX preemption timer for the end of
 * the slice or the next virtual timer interrupt, whichever is first.
 * v's VMCS must be current.
 */
void virq_prepare_entry(struct vcpu *v);

/*
 * Brings g's virtual PIT up to now: raises IRQ 0 in its vPIC if an edge is
 * due. catch_up: g is getting the CPU after waiting for it; edges it missed
 * meanwhile go to its tick backlog instead of being lost.
 */
void virq_update_timer(struct guest *g, uint64_t now, bool catch_up);

/* Returns true if g has a virtual interrupt it could take if its IF were 1. */
bool virq_pending(struct guest *g);

/* Returns the TSC at which g next needs the CPU for a timer interrupt (UINT64_MAX: never). */
uint64_t virq_next_event(struct guest *g, uint64_t now);

/* Sets the preemption-timer rate (IA32_VMX_MISC bits 4:0). */
void virq_init(unsigned preempt_shift);

#endif
