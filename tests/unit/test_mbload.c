/*
 * Unit tests for hv/mbload.c: the Multiboot (v1) loader. Every image is
 * built in memory here (ELF32/i386, ELF64/x86-64, flat a.out kludge) using
 * the C library's <elf.h> layouts, so the loader's private ELF structures
 * are checked against an independent definition. Each image is handed to
 * the loader in an exact-size heap block, so ASan reports any read past its
 * end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "../../hv/mbload.h"
#include "multiboot.h"
#include "hvcfg.h"

#define MiB        (1ull << 20)
#define RAM_BYTES  (4 * MiB)
#define IMG_CAP    0x4000u
#define NO_MB      (-1L)
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

static uint8_t *ram;                    /* RAM_BYTES, guest-physical 0 */

struct img {
	_Alignas(16) uint8_t b[IMG_CAP];
	size_t n;
};

/* One program header, class-independent. */
struct seg {
	uint32_t type;
	uint64_t off, vaddr, paddr, filesz, memsz;
};

/* How build_elf lays out the ELF header. */
struct elf_opts {
	int cls;                        /* 32 or 64 */
	uint8_t class_byte;             /* e_ident[EI_CLASS] */
	uint16_t machine, phentsize, phnum;
	uint64_t phoff, entry;
	size_t len;                     /* image length */
	long mb_off;                    /* Multiboot header offset or NO_MB */
	uint32_t mb_flags;
};

/*
 * The default ELF layout, both classes:
 *   0x000  ELF header, then 4 program headers (ends below 0x120)
 *   0x1f0  a PT_NOTE's 16 bytes (its paddr is in the PC hole: ignored)
 *   0x200  segment 0: .text, Multiboot header first; 0x300 file bytes,
 *          0x1000 in memory at 0x100000 (0xd00 bytes of bss)
 *   0x500  segment 2: .data, 0x200 bytes at 0x180000
 *   0x700  end
 */
#define SEG0_OFF    0x200u
#define SEG0_PADDR  0x100000u
#define SEG0_FILESZ 0x300u
#define SEG0_MEMSZ  0x1000u
#define SEG2_OFF    0x500u
#define SEG2_PADDR  0x180000u
#define SEG2_SIZE   0x200u
#define ELF_LEN     0x700u
#define ELF_ENTRY   0x100040u
#define ELF_FLAGS   (MB_HF_PAGE_ALIGN | MB_HF_MEMORY_INFO)

static const struct seg default_segs[4] = {
	{ PT_LOAD, SEG0_OFF, 0xc0100000u, SEG0_PADDR, SEG0_FILESZ, SEG0_MEMSZ },
	{ PT_NOTE, 0x1f0, 0xa0000, 0xa0000, 0x10, 0x10 },
	{ PT_LOAD, SEG2_OFF, 0xc0180000u, SEG2_PADDR, SEG2_SIZE, SEG2_SIZE },
	{ PT_GNU_STACK, 0, 0, 0, 0, 0 },
};

static struct elf_opts default_opts(int cls)
{
	return (struct elf_opts){
		.cls = cls,
		.class_byte = cls == 32 ? ELFCLASS32 : ELFCLASS64,
		.machine = cls == 32 ? EM_386 : EM_X86_64,
		.phentsize = cls == 32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr),
		.phnum = 4,
		.phoff = cls == 32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr),
		.entry = ELF_ENTRY,
		.len = ELF_LEN,
		.mb_off = SEG0_OFF,
		.mb_flags = ELF_FLAGS,
	};
}

/* Fills the image with a position-dependent, mostly non-zero pattern. */
static void fill_pattern(struct img *im)
{
	for (size_t i = 0; i < IMG_CAP; i++)
		im->b[i] = (uint8_t)(i * 13 + (i >> 8) + 1);
}

/* Writes a Multiboot header at off: flags, checksum + delta, kludge fields. */
static void put_mb(struct img *im, size_t off, uint32_t flags, uint32_t csum_delta,
		   const uint32_t kludge[5])
{
	struct mb_header h = {
		.magic = MB_HEADER_MAGIC,
		.flags = flags,
		.checksum = (uint32_t)(0u - MB_HEADER_MAGIC - flags) + csum_delta,
	};
	if (kludge) {
		h.header_addr = kludge[0], h.load_addr = kludge[1];
		h.load_end_addr = kludge[2], h.bss_end_addr = kludge[3];
		h.entry_addr = kludge[4];
	}
	memcpy(im->b + off, &h, kludge ? sizeof(h) : 12);
}

static void build_elf(struct img *im, const struct elf_opts *o, const struct seg *s, int nseg)
{
	fill_pattern(im);
	im->n = o->len;
	if (o->cls == 32) {
		Elf32_Ehdr eh = {
			.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, o->class_byte,
				     ELFDATA2LSB, EV_CURRENT },
			.e_type = ET_EXEC, .e_machine = o->machine, .e_version = EV_CURRENT,
			.e_entry = (uint32_t)o->entry, .e_phoff = (uint32_t)o->phoff,
			.e_ehsize = sizeof(Elf32_Ehdr), .e_phentsize = o->phentsize,
			.e_phnum = o->phnum,
		};
		memcpy(im->b, &eh, sizeof(eh));
		for (int i = 0; i < nseg; i++) {
			Elf32_Phdr ph = {
				.p_type = s[i].type, .p_offset = (uint32_t)s[i].off,
				.p_vaddr = (uint32_t)s[i].vaddr, .p_paddr = (uint32_t)s[i].paddr,
				.p_filesz = (uint32_t)s[i].filesz, .p_memsz = (uint32_t)s[i].memsz,
				.p_flags = PF_R | PF_X, .p_align = 0x1000,
			};
			uint64_t at = o->phoff + (uint64_t)i * sizeof(ph);
			if (o->phoff < IMG_CAP && at <= IMG_CAP - sizeof(ph))
				memcpy(im->b + at, &ph, sizeof(ph));
		}
	} else {
		Elf64_Ehdr eh = {
			.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, o->class_byte,
				     ELFDATA2LSB, EV_CURRENT },
			.e_type = ET_EXEC, .e_machine = o->machine, .e_version = EV_CURRENT,
			.e_entry = o->entry, .e_phoff = o->phoff,
			.e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = o->phentsize,
			.e_phnum = o->phnum,
		};
		memcpy(im->b, &eh, sizeof(eh));
		for (int i = 0; i < nseg; i++) {
			Elf64_Phdr ph = {
				.p_type = s[i].type, .p_flags = PF_R | PF_X,
				.p_offset = s[i].off, .p_vaddr = s[i].vaddr, .p_paddr = s[i].paddr,
				.p_filesz = s[i].filesz, .p_memsz = s[i].memsz, .p_align = 0x1000,
			};
			uint64_t at = o->phoff + (uint64_t)i * sizeof(ph);
			if (o->phoff < IMG_CAP && at <= IMG_CAP - sizeof(ph))
				memcpy(im->b + at, &ph, sizeof(ph));
		}
	}
	if (o->mb_off != NO_MB)
		put_mb(im, (size_t)o->mb_off, o->mb_flags, 0, NULL);
}

static void build_default_elf(struct img *im, int cls)
{
	struct elf_opts o = default_opts(cls);

	build_elf(im, &o, default_segs, 4);
}

/* Builds the default image with segment i replaced by s. */
static void build_elf_seg(struct img *im, int cls, int i, struct seg s)
{
	struct elf_opts o = default_opts(cls);
	struct seg segs[4];

	memcpy(segs, default_segs, sizeof(segs));
	segs[i] = s;
	build_elf(im, &o, segs, 4);
}

/*
 * The default a.out kludge image: 0x400 bytes loaded at 0x100000 (header at
 * file offset 0x20), bss up to 0x102000, entry 0x100040.
 */
