/*
 * palloc.c - physical page allocator: bitmap and buddy policies.
 *
 * Both policies share one tag byte per page, which marks the first page of
 * every allocated block (TAG_ALLOC | order) and, for the buddy policy, of
 * every free block (TAG_FREE | order).  The tag makes palloc_free able to
 * reject double frees, wrong orders and reserved pages under both
 * policies, and lets palloc_add_free skip pages already owned by a block.
 *
 * Metadata layout in the caller's buffer (aligned up to 8 first):
 *
 *   +----------------+------------------------------------------+
 *   | tag[npages]    | BITMAP: bits[(npages + 63) / 64] uint64  |
 *   | (pad to 8)     | BUDDY:  next[npages], prev[npages] uint32|
 *   +----------------+------------------------------------------+
 *
 * Page indexes (idx) are relative to base_pfn; buddy arithmetic is done on
 * absolute frame numbers so blocks are aligned in physical memory even if
 * base is not.
 */
#include "palloc.h"

#define TAG_ALLOC 0x80u
#define TAG_FREE  0x40u
#define TAG_ORDER 0x0fu
#define NIL       UINT32_MAX

static uint64_t align_up8(uint64_t v)
{
	return (v + 7) & ~(uint64_t)7;
}

static size_t policy_bytes(enum palloc_policy pol, uint64_t npages)
{
	if (pol == PALLOC_BITMAP)
		return (size_t)((npages + 63) / 64 * 8);
	return (size_t)(npages * 2 * sizeof(uint32_t));
}

size_t palloc_meta_size(enum palloc_policy pol, uint64_t npages)
{
	return (size_t)(8 + align_up8(npages) + policy_bytes(pol, npages));
}

/* Returns 0 and sets *idx if addr is a page-aligned managed address. */
static int addr_to_idx(const struct palloc *pa, uint64_t addr, uint64_t *idx)
{
	uint64_t pfn = addr >> PALLOC_PAGE_SHIFT;

	if (addr & (PAGE_SIZE - 1) || pfn < pa->base_pfn ||
	    pfn - pa->base_pfn >= pa->npages)
		return -1;
	*idx = pfn - pa->base_pfn;
	return 0;
}

static uint64_t idx_to_addr(const struct palloc *pa, uint64_t idx)
{
	return (pa->base_pfn + idx) << PALLOC_PAGE_SHIFT;
}

/* Returns true if page idx lies in a block whose head tag is kind|order. */
static bool page_in_block(const struct palloc *pa, uint64_t idx, uint8_t kind)
{
	uint64_t pfn = pa->base_pfn + idx;

	for (unsigned o = 0; o <= PALLOC_MAX_ORDER; o++) {
		uint64_t hpfn = pfn & ~(((uint64_t)1 << o) - 1);

		if (hpfn < pa->base_pfn)
			break;
		if (pa->tag[hpfn - pa->base_pfn] == (kind | o))
			return true;
	}
	return false;
}

/* ---- bitmap policy ---------------------------------------------------- */

static bool bm_test(const struct palloc *pa, uint64_t idx)
{
	return (pa->bits[idx >> 6] >> (idx & 63)) & 1;
}

static void bm_set_range(struct palloc *pa, uint64_t idx, uint64_t n, bool free)
{
	for (uint64_t i = idx; i < idx + n; i++) {
		uint64_t bit = (uint64_t)1 << (i & 63);

		if (free)
			pa->bits[i >> 6] |= bit;
		else
			pa->bits[i >> 6] &= ~bit;
	}
}

/* Returns the first used page in [from, to), or to if all are free. */
static uint64_t bm_first_used(const struct palloc *pa, uint64_t from, uint64_t to)
{
	uint64_t i = from;

	while (i < to) {
		uint64_t used = ~pa->bits[i >> 6] >> (i & 63);

		if (used) {
			uint64_t j = i + (uint64_t)__builtin_ctzll(used);
			return j < to ? j : to;
		}
		i = (i | 63) + 1;
	}
	return to;
}

