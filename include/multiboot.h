/*
 * Multiboot (version 1) structures, as the Multiboot Specification 0.6.96
 * lays them out. Shared by the hv's loader, the guests and host tests.
 */
#ifndef MULTIBOOT_H
#define MULTIBOOT_H

#include <stdint.h>

#define MB_HEADER_MAGIC      0x1BADB002u
#define MB_BOOT_MAGIC        0x2BADB002u    /* EAX at guest entry */
#define MB_SEARCH_BYTES      8192u          /* header within the first 8 KiB */

/* Header flags. */
#define MB_HF_PAGE_ALIGN     (1u << 0)      /* modules page aligned */
#define MB_HF_MEMORY_INFO    (1u << 1)      /* mem_* and mmap wanted */
#define MB_HF_VIDEO_MODE     (1u << 2)
#define MB_HF_AOUT_KLUDGE    (1u << 16)     /* address fields valid */

/* Info flags. */
#define MB_IF_MEMORY         (1u << 0)
#define MB_IF_CMDLINE        (1u << 2)
#define MB_IF_MODS           (1u << 3)
#define MB_IF_MMAP           (1u << 6)
#define MB_IF_LOADER_NAME    (1u << 9)

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
} __attribute__((packed));

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe[6];
} __attribute__((packed));

#define MB_MMAP_AVAILABLE    1u
#define MB_MMAP_RESERVED     2u
#define MB_MMAP_ACPI         3u             /* ACPI tables (reclaimable) */

/* A boot module (MB_IF_MODS): [mod_start, mod_end), with a string. */
struct mb_module {
	uint32_t mod_start, mod_end;
	uint32_t string;
	uint32_t reserved;
} __attribute__((packed));

/* size is the entry's size minus the size field itself (20). */
struct mb_mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

#endif