#define AOUT_LEN    0x400u
#define AOUT_HOFF   0x20u
#define AOUT_LOAD   0x100000u
#define AOUT_BSSEND 0x102000u
#define AOUT_ENTRY  0x100040u

static void build_aout(struct img *im, const uint32_t k[5])
{
	fill_pattern(im);
	im->n = AOUT_LEN;
	im->b[0] = 0xeb;                /* jmp short over the header */
	im->b[1] = 0x3e;
	put_mb(im, AOUT_HOFF, MB_HF_PAGE_ALIGN | MB_HF_MEMORY_INFO | MB_HF_AOUT_KLUDGE, 0, k);
}

static const uint32_t default_kludge[5] = {
	AOUT_LOAD + AOUT_HOFF, AOUT_LOAD, AOUT_LOAD + AOUT_LEN, AOUT_BSSEND, AOUT_ENTRY,
};

/*
 * Runs the loader on a copy of the first len bytes of image in an exact-size
 * heap block, with RAM filled with 0xaa first.
 */
static int load_bytes(const uint8_t *image, size_t len, uint64_t ram_bytes, const char *cmdline,
		      struct mbload_result *res, const char **err)
{
	uint8_t *copy = malloc(len);
	int rc;

	if (len)
		assert_non_null(copy);
	if (len)
		memcpy(copy, image, len);
	memset(ram, 0xaa, ram_bytes < RAM_BYTES ? ram_bytes : RAM_BYTES);
	*err = NULL;
	rc = mbload(copy, len, ram, ram_bytes, cmdline, res, err);
	free(copy);
	return rc;
}

static int load(const struct img *im, const char *cmdline, struct mbload_result *res,
		const char **err)
{
	return load_bytes(im->b, im->n, RAM_BYTES, cmdline, res, err);
}

static void expect_fail_ram(const struct img *im, uint64_t ram_bytes, const char *what)
{
	struct mbload_result r;
	const char *err;

	assert_int_equal(load_bytes(im->b, im->n, ram_bytes, "x", &r, &err), -1);
	assert_non_null(err);
	if (!strstr(err, what))
		fail_msg("error \"%s\" does not mention \"%s\"", err, what);
}

static void expect_fail(const struct img *im, const char *what)
{
	expect_fail_ram(im, RAM_BYTES, what);
}

static void expect_ok(const struct img *im, struct mbload_result *r)
{
	const char *err;

	if (load(im, "kernel", r, &err) != 0)
		fail_msg("load failed: %s", err ? err : "(no message)");
}

static const struct mb_info *mbi(void)
{
	return (const struct mb_info *)(ram + MBLOAD_INFO_GPA);
}

static int setup(void **state)
{
	(void)state;
	ram = malloc(RAM_BYTES);
	return ram ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	ram = NULL;
	return 0;
}

/*
 * Checks RAM after a successful load against the expected contents: the
 * segments' file bytes at their addresses, zero everywhere else (bss, and
 * all RAM the loader cleared), except the info page.
 */
static void check_ram(uint64_t ram_bytes, const uint8_t *image, const struct seg *s, int nseg)
{
	uint8_t *want = calloc(1, ram_bytes);

	assert_non_null(want);
	for (int i = 0; i < nseg; i++)
		if (s[i].type == PT_LOAD)
			memcpy(want + s[i].paddr, image + s[i].off, s[i].filesz);
	assert_memory_equal(ram, want, MBLOAD_INFO_GPA);
	assert_memory_equal(ram + MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES,
			    want + MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES,
			    ram_bytes - MBLOAD_INFO_GPA - MBLOAD_INFO_BYTES);
	free(want);
}

/* ------------------------------------------------------------------ */
/* Header search                                                       */

static void test_find_header_returns_offset_of_valid_header(void **state)
{
	struct img im;

	(void)state;
	build_default_elf(&im, 32);
	assert_int_equal(mbload_find_header(im.b, im.n), SEG0_OFF);
}

static void test_find_header_ignores_unaligned_magic(void **state)
{
	struct img im;
	struct elf_opts o = default_opts(32);

	(void)state;
	o.mb_off = SEG0_OFF + 2;
	build_elf(&im, &o, default_segs, 4);
	assert_int_equal(mbload_find_header(im.b, im.n), -1);
}

static void test_find_header_accepts_last_slot_within_8k_and_rejects_straddling(void **state)
{
	static struct img im;
	struct mbload_result r;
	struct elf_opts o = default_opts(32);
	struct seg segs[4];

	(void)state;
	/* A bigger .text so offsets near 8 KiB lie inside it. */
	memcpy(segs, default_segs, sizeof(segs));
	segs[0].filesz = segs[0].memsz = 0x2000;
	segs[2].off = SEG0_OFF + 0x2000;
	o.len = SEG0_OFF + 0x2000 + SEG2_SIZE;
	o.mb_off = NO_MB;
	build_elf(&im, &o, segs, 4);

	put_mb(&im, MB_SEARCH_BYTES - 12, ELF_FLAGS, 0, NULL);   /* ends at 8192 */
	assert_int_equal(mbload_find_header(im.b, im.n), MB_SEARCH_BYTES - 12);
	expect_ok(&im, &r);

	build_elf(&im, &o, segs, 4);
	put_mb(&im, MB_SEARCH_BYTES - 8, ELF_FLAGS, 0, NULL);    /* crosses 8192 */
	assert_int_equal(mbload_find_header(im.b, im.n), -1);
	expect_fail(&im, "no Multiboot header");
}

static void test_header_after_8k_is_not_found(void **state)
{
	static struct img im;
	struct elf_opts o = default_opts(32);
	struct seg segs[4];

	(void)state;
	memcpy(segs, default_segs, sizeof(segs));
	segs[0].off = 0x2000;                   /* .text starts at 8 KiB */
	segs[2].off = 0x2000 + SEG0_FILESZ;
	o.len = 0x2000 + SEG0_FILESZ + SEG2_SIZE;
	o.mb_off = 0x2000;
	build_elf(&im, &o, segs, 4);
	assert_int_equal(mbload_find_header(im.b, im.n), -1);
	expect_fail(&im, "no Multiboot header");
}

static void test_missing_header_fails(void **state)
{
	struct img im;
	struct elf_opts o = default_opts(32);

	(void)state;
	o.mb_off = NO_MB;
	build_elf(&im, &o, default_segs, 4);
	expect_fail(&im, "no Multiboot header");
}

static void test_bad_checksum_fails(void **state)
{
	struct img im;

	(void)state;
	build_default_elf(&im, 32);
	put_mb(&im, SEG0_OFF, ELF_FLAGS, 1, NULL);
	assert_int_equal(mbload_find_header(im.b, im.n), -1);
	expect_fail(&im, "no Multiboot header");
}

static void test_video_mode_flag_fails(void **state)
{
	struct img im;

	(void)state;
	build_default_elf(&im, 32);
	put_mb(&im, SEG0_OFF, ELF_FLAGS | MB_HF_VIDEO_MODE, 0, NULL);
	expect_fail(&im, "video mode");
}

/* ------------------------------------------------------------------ */
/* ELF loading                                                         */

static void test_elf32_segments_land_at_physical_addresses(void **state)
{
	struct img im;
	struct mbload_result r;

	(void)state;
	build_default_elf(&im, 32);
	expect_ok(&im, &r);
	assert_memory_equal(ram + SEG0_PADDR, im.b + SEG0_OFF, SEG0_FILESZ);
	assert_memory_equal(ram + SEG2_PADDR, im.b + SEG2_OFF, SEG2_SIZE);
	/* The Multiboot header is the first thing of .text. */
	assert_int_equal(*(uint32_t *)(ram + SEG0_PADDR), MB_HEADER_MAGIC);
	/* Nothing was placed at the virtual addresses' low bits or the PT_NOTE's paddr. */
	check_ram(RAM_BYTES, im.b, default_segs, 4);
}

