/*
 * EPT builder and walker. Four levels: PML4 -> PDPT -> PD -> PT, 9 bits
 * each; a PD entry with bit 7 set maps 2 MiB. Entries hold RWX in bits 2:0;
 * leaves hold the memory type in bits 5:3 (SDM "EPT Translation Mechanism").
 */
#include "lib.h"
#include "ept.h"

#define SZ_4K  0x1000ull
#define SZ_2M  0x200000ull

static unsigned ept_index(uint64_t gpa, int level)
{
	return (unsigned)(gpa >> (12 + 9 * level)) & 511;
}

/* Returns the table below entry *pte, creating it if absent; NULL on failure. */
static uint64_t *ept_next(struct ept *e, uint64_t *pte)
{
	if (*pte & EPT_LARGE)
		return NULL;
	if (!(*pte & EPT_PERM_MASK)) {
		uint64_t *t = e->alloc(e->ctx);
		if (!t)
			return NULL;
		e->tables++;
		*pte = (uint64_t)(uintptr_t)t | EPT_RWX;
	}
	return (uint64_t *)(uintptr_t)(*pte & EPT_ADDR_MASK);
}

/* Maps one page of 4 KiB (level 0) or 2 MiB (level 1). Returns 0 or -1. */
static int ept_map_one(struct ept *e, uint64_t gpa, uint64_t hpa, int level, unsigned perms, unsigned mt)
{
	uint64_t *t = e->pml4;

	for (int l = 3; l > level; l--) {
		t = ept_next(e, &t[ept_index(gpa, l)]);
		if (!t)
			return -1;
	}
	uint64_t *pte = &t[ept_index(gpa, level)];
	if (*pte & EPT_PERM_MASK)
		return -1;
	*pte = hpa | (mt << 3) | (perms & EPT_PERM_MASK) | (level ? EPT_LARGE : 0);
	return 0;
}

int ept_init(struct ept *e, ept_alloc_fn alloc, void *ctx)
{
	e->alloc = alloc;
	e->ctx = ctx;
	e->tables = 1;
	e->large_ok = false;
	e->pml4 = alloc(ctx);
	return e->pml4 ? 0 : -1;
}

/* Memory types an EPT leaf may hold (SDM "EPT Misconfigurations"): UC, WC, WT, WP, WB. */
static bool ept_mt_valid(unsigned mt)
{
	return mt == 0 || mt == 1 || mt == 4 || mt == 5 || mt == 6;
}

int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t bytes, unsigned perms)
{
	return ept_map_mt(e, gpa, hpa, bytes, perms, EPT_MT_WB);
}

int ept_map_mt(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t bytes, unsigned perms, unsigned mt)
{
	if ((gpa | hpa | bytes) & (SZ_4K - 1) || !(perms & EPT_PERM_MASK) || !ept_mt_valid(mt))
		return -1;
	if ((perms & EPT_W) && !(perms & EPT_R))
		return -1;
	while (bytes) {
		bool big = e->large_ok && !((gpa | hpa) & (SZ_2M - 1)) && bytes >= SZ_2M;
		uint64_t step = big ? SZ_2M : SZ_4K;
		if (ept_map_one(e, gpa, hpa, big, perms, mt) < 0)
			return -1;
		gpa += step, hpa += step, bytes -= step;
	}
	return 0;
}

int ept_translate(const struct ept *e, uint64_t gpa, uint64_t *hpa, unsigned *perms)
{
	const uint64_t *t = e->pml4;

	for (int l = 3; l >= 0; l--) {
		uint64_t pte = t[ept_index(gpa, l)];
		if (!(pte & EPT_PERM_MASK))
			return -1;
		if (l == 0 || (pte & EPT_LARGE)) {
			uint64_t off = gpa & ((1ull << (12 + 9 * l)) - 1);
			*hpa = (pte & EPT_ADDR_MASK & ~((1ull << (12 + 9 * l)) - 1)) + off;
			if (perms)
				*perms = pte & EPT_PERM_MASK;
			return 0;
		}
		t = (const uint64_t *)(uintptr_t)(pte & EPT_ADDR_MASK);
	}
	return -1;
}

uint64_t ept_eptp(const struct ept *e)
{
	/* Bits 2:0 memory type of the paging structures (WB), bits 5:3 walk length - 1. */
	return (uint64_t)(uintptr_t)e->pml4 | EPT_MT_WB | (3u << 3);
}
