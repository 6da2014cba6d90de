/* mem.c: physical memory from the Multiboot map, and the kernel heap.
 *
 * The allocator manages frames [0, top) where top is the end of the highest
 * usable region below MEM_LIMIT; its metadata sits right after the kernel
 * image. Only regions the map calls usable are ever marked free, so under
 * the hv the kernel never touches memory it was not given. */
#include "mem.h"
#include "console.h"
#include "heap.h"
#include "klib.h"
#include "mboot.h"

extern char kernel_start[], kernel_end[];

#define MEM_HEAP_ORDER 8                 /* 1 MiB kernel heap */

static struct palloc mem_pa;
static struct heap mem_heap;
static uint64_t mem_allocs, mem_frees, mem_failures, mem_ram, mem_reserved_end;

/* Marks [start, end) free, leaving out page 0 and [kernel_start, reserved_end). */
static void mem_add_usable(uint64_t start, uint64_t end)
{
	uint64_t ks = (uint64_t)kernel_start, ke = mem_reserved_end;
	start = ALIGN_UP(start, PAGE_SIZE);
	end &= ~(PAGE_SIZE - 1);
	if (start < PAGE_SIZE)
		start = PAGE_SIZE;               /* page 0 stays unmapped: catches NULL */
	if (end > MEM_LIMIT)
		end = MEM_LIMIT;
	if (start >= end)
		return;
	if (start < ks && end > start)
		palloc_add_free(&mem_pa, start, ((end < ks ? end : ks) - start) / PAGE_SIZE);
	if (end > ke) {
		uint64_t s = start > ke ? start : ke;
		palloc_add_free(&mem_pa, s, (end - s) / PAGE_SIZE);
	}
}

static uint64_t mem_top(void)
{
	uint64_t top = 0;
	for (unsigned i = 0; i < mboot.nregions; i++) {
		const struct mboot_region *r = &mboot.region[i];
		if (r->type != 1)
			continue;
		uint64_t end = r->base + r->len;
		if (end > MEM_LIMIT)
			end = MEM_LIMIT;
		if (end > top)
			top = end;
		mem_ram += r->len;
	}
	return top & ~(PAGE_SIZE - 1);
}

int mem_init(enum palloc_policy pol)
{
	uint64_t top = mem_top();
	if (top <= (uint64_t)kernel_end)
		return -1;
	uint64_t npages = top / PAGE_SIZE;
	uint64_t meta = ALIGN_UP((uint64_t)kernel_end, PAGE_SIZE);
	size_t meta_size = palloc_meta_size(pol, npages);
	mem_reserved_end = ALIGN_UP(meta + meta_size, PAGE_SIZE);
	if (palloc_init(&mem_pa, pol, 0, npages, (void *)meta, meta_size) < 0)
		return -1;
	for (unsigned i = 0; i < mboot.nregions; i++)
		if (mboot.region[i].type == 1)
			mem_add_usable(mboot.region[i].base, mboot.region[i].base + mboot.region[i].len);
	uint64_t heap_pa;
	unsigned order = MEM_HEAP_ORDER;
	while (mem_alloc(order, &heap_pa) < 0)
		if (order-- == 0)
			return -1;
	heap_init(&mem_heap, (void *)heap_pa, PAGE_SIZE << order);
	return 0;
}

int mem_alloc(unsigned order, uint64_t *pa)
{
	if (palloc_alloc(&mem_pa, order, pa) < 0) {
		mem_failures++;
		return -1;
	}
	mem_allocs++;
	memset((void *)*pa, 0, PAGE_SIZE << order);
	return 0;
}

int mem_free(uint64_t pa, unsigned order)
{
	int r = palloc_free(&mem_pa, pa, order);
	if (r == 0)
		mem_frees++;
	else
		kprintf("mem: bad free of %lx order %u\n", pa, order);
	return r;
}

void *kzalloc(size_t n)
{
	void *p = heap_alloc(&mem_heap, n);
	if (p)
		memset(p, 0, n);
	return p;
}

void kfree(void *p)
{
	if (p && heap_free(&mem_heap, p) < 0)
		kprintf("mem: bad heap free %p\n", p);
}

void mem_get_stats(struct mem_stats *st)
{
	st->policy = palloc_policy_name(mem_pa.pol);
	st->total_pages = palloc_managed_pages(&mem_pa);
	st->free_pages = palloc_free_pages(&mem_pa);
	st->allocs = mem_allocs;
	st->frees = mem_frees;
	st->failures = mem_failures;
	st->heap_total = mem_heap.total_bytes;
	st->heap_free = heap_free_bytes(&mem_heap);
	st->ram_bytes = mem_ram;
	st->kernel_end = mem_reserved_end;
}
