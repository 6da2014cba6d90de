/* vm.h: page tables. The drawn memory map is in docs/guest-os.md.
 *
 *   virtual 0 .. 1 GiB      kernel: identity map of physical memory, supervisor
 *                           only (page 0 not mapped); shared by all processes
 *   virtual 1 GiB .. 2 GiB  user: per process (USER_BASE .. USER_TOP)
 */
#ifndef OS_VM_H
#define OS_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USER_BASE       0x40000000ull    /* program image is loaded here */
#define USER_HEAP_BASE  0x50000000ull    /* page_alloc grants go upwards from here */
#define USER_SHM_BASE   0x7f000000ull    /* shared pages, one per key */
#define USER_STACK_TOP  0x80000000ull
#define USER_STACK_PAGES 16
#define USER_TOP        0x80000000ull

/* Builds the kernel page tables and switches CR3 to them. Panics on OOM. */
void vm_init(void);
/* Returns the kernel-only address space (CR3 value). */
uint64_t vm_kernel_root(void);
/* Creates an empty user address space sharing the kernel map. Returns 0 and
 * sets *root (CR3 value), or -1 if out of memory. */
int vm_create(uint64_t *root);
/* Maps user page va -> pa (user, writable if w). Returns 0, -1 if out of
 * memory for a page table, -2 if va is outside the user range or mapped. */
int vm_map(uint64_t root, uint64_t va, uint64_t pa, bool w);
/* Unmaps user page va. Returns its physical address, or 0 if not mapped. */
uint64_t vm_unmap(uint64_t root, uint64_t va);
/* Returns the physical address backing user address va (any offset), or 0
 * if not mapped for user access (or not writable when write). */
uint64_t vm_translate(uint64_t root, uint64_t va, bool write);
/* Calls release(va, pa) for every mapped user page, then frees all page
 * tables of root. */
void vm_destroy(uint64_t root, void (*release)(uint64_t va, uint64_t pa, void *ctx), void *ctx);
/* Copies between kernel memory and user range [uva, uva+n) of root.
 * Return 0, or -1 if any page is not mapped (for write: writable). */
int vm_copy_in(uint64_t root, void *dst, uint64_t uva, size_t n);
int vm_copy_out(uint64_t root, uint64_t uva, const void *src, size_t n);

#endif
