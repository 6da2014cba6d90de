/*
 * DMA confinement for the PIIX IDE bus master (DESIGN.md "DMA"). A guest
 * that owns ide0/ide1 programs the bus master with guest-physical
 * addresses; the hv intercepts its PRD-table pointer and command register,
 * checks every buffer lies in that guest's RAM (through its EPT), writes a
 * shadow PRD table with host-physical addresses and starts the transfer.
 * A table that reaches outside is refused: the transfer never starts and
 * the guest sees the bus master's error bit.
 */
#ifndef HV_VDMA_H
#define HV_VDMA_H

#include <stdbool.h>
#include <stdint.h>

#define VDMA_PRD_EOT     0x8000u       /* flags bit 15: last entry */
#define VDMA_MAX_PRD     512u          /* entries in a 4 KiB table */

struct vdma_prd {
	uint32_t addr;                 /* physical address of the buffer (bit 0 ignored) */
	uint16_t count;                /* bytes; 0 means 64 KiB */
	uint16_t flags;
} __attribute__((packed));

/*
 * Translates [gpa, gpa+len), which lies within one guest page, to a host
 * address. Returns 0 and sets *hpa, or -1 if it is not the guest's RAM.
 */
typedef int (*vdma_xlate_fn)(void *ctx, uint64_t gpa, uint32_t len, uint64_t *hpa);

/*
 * Builds in shadow[0..smax) the host-physical PRD table for the guest's
 * table gtab[0..gmax). Each guest buffer is split at page boundaries,
 * translated, and merged again where host addresses run on, without an
 * entry crossing 64 KiB or leaving the low 4 GiB (the PRD's limits).
 * Returns the number of shadow entries, or -1 with *err naming the cause
 * and *bad the guest entry at fault.
 */
int vdma_build_shadow(const struct vdma_prd *gtab, unsigned gmax, vdma_xlate_fn xlate, void *ctx,
		      struct vdma_prd *shadow, unsigned smax, const char **err, unsigned *bad);

#endif
