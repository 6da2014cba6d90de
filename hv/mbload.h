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
 *              | command line          |  overlap this page
 *   0x00008000 +-----------------------+
 *              | free low RAM          |  mmap: available up to 0x9fc00
 *   0x0009fc00 +-----------------------+
 *              | EBDA / VGA / BIOS     |  mmap: reserved, not in the EPT
 *   0x00100000 +-----------------------+
 *              | kernel segments, RAM  |  mmap: available up to ram_bytes
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

struct mbload_result {
	uint32_t entry;            /* guest-physical entry point */
	uint32_t mbi_gpa;          /* EBX at entry */
	uint32_t load_lo;          /* lowest loaded address */
	uint64_t load_hi;          /* highest loaded address + 1 (4 GiB fits) */
	int elf_class;             /* 32, 64, or 0 for the a.out kludge */
};

/*
 * Loads image (image_bytes long) into ram (ram_bytes, guest-physical 0),
 * which it clears first, and writes the Multiboot info with cmdline.
 * Returns 0 on success; -1 with *err naming the cause if the image is not a
 * Multiboot kernel that fits this RAM.
 */
int mbload(const void *image, size_t image_bytes, void *ram, uint64_t ram_bytes,
	   const char *cmdline, struct mbload_result *res, const char **err);

/* Returns the offset of a valid Multiboot header in image, or -1. */
long mbload_find_header(const void *image, size_t image_bytes);

#endif
