/*
 * Linux bzImage loader for the 32-bit boot protocol. See linuxload.h for the
 * layout it builds; the fields and rules are those of the kernel's
 * Documentation/arch/x86/boot.rst ("The Real-Mode Kernel Header", "Details
 * of Header Fields", "32-bit Boot Protocol") and zero-page.rst.
 *
 * The image is read through offsets, never through a cast structure: a
 * bzImage is untrusted input, and its fields are unaligned.
 */
#include "lib.h"
#include "fmt.h"
#include "linuxload.h"

#define LX_SECTOR       512u
#define LX_PAGE         4096u

/* The setup header fields the loader decides with. */
struct lx_hdr {
	uint16_t version;
	uint8_t loadflags, relocatable;
	uint16_t xloadflags;
	uint32_t setup_bytes;      /* boot sector + setup: where the kernel starts in the file */
	uint32_t syssize, initrd_addr_max, kernel_alignment, cmdline_size, init_size;
	uint64_t pref_address;
	size_t hdr_end;            /* end of the header: 0x202 + the jump's offset byte */
};

struct lx_loader {
	const struct linuxload_args *a;
	struct linuxload_result *res;
	struct lx_hdr h;
	size_t kernel_bytes;       /* file bytes after the setup */
	size_t initrd_bytes;       /* 0 without an initrd */
	size_t cmdline_len;
	uint64_t load;             /* chosen load address of the protected-mode kernel */
};

