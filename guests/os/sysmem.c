/* sysmem.c: page_alloc/page_free (pages granted to a process are mapped only
 * in its own page tables) and shm_map (one shared page per key, reference
 * counted, for producer/consumer over semaphores). */
#include "sysmem.h"
#include "errno.h"
#include "mem.h"
#include "proc.h"
#include "sysfn.h"
#include "vm.h"

#define SYSMEM_MAX_GRANT 4096          /* pages per call (16 MiB) */

struct shm_page {
	uint64_t pa;
	unsigned refs;
};

static struct shm_page shm_pages[SHM_KEYS];

void sysmem_release_page(uint64_t va, uint64_t pa, void *ctx)
{
	struct proc *p = ctx;
	if (va >= USER_SHM_BASE && va < USER_SHM_BASE + SHM_KEYS * PAGE_SIZE) {
		struct shm_page *s = &shm_pages[(va - USER_SHM_BASE) / PAGE_SIZE];
		if (s->refs && --s->refs == 0) {
			mem_free(s->pa, 0);
			s->pa = 0;
		}
		return;
	}
	mem_free(pa, 0);
	if (p && p->pages)
		p->pages--;
}

unsigned sysmem_shm_live(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < SHM_KEYS; i++)
		n += shm_pages[i].refs ? 1 : 0;
	return n;
}

/* Unmaps and frees n heap pages from va (stops at the first unmapped one). */
static void sysmem_unmap_heap(struct proc *p, uint64_t va, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pa = vm_unmap(p->root, va + i * PAGE_SIZE);
		if (!pa)
			break;
		mem_free(pa, 0);
		p->pages--;
	}
}

SYSFN(sys_page_alloc)
{
	uint64_t n = a0, va = p->heap_next;
	if (!n || n > SYSMEM_MAX_GRANT || va + n * PAGE_SIZE > USER_SHM_BASE)
		return n ? -ENOMEM : -EINVAL;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pa;
		int r = mem_alloc(0, &pa);
		if (r == 0 && vm_map(p->root, va + i * PAGE_SIZE, pa, true) < 0) {
			mem_free(pa, 0);
			r = -1;
		}
		if (r < 0) {
			/* Exhausted: give back what this call took; the caller gets an error. */
			sysmem_unmap_heap(p, va, i);
			return -ENOMEM;
		}
		p->pages++;
	}
	p->heap_next = va + n * PAGE_SIZE;
	return (int64_t)va;
}

SYSFN(sys_page_free)
{
	uint64_t va = a0, n = a1;
	if ((va & (PAGE_SIZE - 1)) || va < USER_HEAP_BASE || !n ||
	    n > SYSMEM_MAX_GRANT || va + n * PAGE_SIZE > USER_SHM_BASE)
		return -EINVAL;
	for (uint64_t i = 0; i < n; i++)
		if (!vm_translate(p->root, va + i * PAGE_SIZE, false))
			return -EINVAL;
	sysmem_unmap_heap(p, va, n);
	return 0;
}

SYSFN(sys_shm_map)
{
	if (a0 >= SHM_KEYS)
		return -EINVAL;
	struct shm_page *s = &shm_pages[a0];
	uint64_t va = USER_SHM_BASE + a0 * PAGE_SIZE;
	if (p->shm_mask & (1u << a0))
		return (int64_t)va;
	if (!s->refs && mem_alloc(0, &s->pa) < 0)
		return -ENOMEM;
	int r = vm_map(p->root, va, s->pa, true);
	if (r < 0) {
		if (!s->refs) {
			mem_free(s->pa, 0);
			s->pa = 0;
		}
		return -ENOMEM;
	}
	s->refs++;
	p->shm_mask |= 1u << a0;
	return (int64_t)va;
}
