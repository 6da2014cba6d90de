/*
 * The physical interrupt layer: one interface over two backends, which
 * hv/irq.c (routing to guests) and the scheduler's idle (the wake-up
 * timer) use. Which backend runs is chosen once at boot (pirq_choose) and
 * logged:
 *
 *   PIC     the 8259 pair (hv/pic.c): lines at vectors 0x20 + IRQ, each
 *           masked in the IMR; every line reaches CPU 0 only; CPU 0's
 *           wake-up timer is the 8254 (PIT channel 0 on IRQ 0); the local
 *           APICs, where enabled, stay in virtual wire mode (LINT0 ExtINT)
 *           on CPU 0 for the IPIs, and give the other CPUs their timers.
 *   IOAPIC  the I/O APICs (hv/ioapic.c) and each CPU's local APIC
 *           (hv/plapic.c): ISA IRQ n goes to the GSI the MADT (or the
 *           architectural default) names, with fixed delivery, physical
 *           destination = the APIC ID given, vector 0x20 + n; the 8259
 *           pair is masked whole and LINT0 with it; each CPU's wake-up
 *           timer is its own LAPIC timer (TSC-deadline or one-shot).
 *
 * Vectors are the same under both: ISA IRQ n at PIRQ_VECTOR_BASE + n, so
 * the exit path and the trace name a line the same way whatever the
 * backend.
 *
 * The contract for a device line: pirq_route (masked), pirq_unmask; when
 * its vector arrives, a level line is masked (pirq_mask) BEFORE pirq_eoi
 * (with the IOAPIC the EOI broadcast would otherwise let it fire again)
 * and unmasked when its owner has acknowledged it; an edge line is only
 * EOIed.
 */
#ifndef HV_PIRQ_H
#define HV_PIRQ_H

#include <stdbool.h>
#include <stdint.h>
#include "boot_info.h"

#define PIRQ_VECTOR_BASE     0x20     /* ISA IRQ n: vector 0x20 + n */
#define PIRQ_LINES           16       /* the ISA IRQs hv.cfg can route */
#define PIRQ_VECTOR_TIMER    0xf0     /* a local APIC timer: the CPU's idle wake-up */
#define PIRQ_VECTOR_IPI      0xf1     /* a kick from another CPU (plapic_send_fixed) */
#define PIRQ_VECTOR_ERROR    0xfe     /* the local APIC's error LVT */
#define PIRQ_VECTOR_SPURIOUS 0xff     /* the local APIC's spurious vector (SVR) */

enum pirq_backend { PIRQ_NONE = 0, PIRQ_PIC = 1, PIRQ_IOAPIC = 2 };

/* hv.cfg's [hv] irq_backend (enum cfg_irq_backend has the same values). */
enum pirq_want { PIRQ_WANT_AUTO = 0, PIRQ_WANT_PIC = 1, PIRQ_WANT_IOAPIC = 2 };

/* What a vector that arrived is (pirq_classify). */
enum pirq_event {
	PIRQ_EV_LINE,          /* a device line: *irq says which */
	PIRQ_EV_TIMER,         /* this CPU's wake-up timer (the PIT's IRQ 0 or a LAPIC timer) */
	PIRQ_EV_IPI,           /* PIRQ_VECTOR_IPI */
	PIRQ_EV_ERROR,         /* a local APIC error (pirq_error_status says which) */
	PIRQ_EV_SPURIOUS,      /* nothing in service: no EOI */
	PIRQ_EV_UNEXPECTED,    /* a vector nothing here programs */
};

/* What the machine offers, for the choice (pirq_choose). */
struct pirq_machine {
	bool have_8259;        /* no MADT, or its PCAT_COMPAT flag */
	bool have_lapic;       /* CPUID APIC and IA32_APIC_BASE.EN */
	unsigned nioapic;      /* IOAPICs that answered (version register) */
};

/*
 * Pure: the backend for want on machine m. auto: IOAPIC if an IOAPIC
 * answered and the local APIC is enabled, else the 8259 pair if the
 * machine has one. Returns PIRQ_NONE with why (len bytes) naming what is
 * missing if the wanted backend (or, for auto, either) cannot run.
 */
