/*
 * The guest CPU model (hv/cpuid.c): what CPUID shows and which CR4 bits
 * go with it.
 */
#ifndef HV_CPUMODEL_H
#define HV_CPUMODEL_H

#include <stdint.h>

/* Returns the CR4 bits of the features the modelled CPU has. */
uint64_t cpumodel_cr4_allowed(void);

#endif