/* Returns the first idx >= from whose frame is aligned to n pages. */
static uint64_t aligned_idx(const struct palloc *pa, uint64_t from, uint64_t n)
{
	uint64_t pfn = pa->base_pfn + from;

	pfn = (pfn + n - 1) & ~(n - 1);
	return pfn - pa->base_pfn;
}

static int bm_alloc(struct palloc *pa, unsigned order, uint64_t *idx)
{
	uint64_t n = (uint64_t)1 << order;
	uint64_t i = aligned_idx(pa, 0, n);

	while (i + n <= pa->npages) {
		uint64_t used = bm_first_used(pa, i, i + n);

		if (used == i + n) {
			bm_set_range(pa, i, n, false);
			*idx = i;
			return 0;
		}
		i = aligned_idx(pa, used + 1, n);
	}
	return -1;
}

static void bm_free(struct palloc *pa, uint64_t idx, unsigned order)
{
	bm_set_range(pa, idx, (uint64_t)1 << order, true);
}

static void bm_add_page(struct palloc *pa, uint64_t idx)
{
	if (bm_test(pa, idx) || page_in_block(pa, idx, TAG_ALLOC))
		return;
	bm_set_range(pa, idx, 1, true);
	pa->nfree++;
}

/* ---- buddy policy ----------------------------------------------------- */

static void bd_push(struct palloc *pa, unsigned order, uint32_t idx)
{
	uint32_t h = pa->head[order];

	pa->tag[idx] = (uint8_t)(TAG_FREE | order);
	pa->prev[idx] = NIL;
	pa->next[idx] = h;
	if (h != NIL)
		pa->prev[h] = idx;
	pa->head[order] = idx;
}

static void bd_unlink(struct palloc *pa, unsigned order, uint32_t idx)
{
	uint32_t n = pa->next[idx], p = pa->prev[idx];

	if (p != NIL)
		pa->next[p] = n;
	else
		pa->head[order] = n;
	if (n != NIL)
		pa->prev[n] = p;
	pa->tag[idx] = 0;
}

/* Frees the block (idx, order), merging with free buddies. */
static void bd_free_block(struct palloc *pa, uint64_t idx, unsigned order)
{
	while (order < PALLOC_MAX_ORDER) {
		uint64_t bpfn = (pa->base_pfn + idx) ^ ((uint64_t)1 << order);
		uint64_t bidx = bpfn - pa->base_pfn;

		if (bpfn < pa->base_pfn || bidx >= pa->npages ||
		    pa->tag[bidx] != (TAG_FREE | order))
			break;
		bd_unlink(pa, order, (uint32_t)bidx);
		if (bidx < idx)
			idx = bidx;
		order++;
	}
	bd_push(pa, order, (uint32_t)idx);
}

static int bd_alloc(struct palloc *pa, unsigned order, uint64_t *idx)
{
	unsigned k = order;
	uint32_t i;

	while (k <= PALLOC_MAX_ORDER && pa->head[k] == NIL)
		k++;
	if (k > PALLOC_MAX_ORDER)
		return -1;
	i = pa->head[k];
	bd_unlink(pa, k, i);
	while (k > order) {
		k--;
		bd_push(pa, k, i + ((uint32_t)1 << k));
	}
	*idx = i;
	return 0;
}

static void bd_add_page(struct palloc *pa, uint64_t idx)
{
	if (page_in_block(pa, idx, TAG_FREE) || page_in_block(pa, idx, TAG_ALLOC))
		return;
	bd_free_block(pa, idx, 0);
	pa->nfree++;
}

/* ---- public API ------------------------------------------------------- */

static void zero_bytes(void *p, size_t n)
{
	volatile uint8_t *b = p;   /* volatile: keep gcc from calling memset */

	for (size_t i = 0; i < n; i++)
		b[i] = 0;
}

