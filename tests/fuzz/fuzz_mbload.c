/*
 * Fuzz target: the Multiboot/ELF loader (hv/mbload.c, as the EFI image and
 * the hv's restart path link it).
 *
 * Input: bytes 0-1 choose the guest RAM size (bit 15: below the 2 MiB
 * minimum; bit 14: above the 4 GiB maximum; else 2 MiB + 0..15 x 68 KiB), byte 2
 * the command line (0xff: none; else n * 16 characters), the rest is the
 * kernel image. RAM and image are exact-size heap blocks, so ASan reports
 * any access outside them (RAM blocks are kept between runs).
 *
 * On success the RAM must hold exactly what the Multiboot specification and
 * the ELF program headers (read here through the C library's <elf.h>, not
 * the loader's structures) say, the entry must lie in a loaded segment
 * outside the PC hole, and the Multiboot info must lie inside RAM.
 */
#include <elf.h>
#include <string.h>

#include "fuzz.h"
#include "mbload.h"
#include "multiboot.h"

#define PAGE           4096u
#define RAM_SMALL      (1u << 15)
#define RAM_HUGE       (1u << 14)
#define MAX_SEGS       1024

/* A PT_LOAD segment as the oracle reads it. */
struct oseg {
	uint64_t off, filesz, paddr, memsz;
};

/* Reads the image's PT_LOAD segments with <elf.h>. Returns their count. */
static int oracle_elf_segs(const uint8_t *img, size_t n, int cls, struct oseg *s)
{
	uint64_t phoff;
	unsigned phnum, phent, i;
	int k = 0;

	if (cls == 32) {
		Elf32_Ehdr eh;

		FUZZ_CHECK(n >= sizeof(eh), "ELF32 accepted with %zu bytes", n);
		memcpy(&eh, img, sizeof(eh));
		FUZZ_CHECK(eh.e_ident[EI_CLASS] == ELFCLASS32 && eh.e_machine == EM_386,
			   "class %d machine %d", eh.e_ident[EI_CLASS], eh.e_machine);
		phoff = eh.e_phoff, phnum = eh.e_phnum, phent = eh.e_phentsize;
		FUZZ_CHECK(phent == sizeof(Elf32_Phdr), "phentsize %u", phent);
	} else {
		Elf64_Ehdr eh;

		FUZZ_CHECK(cls == 64 && n >= sizeof(eh), "class %d, %zu bytes", cls, n);
		memcpy(&eh, img, sizeof(eh));
		FUZZ_CHECK(eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_machine == EM_X86_64,
			   "class %d machine %d", eh.e_ident[EI_CLASS], eh.e_machine);
		phoff = eh.e_phoff, phnum = eh.e_phnum, phent = eh.e_phentsize;
		FUZZ_CHECK(phent == sizeof(Elf64_Phdr), "phentsize %u", phent);
	}
	FUZZ_CHECK(phoff <= n && (uint64_t)phnum * phent <= n - phoff,
		   "program headers 0x%llx + %u x %u past the image end 0x%zx",
		   (unsigned long long)phoff, phnum, phent, n);
	for (i = 0; i < phnum && k < MAX_SEGS; i++) {
		if (cls == 32) {
			Elf32_Phdr ph;

			memcpy(&ph, img + phoff + i * phent, sizeof(ph));
			if (ph.p_type == PT_LOAD)
				s[k++] = (struct oseg){ ph.p_offset, ph.p_filesz, ph.p_paddr,
							ph.p_memsz };
		} else {
			Elf64_Phdr ph;

			memcpy(&ph, img + phoff + i * phent, sizeof(ph));
			if (ph.p_type == PT_LOAD)
				s[k++] = (struct oseg){ ph.p_offset, ph.p_filesz, ph.p_paddr,
							ph.p_memsz };
		}
	}
	return k;
}

/* The a.out kludge segment, from the Multiboot header's address fields. */
static int oracle_aout_seg(const uint8_t *img, size_t n, struct oseg *s)
{
	long hoff = mbload_find_header(img, n);
	struct mb_header h;
	uint64_t end;

	FUZZ_CHECK(hoff >= 0 && (size_t)hoff + sizeof(h) <= n, "a.out header at %ld", hoff);
	memcpy(&h, img + hoff, sizeof(h));
	FUZZ_CHECK(h.flags & MB_HF_AOUT_KLUDGE, "a.out load without the kludge flag");
	FUZZ_CHECK(h.load_addr <= h.header_addr && h.header_addr - h.load_addr <= (uint64_t)hoff,
		   "header_addr 0x%x load_addr 0x%x", h.header_addr, h.load_addr);
	s->off = (uint64_t)hoff - (h.header_addr - h.load_addr);
	s->paddr = h.load_addr;
	end = h.load_end_addr ? h.load_end_addr : h.load_addr + (n - s->off);
	s->filesz = end - h.load_addr;
	s->memsz = h.bss_end_addr > end ? h.bss_end_addr - h.load_addr : s->filesz;
	return 1;
}

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

