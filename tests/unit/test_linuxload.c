/*
 * Unit tests for hv/linuxload.c: the Linux 32-bit boot protocol loader on
 * synthetic bzImages (tests/unit/bzimage.h): where the kernel, initrd and
 * command line go, the zero page and its e820 map, the GDT, and the
 * refusals of malformed images and of what does not fit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bzimage.h"
#include "linuxload.h"

#define MiB (1ull << 20)

static uint8_t *ram;
static uint64_t ram_bytes;
static uint8_t *image;
static size_t image_bytes;
static struct linuxload_result res;

static int teardown(void **state)
{
	(void)state;
	free(ram);
	free(image);
	ram = image = NULL;
	return 0;
}

/* Builds b into image and gives the guest bytes of RAM (an exact-size block, dirty). */
static void prepare(const struct bzimage *b, uint64_t bytes)
{
	free(ram);
	free(image);
	image = bzimage_build(b, &image_bytes);
	ram_bytes = bytes;
	ram = malloc(bytes);
	assert_non_null(ram);
	memset(ram, 0xee, bytes);
}

static int load(const void *initrd, size_t initrd_bytes, const char *cmdline)
{
	const struct linuxload_args a = {
		.image = image, .image_bytes = image_bytes,
		.initrd = initrd, .initrd_bytes = initrd_bytes, .cmdline = cmdline,
		.ram = ram, .ram_bytes = ram_bytes,
	};

	return linuxload(&a, &res);
}

static uint64_t get(uint64_t gpa, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)ram[gpa + i] << (8 * i);
	return v;
}

static uint64_t zp(unsigned off, unsigned n)
{
	return get(LINUXLOAD_ZP_GPA + off, n);
}

/* Asserts that the load fails about part with a message containing sub. */
static void expect_error(enum linuxload_part part, const char *sub)
{
	int rc = load(NULL, 0, "");

	if (rc != -1 || !strstr(res.err, sub))
		print_error("rc %d err '%s', want '%s'\n", rc, res.err, sub);
	assert_int_equal(rc, -1);
	assert_int_equal(res.bad, part);
	assert_non_null(strstr(res.err, sub));
}

/* True if RAM [from, to) is all zero. */
static int zero_range(uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		if (ram[i])
			return 0;
	return 1;
}

static void test_kernel_goes_to_pref_address_with_the_32bit_entry_state(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	prepare(&b, 64 * MiB);
	assert_int_equal(load(NULL, 0, "console=ttyS0"), 0);
	assert_int_equal(res.entry, 0x1000000);
	assert_int_equal(res.entry64, 0x1000200);
	assert_int_equal(res.zero_page, LINUXLOAD_ZP_GPA);
	assert_int_equal(res.gdt_base, LINUXLOAD_GDT_GPA);
	assert_int_equal(res.gdt_limit, 0x1f);
	assert_int_equal(res.cs, 0x10);
	assert_int_equal(res.ds, 0x18);
	assert_int_equal(res.version, 0x020f);
	assert_int_equal(res.kernel_end, 0x1400000);
	assert_int_equal(res.initrd_gpa, 0);
	assert_int_equal(res.initrd_bytes, 0);
	/* The protected-mode bytes, from (setup_sects + 1) * 512 of the file. */
	assert_memory_equal(ram + 0x1000000, image + 1024, b.kernel_bytes);
	/* Everything else the loader did not write is cleared. */
	assert_true(zero_range(0, LINUXLOAD_GDT_GPA));
	assert_true(zero_range(LINUXLOAD_CMDLINE_GPA + LINUXLOAD_CMDLINE_BYTES, 0x1000000));
	assert_true(zero_range(0x1000000 + b.kernel_bytes, ram_bytes));
}

static void test_setup_sects_zero_means_four(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	b.setup_sects = 0;
	prepare(&b, 64 * MiB);
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_memory_equal(ram + res.entry, image + 5 * 512, b.kernel_bytes);
	assert_int_equal(ram[res.entry], bzimage_kernel_byte(0));
}

