/*
 * modules: the Multiboot modules the loader passed (QEMU -initrd natively,
 * hv.cfg's module lines under the hv) and the QEMU fw_cfg answers.
 *
 *   test=modules [count=N] [scribble=1]
 *
 * For each module it prints its string, its place and an FNV-1a checksum
 * of its bytes; it checks they lie in RAM, page-aligned, apart from each
 * other and from the info page; count=N: it expects N modules. Then it
 * reads fw_cfg (ports 0x510/0x511): the signature, the ID, the CPU counts,
 * the RAM size (under the hv: the guest's RAM from HC_GUEST_INFO) and the
 * file directory's count. scribble=1: it then overwrites every module and
 * triple-faults, so that a guest with restart = yes shows on its next boot
 * that the hv loaded pristine copies again.
 */
#include "tguest.h"

static struct checks ck = { .prefix = "modules" };

static uint32_t fnv1a(const uint8_t *p, uint32_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* Reads n bytes of fw_cfg item key into buf. */
static void fwcfg_read(uint16_t key, uint8_t *buf, unsigned n)
{
	outw(0x510, key);
	for (unsigned i = 0; i < n; i++)
		buf[i] = inb(0x511);
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Prints and checks every module; returns the list (NULL if none). */
static const struct mb_module *list_modules(uint32_t *count)
{
	const struct mb_module *m = (const void *)tg_mbi->mods_addr;
	uint64_t ram_top = ((uint64_t)tg_mbi->mem_upper + 1024) * 1024;
	uint32_t n = (tg_mbi->flags & MB_IF_MODS) ? tg_mbi->mods_count : 0;
	int in_ram = 1, aligned = 1, apart = 1;

	tg_printf("modules: count %u\n", n);
	for (uint32_t i = 0; i < n; i++) {
		const char *s = m[i].string ? (const char *)m[i].string : "";

		tg_printf("modules: %u start 0x%x end 0x%x bytes %u fnv 0x%08x string \"%s\"\n", i,
			  m[i].mod_start, m[i].mod_end, m[i].mod_end - m[i].mod_start,
			  fnv1a((const uint8_t *)m[i].mod_start, m[i].mod_end - m[i].mod_start), s);
		in_ram &= m[i].mod_start >= 0x100000 && m[i].mod_end >= m[i].mod_start &&
			  m[i].mod_end <= ram_top;
		aligned &= (m[i].mod_start & 0xfff) == 0;
		apart &= m[i].mod_end <= (uint32_t)tg_mbi || m[i].mod_start >= (uint32_t)tg_mbi + 0x1000;
		for (uint32_t j = 0; j < i; j++)
			apart &= m[i].mod_start >= m[j].mod_end || m[j].mod_start >= m[i].mod_end;
	}
	if (arg_str("count", 0))
		check(&ck, "count", n == arg_u32("count", 0), "%u modules, want %u", n, arg_u32("count", 0));
	check(&ck, "in ram", in_ram, "a module outside RAM above 1 MiB (top 0x%llx)", ram_top);
	check(&ck, "page aligned", aligned, "a module not on a page boundary");
	check(&ck, "apart", apart, "modules overlap each other or the info page");
	*count = n;
	return n ? m : 0;
}

static void check_fwcfg(void)
{
	uint8_t b[8];
	uint64_t ram;
	uint32_t id, dir;
	unsigned cpus, max;

	fwcfg_read(0x0000, b, 4);
	check(&ck, "fw_cfg signature", b[0] == 'Q' && b[1] == 'E' && b[2] == 'M' && b[3] == 'U',
	      "%02x %02x %02x %02x", b[0], b[1], b[2], b[3]);
	fwcfg_read(0x0001, b, 4);
	id = (uint32_t)le(b, 4);
	fwcfg_read(0x0005, b, 2);
	cpus = (unsigned)le(b, 2);
	fwcfg_read(0x000f, b, 2);
	max = (unsigned)le(b, 2);
	fwcfg_read(0x0003, b, 8);
	ram = le(b, 8);
	fwcfg_read(0x0019, b, 4);
	dir = (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	tg_printf("modules: fw_cfg id 0x%x cpus %u max_cpus %u ram %llu files %u\n", id, cpus, max, ram, dir);
	check(&ck, "fw_cfg id", id & 1, "traditional interface bit clear: 0x%x", id);
	check(&ck, "fw_cfg cpus", cpus == 1, "%u", cpus);
	if (tg_under_hv) {
		check(&ck, "fw_cfg ram", ram == tg_info.ram_bytes, "%llu, the hv says %llu", ram,
		      tg_info.ram_bytes);
		check(&ck, "fw_cfg no dma, no files", id == 1 && dir == 0, "id 0x%x, %u files", id, dir);
	} else {
		check_skip(&ck, "fw_cfg ram", "not under the hv");
	}
}

/* Overwrites every module and triple-faults: the next boot must see them pristine. */
static void scribble(const struct mb_module *m, uint32_t n)
{
	static const struct __attribute__((packed)) { uint16_t limit; uint32_t base; } empty = { 0, 0 };

	for (uint32_t i = 0; i < n; i++)
		for (uint8_t *p = (uint8_t *)m[i].mod_start; p < (uint8_t *)m[i].mod_end; p++)
			*p = 0xcc;
	tg_printf("modules: scribbled over %u modules, triple fault\n", n);
	__asm__ volatile("lidt %0\n int3" :: "m"(empty));
	guest_exit(3);
}

void test_modules(void)
{
	uint32_t n;
	const struct mb_module *m = list_modules(&n);

	check_fwcfg();
	if (arg_u32("scribble", 0) && ck.failed == 0)
		scribble(m, n);
	checks_finish(&ck);
}
