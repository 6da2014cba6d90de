/*
 * Multiboot (v1) image loader. See mbload.h for the layout it builds.
 *
 * The image is either an ELF file (ELF32/i386 or ELF64/x86-64; PT_LOAD
 * segments go to their physical addresses) or, when the header sets the
 * a.out kludge flag, a flat image placed by the header's address fields.
 * Per the Multiboot specification the kludge fields win over ELF.
 */
#include "lib.h"
#include "mbload.h"
#include "multiboot.h"

#define ELF_MAGIC      0x464c457fu     /* "\x7fELF" little-endian */
#define ELFCLASS32     1
#define ELFCLASS64     2
#define EM_386         3
#define EM_X86_64      62
#define PT_LOAD        1

struct elf_ident {
	uint32_t magic;
	uint8_t class, data, version, osabi;
	uint8_t pad[8];
};

struct elf32_ehdr {
	struct elf_ident id;
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

struct elf64_ehdr {
	struct elf_ident id;
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* A segment in common form. */
struct seg {
	uint64_t file_off, filesz, paddr, memsz;
};

struct loader {
	const uint8_t *image;
	size_t image_bytes;
	uint8_t *ram;
	uint64_t ram_bytes;
	uint64_t top;              /* end of the RAM segments and modules may use */
	struct mbload_result *res;
	const char *err;
	uint64_t entry;            /* known before any segment is loaded */
	bool entry_loaded;         /* entry lies inside a loaded segment */
};

long mbload_find_header(const void *image, size_t image_bytes)
{
	const uint8_t *p = image;
	size_t limit = MIN(image_bytes, (size_t)MB_SEARCH_BYTES);

	/* The header is 32-bit aligned; magic, flags and checksum must all fit. */
	for (size_t off = 0; off + 12 <= limit; off += 4) {
		const struct mb_header *h = (const void *)(p + off);
		if (h->magic == MB_HEADER_MAGIC &&
		    (uint32_t)(h->magic + h->flags + h->checksum) == 0)
			return (long)off;
	}
	return -1;
}

/* Returns true if [a, a+n) overlaps [b, b+m). */
static bool ranges_overlap(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	return a < b + m && b < a + n;
}

/* Copies one segment into RAM after checking where it lands. Returns 0 or -1. */
static int load_seg(struct loader *ld, const struct seg *s)
{
	if (s->memsz == 0)
		return 0;
	if (s->filesz > s->memsz)
		return ld->err = "segment file size exceeds memory size", -1;
	if (s->file_off > ld->image_bytes || s->filesz > ld->image_bytes - s->file_off)
		return ld->err = "segment extends past the end of the image", -1;
	if (s->paddr >= ld->ram_bytes || s->memsz > ld->ram_bytes - s->paddr)
		return ld->err = "segment does not fit in guest RAM", -1;
	if (s->paddr + s->memsz > ld->top)
		return ld->err = "segment overlaps the ACPI tables at the top of guest RAM", -1;
	if (ranges_overlap(s->paddr, s->memsz, MBLOAD_HOLE_START,
			   MBLOAD_HOLE_END - MBLOAD_HOLE_START))
		return ld->err = "segment overlaps the PC hole 0xa0000-0xfffff", -1;
	if (ranges_overlap(s->paddr, s->memsz, MBLOAD_INFO_GPA, MBLOAD_INFO_BYTES))
		return ld->err = "segment overlaps the Multiboot info page 0x7000", -1;

	memcpy(ld->ram + s->paddr, ld->image + s->file_off, s->filesz);
	/* RAM was cleared, so the bss part (memsz - filesz) is already zero. */
	if (s->paddr < ld->res->load_lo)
		ld->res->load_lo = (uint32_t)s->paddr;
	if (s->paddr + s->memsz > ld->res->load_hi)
		ld->res->load_hi = s->paddr + s->memsz;
	if (ld->entry >= s->paddr && ld->entry - s->paddr < s->memsz)
		ld->entry_loaded = true;
	return 0;
}

/*
 * Reads program header i of a 32- or 64-bit ELF into *s. Returns its p_type.
 * Headers are copied out: e_phoff need not be aligned.
 */
static uint32_t elf_phdr(const struct loader *ld, int class, uint64_t phoff,
			 unsigned i, struct seg *s)
{
	if (class == ELFCLASS32) {
		struct elf32_phdr ph;
		memcpy(&ph, ld->image + phoff + i * sizeof(ph), sizeof(ph));
		*s = (struct seg){ ph.offset, ph.filesz, ph.paddr, ph.memsz };
		return ph.type;
	}
	struct elf64_phdr ph;
	memcpy(&ph, ld->image + phoff + i * sizeof(ph), sizeof(ph));
	*s = (struct seg){ ph.offset, ph.filesz, ph.paddr, ph.memsz };
	return ph.type;
}

/* Loads the PT_LOAD segments of an ELF image. Returns 0 or -1. */
static int load_elf(struct loader *ld)
{
	const struct elf_ident *id = (const void *)ld->image;
	uint64_t phoff, entry;
	unsigned phnum, phentsize;

	if (ld->image_bytes < sizeof(struct elf64_ehdr) || id->magic != ELF_MAGIC)
		return ld->err = "not an ELF file and no a.out kludge in the Multiboot header", -1;
	if (id->class == ELFCLASS32) {
		const struct elf32_ehdr *eh = (const void *)ld->image;
		if (eh->machine != EM_386)
			return ld->err = "ELF32 image is not for i386", -1;
		phoff = eh->phoff, phnum = eh->phnum, phentsize = eh->phentsize, entry = eh->entry;
		if (phentsize != sizeof(struct elf32_phdr))
			return ld->err = "bad ELF program header size", -1;
	} else if (id->class == ELFCLASS64) {
		const struct elf64_ehdr *eh = (const void *)ld->image;
		if (eh->machine != EM_X86_64)
			return ld->err = "ELF64 image is not for x86-64", -1;
		phoff = eh->phoff, phnum = eh->phnum, phentsize = eh->phentsize, entry = eh->entry;
		if (phentsize != sizeof(struct elf64_phdr))
			return ld->err = "bad ELF program header size", -1;
	} else {
		return ld->err = "unknown ELF class", -1;
	}
	if (phnum == 0)
		return ld->err = "ELF image has no program headers", -1;
	if (phoff > ld->image_bytes || (uint64_t)phnum * phentsize > ld->image_bytes - phoff)
		return ld->err = "ELF program headers extend past the end of the image", -1;
	ld->res->elf_class = id->class == ELFCLASS32 ? 32 : 64;
	ld->entry = entry;

	for (unsigned i = 0; i < phnum; i++) {
		struct seg s;
		if (elf_phdr(ld, id->class, phoff, i, &s) == PT_LOAD && load_seg(ld, &s) < 0)
			return -1;
	}
	if (entry >= 1ull << 32)
		return ld->err = "ELF entry point above 4 GiB", -1;
	ld->res->entry = (uint32_t)entry;
	return 0;
}

/* Loads a flat image by the header's address fields (the a.out kludge). */
static int load_aout(struct loader *ld, const struct mb_header *h, long hoff)
{
	struct seg s;
	uint64_t end;

	if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > (uint64_t)hoff)
		return ld->err = "a.out kludge: header_addr/load_addr inconsistent", -1;
	ld->entry = h->entry_addr;
	s.file_off = (uint64_t)hoff - (h->header_addr - h->load_addr);
	s.paddr = h->load_addr;
	end = h->load_end_addr ? h->load_end_addr : h->load_addr + (ld->image_bytes - s.file_off);
	if (end < h->load_addr)
		return ld->err = "a.out kludge: load_end_addr below load_addr", -1;
	s.filesz = end - h->load_addr;
	s.memsz = h->bss_end_addr > end ? h->bss_end_addr - h->load_addr : s.filesz;
	if (load_seg(ld, &s) < 0)
		return -1;
	ld->res->entry = h->entry_addr;
	ld->res->elf_class = 0;
	return 0;
}

/* Appends one memory map entry at *p. */
static void mmap_add(struct mb_mmap_entry **p, uint64_t addr, uint64_t len, uint32_t type)
{
	**p = (struct mb_mmap_entry){ .size = sizeof(**p) - 4, .addr = addr,
				      .len = len, .type = type };
	(*p)++;
}

/* Offsets in the info page. */
#define INFO_MMAP       0x100u
#define INFO_NAME       0x200u
#define INFO_MODS       0x220u     /* MBLOAD_MAX_MODULES struct mb_module */
#define INFO_MODSTR     0x2a0u     /* one MBLOAD_MODSTR_BYTES slot per module */
#define INFO_CMDLINE    (INFO_MODSTR + MBLOAD_MAX_MODULES * MBLOAD_MODSTR_BYTES)

_Static_assert(INFO_MODS + MBLOAD_MAX_MODULES * sizeof(struct mb_module) <= INFO_MODSTR,
	       "module list overlaps the module strings");
_Static_assert(INFO_CMDLINE < MBLOAD_INFO_BYTES, "no room for the command line");

/* Writes the module list and the modules' strings (cut to their slots). */
static void build_mods(struct loader *ld, const struct mbload_args *a, struct mb_info *mbi)
{
	uint8_t *page = ld->ram + MBLOAD_INFO_GPA;
	struct mb_module *m = (void *)(page + INFO_MODS);

	for (unsigned i = 0; i < a->nmods; i++) {
		uint32_t str = INFO_MODSTR + i * MBLOAD_MODSTR_BYTES;

		lib_strlcpy((char *)page + str, a->mods[i].string ? a->mods[i].string : "",
			    MBLOAD_MODSTR_BYTES);
		m[i] = (struct mb_module){ .mod_start = ld->res->mods_gpa[i],
					   .mod_end = ld->res->mods_gpa[i] + (uint32_t)a->mods[i].bytes,
					   .string = MBLOAD_INFO_GPA + str };
	}
	if (a->nmods) {
		mbi->flags |= MB_IF_MODS;
		mbi->mods_count = a->nmods;
		mbi->mods_addr = MBLOAD_INFO_GPA + INFO_MODS;
	}
}

/* Writes the Multiboot info page. Command lines longer than the page allows are cut. */
static void build_info(struct loader *ld, const struct mbload_args *a)
{
	uint8_t *page = ld->ram + MBLOAD_INFO_GPA;
	struct mb_info *mbi = (void *)page;
	struct mb_mmap_entry *e = (void *)(page + INFO_MMAP), *first = e;
	static const char loader_name[] = "nanokernel-hv";

	mmap_add(&e, 0, MBLOAD_LOW_TOP, MB_MMAP_AVAILABLE);
	mmap_add(&e, MBLOAD_LOW_TOP, MBLOAD_HOLE_START - MBLOAD_LOW_TOP, MB_MMAP_RESERVED);
	mmap_add(&e, 0xf0000, 0x10000, MB_MMAP_RESERVED);
	mmap_add(&e, MBLOAD_HOLE_END, ld->top - MBLOAD_HOLE_END, MB_MMAP_AVAILABLE);
	if (ld->top < ld->ram_bytes)
		mmap_add(&e, ld->top, ld->ram_bytes - ld->top, MB_MMAP_ACPI);

	memcpy(page + INFO_NAME, loader_name, sizeof(loader_name));
	lib_strlcpy((char *)page + INFO_CMDLINE, a->cmdline ? a->cmdline : "",
		    MBLOAD_INFO_BYTES - INFO_CMDLINE);

	mbi->flags = MB_IF_MEMORY | MB_IF_CMDLINE | MB_IF_MMAP | MB_IF_LOADER_NAME;
	mbi->mem_lower = MBLOAD_LOW_TOP / 1024;
	mbi->mem_upper = (uint32_t)((ld->top - MBLOAD_HOLE_END) / 1024);
	mbi->cmdline = MBLOAD_INFO_GPA + INFO_CMDLINE;
	mbi->mmap_addr = MBLOAD_INFO_GPA + INFO_MMAP;
	mbi->mmap_length = (uint32_t)((uint8_t *)e - (uint8_t *)first);
	mbi->boot_loader_name = MBLOAD_INFO_GPA + INFO_NAME;
	build_mods(ld, a, mbi);
	ld->res->mbi_gpa = MBLOAD_INFO_GPA;
}

/*
 * Places the modules in order, each at the first page after the kernel
 * (and 1 MiB) and the module before it. Returns 0, or -1 with res->bad_module.
 */
static int place_modules(struct loader *ld, const struct mbload_args *a)
{
	uint64_t at = ALIGN_UP(MAX(ld->res->load_hi, (uint64_t)MBLOAD_HOLE_END), MBLOAD_PAGE);
	uint64_t end = MIN(ld->top, (uint64_t)UINT32_MAX);     /* mod_end is 32-bit */

	for (unsigned i = 0; i < a->nmods; i++) {
		size_t n = a->mods[i].bytes;

		if (n > end || at > end - n) {
			ld->res->bad_module = (int)i;
			ld->err = ld->top < ld->ram_bytes ?
				  "module does not fit the guest's RAM after the kernel and the modules "
				  "before it, below the ACPI tables" :
				  "module does not fit the guest's RAM after the kernel and the modules "
				  "before it";
			return -1;
		}
		memcpy(ld->ram + at, a->mods[i].data, n);
		ld->res->mods_gpa[i] = (uint32_t)at;
		at = ALIGN_UP(at + n, MBLOAD_PAGE);
	}
	return 0;
}

/* Checks the RAM size, the module count and the ACPI range. Returns NULL or the cause. */
static const char *check_args(const struct mbload_args *a)
{
	if (a->ram_bytes < MBLOAD_MIN_RAM || a->ram_bytes > MBLOAD_MAX_RAM)
		return "guest RAM must be between 2 MiB and 4 GiB";
	if (a->nmods > MBLOAD_MAX_MODULES)
		return "more than 8 modules";
	if (a->acpi_gpa && (a->acpi_gpa < MBLOAD_HOLE_END || a->acpi_gpa >= a->ram_bytes ||
			    a->acpi_gpa % MBLOAD_PAGE))
		return "ACPI tables' range is not page-aligned RAM above 1 MiB";
	return NULL;
}

int mbload(const void *image, size_t image_bytes, void *ram, uint64_t ram_bytes,
	   const char *cmdline, struct mbload_result *res, const char **err)
{
	const struct mbload_args a = { .image = image, .image_bytes = image_bytes, .ram = ram,
				       .ram_bytes = ram_bytes, .cmdline = cmdline };

	return mbload_guest(&a, res, err);
}

int mbload_guest(const struct mbload_args *a, struct mbload_result *res, const char **err)
{
	const void *image = a->image;
	size_t image_bytes = a->image_bytes;
	struct loader ld = { image, image_bytes, a->ram, a->ram_bytes,
			     a->acpi_gpa ? a->acpi_gpa : a->ram_bytes, res, "", 0, false };
	long hoff;
	const struct mb_header *h;
	int rc;

	*res = (struct mbload_result){ .load_lo = UINT32_MAX, .bad_module = -1 };
	*err = check_args(a);
	if (*err)
		return -1;
	hoff = mbload_find_header(image, image_bytes);
	if (hoff < 0) {
		*err = "no Multiboot header (magic 0x1badb002 with valid checksum) in the first 8 KiB";
		return -1;
	}
	h = (const void *)((const uint8_t *)image + hoff);
	if (h->flags & MB_HF_VIDEO_MODE) {
		*err = "Multiboot header asks for a video mode, which this loader does not provide";
		return -1;
	}
	memset(a->ram, 0, a->ram_bytes);
	if ((h->flags & MB_HF_AOUT_KLUDGE) && (size_t)hoff + sizeof(*h) <= image_bytes)
		rc = load_aout(&ld, h, hoff);
	else
		rc = load_elf(&ld);
	if (rc == 0 && !ld.entry_loaded) {
		ld.err = "entry point is outside the loaded segments";
		rc = -1;
	}
	if (rc == 0)
		rc = place_modules(&ld, a);
	if (rc < 0) {
		*err = ld.err;
		return -1;
	}
	build_info(&ld, a);
	return 0;
}