static void test_zero_page_holds_the_image_header_and_the_loader_fields(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	b.setup_data = 0x12345678;          /* a pointer the loader must not pass on */
	prepare(&b, 64 * MiB);
	assert_int_equal(load(NULL, 0, "quiet"), 0);
	/* Copied from the image: the header fields the kernel reads back. */
	assert_int_equal(zp(LX_HEADER, 4), LX_HEADER_MAGIC);
	assert_int_equal(zp(LX_VERSION, 2), 0x020f);
	assert_int_equal(zp(LX_BOOT_FLAG, 2), 0xaa55);
	assert_int_equal(zp(LX_SETUP_SECTS, 1), 1);
	assert_int_equal(zp(LX_INIT_SIZE, 4), b.init_size);
	assert_int_equal(zp(LX_PREF_ADDRESS, 8), b.pref_address);
	assert_int_equal(zp(LX_KERNEL_ALIGNMENT, 4), b.kernel_alignment);
	assert_int_equal(zp(LX_XLOADFLAGS, 2), LX_XLF_KERNEL_64);
	/* Written by the loader (boot.rst, "32-bit Boot Protocol"). */
	assert_int_equal(zp(LX_TYPE_OF_LOADER, 1), 0xff);
	assert_int_equal(zp(LX_LOADFLAGS, 1), LX_LOADED_HIGH | LX_CAN_USE_HEAP);
	assert_int_equal(zp(LX_HEAP_END_PTR, 2), 0xe000 - 0x200);
	assert_int_equal(zp(LX_CODE32_START, 4), 0x1000000);
	assert_int_equal(zp(LX_CMD_LINE_PTR, 4), LINUXLOAD_CMDLINE_GPA);
	assert_int_equal(zp(LX_RAMDISK_IMAGE, 4), 0);
	assert_int_equal(zp(LX_RAMDISK_SIZE, 4), 0);
	assert_int_equal(zp(LX_SETUP_DATA, 8), 0);
	assert_int_equal(zp(LX_EXT_CMD_LINE_PTR, 4), 0);
	assert_int_equal(zp(LX_ACPI_RSDP_ADDR, 8), 0);
	assert_int_equal(zp(LX_SENTINEL, 1), 0);
	/* Before the header only the e820 count is set; after 0x290 the e820 table. */
	assert_true(zero_range(LINUXLOAD_ZP_GPA, LINUXLOAD_ZP_GPA + LX_E820_ENTRIES));
	assert_true(zero_range(LINUXLOAD_ZP_GPA + LX_E820_ENTRIES + 1, LINUXLOAD_ZP_GPA + LX_SETUP_SECTS));
	assert_true(zero_range(LINUXLOAD_ZP_GPA + LX_HDR_ROOM_END, LINUXLOAD_ZP_GPA + LX_E820_TABLE));
}

static void test_header_copy_ends_where_the_jump_says_or_at_0x290(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	/* The image's setup bytes past the header are 0x5a: they must not be copied. */
	b.hdr_len = 0x6a;
	prepare(&b, 64 * MiB);
	image[0x270] = 0x77;                 /* past the header end 0x26c */
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_int_equal(zp(0x270, 1), 0);
	b.hdr_len = 0xff;                    /* 0x301: longer than boot_params leaves room for */
	prepare(&b, 64 * MiB);
	image[0x28f] = 0x77;
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_int_equal(zp(0x28f, 1), 0x77);
	assert_true(zero_range(LINUXLOAD_ZP_GPA + LX_HDR_ROOM_END, LINUXLOAD_ZP_GPA + LX_E820_TABLE));
}

static void expect_e820(unsigned i, uint64_t addr, uint64_t size, uint32_t type)
{
	unsigned off = LX_E820_TABLE + i * LX_E820_ENTRY_BYTES;

	assert_int_equal(zp(off, 8), addr);
	assert_int_equal(zp(off + 8, 8), size);
	assert_int_equal(zp(off + 16, 4), type);
}

