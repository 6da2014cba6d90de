/*
 * Guest page walker: translates a guest-linear address to guest-physical
 * as the guest's own paging would (SDM "Paging": no paging, 32-bit,
 * PAE and 4-level paging), with the access rights, reserved-bit checks
 * and the page-fault error code the CPU would give, and sets the accessed
 * and dirty flags as the CPU does. Pure: the guest's control registers
 * come in a struct, and its paging structures are read through a callback
 * that returns a pointer into guest RAM.
 */
#ifndef HV_GWALK_H
#define HV_GWALK_H

#include <stdbool.h>
#include <stdint.h>

/* The guest state paging depends on. */
struct gwalk_cpu {
	uint64_t cr0, cr3, cr4, efer;
	uint64_t pdpte[4];           /* PAE paging: the PDPTE registers (VMCS guest PDPTEs with EPT) */
	unsigned maxphyaddr;         /* physical-address width: bits at and above it are reserved */
	bool gb_pages;               /* 1-GiB pages exist (CPUID 0x80000001:EDX[26]) */
};

/* Access kinds, ORed. */
#define GWALK_WRITE    (1u << 0)
#define GWALK_USER     (1u << 1)     /* CPL 3 */
#define GWALK_FETCH    (1u << 2)
#define GWALK_AC       (1u << 3)     /* RFLAGS.AC = 1: SMAP lets a supervisor data access reach user pages */
#define GWALK_NO_AD    (1u << 4)     /* leave accessed/dirty flags alone (a re-read of what the CPU did) */

/* Page-fault error code bits (SDM "Page-Fault Exceptions"). */
#define PF_P     (1u << 0)
#define PF_W     (1u << 1)
#define PF_U     (1u << 2)
#define PF_RSVD  (1u << 3)
#define PF_I     (1u << 4)

enum gwalk_result {
	GWALK_OK,
	GWALK_FAULT,                 /* the CPU would raise #PF: out->err */
	GWALK_NO_RAM,                /* a paging structure lies outside guest RAM: out->gpa says where */
};

struct gwalk_out {
	uint64_t gpa;                /* OK: the guest-physical address; NO_RAM: the entry's address */
	uint32_t err;                /* FAULT: the page-fault error code */
	uint64_t page_bytes;         /* OK: size of the page that maps it (4 KiB, 2 MiB, 4 MiB, 1 GiB) */
};

/*
 * Returns a host pointer to the bytes (4 or 8) of the paging-structure
 * entry at guest-physical gpa, or NULL if they are not guest RAM.
 */
typedef void *(*gwalk_mem_fn)(void *ctx, uint64_t gpa, unsigned bytes);

/*
 * Translates linear for an access of kind (GWALK_*). The caller has
 * checked that linear is canonical in IA-32e mode. Returns GWALK_OK with
 * out->gpa, GWALK_FAULT with out->err, or GWALK_NO_RAM with out->gpa.
 */
enum gwalk_result gwalk(const struct gwalk_cpu *c, uint64_t linear, unsigned access,
			gwalk_mem_fn mem, void *ctx, struct gwalk_out *out);

/* Returns true if linear is canonical for 48-bit linear addresses. */
bool gwalk_canonical(uint64_t linear);

#endif