static uint64_t lx_get(const uint8_t *p, size_t off, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

static void lx_put(uint8_t *p, size_t off, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

/* Records the failure (part and formatted cause). Returns -1. */
__attribute__((format(printf, 3, 4)))
static int lx_fail(struct lx_loader *ld, enum linuxload_part part, const char *fmt, ...)
{
	va_list ap;

	ld->res->bad = part;
	va_start(ap, fmt);
	fmt_vsnprintf(ld->res->err, sizeof(ld->res->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Checks what makes a file a bzImage of protocol 2.12 or later. Returns 0 or -1. */
static int lx_check_magic(struct lx_loader *ld)
{
	const uint8_t *img = ld->a->image;
	size_t n = ld->a->image_bytes;
	struct lx_hdr *h = &ld->h;

	if (n < LX_HDR_MIN_END)
		return lx_fail(ld, LINUXLOAD_PART_IMAGE, "not a bzImage (%llu bytes: shorter than "
			       "a setup header)", (unsigned long long)n);
	if (lx_get(img, LX_BOOT_FLAG, 2) != LX_BOOT_FLAG_MAGIC)
		return lx_fail(ld, LINUXLOAD_PART_IMAGE, "not a bzImage (no boot flag 0xaa55 at 0x1fe)");
	if (lx_get(img, LX_HEADER, 4) != LX_HEADER_MAGIC)
		return lx_fail(ld, LINUXLOAD_PART_IMAGE, "not a bzImage (no HdrS)");
	h->version = (uint16_t)lx_get(img, LX_VERSION, 2);
	ld->res->version = h->version;
	if (h->version < LINUXLOAD_MIN_VERSION)
		return lx_fail(ld, LINUXLOAD_PART_IMAGE, "boot protocol %u.%02u too old (need 2.12)",
			       h->version >> 8, h->version & 0xff);
	h->hdr_end = LX_HEADER + img[LX_JUMP + 1];
	if (img[LX_JUMP] != 0xeb || h->hdr_end < LX_HDR_MIN_END)
		return lx_fail(ld, LINUXLOAD_PART_IMAGE, "setup header too short (jump at 0x200 "
			       "gives its end 0x%llx, protocol 2.12 needs 0x%x)",
			       (unsigned long long)h->hdr_end, LX_HDR_MIN_END);
	h->loadflags = img[LX_LOADFLAGS];
	if (!(h->loadflags & LX_LOADED_HIGH))
		return lx_fail(ld, LINUXLOAD_PART_IMAGE, "not a bzImage (loadflags LOADED_HIGH "
			       "clear: a zImage)");
	return 0;
}

/* Checks the magic numbers and reads the setup header. Returns 0 or -1. */
static int lx_read_header(struct lx_loader *ld)
{
	const uint8_t *img = ld->a->image;
	size_t n = ld->a->image_bytes;
	struct lx_hdr *h = &ld->h;
	unsigned sects;

	if (lx_check_magic(ld) < 0)
		return -1;
	sects = img[LX_SETUP_SECTS] ? img[LX_SETUP_SECTS] : 4;
	h->setup_bytes = (sects + 1) * LX_SECTOR;
	if (h->setup_bytes >= n)
		return lx_fail(ld, LINUXLOAD_PART_IMAGE, "setup_sects %u puts the kernel at 0x%x, "
			       "beyond the end of the file (0x%llx bytes)", sects, h->setup_bytes,
			       (unsigned long long)n);
	ld->kernel_bytes = n - h->setup_bytes;
	h->syssize = (uint32_t)lx_get(img, LX_SYSSIZE, 4);
	if ((uint64_t)h->syssize * 16 > ld->kernel_bytes)
		return lx_fail(ld, LINUXLOAD_PART_IMAGE, "file truncated: syssize says 0x%llx bytes "
			       "of kernel, 0x%llx follow the setup",
			       (unsigned long long)h->syssize * 16, (unsigned long long)ld->kernel_bytes);
	h->relocatable = img[LX_RELOCATABLE_KERNEL];
	h->xloadflags = (uint16_t)lx_get(img, LX_XLOADFLAGS, 2);
	h->initrd_addr_max = (uint32_t)lx_get(img, LX_INITRD_ADDR_MAX, 4);
	h->kernel_alignment = (uint32_t)lx_get(img, LX_KERNEL_ALIGNMENT, 4);
	h->cmdline_size = (uint32_t)lx_get(img, LX_CMDLINE_SIZE, 4);
	h->pref_address = lx_get(img, LX_PREF_ADDRESS, 8);
	h->init_size = (uint32_t)lx_get(img, LX_INIT_SIZE, 4);
	if (h->relocatable && (h->kernel_alignment == 0 ||
			       (h->kernel_alignment & (h->kernel_alignment - 1))))
		return lx_fail(ld, LINUXLOAD_PART_IMAGE, "kernel_alignment 0x%x is not a power of two",
			       h->kernel_alignment);
	return 0;
}

/*
 * Returns the end of the memory the kernel uses if loaded at load: its file
 * bytes, and init_size bytes from its runtime start (boot.rst, init_size).
 */
static uint64_t lx_kernel_end(const struct lx_loader *ld, uint64_t load)
{
	uint64_t run = ld->h.relocatable ? ALIGN_UP(load, ld->h.kernel_alignment) : load;

	return MAX(load + ld->kernel_bytes, run + ld->h.init_size);
}

/* The end of the RAM the kernel and the initrd may use: the ACPI tables' range, or the top. */
static uint64_t lx_top(const struct lx_loader *ld)
{
	return ld->a->acpi_gpa ? ld->a->acpi_gpa : ld->a->ram_bytes;
}

/* True if the kernel loaded at load lies in RAM above the PC hole (and below the ACPI tables). */
static bool lx_kernel_fits(const struct lx_loader *ld, uint64_t load)
{
	return load >= LINUXLOAD_HIGH && load < lx_top(ld) &&
	       lx_kernel_end(ld, load) <= lx_top(ld);
}

/*
 * Returns where the initrd goes with the kernel at load: page-aligned, as
 * high as RAM and initrd_addr_max allow, above the kernel; or 0 if it does
 * not fit (or there is none).
 */
static uint64_t lx_initrd_place(const struct lx_loader *ld, uint64_t load)
{
	uint64_t top = MIN((uint64_t)ld->h.initrd_addr_max + 1, lx_top(ld));
	uint64_t n = ld->initrd_bytes, at;

	if (n == 0 || n > top)
		return 0;
	at = ALIGN_DOWN(top - n, LX_PAGE);
	return at >= ALIGN_UP(lx_kernel_end(ld, load), LX_PAGE) ? at : 0;
}

/* Chooses the load address: pref_address, else the lowest aligned one. Returns 0 or -1. */
static int lx_place(struct lx_loader *ld)
{
	const struct lx_hdr *h = &ld->h;
	uint64_t cand[2], fit_end = UINT64_MAX;
	int ncand = 0;

	cand[ncand++] = h->pref_address;
	if (h->relocatable)
		cand[ncand++] = ALIGN_UP(LINUXLOAD_HIGH, h->kernel_alignment);
	for (int i = 0; i < ncand; i++) {
		if (!lx_kernel_fits(ld, cand[i]))
			continue;
		fit_end = MIN(fit_end, lx_kernel_end(ld, cand[i]));
		if (ld->initrd_bytes == 0 || lx_initrd_place(ld, cand[i])) {
			ld->load = cand[i];
			return 0;
		}
	}
	if (fit_end != UINT64_MAX)
		return lx_fail(ld, LINUXLOAD_PART_INITRD, "initrd (%llu KiB) does not fit below "
			       "initrd_addr_max 0x%x and the top of RAM, above the kernel (ends 0x%llx)",
			       (unsigned long long)ld->initrd_bytes >> 10, h->initrd_addr_max,
			       (unsigned long long)fit_end);
	if (!h->relocatable)
		return lx_fail(ld, LINUXLOAD_PART_IMAGE, "kernel not relocatable, and its pref_address "
			       "0x%llx + init_size 0x%x is not in the guest's RAM above 1 MiB",
			       (unsigned long long)h->pref_address, h->init_size);
	return lx_fail(ld, LINUXLOAD_PART_IMAGE, "kernel (init_size 0x%x) does not fit the "
		       "guest's RAM (%llu MiB)", h->init_size,
		       (unsigned long long)ld->a->ram_bytes >> 20);
}

/* Checks the command line against the kernel's and the loader's limits. Returns 0 or -1. */
static int lx_check_cmdline(struct lx_loader *ld)
{
	const char *c = ld->a->cmdline ? ld->a->cmdline : "";

	ld->cmdline_len = lib_strnlen(c, LINUXLOAD_CMDLINE_BYTES);
	if (ld->cmdline_len > ld->h.cmdline_size)
		return lx_fail(ld, LINUXLOAD_PART_CMDLINE, "command line of %llu chars is longer "
			       "than the kernel's cmdline_size %u",
			       (unsigned long long)ld->cmdline_len, ld->h.cmdline_size);
	if (ld->cmdline_len == LINUXLOAD_CMDLINE_BYTES)
		return lx_fail(ld, LINUXLOAD_PART_CMDLINE, "command line of %u chars or more (the "
			       "loader's room is %u)", LINUXLOAD_CMDLINE_BYTES,
			       LINUXLOAD_CMDLINE_BYTES - 1);
	return 0;
}

/* Appends one e820 entry to the zero page. */
static void lx_e820_add(uint8_t *zp, uint64_t addr, uint64_t size, uint32_t type)
{
	size_t off = LX_E820_TABLE + (size_t)zp[LX_E820_ENTRIES] * LX_E820_ENTRY_BYTES;

	lx_put(zp, off, 8, addr);
	lx_put(zp, off + 8, 8, size);
	lx_put(zp, off + 16, 4, type);
	zp[LX_E820_ENTRIES]++;
}

/*
 * Writes the zero page: the image's setup header, then what the loader
 * fills in (boot.rst, "32-bit Boot Protocol"), and the e820 map: the
 * guest's RAM with the PC hole reserved.
 */
static void lx_zero_page(struct lx_loader *ld, uint32_t initrd_gpa)
{
	uint8_t *zp = (uint8_t *)ld->a->ram + LINUXLOAD_ZP_GPA;
	size_t end = MIN(ld->h.hdr_end, (size_t)LX_HDR_ROOM_END);

	memcpy(zp + LX_SETUP_SECTS, (const uint8_t *)ld->a->image + LX_SETUP_SECTS,
	       end - LX_SETUP_SECTS);
	zp[LX_TYPE_OF_LOADER] = 0xff;                 /* undefined loader */
	zp[LX_LOADFLAGS] |= LX_CAN_USE_HEAP;
	lx_put(zp, LX_HEAP_END_PTR, 2, LX_HEAP_END - 0x200);
	lx_put(zp, LX_CODE32_START, 4, ld->load);
	lx_put(zp, LX_RAMDISK_IMAGE, 4, initrd_gpa);
	lx_put(zp, LX_RAMDISK_SIZE, 4, initrd_gpa ? ld->initrd_bytes : 0);
	lx_put(zp, LX_CMD_LINE_PTR, 4, LINUXLOAD_CMDLINE_GPA);
	lx_put(zp, LX_SETUP_DATA, 8, 0);              /* no setup_data list */
	lx_put(zp, LX_ACPI_RSDP_ADDR, 8, ld->a->acpi_rsdp);
	/* ext_ramdisk_image/size, ext_cmd_line_ptr: 0, everything lies below 4 GiB. */
	lx_e820_add(zp, 0, LINUXLOAD_LOW_TOP, LX_E820_RAM);
	lx_e820_add(zp, LINUXLOAD_LOW_TOP, LINUXLOAD_HIGH - LINUXLOAD_LOW_TOP, LX_E820_RESERVED);
	lx_e820_add(zp, LINUXLOAD_HIGH, lx_top(ld) - LINUXLOAD_HIGH, LX_E820_RAM);
	if (lx_top(ld) < ld->a->ram_bytes)
		lx_e820_add(zp, lx_top(ld), ld->a->ram_bytes - lx_top(ld), LX_E820_ACPI);
}

/* Writes the GDT: null, null, __BOOT_CS flat code, __BOOT_DS flat data (accessed set). */
static void lx_gdt(struct lx_loader *ld)
{
	uint8_t *gdt = (uint8_t *)ld->a->ram + LINUXLOAD_GDT_GPA;

	lx_put(gdt, LINUXLOAD_BOOT_CS, 8, 0x00cf9b000000ffffull);
	lx_put(gdt, LINUXLOAD_BOOT_DS, 8, 0x00cf93000000ffffull);
}

int linuxload(const struct linuxload_args *a, struct linuxload_result *res)
{
	struct lx_loader ld = { .a = a, .res = res, .initrd_bytes = a->initrd ? a->initrd_bytes : 0 };
	uint8_t *ram = a->ram;
	uint32_t initrd_gpa;

	*res = (struct linuxload_result){ .bad = LINUXLOAD_PART_IMAGE };
	if (a->ram_bytes < LINUXLOAD_MIN_RAM || a->ram_bytes > LINUXLOAD_MAX_RAM)
		return lx_fail(&ld, LINUXLOAD_PART_IMAGE, "guest RAM must be between 2 MiB and 4 GiB");
	if (a->acpi_gpa && (a->acpi_gpa < LINUXLOAD_HIGH || a->acpi_gpa >= a->ram_bytes ||
			    a->acpi_gpa % LX_PAGE))
		return lx_fail(&ld, LINUXLOAD_PART_IMAGE, "ACPI tables' range 0x%llx is not "
			       "page-aligned RAM above 1 MiB", (unsigned long long)a->acpi_gpa);
	if (lx_read_header(&ld) < 0 || lx_check_cmdline(&ld) < 0 || lx_place(&ld) < 0)
		return -1;
	initrd_gpa = (uint32_t)lx_initrd_place(&ld, ld.load);

	memset(ram, 0, a->ram_bytes);
	memcpy(ram + ld.load, (const uint8_t *)a->image + ld.h.setup_bytes, ld.kernel_bytes);
	if (initrd_gpa)
		memcpy(ram + initrd_gpa, a->initrd, ld.initrd_bytes);
	memcpy(ram + LINUXLOAD_CMDLINE_GPA, a->cmdline ? a->cmdline : "", ld.cmdline_len);
	lx_zero_page(&ld, initrd_gpa);
	lx_gdt(&ld);

	res->entry = (uint32_t)ld.load;
	res->entry64 = ld.h.xloadflags & LX_XLF_KERNEL_64 ? (uint32_t)ld.load + 0x200 : 0;
	res->zero_page = LINUXLOAD_ZP_GPA;
	res->gdt_base = LINUXLOAD_GDT_GPA;
	res->gdt_limit = LINUXLOAD_GDT_LIMIT;
	res->cs = LINUXLOAD_BOOT_CS;
	res->ds = LINUXLOAD_BOOT_DS;
	res->kernel_end = lx_kernel_end(&ld, ld.load);
	res->initrd_gpa = initrd_gpa;
	res->initrd_bytes = initrd_gpa ? (uint32_t)ld.initrd_bytes : 0;
	res->cmdline_gpa = LINUXLOAD_CMDLINE_GPA;
	return 0;
}
