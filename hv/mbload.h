/*
 * Multiboot (v1) loader: places a kernel image into a guest's RAM and builds
 * the Multiboot information the kernel finds through EBX. Pure: it touches
 * only the buffers it is given, so uefi/ (first boot), hv/ (restart) and the
 * host unit tests share it.
 *
 * Guest-physical layout it produces:
 *
 *   0x00000000 +-----------------------+
 *              | free low RAM          |  mmap: available
 *   0x00007000 +-----------------------+
 *              | mb_info, mmap, name,  |  MBLOAD_INFO_GPA: no segment may
 *              | module list and their |  overlap this page
 *              | strings, command line |
 *   0x00008000 +-----------------------+
 *              | free low RAM          |  mmap: available up to 0x9fc00
 *   0x0009fc00 +-----------------------+
 *              | EBDA / VGA / BIOS     |  mmap: reserved, not in the EPT
 *   0x00100000 +-----------------------+
 *              | kernel segments       |  mmap: available up to the ACPI
 *              +-----------------------+  tables (or ram_bytes)
 *              | modules, each page-   |  from the first page after the
 *              | aligned, in order     |  kernel (and 1 MiB)
 *              +-----------------------+
 *              | free RAM              |
 *   acpi_gpa   +-----------------------+  optional: mmap type 3 (ACPI);
 *              | ACPI tables           |  no segment or module there
 *   ram_bytes  +-----------------------+
 */
#ifndef MBLOAD_H
#define MBLOAD_H

#include <stddef.h>
#include <stdint.h>

#define MBLOAD_INFO_GPA    0x7000u
#define MBLOAD_INFO_BYTES  0x1000u
#define MBLOAD_LOW_TOP     0x9fc00u     /* end of conventional memory */
#define MBLOAD_HOLE_START  0xa0000u     /* PC hole: VGA, option ROMs, BIOS */
#define MBLOAD_HOLE_END    0x100000u
#define MBLOAD_MIN_RAM     (2u << 20)
#define MBLOAD_MAX_RAM     (1ull << 32)
#define MBLOAD_MAX_MODULES 8u
#define MBLOAD_PAGE        0x1000u
#define MBLOAD_MODSTR_BYTES 236u        /* a module's string in the info page, with the NUL */

/* One Multiboot module: its bytes and the string the kernel sees with it. */
struct mbload_module {
	const void *data;
	size_t bytes;
	const char *string;        /* NULL: empty */
};

/* Everything a Multiboot guest is loaded from. */
struct mbload_args {
	const void *image;         /* the kernel file */
	size_t image_bytes;
	void *ram;                 /* guest RAM, guest-physical 0 */
	uint64_t ram_bytes;
	const char *cmdline;       /* NULL: empty */
	const struct mbload_module *mods;   /* nmods of them, at most MBLOAD_MAX_MODULES */
	unsigned nmods;
	uint64_t acpi_gpa;         /* ACPI tables at [acpi_gpa, ram_bytes): mmap type 3; 0: none */
};

struct mbload_result {
	uint32_t entry;            /* guest-physical entry point */
	uint32_t mbi_gpa;          /* EBX at entry */
	uint32_t load_lo;          /* lowest loaded address */
	uint64_t load_hi;          /* highest loaded address + 1 (4 GiB fits) */
	int elf_class;             /* 32, 64, or 0 for the a.out kludge */
	uint32_t mods_gpa[MBLOAD_MAX_MODULES];   /* where each module went */
	int bad_module;            /* after a failure: the module it is about, or -1 */
};

/* mbload_guest with no modules and no ACPI tables. */
int mbload(const void *image, size_t image_bytes, void *ram, uint64_t ram_bytes,
	   const char *cmdline, struct mbload_result *res, const char **err);

/*
 * Loads a->image into a->ram (cleared first), then the modules in order,
 * each page-aligned after the kernel, and writes the Multiboot info with
 * the command line, the modules (MB_IF_MODS) and a memory map that shows
 * the ACPI tables' range, if any, as type 3. Returns 0 on success; -1 with
 * *err naming the cause (and res->bad_module the module, if it is about
 * one) if the image is not a Multiboot kernel, or the kernel and modules
 * do not fit the RAM below the ACPI tables.
 */
int mbload_guest(const struct mbload_args *a, struct mbload_result *res, const char **err);

/* Returns the offset of a valid Multiboot header in image, or -1. */
long mbload_find_header(const void *image, size_t image_bytes);

#endif
