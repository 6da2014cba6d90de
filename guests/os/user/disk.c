/* disk read LBA COUNT | disk write LBA COUNT SEED: moves COUNT sectors
 * between the disk and pages granted to this process (the kernel DMAs
 * straight into them) and prints an FNV-1a checksum. The write pattern:
 * the 32-bit word at absolute disk byte offset o is (o/4)*2654435761 + SEED. */
#include "ulib.h"

int main(const char *args)
{
	char op[8] = "", w[24];
	uint64_t v[3] = { 0, 0, 0 };
	const char *p = args;
	u_word(&p, op, sizeof(op));
	for (int i = 0; i < 3 && u_word(&p, w, sizeof(w)); i++)
		v[i] = klib_strtoul(w, NULL, 0);
	uint64_t lba = v[0], count = v[1], bytes = count * 512;
	bool wr = !strcmp(op, "write");
	if ((!wr && strcmp(op, "read")) || !count) {
		u_printf("usage: disk read LBA COUNT | disk write LBA COUNT SEED\n");
		return 2;
	}
	uint64_t npages = (bytes + 4095) / 4096;
	int64_t va = u_page_alloc(npages);
	if (va < 0) {
		u_printf("disk: page_alloc(%lu) failed (%ld)\n", npages, va);
		return 1;
	}
	uint32_t *buf = (uint32_t *)va;
	if (wr)
		for (uint64_t i = 0; i < bytes / 4; i++)
			buf[i] = (uint32_t)((lba * 128 + i) * 2654435761u + v[2]);
	uint64_t t0 = u_time();
	int64_t r = wr ? u_disk_write(lba, count, buf) : u_disk_read(lba, count, buf);
	uint64_t t = u_time() - t0;
	if (r < 0) {
		u_printf("disk: %s failed (%ld)\n", op, r);
		return 1;
	}
	u_printf("disk: %s %lu sectors at lba %lu in %lu ms: checksum fnv1a %08x\n",
		 wr ? "wrote" : "read", count, lba, t, u_fnv(0x811c9dc5u, buf, bytes));
	u_page_free((uint64_t)va, npages);
	return 0;
}