int palloc_init(struct palloc *pa, enum palloc_policy pol, uint64_t base,
		uint64_t npages, void *meta, size_t meta_size)
{
	uintptr_t p = (uintptr_t)meta;

	if (!pa || !meta || npages == 0 || npages >= NIL ||
	    (pol != PALLOC_BITMAP && pol != PALLOC_BUDDY) ||
	    meta_size < palloc_meta_size(pol, npages))
		return -1;
	p = (uintptr_t)align_up8(p);
	*pa = (struct palloc){ .pol = pol, .npages = npages,
			       .base_pfn = base >> PALLOC_PAGE_SHIFT };
	pa->tag = (uint8_t *)p;
	zero_bytes(pa->tag, (size_t)npages);
	p += (uintptr_t)align_up8(npages);
	if (pol == PALLOC_BITMAP) {
		pa->bits = (uint64_t *)p;
		zero_bytes(pa->bits, policy_bytes(pol, npages));
	} else {
		pa->next = (uint32_t *)p;
		pa->prev = pa->next + npages;
		for (unsigned o = 0; o <= PALLOC_MAX_ORDER; o++)
			pa->head[o] = NIL;
	}
	return 0;
}

void palloc_add_free(struct palloc *pa, uint64_t addr, uint64_t npages)
{
	uint64_t first = addr >> PALLOC_PAGE_SHIFT;
	uint64_t lo = pa->base_pfn, hi = pa->base_pfn + pa->npages;
	uint64_t end = npages > UINT64_MAX - first ? UINT64_MAX : first + npages;

	if (first < lo)
		first = lo;
	if (end > hi)
		end = hi;
	for (uint64_t pfn = first; pfn < end; pfn++) {
		if (pa->pol == PALLOC_BITMAP)
			bm_add_page(pa, pfn - lo);
		else
			bd_add_page(pa, pfn - lo);
	}
}

int palloc_alloc(struct palloc *pa, unsigned order, uint64_t *addr)
{
	uint64_t idx;
	int r;

	if (order > PALLOC_MAX_ORDER || !addr)
		return -1;
	if (pa->pol == PALLOC_BITMAP)
		r = bm_alloc(pa, order, &idx);
	else
		r = bd_alloc(pa, order, &idx);
	if (r < 0)
		return -1;
	pa->tag[idx] = (uint8_t)(TAG_ALLOC | order);
	pa->nfree -= (uint64_t)1 << order;
	*addr = idx_to_addr(pa, idx);
	return 0;
}

int palloc_free(struct palloc *pa, uint64_t addr, unsigned order)
{
	uint64_t idx;

	if (order > PALLOC_MAX_ORDER || addr_to_idx(pa, addr, &idx) < 0 ||
	    pa->tag[idx] != (TAG_ALLOC | order))
		return -1;
	pa->tag[idx] = 0;
	pa->nfree += (uint64_t)1 << order;
	if (pa->pol == PALLOC_BITMAP)
		bm_free(pa, idx, order);
	else
		bd_free_block(pa, idx, order);
	return 0;
}

uint64_t palloc_free_pages(const struct palloc *pa)
{
	return pa->nfree;
}

uint64_t palloc_managed_pages(const struct palloc *pa)
{
	return pa->npages;
}

bool palloc_page_is_free(const struct palloc *pa, uint64_t addr)
{
	uint64_t idx;

	if (addr_to_idx(pa, addr & ~(PAGE_SIZE - 1), &idx) < 0)
		return false;
	if (pa->pol == PALLOC_BITMAP)
		return bm_test(pa, idx);
	return page_in_block(pa, idx, TAG_FREE);
}

const char *palloc_policy_name(enum palloc_policy pol)
{
	switch (pol) {
	case PALLOC_BITMAP: return "bitmap";
	case PALLOC_BUDDY:  return "buddy";
	}
	return "?";
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

int palloc_policy_parse(const char *name, enum palloc_policy *pol)
{
	if (name && str_eq(name, "bitmap")) {
		*pol = PALLOC_BITMAP;
		return 0;
	}
	if (name && str_eq(name, "buddy")) {
		*pol = PALLOC_BUDDY;
		return 0;
	}
	return -1;
}
