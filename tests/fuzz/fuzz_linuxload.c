/*
 * Fuzz target: the Linux boot protocol loader (hv/linuxload.c, as the EFI
 * image and the hv's restart path link it).
 *
 * Input: bytes 0-1 choose the guest RAM size (bit 15: below the 2 MiB
 * minimum; bit 14: above the 4 GiB maximum; else 2 MiB + 0..15 x 68 KiB),
 * byte 2 the command line (0xff: none; else n * 16 characters), bytes 3-4
 * the initrd (n * 64 bytes of a pattern, 0: none), the rest is the bzImage.
 * RAM, image and initrd are exact-size heap blocks, so ASan reports any
 * access outside them (RAM blocks are kept between runs and left dirty:
 * the loader must clear RAM itself).
 *
 * The setup header is read here with its own byte offsets from boot.rst
 * (not the loader's). On success: the kernel lies in RAM at or above 1 MiB
 * at pref_address or (relocatable) the lowest kernel_alignment multiple,
 * with its file bytes and init_size from its runtime start; the initrd is
 * page-aligned, above the kernel, below initrd_addr_max and the top of RAM;
 * GDT, zero page and command line lie below 0x9fc00 and apart; RAM holds
 * exactly the kernel bytes, the initrd, the command line (at most
 * cmdline_size chars), the zero page and the GDT, zeros elsewhere; the zero
 * page says where each is and maps RAM exactly in e820. A header the
 * protocol forbids (magic, version < 2.12, no LOADED_HIGH, setup past the
 * end, syssize past the end) is refused. On failure: a non-empty message
 * and RAM untouched.
 */
#include <string.h>

#include "fuzz.h"
#include "linuxload.h"

#define PAGE           4096u
#define RAM_SMALL      (1u << 15)
#define RAM_HUGE       (1u << 14)
#define RAM_SIZES      16
#define RAM_STEP       0x11000u
#define MIB            0x100000u

static uint8_t *ram_blocks[RAM_SIZES];

