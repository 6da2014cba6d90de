/* vm.c: four-level page tables (Intel SDM, "4-Level Paging").
 *
 * Every address space has its own PML4 and PDPT; PDPT[0] points at the one
 * shared kernel page directory (identity map of the first GiB, 2 MiB pages,
 * supervisor-only) and PDPT[1] at the process's own directory for the user
 * GiB. Because the U/S bit must be set at every level for ring 3 access,
 * the kernel half stays invisible to processes even though PML4[0] is user. */
#include "vm.h"
#include "console.h"
#include "io.h"
#include "klib.h"
#include "mem.h"

#define PTE_P   0x001ull
#define PTE_W   0x002ull
#define PTE_U   0x004ull
#define PTE_PS  0x080ull
#define PTE_ADDR 0x000ffffffffff000ull

static uint64_t vm_kroot, vm_kpd;

static uint64_t *vm_table(uint64_t e)
{
	return (uint64_t *)(e & PTE_ADDR);
}

void vm_init(void)
{
	uint64_t pml4, pdpt, pt;
	if (mem_alloc(0, &pml4) || mem_alloc(0, &pdpt) || mem_alloc(0, &vm_kpd) || mem_alloc(0, &pt))
		panic("vm_init: out of memory");
	uint64_t *pd = (uint64_t *)vm_kpd, *pte = (uint64_t *)pt;
	for (unsigned i = 1; i < 512; i++)   /* first 2 MiB in 4 KiB pages, page 0 absent */
		pte[i] = (i * PAGE_SIZE) | PTE_P | PTE_W;
	pd[0] = pt | PTE_P | PTE_W;
	for (unsigned i = 1; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_PS;
	((uint64_t *)pdpt)[0] = vm_kpd | PTE_P | PTE_W;
	((uint64_t *)pml4)[0] = pdpt | PTE_P | PTE_W | PTE_U;
	vm_kroot = pml4;
	cpu_write_cr3(vm_kroot);
}

uint64_t vm_kernel_root(void)
{
	return vm_kroot;
}

int vm_create(uint64_t *root)
{
	uint64_t pml4, pdpt, upd;
	if (mem_alloc(0, &pml4))
		return -1;
	if (mem_alloc(0, &pdpt)) {
		mem_free(pml4, 0);
		return -1;
	}
	if (mem_alloc(0, &upd)) {
		mem_free(pdpt, 0);
		mem_free(pml4, 0);
		return -1;
	}
	((uint64_t *)pdpt)[0] = vm_kpd | PTE_P | PTE_W;
	((uint64_t *)pdpt)[1] = upd | PTE_P | PTE_W | PTE_U;
	((uint64_t *)pml4)[0] = pdpt | PTE_P | PTE_W | PTE_U;
	*root = pml4;
	return 0;
}

static bool vm_is_user(uint64_t va)
{
	return va >= USER_BASE && va < USER_TOP;
}

/* Returns the user page directory of root. */
static uint64_t *vm_user_pd(uint64_t root)
{
	uint64_t *pdpt = vm_table(vm_table(root)[0]);
	return vm_table(pdpt[1]);
}

/* Returns the PTE slot for user va, allocating its page table if create.
 * NULL if absent (or out of memory when creating). */
static uint64_t *vm_pte(uint64_t root, uint64_t va, bool create)
{
	uint64_t *pd = vm_user_pd(root);
	unsigned pdi = (unsigned)((va >> 21) & 511), pti = (unsigned)((va >> 12) & 511);
	if (!(pd[pdi] & PTE_P)) {
		uint64_t pt;
		if (!create || mem_alloc(0, &pt))
			return NULL;
		pd[pdi] = pt | PTE_P | PTE_W | PTE_U;
	}
	return &vm_table(pd[pdi])[pti];
}

int vm_map(uint64_t root, uint64_t va, uint64_t pa, bool w)
{
	if (!vm_is_user(va))
		return -2;
	uint64_t *pte = vm_pte(root, va, true);
	if (!pte)
		return -1;
	if (*pte & PTE_P)
		return -2;
	*pte = (pa & PTE_ADDR) | PTE_P | PTE_U | (w ? PTE_W : 0);
	return 0;
}

uint64_t vm_unmap(uint64_t root, uint64_t va)
{
	if (!vm_is_user(va))
		return 0;
	uint64_t *pte = vm_pte(root, va, false);
	if (!pte || !(*pte & PTE_P))
		return 0;
	uint64_t pa = *pte & PTE_ADDR;
	*pte = 0;
	if (cpu_read_cr3() == root)
		cpu_invlpg(va);
	return pa;
}

uint64_t vm_translate(uint64_t root, uint64_t va, bool write)
{
	if (!vm_is_user(va))
		return 0;
	uint64_t *pte = vm_pte(root, va, false);
	if (!pte || !(*pte & PTE_P) || (write && !(*pte & PTE_W)))
		return 0;
	return (*pte & PTE_ADDR) | (va & (PAGE_SIZE - 1));
}

void vm_destroy(uint64_t root, void (*release)(uint64_t va, uint64_t pa, void *ctx), void *ctx)
{
	uint64_t *pd = vm_user_pd(root);
	for (unsigned i = 0; i < 512; i++) {
		if (!(pd[i] & PTE_P))
			continue;
		uint64_t *pt = vm_table(pd[i]);
		for (unsigned j = 0; j < 512; j++)
			if (pt[j] & PTE_P)
				release(USER_BASE + ((uint64_t)i << 21) + ((uint64_t)j << 12),
					pt[j] & PTE_ADDR, ctx);
		mem_free((uint64_t)pt, 0);
	}
	uint64_t pdpt = vm_table(root)[0] & PTE_ADDR;
	mem_free((uint64_t)pd, 0);
	mem_free(pdpt, 0);
	mem_free(root, 0);
}

static int vm_copy(uint64_t root, uint64_t uva, void *kbuf, size_t n, bool out)
{
	uint8_t *k = kbuf;
	while (n) {
		uint64_t pa = vm_translate(root, uva, out);
		if (!pa)
			return -1;
		size_t chunk = PAGE_SIZE - (uva & (PAGE_SIZE - 1));
		if (chunk > n)
			chunk = n;
		if (out)
			memcpy((void *)pa, k, chunk);
		else
			memcpy(k, (void *)pa, chunk);
		uva += chunk, k += chunk, n -= chunk;
	}
	return 0;
}

int vm_copy_in(uint64_t root, void *dst, uint64_t uva, size_t n)
{
	return vm_copy(root, uva, dst, n, false);
}

int vm_copy_out(uint64_t root, uint64_t uva, const void *src, size_t n)
{
	return vm_copy(root, uva, (void *)src, n, true);
}
