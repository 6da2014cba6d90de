/*
 * The hv's heap: a bump allocator over the region uefi/ reserved. The hv
 * allocates at start-up (VMCS, EPT, bitmaps, stacks) and never frees, so a
 * bump pointer is the whole story.
 */
#include "hv.h"
#include "log.h"
#include "mem.h"
#include "spinlock.h"

static uint64_t heap_next, heap_end, heap_base;
static struct spinlock heap_lock;         /* an AP or a guest's first DMA may allocate at run time */

void mem_init(uint64_t base, uint64_t bytes)
{
	heap_base = heap_next = ALIGN_UP(base, 4096);
	heap_end = base + bytes;
}

void *mem_alloc_pages(unsigned npages)
{
	uint64_t bytes = (uint64_t)npages * 4096;

	spin_lock(&heap_lock);
	if (heap_next + bytes > heap_end)
		panic("mem_alloc_pages: hv heap exhausted (%u pages wanted, %lu bytes left)",
		      npages, heap_end - heap_next);
	void *p = (void *)(uintptr_t)heap_next;
	heap_next += bytes;
	spin_unlock(&heap_lock);
	memset(p, 0, bytes);
	return p;
}

uint64_t mem_used_bytes(void)
{
	return heap_next - heap_base;
}