/* Each segment lies in RAM, off the hole and the info page; the entry is in one. */
static void check_segments(const struct oseg *s, int k, size_t n, uint64_t ram_bytes,
			   const struct mbload_result *r)
{
	bool entry_in = false;
	int i;

	for (i = 0; i < k; i++) {
		if (s[i].memsz == 0)
			continue;
		FUZZ_CHECK(s[i].filesz <= s[i].memsz && s[i].off <= n &&
			   s[i].filesz <= n - s[i].off, "segment %d file part outside the image", i);
		FUZZ_CHECK(s[i].paddr < ram_bytes && s[i].memsz <= ram_bytes - s[i].paddr,
			   "segment %d at 0x%llx+0x%llx outside RAM", i,
			   (unsigned long long)s[i].paddr, (unsigned long long)s[i].memsz);
		FUZZ_CHECK(!overlaps(s[i].paddr, s[i].memsz, MBLOAD_HOLE_START,
				     MBLOAD_HOLE_END - MBLOAD_HOLE_START), "segment %d in the hole", i);
		FUZZ_CHECK(!overlaps(s[i].paddr, s[i].memsz, MBLOAD_INFO_GPA, MBLOAD_INFO_BYTES),
			   "segment %d over the info page", i);
		FUZZ_CHECK(s[i].paddr >= r->load_lo && s[i].paddr + s[i].memsz <= r->load_hi,
			   "segment %d outside load_lo/hi", i);
		if (r->entry >= s[i].paddr && r->entry - s[i].paddr < s[i].memsz)
			entry_in = true;
	}
	FUZZ_CHECK(entry_in, "entry 0x%x in no loaded segment", r->entry);
	FUZZ_CHECK(r->entry < ram_bytes && !(r->entry >= MBLOAD_HOLE_START &&
					     r->entry < MBLOAD_HOLE_END), "entry 0x%x", r->entry);
}

/*
 * RAM sizes: 2 MiB plus 0..15 steps of 68 KiB, each a heap block of exactly
 * that size kept between runs (a fresh block of megabytes each run would
 * spend the run in page faults); a spare set for the expected contents.
 */
#define RAM_SIZES      16
#define RAM_STEP       0x11000u

static uint8_t *ram_blocks[RAM_SIZES], *want_blocks[RAM_SIZES];

/* Returns the block of slot i of set, ram_bytes long, allocating it once. */
static uint8_t *ram_block(uint8_t **set, unsigned i, uint64_t ram_bytes)
{
	if (!set[i])
		set[i] = malloc(ram_bytes);
	FUZZ_CHECK(set[i] != NULL, "out of memory for RAM");
	return set[i];
}

/* RAM holds the segments' file bytes (later ones win) and zeros, bar the info page. */
static void check_ram(const uint8_t *ram, uint64_t ram_bytes, const uint8_t *img,
		      const struct oseg *s, int k)
{
	uint8_t *want = ram_block(want_blocks, (unsigned)((ram_bytes - MBLOAD_MIN_RAM) / RAM_STEP),
				  ram_bytes);
	int i;

	memset(want, 0, ram_bytes);
	for (i = 0; i < k; i++)
		if (s[i].memsz)
			memcpy(want + s[i].paddr, img + s[i].off, s[i].filesz);
	FUZZ_CHECK(memcmp(ram, want, MBLOAD_INFO_GPA) == 0, "RAM below 0x7000 differs");
	FUZZ_CHECK(memcmp(ram + MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES,
			  want + MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES,
			  ram_bytes - MBLOAD_INFO_GPA - MBLOAD_INFO_BYTES) == 0,
		   "RAM above the info page differs from the segments");
}

/* Returns the length of the string at gpa; it must end inside the info page. */
static size_t info_str(const uint8_t *ram, uint32_t gpa, const char *what)
{
	size_t n;

	FUZZ_CHECK(gpa >= MBLOAD_INFO_GPA && gpa < MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES,
		   "%s at 0x%x outside the info page", what, gpa);
	n = strnlen((const char *)ram + gpa, MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES - gpa);
	FUZZ_CHECK(gpa + n < MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES, "%s not terminated", what);
	return n;
}

