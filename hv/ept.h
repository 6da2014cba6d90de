/*
 * EPT builder and walker (SDM "The Extended Page Table Mechanism (EPT)").
 * Pure: page-table pages come from a caller's allocator and their
 * addresses are used as physical addresses (the hv runs identity-mapped).
 */
#ifndef EPT_H
#define EPT_H

#include <stdbool.h>
#include <stdint.h>

#define EPT_R        (1u << 0)
#define EPT_W        (1u << 1)
#define EPT_X        (1u << 2)
#define EPT_RWX      (EPT_R | EPT_W | EPT_X)
#define EPT_PERM_MASK 7u

#define EPT_MT_UC    0u              /* memory types, leaf bits 5:3: uncacheable (MMIO) */
#define EPT_MT_WB    6u              /* write-back (RAM) */
#define EPT_LARGE    (1u << 7)       /* 2 MiB / 1 GiB leaf */
#define EPT_ADDR_MASK 0x000ffffffffff000ull

/* Returns a zeroed, 4 KiB aligned page, or NULL when out of memory. */
typedef void *(*ept_alloc_fn)(void *ctx);

struct ept {
	uint64_t *pml4;
	ept_alloc_fn alloc;
	void *ctx;
	unsigned tables;             /* page-table pages used, for reports */
	bool large_ok;               /* 2 MiB leaves allowed (IA32_VMX_EPT_VPID_CAP bit 16) */
};

/* Sets up an empty EPT (4 KiB leaves only until large_ok is set). Returns 0, or -1 if the allocator fails. */
int ept_init(struct ept *e, ept_alloc_fn alloc, void *ctx);

/*
 * Maps [gpa, gpa+bytes) to [hpa, hpa+bytes) with perms (EPT_R/W/X),
 * write-back. Uses 2 MiB pages where both addresses and the length allow
 * and e->large_ok says the CPU has them.
 * All three must be 4 KiB aligned. Returns 0, or -1 if misaligned, already
 * mapped, or out of table pages, or if perms are none or write without
 * read (an EPT misconfiguration).
 */
int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t bytes, unsigned perms);

/* The same with memory type mt (EPT_MT_UC for device memory, EPT_MT_WB for RAM). */
int ept_map_mt(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t bytes, unsigned perms, unsigned mt);

/*
 * Walks the EPT for gpa. Returns 0 and sets *hpa (and *perms if not NULL)
 * if mapped, -1 otherwise.
 */
int ept_translate(const struct ept *e, uint64_t gpa, uint64_t *hpa, unsigned *perms);

/* Returns the EPT pointer for the VMCS: 4-level walk, write-back paging structures. */
uint64_t ept_eptp(const struct ept *e);

#endif