static void test_e820_is_the_guest_ram_with_the_pc_hole_reserved(void **state)
{
	struct bzimage b = bzimage_default();
	const uint64_t sizes[] = { 64 * MiB, 2 * MiB + 4096 };

	(void)state;
	b.init_size = 0x10000;
	b.pref_address = 0x100000;
	b.kernel_alignment = 0x1000;
	for (unsigned i = 0; i < 2; i++) {
		prepare(&b, sizes[i]);
		assert_int_equal(load(NULL, 0, NULL), 0);
		assert_int_equal(zp(LX_E820_ENTRIES, 1), 3);
		expect_e820(0, 0, 0x9fc00, LX_E820_RAM);
		expect_e820(1, 0x9fc00, 0x100000 - 0x9fc00, LX_E820_RESERVED);
		expect_e820(2, 0x100000, sizes[i] - 0x100000, LX_E820_RAM);
		assert_true(zero_range(LINUXLOAD_ZP_GPA + LX_E820_TABLE + 3 * LX_E820_ENTRY_BYTES,
				       LINUXLOAD_ZP_GPA + LINUXLOAD_ZP_BYTES));
	}
}

/* Decodes a GDT descriptor: base, limit in bytes - 1 (granularity applied), access byte, flags. */
static void expect_flat_descriptor(uint64_t d, unsigned access)
{
	uint32_t base = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 56) << 24));
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 48) & 0xf) << 16);

	assert_int_equal(base, 0);
	assert_int_equal(limit, 0xfffff);
	assert_int_equal((d >> 40) & 0xff, access);
	assert_int_equal((d >> 52) & 0xf, 0xc);          /* G = 1, D/B = 1 */
}

static void test_gdt_holds_flat_boot_cs_and_boot_ds(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	prepare(&b, 64 * MiB);
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_int_equal(get(LINUXLOAD_GDT_GPA, 8), 0);
	assert_int_equal(get(LINUXLOAD_GDT_GPA + 8, 8), 0);
	/* Code: present, DPL 0, execute/read, accessed; data: read/write, accessed. */
	expect_flat_descriptor(get(LINUXLOAD_GDT_GPA + 0x10, 8), 0x9b);
	expect_flat_descriptor(get(LINUXLOAD_GDT_GPA + 0x18, 8), 0x93);
	assert_true(zero_range(LINUXLOAD_GDT_GPA + 0x20, LINUXLOAD_ZP_GPA));
}

static void test_command_line_is_copied_nul_terminated_up_to_cmdline_size(void **state)
{
	struct bzimage b = bzimage_default();
	char line[LINUXLOAD_CMDLINE_BYTES + 1];

	(void)state;
	prepare(&b, 64 * MiB);
	assert_int_equal(load(NULL, 0, "console=ttyS0,115200 quiet"), 0);
	assert_string_equal((char *)ram + LINUXLOAD_CMDLINE_GPA, "console=ttyS0,115200 quiet");
	assert_int_equal(res.cmdline_gpa, LINUXLOAD_CMDLINE_GPA);
	/* None: an empty string, still pointed to (a 0 pointer means "pre-2.02 loader"). */
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_int_equal(ram[LINUXLOAD_CMDLINE_GPA], 0);
	assert_int_equal(zp(LX_CMD_LINE_PTR, 4), LINUXLOAD_CMDLINE_GPA);
	/* Exactly cmdline_size characters fit; one more is refused. */
	b.cmdline_size = 100;
	prepare(&b, 64 * MiB);
	memset(line, 'a', 100);
	line[100] = 0;
	assert_int_equal(load(NULL, 0, line), 0);
	assert_int_equal(strlen((char *)ram + LINUXLOAD_CMDLINE_GPA), 100);
	line[100] = 'b';
	line[101] = 0;
	assert_int_equal(load(NULL, 0, line), -1);
	assert_int_equal(res.bad, LINUXLOAD_PART_CMDLINE);
	assert_string_equal(res.err, "command line of 101 chars is longer than the kernel's "
			    "cmdline_size 100");
	/* The loader's own room ends at one page with the NUL. */
	b.cmdline_size = 0xffffffff;
	prepare(&b, 64 * MiB);
	memset(line, 'c', LINUXLOAD_CMDLINE_BYTES - 1);
	line[LINUXLOAD_CMDLINE_BYTES - 1] = 0;
	assert_int_equal(load(NULL, 0, line), 0);
	line[LINUXLOAD_CMDLINE_BYTES - 1] = 'c';
	line[LINUXLOAD_CMDLINE_BYTES] = 0;
	assert_int_equal(load(NULL, 0, line), -1);
	assert_int_equal(res.bad, LINUXLOAD_PART_CMDLINE);
	assert_non_null(strstr(res.err, "the loader's room is 4095"));
}