static void test_elf64_segments_land_at_physical_addresses(void **state)
{
	struct img im;
	struct mbload_result r;
	struct elf_opts o = default_opts(64);
	struct seg segs[4];

	(void)state;
	memcpy(segs, default_segs, sizeof(segs));
	segs[0].vaddr = 0xffffffff80100000ull;  /* higher-half kernel */
	segs[2].vaddr = 0xffffffff80180000ull;
	build_elf(&im, &o, segs, 4);
	expect_ok(&im, &r);
	assert_int_equal(r.elf_class, 64);
	check_ram(RAM_BYTES, im.b, segs, 4);
}

static void test_elf_bss_is_zeroed(void **state)
{
	struct img im;
	struct mbload_result r;

	(void)state;
	for (int cls = 32; cls <= 64; cls += 32) {
		build_default_elf(&im, cls);
		expect_ok(&im, &r);     /* RAM was 0xaa before the load */
		for (size_t i = SEG0_FILESZ; i < SEG0_MEMSZ; i++)
			assert_int_equal(ram[SEG0_PADDR + i], 0);
	}
}

static void test_ram_is_cleared_before_loading(void **state)
{
	struct img im;
	struct mbload_result r;

	(void)state;
	build_default_elf(&im, 32);
	expect_ok(&im, &r);
	/* Every byte outside the segments and the info page is zero again. */
	check_ram(RAM_BYTES, im.b, default_segs, 4);
	assert_int_equal(ram[0], 0);
	assert_int_equal(ram[RAM_BYTES - 1], 0);
}

/* Loads the default image of an ELF class and checks every result field. */
static void check_result_fields(int cls)
{
	struct img im;
	struct mbload_result r;

	build_default_elf(&im, cls);
	expect_ok(&im, &r);
	assert_int_equal(r.entry, ELF_ENTRY);
	assert_int_equal(r.mbi_gpa, MBLOAD_INFO_GPA);
	assert_int_equal(r.load_lo, SEG0_PADDR);
	assert_int_equal(r.load_hi, SEG2_PADDR + SEG2_SIZE);
	assert_int_equal(r.elf_class, cls);
}

static void test_elf32_result_fields(void **state)
{
	(void)state;
	check_result_fields(32);
}

static void test_elf64_result_fields(void **state)
{
	(void)state;
	check_result_fields(64);
}

static void test_load_range_covers_bss_of_last_segment(void **state)
{
	struct img im;
	struct mbload_result r;

	(void)state;
	build_elf_seg(&im, 32, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, SEG2_PADDR, SEG2_SIZE, 0x5000 });
	expect_ok(&im, &r);
	assert_int_equal(r.load_hi, SEG2_PADDR + 0x5000);
}

static void test_empty_load_segment_is_ignored(void **state)
{
	struct img im;
	struct mbload_result r;

	(void)state;
	/* memsz 0 in the PC hole: no error, no effect on the load range. */
	build_elf_seg(&im, 32, 3, (struct seg){ PT_LOAD, 0, 0, 0xa0000, 0, 0 });
	expect_ok(&im, &r);
	assert_int_equal(r.load_lo, SEG0_PADDR);
	assert_int_equal(r.load_hi, SEG2_PADDR + SEG2_SIZE);
}

static void test_low_segments_next_to_info_page_load(void **state)
{
	struct img im;
	struct mbload_result r;

	(void)state;
	/* [0x6000, 0x7000) ends where the info page starts. */
	build_elf_seg(&im, 32, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, 0x6000, SEG2_SIZE, 0x1000 });
	expect_ok(&im, &r);
	assert_memory_equal(ram + 0x6000, im.b + SEG2_OFF, SEG2_SIZE);
	assert_int_equal(r.load_lo, 0x6000);
	/* [0x8000, ...) starts where it ends. */
	build_elf_seg(&im, 32, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, 0x8000, SEG2_SIZE, SEG2_SIZE });
	expect_ok(&im, &r);
	assert_memory_equal(ram + 0x8000, im.b + SEG2_OFF, SEG2_SIZE);
	assert_int_equal(r.load_lo, 0x8000);
	/* [0x9f000, 0xa0000) ends where the PC hole starts. */
	build_elf_seg(&im, 32, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, 0x9f000, SEG2_SIZE, 0x1000 });
	expect_ok(&im, &r);
}

static void test_segment_ending_at_end_of_ram_loads(void **state)
{
	struct img im;
	struct mbload_result r;

	(void)state;
	build_elf_seg(&im, 32, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, RAM_BYTES - 0x1000,
						SEG2_SIZE, 0x1000 });
	expect_ok(&im, &r);
	assert_int_equal(r.load_hi, RAM_BYTES);
	assert_memory_equal(ram + RAM_BYTES - 0x1000, im.b + SEG2_OFF, SEG2_SIZE);
}

static void test_minimum_ram_of_2mib_is_enough(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;

	(void)state;
	build_default_elf(&im, 32);
	assert_int_equal(load_bytes(im.b, im.n, MBLOAD_MIN_RAM, "", &r, &err), 0);
	assert_int_equal(mbi()->mem_upper, (MBLOAD_MIN_RAM - MiB) / 1024);
}

static void test_kludge_flag_wins_over_elf(void **state)
{
	struct img im;
	struct mbload_result r;
	/* The ELF header says .text at 0x100000; the kludge says load the file at 0x300000. */
	const uint32_t k[5] = { 0x300000 + SEG0_OFF, 0x300000, 0x300000 + ELF_LEN, 0, 0x300100 };

	(void)state;
	build_default_elf(&im, 32);
	put_mb(&im, SEG0_OFF, ELF_FLAGS | MB_HF_AOUT_KLUDGE, 0, k);
	expect_ok(&im, &r);
	assert_int_equal(r.elf_class, 0);
	assert_int_equal(r.entry, 0x300100);
	assert_int_equal(r.load_lo, 0x300000);
	assert_int_equal(r.load_hi, 0x300000 + ELF_LEN);
	assert_memory_equal(ram + 0x300000, im.b, ELF_LEN);
	assert_int_equal(ram[SEG0_PADDR], 0);
}

/* ------------------------------------------------------------------ */
/* a.out kludge                                                        */

static void test_aout_kludge_image_loads_at_load_addr(void **state)
{
	struct img im;
	struct mbload_result r;

	(void)state;
	build_aout(&im, default_kludge);
	expect_ok(&im, &r);
	assert_memory_equal(ram + AOUT_LOAD, im.b, AOUT_LEN);
	for (uint32_t a = AOUT_LOAD + AOUT_LEN; a < AOUT_BSSEND; a++)
		assert_int_equal(ram[a], 0);
	assert_int_equal(r.entry, AOUT_ENTRY);
	assert_int_equal(r.load_lo, AOUT_LOAD);
	assert_int_equal(r.load_hi, AOUT_BSSEND);
	assert_int_equal(r.elf_class, 0);
	assert_int_equal(r.mbi_gpa, MBLOAD_INFO_GPA);
	check_ram(RAM_BYTES, im.b,
		  (struct seg[]){ { PT_LOAD, 0, 0, AOUT_LOAD, AOUT_LEN, AOUT_BSSEND - AOUT_LOAD } }, 1);
}

static void test_aout_kludge_load_end_zero_loads_rest_of_file(void **state)
{
	struct img im;
	struct mbload_result r;
	const uint32_t k[5] = { AOUT_LOAD + AOUT_HOFF, AOUT_LOAD, 0, 0, AOUT_ENTRY };

	(void)state;
	build_aout(&im, k);
	expect_ok(&im, &r);
	assert_memory_equal(ram + AOUT_LOAD, im.b, AOUT_LEN);
	assert_int_equal(r.load_hi, AOUT_LOAD + AOUT_LEN);
}

