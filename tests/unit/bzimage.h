/*
 * A synthetic bzImage for host tests of the Linux loader: a boot sector and
 * setup sectors carrying the setup header fields at their boot.rst offsets,
 * then protected-mode "kernel" bytes in a known pattern. Shared by
 * tests/unit/test_linuxload.c and tests/unit/test_linux_start.c.
 */
#ifndef TEST_BZIMAGE_H
#define TEST_BZIMAGE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linuxload.h"

struct bzimage {
	uint16_t version;
	uint8_t setup_sects;         /* 0 means 4, as in a real header */
	uint8_t loadflags;
	uint8_t relocatable;
	uint8_t hdr_len;             /* the jump's offset byte: header end = 0x202 + hdr_len */
	uint16_t xloadflags;
	uint32_t kernel_alignment, initrd_addr_max, cmdline_size, init_size;
	uint64_t pref_address;
	uint32_t kernel_bytes;       /* protected-mode bytes after the setup */
	uint64_t setup_data;         /* what the image (wrongly) carries there */
};

/* A 6.x-like relocatable 64-bit kernel: 16 MiB preferred, 2 MiB aligned, 4 MiB init_size. */
static inline struct bzimage bzimage_default(void)
{
	return (struct bzimage){
		.version = 0x020f, .setup_sects = 1, .loadflags = LX_LOADED_HIGH,
		.relocatable = 1, .hdr_len = 0x6a, .xloadflags = LX_XLF_KERNEL_64,
		.kernel_alignment = 0x200000, .initrd_addr_max = 0x7fffffff,
		.cmdline_size = 2047, .init_size = 0x400000, .pref_address = 0x1000000,
		.kernel_bytes = 0x3000,
	};
}

static inline uint32_t bzimage_setup_bytes(const struct bzimage *b)
{
	return ((b->setup_sects ? b->setup_sects : 4) + 1u) * 512u;
}

/* The byte at offset i of the protected-mode kernel. */
static inline uint8_t bzimage_kernel_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 1 + (i >> 8));
}

static inline void bzimage_put(uint8_t *p, size_t off, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

/* Returns a malloc'd image of *size bytes built from b. */
static inline uint8_t *bzimage_build(const struct bzimage *b, size_t *size)
{
	uint32_t setup = bzimage_setup_bytes(b);
	uint8_t *img;

	*size = (size_t)setup + b->kernel_bytes;
	img = calloc(1, *size);
	/* Filler in the rest of the setup, so a copy of too much shows. */
	memset(img, 0x5a, setup);
	memset(img + LX_SETUP_SECTS, 0, LX_HDR_ROOM_END - LX_SETUP_SECTS);
	img[LX_SETUP_SECTS] = b->setup_sects;
	bzimage_put(img, LX_SYSSIZE, 4, b->kernel_bytes / 16);
	bzimage_put(img, LX_BOOT_FLAG, 2, LX_BOOT_FLAG_MAGIC);
	img[LX_JUMP] = 0xeb;
	img[LX_JUMP + 1] = b->hdr_len;
	bzimage_put(img, LX_HEADER, 4, LX_HEADER_MAGIC);
	bzimage_put(img, LX_VERSION, 2, b->version);
	img[LX_LOADFLAGS] = b->loadflags;
	bzimage_put(img, LX_CODE32_START, 4, 0x100000);
	bzimage_put(img, LX_INITRD_ADDR_MAX, 4, b->initrd_addr_max);
	bzimage_put(img, LX_KERNEL_ALIGNMENT, 4, b->kernel_alignment);
	img[LX_RELOCATABLE_KERNEL] = b->relocatable;
	bzimage_put(img, LX_XLOADFLAGS, 2, b->xloadflags);
	bzimage_put(img, LX_CMDLINE_SIZE, 4, b->cmdline_size);
	bzimage_put(img, LX_SETUP_DATA, 8, b->setup_data);
	bzimage_put(img, LX_PREF_ADDRESS, 8, b->pref_address);
	bzimage_put(img, LX_INIT_SIZE, 4, b->init_size);
	for (uint32_t i = 0; i < b->kernel_bytes; i++)
		img[setup + i] = bzimage_kernel_byte(i);
	return img;
}

#endif