static void test_relocatable_kernel_moves_down_when_pref_address_does_not_fit(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	/* 16 MiB of RAM: 16 MiB + init_size does not fit; the lowest 2 MiB multiple above 1 MiB does. */
	prepare(&b, 16 * MiB);
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_int_equal(res.entry, 0x200000);
	assert_int_equal(zp(LX_CODE32_START, 4), 0x200000);
	assert_memory_equal(ram + 0x200000, image + 1024, b.kernel_bytes);
	assert_int_equal(res.kernel_end, 0x600000);
	/* A 4 KiB alignment loads it right above the hole. */
	b.kernel_alignment = 0x1000;
	prepare(&b, 16 * MiB);
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_int_equal(res.entry, 0x100000);
}

static void test_unaligned_pref_address_counts_init_size_from_the_aligned_start(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	/* The kernel realigns itself to 0x1200000 and needs init_size from there. */
	b.pref_address = 0x1100000;
	prepare(&b, 0x1600000);
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_int_equal(res.entry, 0x1100000);
	assert_int_equal(res.kernel_end, 0x1600000);
	/* One page less and it no longer fits there: it goes to 2 MiB instead. */
	prepare(&b, 0x1600000 - 0x1000);
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_int_equal(res.entry, 0x200000);
}

static void test_kernel_that_does_not_fit_is_refused(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	b.init_size = 0x4000000;             /* 64 MiB */
	prepare(&b, 64 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "kernel (init_size 0x4000000) does not fit the guest's "
		     "RAM (64 MiB)");
	/* init_size smaller than the file: the file's bytes count too. */
	b = bzimage_default();
	b.relocatable = 0;
	b.pref_address = 0x1f0000;
	b.init_size = 0x1000;
	b.kernel_bytes = 0x10000;
	prepare(&b, 2 * MiB);
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_int_equal(res.kernel_end, 2 * MiB);
	b.kernel_bytes = 0x10010;
	prepare(&b, 2 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "not relocatable");
}

static void test_not_relocatable_kernel_outside_ram_is_refused(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	b.relocatable = 0;
	b.kernel_alignment = 3;              /* not looked at when not relocatable */
	prepare(&b, 16 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "kernel not relocatable, and its pref_address 0x1000000 "
		     "+ init_size 0x400000 is not in the guest's RAM above 1 MiB");
	prepare(&b, 20 * MiB);
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_int_equal(res.entry, 0x1000000);
	/* Below 1 MiB it would overwrite the zero page or sit in the PC hole. */
	b.pref_address = 0x8000;
	prepare(&b, 20 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "not relocatable");
	b.pref_address = 0xf0000;
	prepare(&b, 20 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "not relocatable");
	/* A pref_address beyond 4 GiB does not wrap around. */
	b.pref_address = 0xffffffffffff0000ull;
	prepare(&b, 20 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "not relocatable");
}

static void fill_initrd(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 13 + 5);
}