static void test_aout_kludge_skips_file_bytes_before_load_addr(void **state)
{
	struct img im;
	struct mbload_result r;
	/* Header at file offset 0x20 but only 0x10 bytes past load_addr: file byte 0x10 goes to 0x100000. */
	const uint32_t k[5] = { AOUT_LOAD + 0x10, AOUT_LOAD, AOUT_LOAD + AOUT_LEN - 0x10, 0,
				AOUT_ENTRY };

	(void)state;
	build_aout(&im, k);
	expect_ok(&im, &r);
	assert_memory_equal(ram + AOUT_LOAD, im.b + 0x10, AOUT_LEN - 0x10);
	assert_int_equal(ram[AOUT_LOAD + AOUT_LEN - 0x10], 0);
}

static void test_aout_kludge_inconsistent_addresses_fail(void **state)
{
	struct img im;
	/* header_addr below load_addr */
	const uint32_t k1[5] = { AOUT_LOAD - 4, AOUT_LOAD, 0, 0, AOUT_ENTRY };
	/* header further past load_addr than its file offset */
	const uint32_t k2[5] = { AOUT_LOAD + AOUT_HOFF + 4, AOUT_LOAD, 0, 0, AOUT_ENTRY };
	/* load_end_addr below load_addr */
	const uint32_t k3[5] = { AOUT_LOAD + AOUT_HOFF, AOUT_LOAD, AOUT_LOAD - 1, 0, AOUT_ENTRY };
	/* load_end_addr past the end of the file */
	const uint32_t k4[5] = { AOUT_LOAD + AOUT_HOFF, AOUT_LOAD, AOUT_LOAD + AOUT_LEN + 1, 0,
				 AOUT_ENTRY };
	/* entry past bss_end */
	const uint32_t k5[5] = { AOUT_LOAD + AOUT_HOFF, AOUT_LOAD, 0, AOUT_BSSEND, AOUT_BSSEND };
	/* into the PC hole */
	const uint32_t k6[5] = { 0xa0000 + AOUT_HOFF, 0xa0000, 0, 0, 0xa0040 };

	(void)state;
	build_aout(&im, k1);
	expect_fail(&im, "header_addr/load_addr");
	build_aout(&im, k2);
	expect_fail(&im, "header_addr/load_addr");
	build_aout(&im, k3);
	expect_fail(&im, "load_end_addr below load_addr");
	build_aout(&im, k4);
	expect_fail(&im, "past the end of the image");
	build_aout(&im, k5);
	expect_fail(&im, "entry point is outside");
	build_aout(&im, k6);
	expect_fail(&im, "PC hole");
}

/* ------------------------------------------------------------------ */
/* Multiboot information                                               */

static void test_info_page_flags_and_memory_sizes(void **state)
{
	struct img im;
	struct mbload_result r;

	(void)state;
	build_default_elf(&im, 32);
	expect_ok(&im, &r);
	const struct mb_info *m = mbi();
	uint32_t want = MB_IF_MEMORY | MB_IF_CMDLINE | MB_IF_MMAP | MB_IF_LOADER_NAME;
	assert_int_equal(m->flags & want, want);
	assert_int_equal(m->flags & MB_IF_MODS, 0);
	assert_int_equal(m->mem_lower, 639);                    /* 0x9fc00 / 1024 */
	assert_int_equal(m->mem_upper, (RAM_BYTES - MiB) / 1024);
}

/* Checks that [gpa, gpa+len) lies in the info page. */
static void assert_in_info_page(uint32_t gpa, uint32_t len)
{
	assert_true(gpa >= MBLOAD_INFO_GPA);
	assert_true((uint64_t)gpa + len <= MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES);
}

static void test_info_page_cmdline_string(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;

	(void)state;
	build_default_elf(&im, 32);
	assert_int_equal(load(&im, "root=/dev/vda console=ttyS0 quiet", &r, &err), 0);
	const struct mb_info *m = mbi();
	assert_in_info_page(m->cmdline, sizeof("root=/dev/vda console=ttyS0 quiet"));
	assert_string_equal((const char *)ram + m->cmdline, "root=/dev/vda console=ttyS0 quiet");
	/* Above the mbi structure itself. */
	assert_true(m->cmdline >= MBLOAD_INFO_GPA + sizeof(struct mb_info));
}

static void test_info_page_null_cmdline_is_empty_string(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;

	(void)state;
	build_default_elf(&im, 32);
	assert_int_equal(load(&im, NULL, &r, &err), 0);
	assert_in_info_page(mbi()->cmdline, 1);
	assert_string_equal((const char *)ram + mbi()->cmdline, "");
}

static void test_info_page_mmap_entries(void **state)
{
	struct img im;
	struct mbload_result r;
	static const struct { uint64_t addr, len; uint32_t type; } want[] = {
		{ 0, 0x9fc00, MB_MMAP_AVAILABLE },
		{ 0x9fc00, 0x400, MB_MMAP_RESERVED },
		{ 0xf0000, 0x10000, MB_MMAP_RESERVED },
		{ 0x100000, RAM_BYTES - MiB, MB_MMAP_AVAILABLE },
	};

	(void)state;
	build_default_elf(&im, 64);
	expect_ok(&im, &r);
	const struct mb_info *m = mbi();
	assert_in_info_page(m->mmap_addr, m->mmap_length);
	assert_true(m->mmap_addr >= MBLOAD_INFO_GPA + sizeof(struct mb_info));

	/* Walk the way a kernel does: next = this + size + 4. */
	unsigned n = 0;
	uint64_t avail = 0, prev_end = 0;
	for (uint32_t a = m->mmap_addr; a < m->mmap_addr + m->mmap_length; n++) {
		struct mb_mmap_entry e;
		memcpy(&e, ram + a, sizeof(e));
		assert_int_equal(e.size, 20);
		assert_true(n < 4);
		assert_int_equal(e.addr, want[n].addr);
		assert_int_equal(e.len, want[n].len);
		assert_int_equal(e.type, want[n].type);
		assert_true(e.addr >= prev_end);        /* sorted, no overlap */
		prev_end = e.addr + e.len;
		if (e.type == MB_MMAP_AVAILABLE)
			avail += e.len;
		a += e.size + 4;
	}
	assert_int_equal(n, 4);
	assert_int_equal(m->mmap_length, 4 * 24);
	/* Consistent with mem_lower / mem_upper. */
	assert_int_equal(avail, (uint64_t)(m->mem_lower + m->mem_upper) * 1024);
	/* No available range covers the PC hole. */
	assert_true(prev_end == RAM_BYTES);
}

static void test_info_page_mmap_top_follows_ram_size(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;
	struct mb_mmap_entry e;

	(void)state;
	build_default_elf(&im, 32);
	assert_int_equal(load_bytes(im.b, im.n, 3 * MiB, "", &r, &err), 0);
	memcpy(&e, ram + mbi()->mmap_addr + 3 * 24, sizeof(e));
	assert_int_equal(e.addr, MiB);
	assert_int_equal(e.len, 2 * MiB);
	assert_int_equal(mbi()->mem_upper, 2048);
}

static void test_info_page_loader_name(void **state)
{
	struct img im;
	struct mbload_result r;

	(void)state;
	build_default_elf(&im, 32);
	expect_ok(&im, &r);
	const struct mb_info *m = mbi();
	const char *name = (const char *)ram + m->boot_loader_name;
	assert_in_info_page(m->boot_loader_name, 1);
	size_t len = strnlen(name, MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES - m->boot_loader_name);
	assert_true(len > 0);
	assert_true(m->boot_loader_name + len < MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES);
	assert_string_equal(name, "nanokernel-hv");
	/* Name, command line and memory map do not overlap. */
	assert_true(m->boot_loader_name + len < m->cmdline || m->cmdline + 7 <= m->boot_loader_name);
	assert_true(m->mmap_addr + m->mmap_length <= m->boot_loader_name ||
		    m->boot_loader_name + len < m->mmap_addr);
}

