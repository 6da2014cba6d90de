/* mem.h: physical pages (lib/palloc, bitmap or buddy) and the kernel heap. */
#ifndef OS_MEM_H
#define OS_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "palloc.h"

/* The kernel identity-maps (and so manages) RAM below this address only. */
#define MEM_LIMIT (1ull << 30)

/* Builds the page allocator with policy pol over the usable RAM of the
 * Multiboot map, minus page 0 and the kernel image; then the kernel heap.
 * Returns 0, or -1 if there is no usable memory. */
int mem_init(enum palloc_policy pol);
/* Allocates 2^order zeroed, physically contiguous pages. Returns 0 and sets
 * *pa, or -1 if exhausted (never panics). */
int mem_alloc(unsigned order, uint64_t *pa);
/* Frees a block from mem_alloc with the same order. Returns palloc_free's result. */
int mem_free(uint64_t pa, unsigned order);
/* Kernel heap: returns zeroed memory or NULL when exhausted. */
void *kzalloc(size_t n);
/* Frees a kzalloc block (NULL is ignored). */
void kfree(void *p);

struct mem_stats {
	const char *policy;
	uint64_t total_pages, free_pages, allocs, frees, failures;
	uint64_t heap_total, heap_free;
	uint64_t ram_bytes, kernel_end;
};
/* Fills *st with the current counters. */
void mem_get_stats(struct mem_stats *st);

#endif