static void test_initrd_goes_page_aligned_to_the_top_of_ram(void **state)
{
	struct bzimage b = bzimage_default();
	static uint8_t rd[10000];

	(void)state;
	fill_initrd(rd, sizeof(rd));
	prepare(&b, 64 * MiB);
	assert_int_equal(load(rd, sizeof(rd), NULL), 0);
	assert_int_equal(res.initrd_gpa, (64 * MiB - sizeof(rd)) & ~0xfffull);
	assert_int_equal(res.initrd_bytes, sizeof(rd));
	assert_int_equal(zp(LX_RAMDISK_IMAGE, 4), res.initrd_gpa);
	assert_int_equal(zp(LX_RAMDISK_SIZE, 4), sizeof(rd));
	assert_int_equal(zp(LX_EXT_RAMDISK_IMAGE, 4), 0);
	assert_int_equal(zp(LX_EXT_RAMDISK_SIZE, 4), 0);
	assert_memory_equal(ram + res.initrd_gpa, rd, sizeof(rd));
	assert_true(zero_range(res.kernel_end, res.initrd_gpa));
	assert_true(zero_range(res.initrd_gpa + sizeof(rd), ram_bytes));
	/* A pointer with no bytes, or bytes with no pointer, is no initrd. */
	assert_int_equal(load(rd, 0, NULL), 0);
	assert_int_equal(res.initrd_gpa, 0);
	assert_int_equal(zp(LX_RAMDISK_IMAGE, 4), 0);
	assert_int_equal(load(NULL, sizeof(rd), NULL), 0);
	assert_int_equal(res.initrd_gpa, 0);
	assert_int_equal(zp(LX_RAMDISK_SIZE, 4), 0);
}

static void test_initrd_stays_below_initrd_addr_max(void **state)
{
	struct bzimage b = bzimage_default();
	static uint8_t rd[0x3000];

	(void)state;
	fill_initrd(rd, sizeof(rd));
	b.initrd_addr_max = 0x1ffffff;       /* highest byte it may occupy: 32 MiB - 1 */
	prepare(&b, 64 * MiB);
	assert_int_equal(load(rd, sizeof(rd), NULL), 0);
	assert_int_equal(res.initrd_gpa, 0x2000000 - sizeof(rd));
	assert_memory_equal(ram + res.initrd_gpa, rd, sizeof(rd));
	/* Exactly up to the limit fits; a byte more does not fit above the kernel (ends 20 MiB). */
	b.initrd_addr_max = 0x1400000 + sizeof(rd) - 1;
	prepare(&b, 64 * MiB);
	assert_int_equal(load(rd, sizeof(rd), NULL), 0);
	assert_int_equal(res.initrd_gpa, 0x1400000);
	b.initrd_addr_max--;
	prepare(&b, 64 * MiB);
	assert_int_equal(load(rd, sizeof(rd), NULL), 0);
	/* It moved the kernel down to 2 MiB to make room under the limit. */
	assert_int_equal(res.entry, 0x200000);
	assert_int_equal(res.initrd_gpa, 0x1400000 - 0x1000);
}

static void test_initrd_that_does_not_fit_is_refused(void **state)
{
	struct bzimage b = bzimage_default();
	size_t n = 60 * MiB;
	uint8_t *rd = calloc(1, n);

	(void)state;
	prepare(&b, 64 * MiB);
	memset(ram, 0xee, ram_bytes);
	assert_int_equal(load(rd, n, NULL), -1);
	assert_int_equal(res.bad, LINUXLOAD_PART_INITRD);
	assert_string_equal(res.err, "initrd (61440 KiB) does not fit below initrd_addr_max "
			    "0x7fffffff and the top of RAM, above the kernel (ends 0x600000)");
	/* A failed load leaves the RAM as it was. */
	assert_int_equal(ram[0], 0xee);
	assert_int_equal(ram[ram_bytes - 1], 0xee);
	/* initrd_addr_max 0 leaves no room at all. */
	b.initrd_addr_max = 0;
	prepare(&b, 64 * MiB);
	assert_int_equal(load(rd, 4096, NULL), -1);
	assert_int_equal(res.bad, LINUXLOAD_PART_INITRD);
	free(rd);
}

