/*
 * What a guest's local APIC and IOAPIC send to no CPU, counted and logged
 * (issue 11 item 6, isolation across CPUs). A guest has one vCPU, APIC ID
 * 0, whatever CPU it runs on, and its APIC models are plain C
 * (hv/vlapic.c, hv/vioapic.c): no IPI, IOAPIC message or redirection
 * entry of a guest ever reaches a physical LAPIC, the physical IOAPIC or
 * another CPU. What the guest aims elsewhere goes nowhere, as on a
 * one-CPU machine; this file says so in the log:
 *
 *   - an IPI the vLAPIC dropped (another APIC ID, logical destination or
 *     the all-excluding-self shorthand; INIT, SIPI or SMI to itself;
 *     lowest priority);
 *   - an IOAPIC redirection entry written unmasked to reach no CPU of the
 *     guest (another destination; SMI, INIT, ExtINT or a reserved mode);
 *   - an IOAPIC message such an entry sent, dropped.
 *
 * One line per kind (kind = IPI, entry or message, and its delivery mode;
 * for IPIs also the xAPIC page or the x2APIC MSR) and boot, then counted:
 * a guest cannot flood the log, and the guest's summary gives the counts.
 */
#ifndef HV_LAPIC_CONTAIN_H
#define HV_LAPIC_CONTAIN_H

#include "hv.h"

/* After an ICR write: counts and logs the IPIs g's vLAPIC dropped since the last call. */
void lapic_contain_ipis(struct guest *g);

/*
 * Returns true if no CPU of g takes the message m the IOAPIC sent from
 * pin (its destination is not g's APIC, or its delivery mode is one the
 * vCPU does not take): the message is dropped, and counted and logged
 * unless g's APIC is globally disabled (then it is lost as on a PC).
 */
bool lapic_contain_msg(struct guest *g, int pin, const struct vioapic_msg *m);

/*
 * After a guest write at offset off of its IOAPIC page: if it made the
 * selected redirection entry unmasked and reaching no CPU, counts and
 * logs it (the pin's interrupts will go nowhere).
 */
void lapic_contain_route(struct guest *g, uint32_t off);

/* The guest's summary line of what was contained this boot (nothing if nothing was). */
void lapic_contain_print(const struct guest *g);

#endif