static void test_long_cmdline_is_truncated_within_info_page(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;
	char *cmd = malloc(10000);
	struct seg low = { PT_LOAD, SEG2_OFF, 0, MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES,
			   SEG2_SIZE, SEG2_SIZE };

	(void)state;
	assert_non_null(cmd);
	memset(cmd, 'c', 9999);
	cmd[9999] = 0;
	/* A segment right after the info page: the command line must not spill into it. */
	build_elf_seg(&im, 32, 2, low);
	assert_int_equal(load(&im, cmd, &r, &err), 0);
	const struct mb_info *m = mbi();
	size_t room = MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES - m->cmdline;
	const char *got = (const char *)ram + m->cmdline;
	size_t len = strnlen(got, room);
	assert_true(len < room);                        /* NUL inside the page */
	assert_true(len > 1000);                        /* a useful prefix kept */
	assert_memory_equal(got, cmd, len);
	assert_memory_equal(ram + low.paddr, im.b + SEG2_OFF, SEG2_SIZE);
	free(cmd);
}

static void test_cmdline_filling_the_page_exactly_is_kept_whole(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;
	char cmd[MBLOAD_INFO_BYTES];

	(void)state;
	build_default_elf(&im, 32);
	/* Find where the command line goes, then use the longest that fits. */
	assert_int_equal(load(&im, "", &r, &err), 0);
	size_t room = MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES - mbi()->cmdline;
	memset(cmd, 'k', room - 1);
	cmd[room - 1] = 0;
	assert_int_equal(load(&im, cmd, &r, &err), 0);
	assert_string_equal((const char *)ram + mbi()->cmdline, cmd);
	/* One more character is cut. */
	memset(cmd, 'k', room);
	cmd[room] = 0;
	assert_int_equal(load(&im, cmd, &r, &err), 0);
	assert_int_equal(strlen((const char *)ram + mbi()->cmdline), room - 1);
}

/* ------------------------------------------------------------------ */
/* Error paths                                                         */

static void test_not_elf_and_no_kludge_fails(void **state)
{
	struct img im;

	(void)state;
	build_aout(&im, default_kludge);
	put_mb(&im, AOUT_HOFF, MB_HF_PAGE_ALIGN, 0, NULL);      /* kludge flag cleared */
	expect_fail(&im, "not an ELF file");
}

static void test_kludge_flag_with_header_cut_short_is_treated_as_elf(void **state)
{
	struct img im;

	(void)state;
	build_aout(&im, default_kludge);
	im.n = AOUT_HOFF + 20;                  /* magic, flags, checksum and 8 more */
	expect_fail(&im, "not an ELF file");
}

static void test_wrong_machine_fails(void **state)
{
	struct img im;
	struct elf_opts o = default_opts(32);

	(void)state;
	o.machine = EM_X86_64;
	build_elf(&im, &o, default_segs, 4);
	expect_fail(&im, "not for i386");
	o = default_opts(64);
	o.machine = EM_386;
	build_elf(&im, &o, default_segs, 4);
	expect_fail(&im, "not for x86-64");
	o.machine = EM_AARCH64;
	build_elf(&im, &o, default_segs, 4);
	expect_fail(&im, "not for x86-64");
}

static void test_bad_elf_class_fails(void **state)
{
	struct img im;
	struct elf_opts o = default_opts(32);

	(void)state;
	o.class_byte = ELFCLASSNONE;
	build_elf(&im, &o, default_segs, 4);
	expect_fail(&im, "unknown ELF class");
	o.class_byte = 3;
	build_elf(&im, &o, default_segs, 4);
	expect_fail(&im, "unknown ELF class");
}

static void test_bad_program_header_size_fails(void **state)
{
	struct img im;

	(void)state;
	for (int cls = 32; cls <= 64; cls += 32) {
		struct elf_opts o = default_opts(cls);
		o.phentsize = cls == 32 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
		build_elf(&im, &o, default_segs, 4);
		expect_fail(&im, "program header size");
	}
}

static void test_no_program_headers_fails(void **state)
{
	struct img im;

	(void)state;
	for (int cls = 32; cls <= 64; cls += 32) {
		struct elf_opts o = default_opts(cls);
		o.phnum = 0;
		build_elf(&im, &o, default_segs, 4);
		expect_fail(&im, "no program headers");
	}
}

static void test_no_load_segments_fails_on_entry(void **state)
{
	struct img im;
	struct elf_opts o = default_opts(32);
	struct seg notes[1] = { { PT_NOTE, 0x1f0, 0, 0x100000, 0x10, 0x10 } };

	(void)state;
	o.phnum = 1;
	build_elf(&im, &o, notes, 1);
	expect_fail(&im, "entry point is outside");
}

static void test_segment_outside_ram_fails(void **state)
{
	struct img im;

	(void)state;
	for (int cls = 32; cls <= 64; cls += 32) {
		/* Starts beyond RAM. */
		build_elf_seg(&im, cls, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, RAM_BYTES, SEG2_SIZE, SEG2_SIZE });
		expect_fail(&im, "does not fit in guest RAM");
		/* Ends one byte beyond RAM. */
		build_elf_seg(&im, cls, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, RAM_BYTES - 0x1000,
							 SEG2_SIZE, 0x1001 });
		expect_fail(&im, "does not fit in guest RAM");
		/* Wraps around 4 GiB (ELF32) or 2^64 (ELF64). */
		uint64_t top = cls == 32 ? 0xfffff000ull : 0xfffffffffffff000ull;
		build_elf_seg(&im, cls, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, top, SEG2_SIZE, 0x2000 });
		expect_fail(&im, "does not fit in guest RAM");
	}
	/* A huge memsz that would wrap paddr + memsz. */
	build_elf_seg(&im, 64, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, SEG2_PADDR, SEG2_SIZE,
						0xfffffffffff00000ull });
	expect_fail(&im, "does not fit in guest RAM");
}

static void test_segment_in_pc_hole_fails(void **state)
{
	struct img im;
	static const uint64_t bad[][2] = {       /* paddr, memsz */
		{ 0xa0000, 0x1000 },
		{ 0x9f000, 0x1001 },            /* last byte in the hole */
		{ 0xfffff, 0x200 },             /* first byte in the hole */
		{ 0xc0000, 0x200 },
		{ 0x90000, 0x80000 },           /* spans the whole hole */
	};

	(void)state;
	for (int cls = 32; cls <= 64; cls += 32)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			build_elf_seg(&im, cls, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, bad[i][0],
								 SEG2_SIZE, bad[i][1] });
			expect_fail(&im, "PC hole");
		}
}

static void test_segment_overlapping_info_page_fails(void **state)
{
	struct img im;
	static const uint64_t bad[][2] = {       /* paddr, memsz */
		{ 0x7000, 0x200 },
		{ 0x6000, 0x1001 },
		{ 0x7fff, 0x200 },
		{ 0x6800, 0x1000 },
		{ 0x1000, 0x10000 },
	};

	(void)state;
	for (int cls = 32; cls <= 64; cls += 32)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			build_elf_seg(&im, cls, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, bad[i][0],
								 SEG2_SIZE, bad[i][1] });
			expect_fail(&im, "info page");
		}
}

static void test_filesz_greater_than_memsz_fails(void **state)
{
	struct img im;

	(void)state;
	for (int cls = 32; cls <= 64; cls += 32) {
		build_elf_seg(&im, cls, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, SEG2_PADDR,
							 SEG2_SIZE, SEG2_SIZE - 1 });
		expect_fail(&im, "file size exceeds memory size");
	}
}