static void test_initrd_and_pref_kernel_fit_when_the_kernel_moves_down(void **state)
{
	struct bzimage b = bzimage_default();
	size_t n = 6 * MiB;
	uint8_t *rd = malloc(n);

	(void)state;
	fill_initrd(rd, n);
	/* 24 MiB: at 16 MiB the kernel ends at 20 MiB, leaving 4 MiB; at 2 MiB it ends at 6. */
	prepare(&b, 24 * MiB);
	assert_int_equal(load(rd, n, NULL), 0);
	assert_int_equal(res.entry, 0x200000);
	assert_int_equal(res.initrd_gpa, 18 * MiB);
	assert_memory_equal(ram + res.initrd_gpa, rd, n);
	assert_memory_equal(ram + res.entry, image + 1024, b.kernel_bytes);
	free(rd);
}

static void test_malformed_headers_are_refused_naming_the_cause(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	prepare(&b, 64 * MiB);
	image_bytes = 0x267;
	expect_error(LINUXLOAD_PART_IMAGE, "not a bzImage (615 bytes: shorter than a setup header)");
	image_bytes = 0;
	expect_error(LINUXLOAD_PART_IMAGE, "shorter than a setup header");
	prepare(&b, 64 * MiB);
	image[LX_BOOT_FLAG] = 0;
	expect_error(LINUXLOAD_PART_IMAGE, "not a bzImage (no boot flag 0xaa55 at 0x1fe)");
	prepare(&b, 64 * MiB);
	image[LX_HEADER + 3] = 'X';
	expect_error(LINUXLOAD_PART_IMAGE, "not a bzImage (no HdrS)");
	b.version = 0x020a;
	prepare(&b, 64 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "boot protocol 2.10 too old (need 2.12)");
	b.version = 0x020b;
	prepare(&b, 64 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "boot protocol 2.11 too old");
	b.version = 0x020c;
	prepare(&b, 64 * MiB);
	assert_int_equal(load(NULL, 0, NULL), 0);
	b = bzimage_default();
	b.loadflags = 0;
	prepare(&b, 64 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "not a bzImage (loadflags LOADED_HIGH clear: a zImage)");
	b = bzimage_default();
	b.hdr_len = 0x65;
	prepare(&b, 64 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "setup header too short (jump at 0x200 gives its end "
		     "0x267, protocol 2.12 needs 0x268)");
	prepare(&b, 64 * MiB);
	image[LX_JUMP + 1] = 0x6a;
	image[LX_JUMP] = 0x90;
	expect_error(LINUXLOAD_PART_IMAGE, "setup header too short");
}

static void test_setup_beyond_the_file_and_truncated_files_are_refused(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	b.setup_sects = 40;
	prepare(&b, 64 * MiB);
	image_bytes = 41 * 512;              /* nothing after the setup */
	expect_error(LINUXLOAD_PART_IMAGE, "setup_sects 40 puts the kernel at 0x5200, beyond the "
		     "end of the file (0x5200 bytes)");
	b = bzimage_default();
	prepare(&b, 64 * MiB);
	image_bytes -= 16;                   /* syssize says 0x3000 bytes; 0x2ff0 are there */
	expect_error(LINUXLOAD_PART_IMAGE, "file truncated: syssize says 0x3000 bytes of kernel, "
		     "0x2ff0 follow the setup");
	image_bytes += 16;
	assert_int_equal(load(NULL, 0, NULL), 0);
	/* Bytes past syssize (a real image's CRC, padding) are fine. */
	b.kernel_bytes = 0x300c;
	prepare(&b, 64 * MiB);
	assert_int_equal(load(NULL, 0, NULL), 0);
}