/* The Multiboot info: in the info page, inside RAM, telling the truth about RAM. */
static void check_info(const uint8_t *ram, uint64_t ram_bytes, const char *cmdline,
		       const struct mbload_result *r)
{
	struct mb_info mbi;
	size_t n, want, room;
	uint64_t off;

	FUZZ_CHECK(r->mbi_gpa == MBLOAD_INFO_GPA, "mbi at 0x%x", r->mbi_gpa);
	memcpy(&mbi, ram + r->mbi_gpa, sizeof(mbi));
	FUZZ_CHECK(mbi.flags & MB_IF_CMDLINE, "no cmdline flag");
	/* The command line is cut where the info page ends. */
	n = info_str(ram, mbi.cmdline, "cmdline");
	want = cmdline ? strlen(cmdline) : 0;
	room = MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES - mbi.cmdline - 1;
	FUZZ_CHECK(n == (want < room ? want : room) &&
		   memcmp(ram + mbi.cmdline, cmdline ? cmdline : "", n) == 0,
		   "cmdline of %zu chars, given %zu, room %zu", n, want, room);
	if (mbi.flags & MB_IF_LOADER_NAME)
		info_str(ram, mbi.boot_loader_name, "loader name");
	FUZZ_CHECK(mbi.mem_lower <= 640 &&
		   (uint64_t)mbi.mem_upper * 1024 + MBLOAD_HOLE_END <= ram_bytes,
		   "mem_lower %u mem_upper %u for 0x%llx", mbi.mem_lower, mbi.mem_upper,
		   (unsigned long long)ram_bytes);
	FUZZ_CHECK(mbi.mmap_addr >= MBLOAD_INFO_GPA && mbi.mmap_length <= MBLOAD_INFO_BYTES &&
		   mbi.mmap_addr + mbi.mmap_length <= MBLOAD_INFO_GPA + MBLOAD_INFO_BYTES,
		   "mmap 0x%x+0x%x", mbi.mmap_addr, mbi.mmap_length);
	for (off = 0; off + sizeof(struct mb_mmap_entry) <= mbi.mmap_length;) {
		struct mb_mmap_entry e;

		memcpy(&e, ram + mbi.mmap_addr + off, sizeof(e));
		if (e.type == MB_MMAP_AVAILABLE)
			FUZZ_CHECK(e.addr + e.len <= ram_bytes &&
				   !overlaps(e.addr, e.len, MBLOAD_LOW_TOP,
					     MBLOAD_HOLE_END - MBLOAD_LOW_TOP),
				   "available 0x%llx+0x%llx", (unsigned long long)e.addr,
				   (unsigned long long)e.len);
		off += (uint64_t)e.size + 4;
	}
}

/* RAM size from the first two bytes; see the header comment. */
static uint64_t pick_ram(uint16_t v)
{
	if (v & RAM_SMALL)
		return (uint64_t)(v & 0x1ff) * PAGE;
	if (v & RAM_HUGE)
		return MBLOAD_MAX_RAM + PAGE;
	return MBLOAD_MIN_RAM + (uint64_t)(v % RAM_SIZES) * RAM_STEP;
}

/* Checks a successful load: segments, entry, RAM contents, the Multiboot info. */
static void check_loaded(const uint8_t *img, size_t n, const uint8_t *ram, uint64_t ram_bytes,
			 const char *cmdline, const struct mbload_result *r)
{
	static struct oseg segs[MAX_SEGS];
	int k;

	FUZZ_CHECK(ram_bytes >= MBLOAD_MIN_RAM && ram_bytes <= MBLOAD_MAX_RAM,
		   "loaded into 0x%llx bytes of RAM", (unsigned long long)ram_bytes);
	FUZZ_CHECK(r->elf_class == 0 || r->elf_class == 32 || r->elf_class == 64,
		   "elf_class %d", r->elf_class);
	FUZZ_CHECK(r->load_lo < r->load_hi && r->load_hi <= ram_bytes,
		   "load 0x%x-0x%llx", r->load_lo, (unsigned long long)r->load_hi);
	k = r->elf_class ? oracle_elf_segs(img, n, r->elf_class, segs)
			 : oracle_aout_seg(img, n, segs);
	check_segments(segs, k, n, ram_bytes, r);
	if (k < MAX_SEGS)
		check_ram(ram, ram_bytes, img, segs, k);
	check_info(ram, ram_bytes, cmdline, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint64_t ram_bytes = pick_ram(fuzz_u16(&in));
	uint8_t cmd_sel = fuzz_u8(&in);
	char *cmdline = NULL;
	uint8_t *img, *ram, *small = NULL;
	struct mbload_result r;
	const char *err = NULL;
	size_t i;
	int rc;

	if (cmd_sel != 0xff) {
		cmdline = malloc((size_t)cmd_sel * 16 + 1);
		for (i = 0; i < (size_t)cmd_sel * 16; i++)
			cmdline[i] = (char)('a' + i % 26);
		cmdline[i] = '\0';
	}
	img = malloc(in.n ? in.n : 1);
	FUZZ_CHECK(img && (cmdline || cmd_sel == 0xff), "out of memory");
	memcpy(img, in.p, in.n);
	/* A RAM size the loader must refuse gets a one-byte block: any write is caught. */
	if (ram_bytes >= MBLOAD_MIN_RAM && ram_bytes <= MBLOAD_MAX_RAM)
		ram = ram_block(ram_blocks, (unsigned)((ram_bytes - MBLOAD_MIN_RAM) / RAM_STEP),
				ram_bytes);
	else
		ram = small = malloc(1);
	FUZZ_CHECK(ram != NULL, "out of memory");
	/* RAM keeps the last run's bytes: the loader must clear it itself. */
	memset(ram, 0x5a, 1);
	rc = mbload(img, in.n, ram, ram_bytes, cmdline, &r, &err);
	FUZZ_CHECK(rc == 0 || rc == -1, "mbload returned %d", rc);
	if (rc == 0)
		check_loaded(img, in.n, ram, ram_bytes, cmdline, &r);
	else
		FUZZ_CHECK(err && err[0], "failure without a message");
	free(small);
	free(img);
	free(cmdline);
	return 0;
}
