/*
 * Host CPU state the hv owns: GDT with a TSS, a 256-gate IDT, identity
 * page tables.
 */
#ifndef HV_SETUP_H
#define HV_SETUP_H

#include <stdint.h>

/* Loads the hv's GDT, TSS, IDT and page tables (identity map of [0, max(max_phys, 4 GiB))). */
void setup_host_cpu(uint64_t max_phys);

/* Allocates an AP's GDT, TSS, IDT and IST stack (on the BSP, before it starts). */
void *setup_ap_tables(void);

/* On an AP: loads its GDT and TSS (from setup_ap_tables) and an IDT like the BSP's. */
void setup_ap_cpu(void *tables);

/*
 * Makes the 2 MiB page of the identity map that holds pa uncacheable
 * (PCD and PWT: PAT entry 3, UC in the power-up PAT), for the APICs'
 * registers. Returns 0, or -1 if pa is beyond the identity map.
 */
int setup_map_uncached(uint64_t pa);

/* Returns this CPU's host TR base for the VMCS host-state area. */
uint64_t setup_tss_base(void);

/* NMIs taken in root mode (counted and ignored). */
extern uint64_t setup_nmis;

#endif
