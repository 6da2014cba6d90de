/*
 * Fuzz target: the guest page walker (hv/gwalk.c), which walks page tables
 * a guest controls. Input: byte 0 the paging mode in bits 2:0 (off,
 * 32-bit, 32-bit with PSE, PAE, 4-level from 4 up) and in bits 3-7 CR0.WP,
 * CR4.SMEP, CR4.SMAP, EFER.NXE, 1-GiB pages; byte 1 the access (write,
 * user, fetch, AC, no A/D); byte 2 MAXPHYADDR (32-52); 8 bytes the
 * linear address (canonical in 4-level); 4 bytes CR3; 32 bytes the PAE
 * PDPTE registers; then the 64 KiB of guest RAM the
 * tables live in (zeros past the input). Invariants: paging off is the
 * identity on 32 bits and reads nothing; a translation keeps the offset
 * within its page, has a page size the mode allows, and lies below
 * MAXPHYADDR; a fault's error code has only the bits the SDM defines,
 * with W, U and I as the access says; "no RAM" names an entry the RAM
 * callback refused; RAM changes only by accessed/dirty flags of entries
 * (never on a fault, "no RAM" or with GWALK_NO_AD); walking again gives
 * the same answer.
 */
#include <string.h>

#include "fuzz.h"
#include "gwalk.h"

#define RAM_BYTES 0x10000u

struct fz_ram {
	uint8_t *bytes;
	unsigned calls;
	uint64_t refused;            /* gpa of the last refused entry, or ~0 */
};

static void *fz_mem(void *ctx, uint64_t gpa, unsigned bytes)
{
	struct fz_ram *r = ctx;

	r->calls++;
	FUZZ_CHECK(bytes == 4 || bytes == 8, "entry of %u bytes", bytes);
	FUZZ_CHECK(!(gpa & (bytes - 1)), "entry at 0x%llx not aligned to %u", (unsigned long long)gpa, bytes);
	if (gpa >= RAM_BYTES || RAM_BYTES - gpa < bytes) {
		r->refused = gpa;
		return NULL;
	}
	return r->bytes + gpa;
}

/* Checks that RAM changed only by A (bit 5) and D (bit 6) being set in low bytes of entries. */
static void check_ram(const uint8_t *old, const uint8_t *now, bool may_change)
{
	for (unsigned i = 0; i < RAM_BYTES; i++) {
		if (old[i] == now[i])
			continue;
		FUZZ_CHECK(may_change, "RAM byte 0x%x changed 0x%02x -> 0x%02x", i, old[i], now[i]);
		FUZZ_CHECK(!(i & 3) && (now[i] & old[i]) == old[i] && !((now[i] ^ old[i]) & ~0x60),
			   "RAM byte 0x%x changed 0x%02x -> 0x%02x: not an A/D flag", i, old[i], now[i]);
	}
}

