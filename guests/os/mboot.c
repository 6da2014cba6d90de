/* mboot.c: Multiboot (v1) information parsing and the kernel command line.
 * The info structure's layout is the Multiboot 0.6.96 specification's. */
#include "mboot.h"
#include "klib.h"

struct mboot mboot;

#define MBI_FLAG_MEM    (1u << 0)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MMAP   (1u << 6)

static void mboot_add(uint64_t base, uint64_t len, uint32_t type)
{
	if (mboot.nregions >= MBOOT_MAX_REGIONS || !len)
		return;
	mboot.region[mboot.nregions++] = (struct mboot_region){ base, len, type };
}

static void mboot_read_mmap(uint32_t addr, uint32_t length)
{
	uint32_t off = 0;
	while (off + 24 <= length) {
		const uint8_t *e = (const uint8_t *)(uint64_t)(addr + off);
		uint32_t size = *(const uint32_t *)e;
		uint64_t base, len;
		uint32_t type;
		memcpy(&base, e + 4, 8);
		memcpy(&len, e + 12, 8);
		memcpy(&type, e + 20, 4);
		mboot_add(base, len, type);
		off += size + 4;
	}
}

int mboot_parse(uint32_t magic, uint64_t info_pa)
{
	if (magic != MBOOT_MAGIC)
		return -1;
	const uint32_t *mbi = (const uint32_t *)info_pa;
	uint32_t flags = mbi[0];
	if (flags & MBI_FLAG_CMDLINE)
		lib_strlcpy(mboot.cmdline, (const char *)(uint64_t)mbi[4], sizeof(mboot.cmdline));
	if (flags & MBI_FLAG_MMAP) {
		mboot_read_mmap(mbi[12], mbi[11]);
	} else if (flags & MBI_FLAG_MEM) {
		/* No map: mem_lower/mem_upper (KiB) describe 0 and 1 MiB upwards. */
		mboot_add(0, (uint64_t)mbi[1] * 1024, 1);
		mboot_add(0x100000, (uint64_t)mbi[2] * 1024, 1);
	}
	return mboot.nregions ? 0 : -1;
}

bool mboot_option(const char *key, char *out, unsigned n)
{
	size_t klen = strlen(key);
	const char *p = mboot.cmdline;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) < klen || strncmp(w, key, klen))
			continue;
		if (w[klen] == '=') {
			unsigned len = (unsigned)(p - (w + klen + 1));
			if (len >= n)
				len = n - 1;
			memcpy(out, w + klen + 1, len);
			out[len] = 0;
			return true;
		}
		if (w + klen == p) {
			lib_strlcpy(out, "1", n);
			return true;
		}
	}
	return false;
}

uint64_t mboot_option_num(const char *key, uint64_t def)
{
	char v[32];
	const char *end;
	if (!mboot_option(key, v, sizeof(v)) || !v[0])
		return def;
	uint64_t r = klib_strtoul(v, &end, 0);
	return *end ? def : r;
}
