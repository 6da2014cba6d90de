/*
 * Side-channel barriers when the CPU passes from one guest to another
 * (hv/barrier.c).
 */
#ifndef HV_BARRIER_H
#define HV_BARRIER_H

/* Finds which barriers the CPU offers (CPUID leaf 7, IA32_ARCH_CAPABILITIES) and logs them. */
void barrier_init(void);

/* Runs them: the next guest to run is not the one whose state the CPU holds. */
void barrier_guest_switch(void);

#endif
