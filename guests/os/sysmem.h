/* sysmem.h: user memory: page grants and shared pages. */
#ifndef OS_SYSMEM_H
#define OS_SYSMEM_H

#include <stdint.h>

#define SHM_KEYS 8

/* vm_destroy callback: frees a process page, or drops a shared page's reference. */
void sysmem_release_page(uint64_t va, uint64_t pa, void *ctx);
/* Returns the number of live shared pages. */
unsigned sysmem_shm_live(void);

#endif
