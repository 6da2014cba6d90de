/*
 * Physical interrupt routing: each ISA line named in a guest's irqs (or
 * implied by its devices) goes to that guest's virtual PIC. IRQ 0 is the
 * hv's timer.
 */
#ifndef HV_IRQ_H
#define HV_IRQ_H

#include "hv.h"

/* Programs the physical PICs and unmasks every routed line. */
void irq_init(void);

/*
 * The guest's local APIC broadcast an EOI of vector: its level lines whose
 * IOAPIC entry sends vector are deasserted and unmasked (the device asserts
 * them again if it still asks).
 */
void irq_guest_apic_eoi(struct guest *g, uint8_t vector);

/* Unmasks level lines the guest has acknowledged (EOI) since the last call. */
void irq_guest_eois(struct guest *g);

/* g stopped or ended: masks its lines at the physical PIC. */
void irq_guest_stopped(struct guest *g);

/* g boots (again): unmasks its lines, level ones masked while it waited included. */
void irq_guest_started(struct guest *g);

/* A physical interrupt (vector) arrived: routes it to its owner's virtual PIC. */
void hv_irq(unsigned vector);

/* Returns the guest that owns ISA line irq, or NULL. */
struct guest *irq_owner(unsigned irq);

/* Counts of physical interrupts: per line, and the hv timer's. */
extern uint64_t irq_count[16];
extern uint64_t irq_unexpected;

#endif