static void test_bad_alignment_and_ram_sizes_are_refused(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	b.kernel_alignment = 0x300000;
	prepare(&b, 64 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "kernel_alignment 0x300000 is not a power of two");
	b.kernel_alignment = 0;
	prepare(&b, 64 * MiB);
	expect_error(LINUXLOAD_PART_IMAGE, "kernel_alignment 0x0 is not a power of two");
	b = bzimage_default();
	prepare(&b, 2 * MiB);
	ram_bytes = 2 * MiB - 4096;
	expect_error(LINUXLOAD_PART_IMAGE, "guest RAM must be between 2 MiB and 4 GiB");
	ram_bytes = (1ull << 32) + 4096;     /* refused before anything is written */
	expect_error(LINUXLOAD_PART_IMAGE, "guest RAM must be between 2 MiB and 4 GiB");
}

static void test_acpi_rsdp_and_entry64_are_passed_on(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	prepare(&b, 64 * MiB);
	const struct linuxload_args with_rsdp = {
		.image = image, .image_bytes = image_bytes, .acpi_rsdp = 0xe0000,
		.ram = ram, .ram_bytes = ram_bytes,
	};
	assert_int_equal(linuxload(&with_rsdp, &res), 0);
	assert_int_equal(zp(LX_ACPI_RSDP_ADDR, 8), 0xe0000);
	/* Without XLF_KERNEL_64 there is no 64-bit entry to report. */
	b.xloadflags = 0;
	prepare(&b, 64 * MiB);
	assert_int_equal(load(NULL, 0, NULL), 0);
	assert_int_equal(res.entry64, 0);
}

static void test_a_second_load_gives_the_same_ram(void **state)
{
	struct bzimage b = bzimage_default();
	static uint8_t rd[5000];
	uint8_t *first;

	(void)state;
	fill_initrd(rd, sizeof(rd));
	b.init_size = 0x100000;
	prepare(&b, 24 * MiB);
	assert_int_equal(load(rd, sizeof(rd), "root=/dev/ram0"), 0);
	first = malloc(ram_bytes);
	memcpy(first, ram, ram_bytes);
	/* The guest scribbles over its RAM; a reload (a restart) restores every byte. */
	memset(ram, 0x33, ram_bytes);
	assert_int_equal(load(rd, sizeof(rd), "root=/dev/ram0"), 0);
	assert_memory_equal(ram, first, ram_bytes);
	free(first);
}

/* ---- the ACPI tables' range at the top of RAM (acpi = on) ---- */

static int load_acpi(uint64_t acpi_gpa, const void *initrd, size_t initrd_bytes)
{
	const struct linuxload_args a = {
		.image = image, .image_bytes = image_bytes, .initrd = initrd,
		.initrd_bytes = initrd_bytes, .ram = ram, .ram_bytes = ram_bytes,
		.acpi_rsdp = acpi_gpa, .acpi_gpa = acpi_gpa,
	};

	return linuxload(&a, &res);
}

static void test_acpi_range_is_e820_type_3_and_the_rsdp_points_into_it(void **state)
{
	struct bzimage b = bzimage_default();
	const uint64_t top = 64 * MiB - 4096;

	(void)state;
	prepare(&b, 64 * MiB);
	assert_int_equal(load_acpi(top, NULL, 0), 0);
	assert_int_equal(zp(LX_E820_ENTRIES, 1), 4);
	expect_e820(0, 0, 0x9fc00, LX_E820_RAM);
	expect_e820(1, 0x9fc00, 0x100000 - 0x9fc00, LX_E820_RESERVED);
	expect_e820(2, 0x100000, top - 0x100000, LX_E820_RAM);
	expect_e820(3, top, 4096, LX_E820_ACPI);
	assert_int_equal(zp(LX_ACPI_RSDP_ADDR, 8), top);
	assert_true(zero_range(top, ram_bytes));                /* cleared for the tables */
}

static void test_initrd_goes_below_the_acpi_range(void **state)
{
	struct bzimage b = bzimage_default();
	static uint8_t rd[10000];
	const uint64_t top = 64 * MiB - 4096;

	(void)state;
	fill_initrd(rd, sizeof(rd));
	prepare(&b, 64 * MiB);
	assert_int_equal(load_acpi(top, rd, sizeof(rd)), 0);
	assert_int_equal(res.initrd_gpa, (top - sizeof(rd)) & ~0xfffull);
	assert_memory_equal(ram + res.initrd_gpa, rd, sizeof(rd));
	assert_true(zero_range(top, ram_bytes));
}