static void test_segment_past_end_of_image_fails(void **state)
{
	struct img im;

	(void)state;
	for (int cls = 32; cls <= 64; cls += 32) {
		/* One byte too many. */
		build_elf_seg(&im, cls, 2, (struct seg){ PT_LOAD, SEG2_OFF, 0, SEG2_PADDR,
							 SEG2_SIZE + 1, SEG2_SIZE + 1 });
		expect_fail(&im, "past the end of the image");
		/* Offset beyond the image. */
		build_elf_seg(&im, cls, 2, (struct seg){ PT_LOAD, ELF_LEN + 1, 0, SEG2_PADDR, 1, 1 });
		expect_fail(&im, "past the end of the image");
		/* Offset + filesz wraps. */
		uint64_t off = cls == 32 ? 0xfffffff0ull : 0xfffffffffffffff0ull;
		build_elf_seg(&im, cls, 2, (struct seg){ PT_LOAD, off, 0, SEG2_PADDR, 0x20, 0x20 });
		expect_fail(&im, "past the end of the image");
	}
	/* Offset at the very end with filesz 0 is fine (pure bss). */
	build_elf_seg(&im, 32, 2, (struct seg){ PT_LOAD, ELF_LEN, 0, SEG2_PADDR, 0, 0x100 });
	struct mbload_result r;
	expect_ok(&im, &r);
}

static void test_program_headers_past_end_of_image_fail(void **state)
{
	struct img im;

	(void)state;
	for (int cls = 32; cls <= 64; cls += 32) {
		struct elf_opts o = default_opts(cls);
		o.phoff = ELF_LEN - o.phentsize;        /* only the first fits */
		build_elf(&im, &o, default_segs, 4);
		expect_fail(&im, "program headers extend past");
		o = default_opts(cls);
		o.phoff = 0x100000;
		build_elf(&im, &o, default_segs, 4);
		expect_fail(&im, "program headers extend past");
		o = default_opts(cls);
		o.phnum = 0xffff;
		build_elf(&im, &o, default_segs, 4);
		expect_fail(&im, "program headers extend past");
	}
	/* ELF64 with an offset that would wrap when added. */
	struct elf_opts o = default_opts(64);
	o.phoff = 0xffffffffffffffc0ull;
	build_elf(&im, &o, default_segs, 4);
	expect_fail(&im, "program headers extend past");
}

static void test_entry_outside_loaded_segments_fails(void **state)
{
	struct img im;
	static const uint64_t bad[] = {
		SEG0_PADDR - 1, SEG2_PADDR + SEG2_SIZE, 0x300000, 0, 0x7000,
	};

	(void)state;
	for (int cls = 32; cls <= 64; cls += 32)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct elf_opts o = default_opts(cls);
			o.entry = bad[i];
			build_elf(&im, &o, default_segs, 4);
			expect_fail(&im, "entry point is outside");
		}
	/* The first and last loaded bytes are fine. */
	struct mbload_result r;
	struct elf_opts o = default_opts(32);
	o.entry = SEG0_PADDR;
	build_elf(&im, &o, default_segs, 4);
	expect_ok(&im, &r);
	o.entry = SEG2_PADDR + SEG2_SIZE - 1;
	build_elf(&im, &o, default_segs, 4);
	expect_ok(&im, &r);
}

static void test_elf64_entry_above_4g_fails(void **state)
{
	struct img im;
	struct elf_opts o = default_opts(64);

	(void)state;
	o.entry = 0x100000000ull + ELF_ENTRY;   /* low bits inside .text */
	build_elf(&im, &o, default_segs, 4);
	expect_fail(&im, "above 4 GiB");
	o.entry = 0xffffffff80100040ull;        /* a virtual entry point */
	build_elf(&im, &o, default_segs, 4);
	expect_fail(&im, "above 4 GiB");
}

static void test_ram_size_out_of_range_fails(void **state)
{
	struct img im;

	(void)state;
	build_default_elf(&im, 32);
	expect_fail_ram(&im, MBLOAD_MIN_RAM - 0x1000, "between 2 MiB and 4 GiB");
	expect_fail_ram(&im, 0, "between 2 MiB and 4 GiB");
	/* Rejected before RAM is touched, so the small buffer is safe. */
	struct mbload_result r;
	const char *err = NULL;
	assert_int_equal(mbload(im.b, im.n, ram, MBLOAD_MAX_RAM + 0x1000, "", &r, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "between 2 MiB and 4 GiB"));
}

/* ------------------------------------------------------------------ */
/* Truncated images                                                    */

/*
 * Loads every prefix of image (0 .. full length) from an exact-size heap
 * block; ASan reports any read past the prefix. Returns how many loaded.
 */
static unsigned load_all_prefixes(const struct img *im)
{
	unsigned ok = 0;

	for (size_t len = 0; len <= im->n; len++) {
		struct mbload_result r;
		const char *err;
		int rc = load_bytes(im->b, len, MBLOAD_MIN_RAM, "console=ttyS0", &r, &err);
		if (rc == 0) {
			ok++;
			assert_true(r.entry >= r.load_lo && r.entry < r.load_hi);
			assert_int_equal(r.mbi_gpa, MBLOAD_INFO_GPA);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(err);
			assert_true(err[0] != 0);
		}
	}
	return ok;
}

static void test_truncated_elf32_images_fail_without_overreading(void **state)
{
	struct img im;

	(void)state;
	build_default_elf(&im, 32);
	/* The last segment ends at the end of the file: only the full image loads. */
	assert_int_equal(load_all_prefixes(&im), 1);
}

static void test_truncated_elf64_images_fail_without_overreading(void **state)
{
	struct img im;

	(void)state;
	build_default_elf(&im, 64);
	assert_int_equal(load_all_prefixes(&im), 1);
}

static void test_truncated_aout_images_fail_without_overreading(void **state)
{
	struct img im;

	(void)state;
	build_aout(&im, default_kludge);
	assert_int_equal(load_all_prefixes(&im), 1);
	/* With load_end_addr 0 the file length decides: any prefix that keeps the entry loads. */
	const uint32_t k[5] = { AOUT_LOAD + AOUT_HOFF, AOUT_LOAD, 0, 0, AOUT_ENTRY };
	build_aout(&im, k);
	assert_int_equal(load_all_prefixes(&im), AOUT_LEN - (AOUT_ENTRY - AOUT_LOAD));
}

static void test_truncated_elf_headers_holding_the_mb_header_fail_without_overreading(void **state)
{
	struct img im;

	(void)state;
	/*
	 * The Multiboot header inside the ELF header's tail (section header
	 * fields the loader does not use), so prefixes shorter than the ELF
	 * header already have a valid Multiboot header.
	 */
	for (int cls = 32; cls <= 64; cls += 32) {
		struct elf_opts o = default_opts(cls);
		o.phoff = 64;
		o.mb_off = cls == 32 ? 48 : 40;
		build_elf(&im, &o, default_segs, 4);
		for (size_t len = (size_t)o.mb_off + 12; len < 64 + 4u * o.phentsize; len++) {
			struct mbload_result r;
			const char *err;
			assert_int_equal(load_bytes(im.b, len, MBLOAD_MIN_RAM, "", &r, &err), -1);
			assert_non_null(err);
		}
		assert_int_equal(load_all_prefixes(&im), 1);
	}
}

/* ------------------------------------------------------------------ */
/* Regression tests for bugs these tests found (fixed in hv/mbload.c).  */

/*
 * The entry check once compared against the hull [load_lo, load_hi) of all
 * segments: an entry point in the gap between .text (ends 0x101000) and
 * .data (starts 0x180000) was accepted.
 */
static void test_entry_in_gap_between_segments_fails(void **state)
{
	struct img im;

	(void)state;
	for (int cls = 32; cls <= 64; cls += 32) {
		struct elf_opts o = default_opts(cls);
		o.entry = 0x150000;
		build_elf(&im, &o, default_segs, 4);
		expect_fail(&im, "entry point is outside");
	}
}

