/*
 * Linux x86 boot protocol loader (the kernel's Documentation/arch/x86/boot.rst,
 * "32-bit Boot Protocol"): places a bzImage's protected-mode kernel, an
 * initrd and the command line into a guest's RAM, builds the zero page
 * (struct boot_params) with an e820 map of exactly that RAM, and a GDT with
 * the flat __BOOT_CS/__BOOT_DS descriptors the protocol asks for. Pure, like
 * hv/mbload.c: uefi/ (first boot), hv/ (restart), the host unit tests and
 * the fuzzer share it.
 *
 * Guest-physical layout it produces:
 *
 *   0x00000000 +-------------------------+
 *              | free low RAM            |  e820: usable
 *   0x00006000 +-------------------------+
 *              | GDT: 0x10 code, 0x18    |  LINUXLOAD_GDT_GPA (32 bytes used)
 *              | data, flat 4 GiB        |
 *   0x00007000 +-------------------------+
 *              | zero page (boot_params) |  LINUXLOAD_ZP_GPA: ESI at entry
 *   0x00008000 +-------------------------+
 *              | command line, NUL       |  LINUXLOAD_CMDLINE_GPA, at most
 *              |                         |  LINUXLOAD_CMDLINE_BYTES with the NUL
 *   0x00009000 +-------------------------+
 *              | free low RAM            |  e820: usable up to 0x9fc00
 *   0x0009fc00 +-------------------------+
 *              | EBDA / VGA / BIOS       |  e820: reserved; not in the EPT
 *   0x00100000 +-------------------------+
 *              | free RAM                |  e820: usable up to the ACPI tables
 *              |                         |  (acpi_gpa) or ram_bytes
 *   load       +-------------------------+  pref_address if it fits, else (a
 *              | protected-mode kernel,  |  relocatable kernel) the lowest
 *              | then room up to         |  kernel_alignment multiple >= 1 MiB;
 *              | init_size               |  code32_start = load = EIP at entry
 *   kernel_end +-------------------------+
 *              | free RAM                |
 *   initrd     +-------------------------+  page-aligned, as high as
 *              | initrd                  |  min(initrd_addr_max + 1, ram_bytes)
 *              +-------------------------+  allows (as GRUB places it)
 *              | (less than a page)      |
 *   acpi_gpa   +-------------------------+  optional: e820 type 3 (ACPI)
 *              | ACPI tables (the hv's)  |
 *   ram_bytes  +-------------------------+
 *
 * The GDT, zero page and command line stay in usable RAM: Linux copies
 * what it needs from them before it reuses low memory.
 */
#ifndef LINUXLOAD_H
#define LINUXLOAD_H

#include <stddef.h>
#include <stdint.h>

#define LINUXLOAD_GDT_GPA        0x6000u
#define LINUXLOAD_GDT_LIMIT      0x1fu          /* four descriptors */
#define LINUXLOAD_ZP_GPA         0x7000u
#define LINUXLOAD_ZP_BYTES       0x1000u        /* sizeof(struct boot_params) */
#define LINUXLOAD_CMDLINE_GPA    0x8000u
#define LINUXLOAD_CMDLINE_BYTES  0x1000u
#define LINUXLOAD_BOOT_CS        0x10u          /* __BOOT_CS */
#define LINUXLOAD_BOOT_DS        0x18u          /* __BOOT_DS */
#define LINUXLOAD_MIN_VERSION    0x020cu        /* 2.12: xloadflags */
#define LINUXLOAD_LOW_TOP        0x9fc00u       /* end of conventional memory */
#define LINUXLOAD_HIGH           0x100000u      /* end of the PC hole */
#define LINUXLOAD_MIN_RAM        (2u << 20)
#define LINUXLOAD_MAX_RAM        (1ull << 32)
#define LINUXLOAD_E820_ENTRIES   4              /* at most: with the ACPI tables */
#define LINUXLOAD_ERR_MAX        160