/* Little-endian field of n bytes at off of p (boot.rst offsets). */
static uint64_t field(const uint8_t *p, size_t off, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

static uint64_t pick_ram(uint16_t v)
{
	if (v & RAM_SMALL)
		return (uint64_t)(v & 0x1ff) * PAGE;
	if (v & RAM_HUGE)
		return LINUXLOAD_MAX_RAM + PAGE;
	return LINUXLOAD_MIN_RAM + (uint64_t)(v % RAM_SIZES) * RAM_STEP;
}

/* The header as the oracle reads it. */
struct ohdr {
	bool valid;                /* what the protocol requires of any bzImage holds */
	uint32_t setup, syssize, init_size, align, addr_max, cmdline_size;
	uint8_t relocatable;
	uint64_t pref;
};

static struct ohdr oracle_header(const uint8_t *img, size_t n)
{
	struct ohdr h = { 0 };
	unsigned sects;

	if (n < 0x268 || field(img, 0x1fe, 2) != 0xaa55 || field(img, 0x202, 4) != 0x53726448 ||
	    field(img, 0x206, 2) < 0x020c || !(img[0x211] & 1) || img[0x200] != 0xeb ||
	    0x202u + img[0x201] < 0x268)
		return h;
	sects = img[0x1f1] ? img[0x1f1] : 4;
	h.setup = (sects + 1) * 512;
	h.syssize = (uint32_t)field(img, 0x1f4, 4);
	if (h.setup >= n || (uint64_t)h.syssize * 16 > n - h.setup)
		return h;
	h.valid = true;
	h.addr_max = (uint32_t)field(img, 0x22c, 4);
	h.align = (uint32_t)field(img, 0x230, 4);
	h.relocatable = img[0x234];
	h.cmdline_size = (uint32_t)field(img, 0x238, 4);
	h.pref = field(img, 0x258, 8);
	h.init_size = (uint32_t)field(img, 0x260, 4);
	return h;
}

/* Kernel placement: where it may go and how far it reaches. */
static void check_kernel(const struct ohdr *h, size_t n, uint64_t ram_bytes,
			 const struct linuxload_result *r)
{
	uint64_t kbytes = n - h->setup, run = r->entry, end;

	FUZZ_CHECK(h->valid, "a header the protocol forbids was loaded");
	if (h->relocatable) {
		FUZZ_CHECK(h->align && !(h->align & (h->align - 1)), "alignment 0x%x", h->align);
		FUZZ_CHECK(r->entry == h->pref || r->entry == ((MIB + h->align - 1) & ~(uint64_t)(h->align - 1)),
			   "relocatable kernel at 0x%x (pref 0x%llx align 0x%x)", r->entry,
			   (unsigned long long)h->pref, h->align);
		run = (r->entry + (uint64_t)h->align - 1) & ~(uint64_t)(h->align - 1);
	} else {
		FUZZ_CHECK(r->entry == h->pref, "fixed kernel at 0x%x, pref 0x%llx", r->entry,
			   (unsigned long long)h->pref);
	}
	end = r->entry + kbytes > run + h->init_size ? r->entry + kbytes : run + h->init_size;
	FUZZ_CHECK(r->entry >= MIB && r->kernel_end == end && end <= ram_bytes,
		   "kernel 0x%x-0x%llx (want end 0x%llx) in 0x%llx of RAM", r->entry,
		   (unsigned long long)r->kernel_end, (unsigned long long)end,
		   (unsigned long long)ram_bytes);
	FUZZ_CHECK(r->zero_page == LINUXLOAD_ZP_GPA && r->gdt_base == LINUXLOAD_GDT_GPA &&
		   r->cmdline_gpa == LINUXLOAD_CMDLINE_GPA && r->cs == 0x10 && r->ds == 0x18 &&
		   r->gdt_limit == 0x1f, "entry state");
	/* The low pages: apart from each other and below the EBDA. */
	FUZZ_CHECK(!overlaps(r->gdt_base, r->gdt_limit + 1u, r->zero_page, LINUXLOAD_ZP_BYTES) &&
		   !overlaps(r->zero_page, LINUXLOAD_ZP_BYTES, r->cmdline_gpa, LINUXLOAD_CMDLINE_BYTES) &&
		   r->cmdline_gpa + LINUXLOAD_CMDLINE_BYTES <= LINUXLOAD_LOW_TOP, "low pages");
}

static void check_initrd(const struct ohdr *h, size_t rd_bytes, uint64_t ram_bytes,
			 const struct linuxload_result *r)
{
	uint64_t top = (uint64_t)h->addr_max + 1 < ram_bytes ? (uint64_t)h->addr_max + 1 : ram_bytes;

	if (rd_bytes == 0) {
		FUZZ_CHECK(r->initrd_gpa == 0 && r->initrd_bytes == 0, "initrd from nothing");
		return;
	}
	FUZZ_CHECK(r->initrd_bytes == rd_bytes && r->initrd_gpa % PAGE == 0 &&
		   r->initrd_gpa >= r->kernel_end && r->initrd_gpa + rd_bytes <= top,
		   "initrd 0x%x+0x%x, kernel end 0x%llx, top 0x%llx", r->initrd_gpa,
		   r->initrd_bytes, (unsigned long long)r->kernel_end, (unsigned long long)top);
	/* As high as it goes: another page up would cross the top. */
	FUZZ_CHECK(r->initrd_gpa + PAGE + rd_bytes > top, "initrd at 0x%x not at the top 0x%llx",
		   r->initrd_gpa, (unsigned long long)top);
}

/* True if [a, b) of p is all zero (compared a chunk at a time: RAM is megabytes). */
static bool zeros(const uint8_t *p, uint64_t a, uint64_t b)
{
	static const uint8_t zero[65536];

	while (a < b) {
		size_t n = b - a < sizeof(zero) ? (size_t)(b - a) : sizeof(zero);

		if (memcmp(p + a, zero, n))
			return false;
		a += n;
	}
	return true;
}

/* The zero page fields the loader fills, and its e820 map. */
static void check_zero_page(const uint8_t *ram, uint64_t ram_bytes, const uint8_t *img,
			    const struct linuxload_result *r)
{
	const uint8_t *zp = ram + r->zero_page;
	size_t hdr_end = 0x202u + img[0x201] < 0x290 ? 0x202u + img[0x201] : 0x290;
	static const size_t written[][2] = {
		{ 0x210, 0x212 }, { 0x214, 0x220 }, { 0x224, 0x226 }, { 0x228, 0x22c }, { 0x250, 0x258 },
	};
	const uint64_t e820[3][3] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x60400, 2 }, { MIB, ram_bytes - MIB, 1 },
	};

	FUZZ_CHECK(zp[0x210] == 0xff && (zp[0x211] & 0x81) == 0x81 &&
		   field(zp, 0x214, 4) == r->entry && field(zp, 0x218, 4) == r->initrd_gpa &&
		   field(zp, 0x21c, 4) == r->initrd_bytes && field(zp, 0x228, 4) == r->cmdline_gpa &&
		   zp[0x211] == (img[0x211] | 0x80) && field(zp, 0x250, 8) == 0 &&
		   field(zp, 0xc0, 8) == 0 && field(zp, 0xc8, 4) == 0, "loader fields");
	/* Elsewhere in the header range: the image's bytes. */
	for (size_t off = 0x1f1; off < hdr_end; off++) {
		bool w = false;

		for (size_t i = 0; i < sizeof(written) / sizeof(written[0]); i++)
			w |= off >= written[i][0] && off < written[i][1];
		FUZZ_CHECK(w || zp[off] == img[off], "zero page 0x%zx: 0x%x, image 0x%x", off,
			   zp[off], img[off]);
	}
	FUZZ_CHECK(zp[0x1e8] == 3, "%u e820 entries", zp[0x1e8]);
	for (unsigned i = 0; i < 3; i++)
		FUZZ_CHECK(field(zp, 0x2d0 + 20 * i, 8) == e820[i][0] &&
			   field(zp, 0x2d8 + 20 * i, 8) == e820[i][1] &&
			   field(zp, 0x2e0 + 20 * i, 4) == e820[i][2], "e820 entry %u", i);
	/* Nothing else of the zero page is set (no RSDP, no EDD, no screen info). */
	FUZZ_CHECK(zeros(zp, 0, 0x1e8) && zeros(zp, 0x1e9, 0x1f1) && zeros(zp, hdr_end, 0x2d0) &&
		   zeros(zp, 0x2d0 + 3 * 20, LINUXLOAD_ZP_BYTES), "stray bytes in the zero page");
}