/*
 * Program headers were once read through struct pointers at image + e_phoff:
 * an e_phoff that is not a multiple of 4 was a misaligned access (UBSan
 * aborts on it). They are copied out now.
 */
static void test_unaligned_program_header_offset_is_handled(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;
	struct elf_opts o = default_opts(32);

	(void)state;
	o.phoff = sizeof(Elf32_Ehdr) + 1;
	build_elf(&im, &o, default_segs, 4);
	int rc = load(&im, "", &r, &err);
	/* Either outcome is fine, as long as there is no undefined behaviour. */
	if (rc == 0)
		assert_int_equal(r.entry, ELF_ENTRY);
	else
		assert_non_null(err);
}

/* ------------------------------------------------------------------ */
/* Modules and the ACPI tables' range (mbload_guest)                   */

#define TOP_ACPI (RAM_BYTES - 0x1000)

/* Runs mbload_guest on a copy of im with mods (each data in an exact-size block) and acpi_gpa. */
static int load_guest(const struct img *im, const struct mbload_module *mods, unsigned n,
		      uint64_t acpi_gpa, struct mbload_result *r, const char **err)
{
	uint8_t *copy = malloc(im->n);
	struct mbload_module m[MBLOAD_MAX_MODULES + 1];
	struct mbload_args a = { .image = copy, .image_bytes = im->n, .ram = ram,
				 .ram_bytes = RAM_BYTES, .cmdline = "k", .mods = m, .nmods = n,
				 .acpi_gpa = acpi_gpa };
	int rc;

	assert_true(n <= MBLOAD_MAX_MODULES + 1);
	memcpy(copy, im->b, im->n);
	for (unsigned i = 0; i < n; i++) {
		m[i] = mods[i];
		m[i].data = malloc(mods[i].bytes ? mods[i].bytes : 1);
		memcpy((void *)m[i].data, mods[i].data, mods[i].bytes);
	}
	memset(ram, 0xaa, RAM_BYTES);
	*err = NULL;
	rc = mbload_guest(&a, r, err);
	for (unsigned i = 0; i < n; i++)
		free((void *)m[i].data);
	free(copy);
	return rc;
}

static uint8_t mod_bytes[3][0x1300];

static const struct mbload_module *three_mods(void)
{
	static struct mbload_module m[3];

	for (unsigned i = 0; i < 3; i++)
		for (unsigned j = 0; j < sizeof(mod_bytes[i]); j++)
			mod_bytes[i][j] = (uint8_t)(j * 7 + i + 1);
	m[0] = (struct mbload_module){ mod_bytes[0], 0x1234, "\\guests\\one.bin alpha=1" };
	m[1] = (struct mbload_module){ mod_bytes[1], 0, "\\guests\\empty" };
	m[2] = (struct mbload_module){ mod_bytes[2], 0x800, NULL };
	return m;
}

static void test_modules_page_aligned_after_the_kernel_with_their_strings(void **state)
{
	struct img im;
	struct mbload_result r;
	const struct mbload_module *mods = three_mods();
	const char *err;
	const struct mb_module *m;
	uint64_t next = ALIGN_UP(SEG2_PADDR + SEG2_SIZE, 0x1000);

	(void)state;
	build_default_elf(&im, 32);
	assert_int_equal(load_guest(&im, mods, 3, 0, &r, &err), 0);
	assert_true(mbi()->flags & MB_IF_MODS);
	assert_int_equal(mbi()->mods_count, 3);
	assert_in_info_page(mbi()->mods_addr, 3 * sizeof(struct mb_module));
	m = (const void *)(ram + mbi()->mods_addr);
	for (unsigned i = 0; i < 3; i++) {
		const char *want = mods[i].string ? mods[i].string : "";

		assert_int_equal(m[i].mod_start, next);          /* in order, each on the next page */
		assert_int_equal(m[i].mod_start, r.mods_gpa[i]);
		assert_int_equal(m[i].mod_end, m[i].mod_start + mods[i].bytes);
		assert_memory_equal(ram + m[i].mod_start, mod_bytes[i], mods[i].bytes);
		assert_int_equal(m[i].reserved, 0);
		assert_in_info_page(m[i].string, strlen(want) + 1);
		assert_string_equal((const char *)ram + m[i].string, want);
		next = ALIGN_UP(m[i].mod_end, 0x1000);
	}
	/* RAM between and after the modules was cleared; the kernel is intact. */
	for (uint64_t a = m[0].mod_end; a < m[2].mod_start; a++)
		assert_int_equal(ram[a], 0);
	for (uint64_t a = m[2].mod_end; a < RAM_BYTES; a++)
		assert_int_equal(ram[a], 0);
	assert_memory_equal(ram + SEG2_PADDR, im.b + SEG2_OFF, SEG2_SIZE);
	/* The strings, the module list and the command line do not overlap. */
	assert_true(mbi()->mods_addr + 3 * sizeof(struct mb_module) <= m[0].string);
	assert_true(m[2].string + 1 <= mbi()->cmdline);
	assert_string_equal((const char *)ram + mbi()->cmdline, "k");
}

static void test_modules_of_a_kernel_in_low_memory_start_at_1mib(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;
	const struct mbload_module mod = { mod_bytes[0], 10, "m" };

	(void)state;
	struct elf_opts o = default_opts(32);
	struct seg segs[4];

	memcpy(segs, default_segs, sizeof(segs));
	segs[0].paddr = 0x10000;
	segs[2].paddr = 0x20000;
	o.entry = 0x10000;
	build_elf(&im, &o, segs, 4);
	assert_int_equal(load_guest(&im, &mod, 1, 0, &r, &err), 0);
	assert_true(r.load_hi < MBLOAD_HOLE_START);
	assert_int_equal(r.mods_gpa[0], MiB);
}

static void test_module_that_does_not_fit_is_named(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;
	uint8_t *big = malloc(RAM_BYTES);
	uint64_t start = ALIGN_UP(SEG2_PADDR + SEG2_SIZE, 0x1000);
	struct mbload_module m[2] = { { mod_bytes[0], 0x100, "a" }, { big, 0, "b" } };

	(void)state;
	assert_non_null(big);
	memset(big, 0x5c, RAM_BYTES);
	build_default_elf(&im, 32);
	/* The second module fills the RAM from its page to the end exactly: it fits. */
	m[1].bytes = RAM_BYTES - (start + 0x1000);
	assert_int_equal(load_guest(&im, m, 2, 0, &r, &err), 0);
	assert_int_equal(ram[RAM_BYTES - 1], 0x5c);
	/* One byte more does not. */
	m[1].bytes++;
	assert_int_equal(load_guest(&im, m, 2, 0, &r, &err), -1);
	assert_int_equal(r.bad_module, 1);
	assert_non_null(strstr(err, "module does not fit the guest's RAM"));
	/* Below the ACPI tables, the room ends at their range. */
	m[1].bytes = TOP_ACPI - (start + 0x1000);
	assert_int_equal(load_guest(&im, m, 2, TOP_ACPI, &r, &err), 0);
	m[1].bytes++;
	assert_int_equal(load_guest(&im, m, 2, TOP_ACPI, &r, &err), -1);
	assert_int_equal(r.bad_module, 1);
	assert_non_null(strstr(err, "below the ACPI tables"));
	/* A kernel that loads is no module at fault. */
	assert_int_equal(load_guest(&im, m, 0, 0, &r, &err), 0);
	assert_int_equal(r.bad_module, -1);
	free(big);
}