static void test_kernel_overlapping_the_acpi_range_is_refused(void **state)
{
	struct bzimage b = bzimage_default();

	(void)state;
	b.relocatable = 0;
	b.pref_address = 0x1f0000;
	b.init_size = 0x1000;
	b.kernel_bytes = 0x10000;
	prepare(&b, 2 * MiB);
	assert_int_equal(load_acpi(0, NULL, 0), 0);             /* ends at 2 MiB exactly */
	assert_int_equal(load_acpi(2 * MiB - 4096, NULL, 0), -1);
	assert_non_null(strstr(res.err, "not relocatable"));
}

static void test_bad_acpi_ranges_are_refused(void **state)
{
	struct bzimage b = bzimage_default();
	const uint64_t bad[] = { 0xf0000, 64 * MiB, 64 * MiB - 4096 + 16 };

	(void)state;
	prepare(&b, 64 * MiB);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(load_acpi(bad[i], NULL, 0), -1);
		assert_non_null(strstr(res.err, "ACPI tables' range"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kernel_goes_to_pref_address_with_the_32bit_entry_state, teardown),
		cmocka_unit_test_teardown(test_setup_sects_zero_means_four, teardown),
		cmocka_unit_test_teardown(test_zero_page_holds_the_image_header_and_the_loader_fields, teardown),
		cmocka_unit_test_teardown(test_header_copy_ends_where_the_jump_says_or_at_0x290, teardown),
		cmocka_unit_test_teardown(test_e820_is_the_guest_ram_with_the_pc_hole_reserved, teardown),
		cmocka_unit_test_teardown(test_gdt_holds_flat_boot_cs_and_boot_ds, teardown),
		cmocka_unit_test_teardown(test_command_line_is_copied_nul_terminated_up_to_cmdline_size, teardown),
		cmocka_unit_test_teardown(test_relocatable_kernel_moves_down_when_pref_address_does_not_fit, teardown),
		cmocka_unit_test_teardown(test_unaligned_pref_address_counts_init_size_from_the_aligned_start, teardown),
		cmocka_unit_test_teardown(test_kernel_that_does_not_fit_is_refused, teardown),
		cmocka_unit_test_teardown(test_not_relocatable_kernel_outside_ram_is_refused, teardown),
		cmocka_unit_test_teardown(test_initrd_goes_page_aligned_to_the_top_of_ram, teardown),
		cmocka_unit_test_teardown(test_initrd_stays_below_initrd_addr_max, teardown),
		cmocka_unit_test_teardown(test_initrd_that_does_not_fit_is_refused, teardown),
		cmocka_unit_test_teardown(test_initrd_and_pref_kernel_fit_when_the_kernel_moves_down, teardown),
		cmocka_unit_test_teardown(test_malformed_headers_are_refused_naming_the_cause, teardown),
		cmocka_unit_test_teardown(test_setup_beyond_the_file_and_truncated_files_are_refused, teardown),
		cmocka_unit_test_teardown(test_bad_alignment_and_ram_sizes_are_refused, teardown),
		cmocka_unit_test_teardown(test_acpi_rsdp_and_entry64_are_passed_on, teardown),
		cmocka_unit_test_teardown(test_acpi_range_is_e820_type_3_and_the_rsdp_points_into_it, teardown),
		cmocka_unit_test_teardown(test_initrd_goes_below_the_acpi_range, teardown),
		cmocka_unit_test_teardown(test_kernel_overlapping_the_acpi_range_is_refused, teardown),
		cmocka_unit_test_teardown(test_bad_acpi_ranges_are_refused, teardown),
		cmocka_unit_test_teardown(test_a_second_load_gives_the_same_ram, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
