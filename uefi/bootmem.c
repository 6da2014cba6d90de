/*
 * The boot stage's memory rules (uefi/bootmem.h has the contract). Pure:
 * linked into the EFI image and into the host unit tests.
 *
 * Memory types: UEFI specification, "EFI_BOOT_SERVICES.GetMemoryMap()"
 * (EFI_MEMORY_TYPE). Descriptors are read at their offsets, desc_bytes
 * apart: the firmware may make them longer than the structure it defines.
 */
#include "bootmem.h"

#define CR4_LA57            (1ull << 12)
#define PAGE_BYTES          4096ull

enum {
	EFI_LOADER_CODE = 1, EFI_LOADER_DATA = 2, EFI_BS_CODE = 3, EFI_BS_DATA = 4,
	EFI_CONVENTIONAL = 7, EFI_ACPI_RECLAIM = 9,
};

uint64_t bootmem_buffer_bytes(uint64_t map_bytes, uint64_t desc_bytes)
{
	return map_bytes + BOOTMEM_SLACK_DESC * desc_bytes;
}

static uint32_t bootmem_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t bootmem_get64(const uint8_t *p)
{
	return bootmem_get32(p) | (uint64_t)bootmem_get32(p + 4) << 32;
}

/* What the hv makes of a UEFI memory type once boot services are gone. */
static uint32_t bootmem_type(uint32_t efi)
{
	switch (efi) {
	case EFI_CONVENTIONAL: case EFI_BS_CODE: case EFI_BS_DATA:
		return BOOT_MEM_USABLE;
	case EFI_LOADER_CODE: case EFI_LOADER_DATA:
		return BOOT_MEM_HV;
	case EFI_ACPI_RECLAIM:
		return BOOT_MEM_ACPI;
	default:
		return BOOT_MEM_RESERVED;     /* runtime services, ACPI NVS, MMIO, unusable, ... */
	}
}

/* Appends [base, base + bytes) of type to out, merged into the last region when adjacent. */
static const char *bootmem_add(struct boot_mem_region *out, uint32_t cap, uint32_t *n,
			       uint64_t base, uint64_t bytes, uint32_t type)
{
	struct boot_mem_region *last = *n ? &out[*n - 1] : 0;

	if (last && last->type == type && last->base + last->bytes == base) {
		last->bytes += bytes;
		return 0;
	}
	if (*n == cap)
		return "memory map has more regions than its buffer holds";
	out[*n].base = base;
	out[*n].bytes = bytes;
	out[*n].type = type;
	out[*n].reserved = 0;
	(*n)++;
	return 0;
}

const char *bootmem_convert(const void *map, uint64_t map_bytes, uint64_t desc_bytes,
			    struct boot_mem_region *out, uint32_t cap, uint32_t *n,
			    uint64_t *max_phys)
{
	const uint8_t *d = map;
	const char *why;

	*n = 0;
	*max_phys = 0;
	if (desc_bytes < BOOTMEM_DESC_MIN)
		return "memory map descriptor size below the 40 bytes of EFI_MEMORY_DESCRIPTOR";
	for (uint64_t off = 0; off + desc_bytes <= map_bytes; off += desc_bytes) {
		uint64_t base = bootmem_get64(d + off + 8);
		uint64_t pages = bootmem_get64(d + off + 24);
		uint32_t type = bootmem_type(bootmem_get32(d + off));

		if (pages > (UINT64_MAX - base) / PAGE_BYTES)
			return "memory map region runs past the end of the address space";
		if (type != BOOT_MEM_RESERVED && base + pages * PAGE_BYTES > *max_phys)
			*max_phys = base + pages * PAGE_BYTES;
		why = bootmem_add(out, cap, n, base, pages * PAGE_BYTES, type);
		if (why)
			return why;
	}
	if (*max_phys > BOOTMEM_MAX_PHYS)
		return "RAM reaches above 512 GiB, more than the hv's identity map covers";
	return 0;
}

const char *bootmem_paging_problem(uint64_t cr4)
{
	if (cr4 & CR4_LA57)
		return "the firmware runs with 5-level paging (CR4.LA57) and the hv installs "
		       "4-level page tables: boot the firmware with 4-level paging";
	return 0;
}
