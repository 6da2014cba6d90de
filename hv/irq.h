/*
 * Physical interrupt routing: each ISA line named in a guest's irqs (or
 * implied by its devices) goes to that guest's virtual PIC and IOAPIC,
 * through the physical interrupt layer (hv/pirq.h: the 8259 pair, or the
 * IOAPICs and local APICs).
 */
#ifndef HV_IRQ_H
#define HV_IRQ_H

#include "hv.h"

/*
 * Boot CPU: sets up the physical interrupt layer (pirq_init with hv.cfg's
 * irq_backend, pirq_cpu_init for this CPU), routes every guest's lines
 * and unmasks them.
 */
void irq_init(void);

/*
 * CPU cpu (an AP) runs the hv now (after its pirq_cpu_init): the lines of
 * the guests hv.cfg places on it are sent to it from now on (the IOAPIC
 * backend; the 8259 reaches CPU 0 only).
 */
void irq_cpu_online(unsigned cpu);

/*
 * The guest's local APIC broadcast an EOI of vector: its level lines whose
 * IOAPIC entry sends vector are deasserted and unmasked (the device asserts
 * them again if it still asks).
 */
void irq_guest_apic_eoi(struct guest *g, uint8_t vector);

/* Unmasks level lines the guest has acknowledged (EOI) since the last call. */
void irq_guest_eois(struct guest *g);

/* g stopped or ended: masks its lines at the physical controller and logs their counts. */
void irq_guest_stopped(struct guest *g);

/* g boots (again): unmasks its lines, level ones masked while it waited included. */
void irq_guest_started(struct guest *g);

/* A physical interrupt (vector) arrived: routes it to its owner's virtual PIC. */
void hv_irq(unsigned vector);

/* The IDT's way into hv_irq (hv/entry.asm): the interrupt ends the CPU's idle time (sched_idle_interrupt). */
void hv_irq_idle(unsigned vector);

/* Returns the guest that owns ISA line irq, or NULL. */
struct guest *irq_owner(unsigned irq);

/* Returns the guest that owns the line whose vector this is (PIRQ_VECTOR_BASE + irq), or NULL. */
struct guest *irq_vector_owner(unsigned vector);

/*
 * Counts of physical interrupts: per line; wake-up timer interrupts, the
 * spurious ones, kicks from other CPUs; unexpected vectors and local APIC
 * errors.
 */
extern uint64_t irq_count[16];
extern uint64_t irq_timer_wakeups, irq_spurious, irq_ipis;
/* Lines that arrived on another CPU than their owner's and were posted to it by IPI. */
extern uint64_t irq_forwarded;
extern uint64_t irq_unexpected;

#endif
