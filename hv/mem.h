/*
 * The hv's heap: a bump allocator over the region uefi/ reserved.
 */
#ifndef HV_MEM_H
#define HV_MEM_H

#include <stdint.h>

void mem_init(uint64_t base, uint64_t bytes);
/* Returns npages zeroed, 4 KiB aligned pages; panics when the heap is exhausted. */
void *mem_alloc_pages(unsigned npages);
uint64_t mem_used_bytes(void);

#endif