static void check_result(const struct gwalk_cpu *c, uint64_t lin, unsigned access, enum gwalk_result r,
			 const struct gwalk_out *o, const struct fz_ram *ram)
{
	unsigned mode = !(c->cr0 & (1ull << 31)) ? 0 : (c->efer & (1ull << 10)) ? 4 : (c->cr4 & (1ull << 5)) ? 3 : 1;

	FUZZ_CHECK(r == GWALK_OK || r == GWALK_FAULT || r == GWALK_NO_RAM, "result %d", r);
	if (mode == 0) {
		FUZZ_CHECK(r == GWALK_OK && o->gpa == (uint32_t)lin && ram->calls == 0, "paging off: gpa 0x%llx",
			   (unsigned long long)o->gpa);
		return;
	}
	if (r == GWALK_OK) {
		uint64_t ps = o->page_bytes;
		FUZZ_CHECK(ps == 1ull << 12 || ps == 1ull << 21 || ps == 1ull << 22 || ps == 1ull << 30,
			   "page size 0x%llx", (unsigned long long)ps);
		FUZZ_CHECK(mode == 1 ? ps <= (1ull << 22) && ps != (1ull << 21) : ps != (1ull << 22),
			   "page size 0x%llx in mode %u", (unsigned long long)ps, mode);
		FUZZ_CHECK(ps != (1ull << 30) || (mode == 4 && c->gb_pages), "1 GiB page");
		FUZZ_CHECK((o->gpa & (ps - 1)) == (lin & (ps - 1)), "offset changed: 0x%llx -> 0x%llx",
			   (unsigned long long)lin, (unsigned long long)o->gpa);
		FUZZ_CHECK(o->gpa >> c->maxphyaddr == 0 || (mode == 1 && ps == 4096), "gpa 0x%llx beyond %u bits",
			   (unsigned long long)o->gpa, c->maxphyaddr);
	} else if (r == GWALK_FAULT) {
		FUZZ_CHECK(!(o->err & ~0x1fu), "error code 0x%x", o->err);
		FUZZ_CHECK(!!(o->err & PF_W) == !!(access & GWALK_WRITE), "W 0x%x access 0x%x", o->err, access);
		FUZZ_CHECK(!!(o->err & PF_U) == !!(access & GWALK_USER), "U 0x%x access 0x%x", o->err, access);
		FUZZ_CHECK(!(o->err & PF_I) || (access & GWALK_FETCH), "I 0x%x access 0x%x", o->err, access);
		FUZZ_CHECK(!(o->err & PF_RSVD) || (o->err & PF_P), "RSVD without P 0x%x", o->err);
	} else {
		FUZZ_CHECK(o->gpa == ram->refused, "no RAM at 0x%llx, refused 0x%llx", (unsigned long long)o->gpa,
			   (unsigned long long)ram->refused);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct gwalk_cpu c = { 0 };
	struct gwalk_out o, o2;
	struct fz_ram ram = { .refused = ~0ull };
	uint8_t *old = calloc(1, RAM_BYTES);
	uint8_t mode = fuzz_u8(&in);
	unsigned access = fuzz_u8(&in) & 0x1f;
	uint64_t lin;
	enum gwalk_result r, r2;

	ram.bytes = calloc(1, RAM_BYTES);
	c.maxphyaddr = 32 + fuzz_u8(&in) % 21;
	lin = fuzz_u64(&in);
	c.cr3 = fuzz_u32(&in);
	for (unsigned i = 0; i < 4; i++)
		c.pdpte[i] = fuzz_u64(&in);
	switch (mode & 7) {
	case 0: break;
	case 1: c.cr0 = 1ull << 31; break;
	case 2: c.cr0 = 1ull << 31; c.cr4 = 1ull << 4; break;
	case 3: c.cr0 = 1ull << 31; c.cr4 = 1ull << 5; break;
	default:
		c.cr0 = 1ull << 31;
		c.cr4 = 1ull << 5;
		c.efer = 1ull << 10;
		lin = (uint64_t)((int64_t)(lin << 16) >> 16);          /* canonical */
		break;
	}
	c.cr0 |= (mode & 0x08) ? 1ull << 16 : 0;
	c.cr4 |= ((mode & 0x10) ? 1ull << 20 : 0) | ((mode & 0x20) ? 1ull << 21 : 0);
	c.efer |= (mode & 0x40) ? 1ull << 11 : 0;
	c.gb_pages = mode & 0x80;
	memcpy(ram.bytes, in.p, in.n < RAM_BYTES ? in.n : RAM_BYTES);
	memcpy(old, ram.bytes, RAM_BYTES);

	r = gwalk(&c, lin, access, fz_mem, &ram, &o);
	check_result(&c, lin, access, r, &o, &ram);
	check_ram(old, ram.bytes, r == GWALK_OK && !(access & GWALK_NO_AD));
	ram.calls = 0;
	r2 = gwalk(&c, lin, access, fz_mem, &ram, &o2);
	FUZZ_CHECK(r2 == r && (r == GWALK_FAULT ? o2.err == o.err : o2.gpa == o.gpa),
		   "second walk: %d 0x%llx, first %d 0x%llx", r2, (unsigned long long)o2.gpa, r,
		   (unsigned long long)o.gpa);
	free(old);
	free(ram.bytes);
	return 0;
}
