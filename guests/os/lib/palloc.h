/*
 * palloc.h - physical page allocator with two policies chosen at boot.
 *
 * PALLOC_BITMAP: one bit per page (1 = free) plus one tag byte per page;
 *                allocation scans for an aligned run of free pages.
 * PALLOC_BUDDY:  free lists per order (0..PALLOC_MAX_ORDER) with buddy
 *                splitting and coalescing; links live in the metadata, not
 *                in the pages, so pages need not be mapped.
 *
 * Blocks of 2^order pages are aligned to their size in *physical address*
 * (addr % (PAGE_SIZE << order) == 0) under both policies.  All metadata
 * lives in caller-provided memory (see palloc_meta_size); nothing is
 * written into the managed pages.  Single-threaded: the caller serialises.
 */
#ifndef OSLIB_PALLOC_H
#define OSLIB_PALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef PAGE_SIZE
#define PAGE_SIZE 4096ULL
#endif
#define PALLOC_PAGE_SHIFT 12
#define PALLOC_MAX_ORDER  10          /* largest block: 2^10 pages = 4 MiB */

enum palloc_policy { PALLOC_BITMAP, PALLOC_BUDDY };

/* Allocator state.  Treat the fields as private. */
struct palloc {
	enum palloc_policy pol;
	uint64_t base_pfn;            /* first managed page frame number */
	uint64_t npages;              /* managed pages */
	uint64_t nfree;               /* free pages right now */
	uint8_t *tag;                 /* per page: ALLOC/FREE head + order */
	uint64_t *bits;               /* BITMAP: 1 bit per page, 1 = free */
	uint32_t *next, *prev;        /* BUDDY: free-list links per page */
	uint32_t head[PALLOC_MAX_ORDER + 1]; /* BUDDY: free list per order */
};

/* Returns the bytes of metadata needed to manage npages pages under pol
 * (includes slack so meta need not be aligned). */
size_t palloc_meta_size(enum palloc_policy pol, uint64_t npages);

/* Sets up pa to manage [base, base + npages * PAGE_SIZE); every page starts
 * USED.  base is rounded down to a page.  Returns 0 on success, -1 if meta
 * is NULL or smaller than palloc_meta_size(), npages is 0 or >= 2^32, or
 * pol is unknown. */
int palloc_init(struct palloc *pa, enum palloc_policy pol, uint64_t base,
		uint64_t npages, void *meta, size_t meta_size);

/* Marks the pages of [addr, addr + npages * PAGE_SIZE) free, clipped to the
 * managed range.  addr is rounded down to a page.  Pages that are already
 * free or belong to an allocated block are left alone, so overlapping
 * memory-map entries are harmless. */
void palloc_add_free(struct palloc *pa, uint64_t addr, uint64_t npages);

/* Allocates 2^order contiguous pages aligned to their size and stores the
 * physical address in *addr.  Returns 0 on success, -1 if order >
 * PALLOC_MAX_ORDER or no such block exists (exhausted or fragmented). */
int palloc_alloc(struct palloc *pa, unsigned order, uint64_t *addr);

/* Frees a block returned by palloc_alloc with the same order.  Returns 0 on
 * success, -1 (and changes nothing) if addr is not the start of a block
 * currently allocated with exactly this order: unmanaged address, double
 * free, wrong order, never-freed reserved page. */
int palloc_free(struct palloc *pa, uint64_t addr, unsigned order);

/* Returns the number of free pages. */
uint64_t palloc_free_pages(const struct palloc *pa);

/* Returns the number of managed pages (free + used + reserved). */
uint64_t palloc_managed_pages(const struct palloc *pa);

/* Returns true if the page containing addr is managed and currently free. */
bool palloc_page_is_free(const struct palloc *pa, uint64_t addr);

/* Returns "bitmap", "buddy" or "?". */
const char *palloc_policy_name(enum palloc_policy pol);

/* Parses "bitmap" or "buddy" (e.g. from "palloc=buddy" on the command
 * line).  Returns 0 and sets *pol on success, -1 if unknown. */
int palloc_policy_parse(const char *name, enum palloc_policy *pol);

#endif