enum pirq_backend pirq_choose(const struct pirq_machine *m, enum pirq_want want, char *why, size_t len);

/*
 * Boot CPU, once, interrupts off: finds the local APIC and the IOAPICs
 * (the MADT's, else the architectural one at 0xfec00000 if its version
 * register answers), maps their pages uncacheable, chooses the backend
 * (want: hv.cfg's irq_backend), logs it with the addresses, and leaves
 * every device line masked (the 8259 pair remapped to 0x20-0x2f; with
 * the IOAPIC backend, the pair masked whole and every redirection entry
 * masked). Panics if no backend can run (a setup error the hv cannot go
 * on from: it has taken the machine).
 */
void pirq_init(const struct boot_info *bi, enum pirq_want want);

/*
 * Each CPU the hv runs on, once pirq_init has run (the boot CPU from
 * irq_init, each AP on its start path after percpu_enter): enables its
 * local APIC (spurious vector, LINT1 NMI, LINT0 ExtINT on CPU 0 with the
 * PIC backend, else masked, error LVT) and its wake-up timer; on the
 * boot CPU, calibrates the LAPIC timer if it runs in one-shot mode.
 * Panics if this CPU's APIC is not in the boot CPU's mode.
 */
void pirq_cpu_init(void);

/* The backend pirq_init chose. */
enum pirq_backend pirq_backend(void);
const char *pirq_backend_name(enum pirq_backend b);

/*
 * Routes ISA IRQ irq (1..15) to the CPU with APIC ID dest_apic, masked:
 * with the IOAPIC its GSI's redirection entry (vector 0x20 + irq, fixed,
 * physical, trigger and polarity from pirq_is_level / the MADT); the 8259
 * reaches CPU 0 only and ignores dest_apic. Fills where (len bytes) with
 * what was programmed, for the log. Returns 0, or -1 with where naming
 * the cause (no IOAPIC pin has its GSI, another routed line has it, an
 * APIC ID above 255).
 */
int pirq_route(unsigned irq, uint32_t dest_apic, char *where, size_t len);

/* Masks / unmasks routed line irq (the 8259 IMR, or the IOAPIC entry's mask bit). */
void pirq_mask(unsigned irq);
void pirq_unmask(unsigned irq);

/* Returns true if line irq is level-triggered (ELCR; with the IOAPIC, as routed). */
bool pirq_is_level(unsigned irq);

/*
 * Says what vector is and, for PIRQ_EV_LINE, which line (*irq). Spurious
 * detection: the LAPIC's spurious vector, and the 8259's IRQ 7 / 15 when
 * not in service (for 15 the master's cascade is EOIed here).
 */
enum pirq_event pirq_classify(unsigned vector, unsigned *irq);

/* Ends the interrupt at vector: the 8259's specific EOI for its lines, else the local APIC's EOI. */
void pirq_eoi(unsigned vector);

/* Reads and clears this CPU's local APIC error status (after PIRQ_EV_ERROR). */
uint32_t pirq_error_status(void);

/*
 * Arms this CPU's idle wake-up timer to interrupt at TSC wake (now: the
 * caller's current TSC): the PIT on CPU 0 with the PIC backend (at most
 * ~55 ms ahead: an earlier wake-up, and the idle loop arms it again),
 * else the CPU's LAPIC timer. The interrupt is a PIRQ_EV_TIMER.
 */
void pirq_wake_at(uint64_t wake, uint64_t now);

/*
 * A PIRQ_EV_TIMER arrived on this CPU at TSC now: counts it against the
 * deadline armed (how late, or whether before it); pirq_log_timers logs
 * each CPU's figures.
 */
void pirq_timer_taken(uint64_t now);
void pirq_log_timers(void);

/* Sends PIRQ_VECTOR_IPI to the CPU with APIC ID apic_id. Returns 0, or -1 (plapic_send_fixed). */
int pirq_kick(uint32_t apic_id);

#endif