/* Offsets in the zero page (boot.rst's setup header table, zero-page.rst). */
#define LX_ACPI_RSDP_ADDR        0x070  /* 8 */
#define LX_EXT_RAMDISK_IMAGE     0x0c0  /* 4 */
#define LX_EXT_RAMDISK_SIZE      0x0c4  /* 4 */
#define LX_EXT_CMD_LINE_PTR      0x0c8  /* 4 */
#define LX_E820_ENTRIES          0x1e8  /* 1 */
#define LX_SENTINEL              0x1ef  /* 1 */
#define LX_SETUP_SECTS           0x1f1  /* 1: the setup header starts here */
#define LX_SYSSIZE               0x1f4  /* 4 */
#define LX_BOOT_FLAG             0x1fe  /* 2: 0xaa55 */
#define LX_JUMP                  0x200  /* 2: 0xeb, length of the header from 0x202 */
#define LX_HEADER                0x202  /* 4: "HdrS" */
#define LX_VERSION               0x206  /* 2 */
#define LX_TYPE_OF_LOADER        0x210  /* 1 */
#define LX_LOADFLAGS             0x211  /* 1 */
#define LX_CODE32_START          0x214  /* 4 */
#define LX_RAMDISK_IMAGE         0x218  /* 4 */
#define LX_RAMDISK_SIZE          0x21c  /* 4 */
#define LX_HEAP_END_PTR          0x224  /* 2 */
#define LX_CMD_LINE_PTR          0x228  /* 4 */
#define LX_INITRD_ADDR_MAX       0x22c  /* 4 */
#define LX_KERNEL_ALIGNMENT      0x230  /* 4 */
#define LX_RELOCATABLE_KERNEL    0x234  /* 1 */
#define LX_XLOADFLAGS            0x236  /* 2 */
#define LX_CMDLINE_SIZE          0x238  /* 4 */
#define LX_SETUP_DATA            0x250  /* 8 */
#define LX_PREF_ADDRESS          0x258  /* 8 */
#define LX_INIT_SIZE             0x260  /* 4 */
#define LX_HDR_MIN_END           0x268  /* the 2.12 header reaches past init_size */
#define LX_HDR_ROOM_END          0x290  /* boot_params keeps 0x1f1-0x28f for the header */
#define LX_E820_TABLE            0x2d0  /* 20-byte entries */
#define LX_E820_ENTRY_BYTES      20

#define LX_BOOT_FLAG_MAGIC       0xaa55u
#define LX_HEADER_MAGIC          0x53726448u    /* "HdrS" */
#define LX_LOADED_HIGH           0x01u
#define LX_CAN_USE_HEAP          0x80u
#define LX_XLF_KERNEL_64         0x0001u
#define LX_E820_RAM              1u
#define LX_E820_RESERVED         2u
#define LX_E820_ACPI             3u
#define LX_HEAP_END              0xe000u        /* boot.rst's sample layout */

/* What a failure is about, so the caller can name the hv.cfg key. */
enum linuxload_part {
	LINUXLOAD_PART_IMAGE,
	LINUXLOAD_PART_INITRD,
	LINUXLOAD_PART_CMDLINE,
};

struct linuxload_args {
	const void *image;         /* the bzImage file */
	size_t image_bytes;
	const void *initrd;        /* NULL (or initrd_bytes 0): no initrd */
	size_t initrd_bytes;
	const char *cmdline;       /* NULL: empty */
	uint64_t acpi_rsdp;        /* guest-physical RSDP for the zero page, 0: none */
	uint64_t acpi_gpa;         /* ACPI tables at [acpi_gpa, ram_bytes): e820 type 3, kept
				    * free of kernel and initrd; 0: none */
	void *ram;                 /* guest RAM, guest-physical 0 */
	uint64_t ram_bytes;
};

struct linuxload_result {
	uint32_t entry;            /* code32_start = load address: EIP at entry */
	uint32_t entry64;          /* load + 0x200 if XLF_KERNEL_64, else 0 (not used) */
	uint32_t zero_page;        /* ESI at entry */
	uint32_t gdt_base;         /* GDTR at entry */
	uint16_t gdt_limit;
	uint16_t cs, ds;           /* CS; DS, ES, SS (and FS, GS) at entry */
	uint16_t version;          /* boot protocol, e.g. 0x020f */
	uint64_t kernel_end;       /* end of what the kernel uses before it reads the e820 */
	uint32_t initrd_gpa;       /* 0 if none */
	uint32_t initrd_bytes;
	uint32_t cmdline_gpa;
	enum linuxload_part bad;   /* after a failure: what it is about */
	char err[LINUXLOAD_ERR_MAX];   /* after a failure: the cause */
};

/*
 * Loads a->image (and a->initrd) into a->ram, which it clears first, with
 * the zero page, the command line and the GDT. Returns 0 and fills *res
 * with the entry state; returns -1 with res->err naming the cause (and
 * res->bad the part) if the image is not a bzImage of boot protocol 2.12
 * or later, or if the kernel, initrd or command line does not fit.
 */
int linuxload(const struct linuxload_args *a, struct linuxload_result *res);

#endif
