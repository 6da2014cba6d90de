/*
 * heap.h - kernel heap over caller-given memory regions.
 *
 * First-fit over an address-ordered free list; freeing coalesces with both
 * neighbours.  Every block has a 16-byte header; payloads are 16-byte
 * aligned.  No locking: the caller serialises (e.g. interrupts off).
 */
#ifndef OSLIB_HEAP_H
#define OSLIB_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_ALIGN       16
#define HEAP_MAX_REGIONS 8            /* heap_init + up to 7 heap_grow */

struct heap_blk;

/* Heap state.  Treat the fields as private. */
struct heap {
	struct heap_blk *free_list;   /* address-ordered free blocks */
	uintptr_t reg_lo[HEAP_MAX_REGIONS], reg_hi[HEAP_MAX_REGIONS];
	unsigned nregions;
	size_t free_bytes;            /* payload bytes available in free blocks */
	size_t total_bytes;           /* bytes of all regions given */
	size_t used_blocks;           /* live allocations */
};

/* Sets up h over [mem, mem + size); mem is aligned up to 16 bytes.  Returns
 * 0 on success, -1 if the region is too small for one block. */
int heap_init(struct heap *h, void *mem, size_t size);

/* Adds another region [mem, mem + size) to h.  Returns 0 on success, -1 if
 * the region is too small or HEAP_MAX_REGIONS are in use.  Regions must
 * not overlap. */
int heap_grow(struct heap *h, void *mem, size_t size);

/* Returns a 16-byte aligned block of at least n bytes, or NULL if n is 0 or
 * no free block is large enough. */
void *heap_alloc(struct heap *h, size_t n);

/* Like heap_alloc but the block is zeroed; NULL also if n * size overflows. */
void *heap_calloc(struct heap *h, size_t n, size_t size);

/* Frees p (from heap_alloc on h).  NULL is ignored.  Returns 0 on success,
 * -1 (and changes nothing) if p is not a live block: outside every region,
 * misaligned, double free, or a header that fails its magic check. */
int heap_free(struct heap *h, void *p);

/* Returns the payload bytes currently free (sum over free blocks; a single
 * allocation may get less because of fragmentation). */
size_t heap_free_bytes(const struct heap *h);

/* Returns the largest n for which heap_alloc(h, n) would succeed now. */
size_t heap_largest_free(const struct heap *h);

#endif