static void test_acpi_range_is_type_3_in_the_mmap_and_not_upper_memory(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;
	struct mb_mmap_entry e[5];

	(void)state;
	build_default_elf(&im, 32);
	assert_int_equal(load_guest(&im, NULL, 0, TOP_ACPI, &r, &err), 0);
	assert_int_equal(mbi()->mmap_length, 5 * 24);
	memcpy(e, ram + mbi()->mmap_addr, sizeof(e));
	assert_int_equal(e[3].addr, MiB);
	assert_int_equal(e[3].len, TOP_ACPI - MiB);
	assert_int_equal(e[3].type, MB_MMAP_AVAILABLE);
	assert_int_equal(e[4].size, 20);
	assert_int_equal(e[4].addr, TOP_ACPI);
	assert_int_equal(e[4].len, 0x1000);
	assert_int_equal(e[4].type, MB_MMAP_ACPI);
	assert_int_equal(mbi()->mem_upper, (TOP_ACPI - MiB) / 1024);
	assert_int_equal(mbi()->flags & MB_IF_MODS, 0);
	for (uint64_t a = TOP_ACPI; a < RAM_BYTES; a++)         /* cleared, for the tables */
		assert_int_equal(ram[a], 0);
}

static void test_segment_over_the_acpi_range_fails(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;

	(void)state;
	build_default_elf(&im, 64);
	assert_int_equal(load_guest(&im, NULL, 0, SEG2_PADDR, &r, &err), -1);
	assert_non_null(strstr(err, "segment overlaps the ACPI tables"));
	assert_int_equal(load_guest(&im, NULL, 0, SEG2_PADDR + 0x1000, &r, &err), 0);
}

static void test_bad_module_count_and_acpi_range_fail(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;
	struct mbload_module m[MBLOAD_MAX_MODULES + 1];

	(void)state;
	for (unsigned i = 0; i <= MBLOAD_MAX_MODULES; i++)
		m[i] = (struct mbload_module){ mod_bytes[0], 1, "m" };
	build_default_elf(&im, 32);
	assert_int_equal(load_guest(&im, m, MBLOAD_MAX_MODULES, 0, &r, &err), 0);
	assert_int_equal(load_guest(&im, m, MBLOAD_MAX_MODULES + 1, 0, &r, &err), -1);
	assert_non_null(strstr(err, "more than 8 modules"));
	assert_int_equal(load_guest(&im, NULL, 0, TOP_ACPI + 0x10, &r, &err), -1);
	assert_non_null(strstr(err, "ACPI tables' range"));
	assert_int_equal(load_guest(&im, NULL, 0, 0xf0000, &r, &err), -1);
	assert_int_equal(load_guest(&im, NULL, 0, RAM_BYTES, &r, &err), -1);
}

static void test_module_strings_hold_a_config_string_and_longer_ones_are_cut(void **state)
{
	struct img im;
	struct mbload_result r;
	const char *err;
	char s[400];
	struct mbload_module m[2] = { { mod_bytes[0], 1, s }, { mod_bytes[1], 1, "next" } };
	const struct mb_module *mm;

	(void)state;
	assert_true(MBLOAD_MODSTR_BYTES >= CFG_MODSTR_MAX);
	memset(s, 's', sizeof(s) - 1);
	s[sizeof(s) - 1] = 0;
	build_default_elf(&im, 32);
	assert_int_equal(load_guest(&im, m, 2, 0, &r, &err), 0);
	mm = (const void *)(ram + mbi()->mods_addr);
	assert_int_equal(strlen((const char *)ram + mm[0].string), MBLOAD_MODSTR_BYTES - 1);
	assert_string_equal((const char *)ram + mm[1].string, "next");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_header_returns_offset_of_valid_header),
		cmocka_unit_test(test_find_header_ignores_unaligned_magic),
		cmocka_unit_test(test_find_header_accepts_last_slot_within_8k_and_rejects_straddling),
		cmocka_unit_test(test_header_after_8k_is_not_found),
		cmocka_unit_test(test_missing_header_fails),
		cmocka_unit_test(test_bad_checksum_fails),
		cmocka_unit_test(test_video_mode_flag_fails),
		cmocka_unit_test(test_elf32_segments_land_at_physical_addresses),
		cmocka_unit_test(test_elf64_segments_land_at_physical_addresses),
		cmocka_unit_test(test_elf_bss_is_zeroed),
		cmocka_unit_test(test_ram_is_cleared_before_loading),
		cmocka_unit_test(test_elf32_result_fields),
		cmocka_unit_test(test_elf64_result_fields),
		cmocka_unit_test(test_load_range_covers_bss_of_last_segment),
		cmocka_unit_test(test_empty_load_segment_is_ignored),
		cmocka_unit_test(test_low_segments_next_to_info_page_load),
		cmocka_unit_test(test_segment_ending_at_end_of_ram_loads),
		cmocka_unit_test(test_minimum_ram_of_2mib_is_enough),
		cmocka_unit_test(test_kludge_flag_wins_over_elf),
		cmocka_unit_test(test_aout_kludge_image_loads_at_load_addr),
		cmocka_unit_test(test_aout_kludge_load_end_zero_loads_rest_of_file),
		cmocka_unit_test(test_aout_kludge_skips_file_bytes_before_load_addr),
		cmocka_unit_test(test_aout_kludge_inconsistent_addresses_fail),
		cmocka_unit_test(test_info_page_flags_and_memory_sizes),
		cmocka_unit_test(test_info_page_cmdline_string),
		cmocka_unit_test(test_info_page_null_cmdline_is_empty_string),
		cmocka_unit_test(test_info_page_mmap_entries),
		cmocka_unit_test(test_info_page_mmap_top_follows_ram_size),
		cmocka_unit_test(test_info_page_loader_name),
		cmocka_unit_test(test_long_cmdline_is_truncated_within_info_page),
		cmocka_unit_test(test_cmdline_filling_the_page_exactly_is_kept_whole),
		cmocka_unit_test(test_not_elf_and_no_kludge_fails),
		cmocka_unit_test(test_kludge_flag_with_header_cut_short_is_treated_as_elf),
		cmocka_unit_test(test_wrong_machine_fails),
		cmocka_unit_test(test_bad_elf_class_fails),
		cmocka_unit_test(test_bad_program_header_size_fails),
		cmocka_unit_test(test_no_program_headers_fails),
		cmocka_unit_test(test_no_load_segments_fails_on_entry),
		cmocka_unit_test(test_segment_outside_ram_fails),
		cmocka_unit_test(test_segment_in_pc_hole_fails),
		cmocka_unit_test(test_segment_overlapping_info_page_fails),
		cmocka_unit_test(test_filesz_greater_than_memsz_fails),
		cmocka_unit_test(test_segment_past_end_of_image_fails),
		cmocka_unit_test(test_program_headers_past_end_of_image_fail),
		cmocka_unit_test(test_entry_outside_loaded_segments_fails),
		cmocka_unit_test(test_elf64_entry_above_4g_fails),
		cmocka_unit_test(test_ram_size_out_of_range_fails),
		cmocka_unit_test(test_truncated_elf32_images_fail_without_overreading),
		cmocka_unit_test(test_truncated_elf64_images_fail_without_overreading),
		cmocka_unit_test(test_truncated_aout_images_fail_without_overreading),
		cmocka_unit_test(test_truncated_elf_headers_holding_the_mb_header_fail_without_overreading),
		cmocka_unit_test(test_modules_page_aligned_after_the_kernel_with_their_strings),
		cmocka_unit_test(test_modules_of_a_kernel_in_low_memory_start_at_1mib),
		cmocka_unit_test(test_module_that_does_not_fit_is_named),
		cmocka_unit_test(test_acpi_range_is_type_3_in_the_mmap_and_not_upper_memory),
		cmocka_unit_test(test_segment_over_the_acpi_range_fails),
		cmocka_unit_test(test_bad_module_count_and_acpi_range_fail),
		cmocka_unit_test(test_module_strings_hold_a_config_string_and_longer_ones_are_cut),
		/* These two reveal bugs (see the comments above them); keep them last. */
		cmocka_unit_test(test_entry_in_gap_between_segments_fails),
		cmocka_unit_test(test_unaligned_program_header_offset_is_handled),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
