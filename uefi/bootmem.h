/*
 * The boot stage's memory rules, as pure functions (no UEFI calls; host
 * unit tests in tests/unit/test_bootmem.c): the size of the buffer the
 * final GetMemoryMap writes into, the conversion of the firmware's map into
 * boot_info's, the highest RAM address, and the paging mode the hv needs.
 */
#ifndef UEFI_BOOTMEM_H
#define UEFI_BOOTMEM_H

#include <stdint.h>
#include "boot_info.h"

/*
 * Descriptors of slack in the map buffer. The buffer is allocated before
 * the first ExitBootServices, so its own allocation (up to 2 more
 * descriptors: a free region split around it, and the stored map's pool),
 * and whatever the firmware's timer events allocate or free between
 * GetMemoryMap and a failed ExitBootServices, must fit without another
 * allocation (after a failed ExitBootServices only GetMemoryMap may be
 * called). Linux's EFI stub keeps 32 descriptors of slack; 64 costs under
 * 4 KiB more and covers a firmware that splits regions per event.
 */
#define BOOTMEM_SLACK_DESC  64

/* UEFI's EFI_MEMORY_DESCRIPTOR: Type at 0, PhysicalStart at 8, NumberOfPages at 24. */
#define BOOTMEM_DESC_MIN    40

/*
 * Highest RAM the hv can identity-map: setup.c builds 2 MiB pages out of
 * the 8 MiB hv heap (4 KiB of page directory per GiB), and the heap must
 * keep room for the EPT tables and the VMCS pages: half of it at most.
 */
#define BOOTMEM_MAX_PHYS    (512ull << 30)

/* Returns the bytes to give GetMemoryMap: map_bytes (its last answer) plus the slack. */
uint64_t bootmem_buffer_bytes(uint64_t map_bytes, uint64_t desc_bytes);

/*
 * Converts the firmware's map (map_bytes of descriptors desc_bytes apart)
 * into out[0..cap): each descriptor's type mapped to enum boot_mem_type,
 * adjacent regions of one type merged. Sets *n and *max_phys (the end of
 * the highest region of RAM the hv may use: usable, its own, ACPI tables),
 * counted over every descriptor. Returns NULL, or why the map cannot be
 * taken (more regions than cap, a bad descriptor size, a region that runs
 * past 2^64, RAM above BOOTMEM_MAX_PHYS).
 */
const char *bootmem_convert(const void *map, uint64_t map_bytes, uint64_t desc_bytes,
			    struct boot_mem_region *out, uint32_t cap, uint32_t *n,
			    uint64_t *max_phys);

/* Returns NULL if the firmware's paging mode (its CR4) suits the hv, else why not. */
const char *bootmem_paging_problem(uint64_t cr4);

#endif
