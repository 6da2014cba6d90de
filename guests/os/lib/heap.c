/*
 * heap.c - first-fit kernel heap with an address-ordered free list.
 *
 * Every block starts with a 16-byte header:
 *
 *   +-----------+-----------+---------------------------+
 *   | size      | tag       | payload (16-byte aligned) |
 *   +-----------+-----------+---------------------------+
 *
 * size counts the header and is a multiple of 16.  A used block's tag is
 * MAGIC_USED ^ its address; a free block's tag is MAGIC_FREE ^ its
 * address and the first payload word links to the next free block.  The
 * address-dependent magic makes heap_free reject stale and wild pointers.
 */
#include <stdbool.h>

#include "heap.h"

#define HDR        16u
#define MIN_BLOCK  32u                /* header + room for the free link */
#define MAGIC_USED ((uintptr_t)0x5553454448454150ULL)  /* "USEDHEAP" */
#define MAGIC_FREE ((uintptr_t)0x4652454548454150ULL)  /* "FREEHEAP" */

struct heap_blk {
	size_t size;
	uintptr_t tag;
	struct heap_blk *next;        /* free blocks only (first payload word) */
};

static uintptr_t align16(uintptr_t v)
{
	return (v + HEAP_ALIGN - 1) & ~(uintptr_t)(HEAP_ALIGN - 1);
}

static void blk_mark(struct heap_blk *b, uintptr_t magic)
{
	b->tag = magic ^ (uintptr_t)b;
}

static bool blk_is(const struct heap_blk *b, uintptr_t magic)
{
	return b->tag == (magic ^ (uintptr_t)b);
}

static char *blk_end(struct heap_blk *b)
{
	return (char *)b + b->size;
}

/* Inserts free block b in address order, merging with its neighbours. */
static void free_insert(struct heap *h, struct heap_blk *b)
{
	struct heap_blk **pp = &h->free_list, *prev = NULL;

	while (*pp && *pp < b) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	blk_mark(b, MAGIC_FREE);
	b->next = *pp;
	*pp = b;
	h->free_bytes += b->size - HDR;
	if (b->next && blk_end(b) == (char *)b->next) {
		struct heap_blk *n = b->next;

		b->size += n->size;
		b->next = n->next;
		n->tag = 0;
		h->free_bytes += HDR;
	}
	if (prev && blk_end(prev) == (char *)b) {
		prev->size += b->size;
		prev->next = b->next;
		b->tag = 0;
		h->free_bytes += HDR;
	}
}

int heap_init(struct heap *h, void *mem, size_t size)
{
	*h = (struct heap){ 0 };
	return heap_grow(h, mem, size);
}

int heap_grow(struct heap *h, void *mem, size_t size)
{
	uintptr_t lo = align16((uintptr_t)mem);
	uintptr_t hi = ((uintptr_t)mem + size) & ~(uintptr_t)(HEAP_ALIGN - 1);
	struct heap_blk *b = (struct heap_blk *)lo;

	if (!mem || h->nregions == HEAP_MAX_REGIONS ||
	    (uintptr_t)mem + size < (uintptr_t)mem || hi < lo ||
	    hi - lo < MIN_BLOCK)
		return -1;
	h->reg_lo[h->nregions] = lo;
	h->reg_hi[h->nregions] = hi;
	h->nregions++;
	h->total_bytes += hi - lo;
	b->size = hi - lo;
	free_insert(h, b);
	return 0;
}

/* Returns the block size needed for an n-byte payload, 0 if too large. */
static size_t need_size(size_t n)
{
	size_t sz;

	if (n == 0 || n > SIZE_MAX - HDR - HEAP_ALIGN)
		return 0;
	sz = align16(n) + HDR;
	return sz < MIN_BLOCK ? MIN_BLOCK : sz;
}

void *heap_alloc(struct heap *h, size_t n)
{
	size_t need = need_size(n);
	struct heap_blk **pp = &h->free_list, *b;

	if (need == 0)
		return NULL;
	while ((b = *pp) && b->size < need)
		pp = &b->next;
	if (!b)
		return NULL;
	if (b->size - need >= MIN_BLOCK) {
		struct heap_blk *rest = (struct heap_blk *)((char *)b + need);

		rest->size = b->size - need;
		rest->next = b->next;
		blk_mark(rest, MAGIC_FREE);
		*pp = rest;
		b->size = need;
		h->free_bytes -= need;
	} else {
		*pp = b->next;
		h->free_bytes -= b->size - HDR;
	}
	blk_mark(b, MAGIC_USED);
	h->used_blocks++;
	return (char *)b + HDR;
}

void *heap_calloc(struct heap *h, size_t n, size_t size)
{
	volatile uint64_t *w;
	size_t words;
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = heap_alloc(h, n * size);
	if (!p)
		return NULL;
	w = p;                        /* volatile: no implicit memset call */
	words = align16(n * size) / sizeof(uint64_t);
	for (size_t i = 0; i < words; i++)
		w[i] = 0;
	return p;
}

/* Returns true if header address a lies inside one of h's regions. */
static bool in_regions(const struct heap *h, uintptr_t a)
{
	for (unsigned i = 0; i < h->nregions; i++)
		if (a >= h->reg_lo[i] && a + MIN_BLOCK <= h->reg_hi[i])
			return true;
	return false;
}

int heap_free(struct heap *h, void *p)
{
	struct heap_blk *b;
	uintptr_t a = (uintptr_t)p - HDR;

	if (!p)
		return 0;
	if ((uintptr_t)p & (HEAP_ALIGN - 1) || (uintptr_t)p < HDR ||
	    !in_regions(h, a))
		return -1;
	b = (struct heap_blk *)a;
	if (!blk_is(b, MAGIC_USED))
		return -1;
	h->used_blocks--;
	free_insert(h, b);
	return 0;
}

size_t heap_free_bytes(const struct heap *h)
{
	return h->free_bytes;
}

size_t heap_largest_free(const struct heap *h)
{
	size_t best = 0;

	for (const struct heap_blk *b = h->free_list; b; b = b->next)
		if (b->size - HDR > best)
			best = b->size - HDR;
	return best;
}