/* RAM holds the pieces and zeros between them. */
static void check_ram(const uint8_t *ram, uint64_t ram_bytes, const uint8_t *img, size_t n,
		      const struct ohdr *h, const uint8_t *rd, size_t rd_bytes, const char *cmdline,
		      const struct linuxload_result *r)
{
	size_t len = cmdline ? strlen(cmdline) : 0;
	uint64_t kend = r->entry + (n - h->setup);

	FUZZ_CHECK(len <= h->cmdline_size && len < LINUXLOAD_CMDLINE_BYTES &&
		   memcmp(ram + r->cmdline_gpa, cmdline ? cmdline : "", len + 1) == 0,
		   "command line of %zu chars (cmdline_size %u)", len, h->cmdline_size);
	FUZZ_CHECK(memcmp(ram + r->entry, img + h->setup, n - h->setup) == 0, "kernel bytes");
	FUZZ_CHECK(rd_bytes == 0 || memcmp(ram + r->initrd_gpa, rd, rd_bytes) == 0, "initrd bytes");
	FUZZ_CHECK(zeros(ram, 0, r->gdt_base + 0x10) &&
		   zeros(ram, r->gdt_base + 0x20, r->zero_page) &&
		   zeros(ram, r->zero_page + 0x1000, r->cmdline_gpa) &&
		   zeros(ram, r->cmdline_gpa + len, r->entry) &&
		   zeros(ram, kend, rd_bytes ? r->initrd_gpa : ram_bytes) &&
		   zeros(ram, rd_bytes ? r->initrd_gpa + rd_bytes : ram_bytes, ram_bytes),
		   "RAM outside what was loaded is not zero");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint64_t ram_bytes = pick_ram(fuzz_u16(&in));
	uint8_t cmd_sel = fuzz_u8(&in);
	size_t rd_bytes = (size_t)fuzz_u16(&in) * 64;
	char *cmdline = NULL;
	uint8_t *img, *rd, *ram, *small = NULL;
	struct linuxload_result r;
	struct ohdr h;
	size_t i;
	int rc;

	if (cmd_sel != 0xff) {
		cmdline = malloc((size_t)cmd_sel * 16 + 1);
		FUZZ_CHECK(cmdline != NULL, "out of memory");
		for (i = 0; i < (size_t)cmd_sel * 16; i++)
			cmdline[i] = (char)('a' + i % 26);
		cmdline[i] = '\0';
	}
	img = malloc(in.n ? in.n : 1);
	rd = malloc(rd_bytes ? rd_bytes : 1);
	FUZZ_CHECK(img && rd, "out of memory");
	memcpy(img, in.p, in.n);
	for (i = 0; i < rd_bytes; i++)
		rd[i] = (uint8_t)(i * 31 + 7);
	if (ram_bytes >= LINUXLOAD_MIN_RAM && ram_bytes <= LINUXLOAD_MAX_RAM) {
		unsigned k = (unsigned)((ram_bytes - LINUXLOAD_MIN_RAM) / RAM_STEP);

		if (!ram_blocks[k])
			ram_blocks[k] = malloc(ram_bytes);
		ram = ram_blocks[k];
	} else {
		ram = small = malloc(1);    /* a size the loader must refuse: any write is caught */
	}
	FUZZ_CHECK(ram != NULL, "out of memory");
	ram[0] = 0x5a;
	if (ram != small)
		ram[ram_bytes - 1] = 0xa5;

	const struct linuxload_args a = {
		.image = img, .image_bytes = in.n, .initrd = rd, .initrd_bytes = rd_bytes,
		.cmdline = cmdline, .ram = ram, .ram_bytes = ram_bytes,
	};
	rc = linuxload(&a, &r);
	h = oracle_header(img, in.n);
	FUZZ_CHECK(rc == 0 || rc == -1, "linuxload returned %d", rc);
	if (rc == 0) {
		check_kernel(&h, in.n, ram_bytes, &r);
		check_initrd(&h, rd_bytes, ram_bytes, &r);
		check_zero_page(ram, ram_bytes, img, &r);
		check_ram(ram, ram_bytes, img, in.n, &h, rd, rd_bytes, cmdline, &r);
	} else {
		FUZZ_CHECK(r.err[0] && memchr(r.err, 0, sizeof(r.err)), "failure without a message");
		FUZZ_CHECK(ram[0] == 0x5a && (ram == small || ram[ram_bytes - 1] == 0xa5),
			   "a failed load wrote to RAM: %s", r.err);
	}
	free(small);
	free(img);
	free(rd);
	free(cmdline);
	return 0;
}
