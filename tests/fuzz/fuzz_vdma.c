/*
 * Fuzz target: the PRD-table translation of the IDE bus master
 * (hv/vdma.c vdma_build_shadow), the check that keeps a guest's DMA inside
 * its own RAM.
 *
 * The guest has RAM_PAGES pages of RAM from guest-physical 0; the fuzzer
 * chooses which are missing (besides a fixed hole) and where each of the
 * others lives in host memory: any frame of a 512 KiB window (so host
 * neighbours, merged runs and 64 KiB lines are common), or one near 4 GiB
 * (half of those above it), page-aligned or half a page off (the callback's
 * contract does not promise alignment, and a 64 KiB line then falls inside
 * a page). Input: byte 0 the shadow table's size (0: 512), bytes 1-4 the
 * missing pages, bytes 5-8 the pages half a page off, then RAM_PAGES bytes
 * of host frames, the rest the guest's PRD table (8 bytes an entry; an
 * address without bit 14 of its flags is folded into the RAM window).
 *
 * An oracle walks the guest table byte by byte through the same mapping and
 * decides the outcome: which entry is refused and why, or the exact list of
 * host bytes the transfer must touch. The shadow table must then cover
 * exactly those bytes, in order, in the fewest entries the PRD rules allow
 * (no entry across 64 KiB), with end-of-table on the last entry only.
 */
#include <string.h>

#include "fuzz.h"
#include "vdma.h"

#define PAGE         0x1000ull
#define SZ_64K       0x10000ull
#define LOW_4G       0x100000000ull
#define RAM_PAGES    32u                         /* 128 KiB of guest RAM */
#define HOLE_FIRST   20u                         /* pages 20-23 never mapped */
#define HOLE_LAST    23u
#define HOST_BASE    0x10000000ull
#define HOST_HIGH    0xffff0000ull               /* frames 0-15 below 4 GiB, 16-31 above */
#define GPA_FOLD     0x3ffffu                    /* 256 KiB: half RAM, half outside */
#define OWN_ADDR     0x4000u                     /* flags bit 14: take the address as is */

struct gmap {
	bool mapped[RAM_PAGES];
	uint64_t hpa[RAM_PAGES];
	unsigned calls;
};

/* The translate callback: one guest page at most, mapped pages only. */
static int fake_xlate(void *ctx, uint64_t gpa, uint32_t len, uint64_t *hpa)
{
	struct gmap *m = ctx;
	uint64_t page = gpa / PAGE;

	m->calls++;
	FUZZ_CHECK(len >= 1 && (gpa + len - 1) / PAGE == page,
		   "translate asked for 0x%llx+0x%x across a page",
		   (unsigned long long)gpa, len);
	if (page >= RAM_PAGES || !m->mapped[page])
		return -1;
	*hpa = m->hpa[page] + gpa % PAGE;
	return 0;
}

/* What the oracle expects. */
enum outcome { OK, REFUSE_64K, REFUSE_RAM, REFUSE_4G, REFUSE_NO_EOT, REFUSE_FULL };

/*
 * Host byte runs the transfer must touch, merged where contiguous, and the
 * fewest PRD entries that cover them: each run cut at 64 KiB lines.
 */
struct runs {
	uint64_t start[VDMA_MAX_PRD * 16], len[VDMA_MAX_PRD * 16];
	unsigned n, entries;
	uint64_t total;
};

/* PRD entries one run needs. */
static unsigned run_entries(uint64_t start, uint64_t len)
{
	return (unsigned)((start + len - 1) / SZ_64K - start / SZ_64K + 1);
}

static void runs_add(struct runs *r, uint64_t hpa, uint64_t len)
{
	unsigned last = r->n - 1;

	if (r->n && r->start[last] + r->len[last] == hpa) {
		r->entries -= run_entries(r->start[last], r->len[last]);
		r->len[last] += len;
		r->entries += run_entries(r->start[last], r->len[last]);
	} else {
		r->start[r->n] = hpa;
		r->len[r->n++] = len;
		r->entries += run_entries(hpa, len);
	}
	r->total += len;
}

/*
 * Decides one guest entry's fate page by page, in the order a translation
 * meets the causes, and adds its host runs.
 */
static enum outcome oracle_entry(const struct gmap *m, const struct vdma_prd *e,
				 unsigned smax, struct runs *r)
{
	uint64_t gpa = e->addr & ~1u, len = e->count ? e->count : SZ_64K, a;

	if (gpa / SZ_64K != (gpa + len - 1) / SZ_64K)
		return REFUSE_64K;
	for (a = gpa; a < gpa + len; a = (a / PAGE + 1) * PAGE) {
		uint64_t page = a / PAGE, end = (page + 1) * PAGE;

		if (end > gpa + len)
			end = gpa + len;
		if (page >= RAM_PAGES || !m->mapped[page])
			return REFUSE_RAM;
		if (m->hpa[page] + (end - page * PAGE) > LOW_4G)
			return REFUSE_4G;
		runs_add(r, m->hpa[page] + a % PAGE, end - a);
		if (r->entries > smax)
			return REFUSE_FULL;
	}
	return OK;
}

/* Walks the table to its end-of-table entry. *bad: the entry at fault. */
static enum outcome oracle(const struct gmap *m, const struct vdma_prd *g, unsigned gn,
			   unsigned smax, struct runs *r, unsigned *bad)
{
	unsigned i;

	r->n = r->entries = 0;
	r->total = 0;
	for (i = 0; i < gn; i++) {
		enum outcome o = oracle_entry(m, &g[i], smax, r);

		*bad = i;
		if (o != OK)
			return o;
		if (g[i].flags & VDMA_PRD_EOT)
			return OK;
	}
	*bad = gn;
	return REFUSE_NO_EOT;
}

/* Returns the end of the host page backing guest RAM that holds hpa, or 0. */
static uint64_t backing_end(const struct gmap *m, uint64_t hpa)
{
	unsigned p;

	for (p = 0; p < RAM_PAGES; p++)
		if (m->mapped[p] && hpa >= m->hpa[p] && hpa < m->hpa[p] + PAGE)
			return m->hpa[p] + PAGE;
	return 0;
}

/* The shadow table covers the runs exactly, each entry legal and inside RAM. */
static void check_shadow(const struct gmap *m, const struct vdma_prd *s, int n,
			 const struct runs *r)
{
	uint64_t total = 0, ri = 0, roff = 0, a;
	int i;

	FUZZ_CHECK(n == (int)r->entries, "%d shadow entries, %u needed", n, r->entries);
	for (i = 0; i < n; i++) {
		uint64_t len = s[i].count ? s[i].count : SZ_64K;

		FUZZ_CHECK(s[i].flags == (i == n - 1 ? VDMA_PRD_EOT : 0),
			   "entry %d of %d flags 0x%x", i, n, s[i].flags);
		FUZZ_CHECK(s[i].addr / SZ_64K == (s[i].addr + len - 1) / SZ_64K,
			   "entry %d 0x%x+0x%llx crosses 64 KiB", i, s[i].addr,
			   (unsigned long long)len);
		FUZZ_CHECK((uint64_t)s[i].addr + len <= LOW_4G, "entry %d above 4 GiB", i);
		for (a = s[i].addr; a < s[i].addr + len; a = backing_end(m, a))
			FUZZ_CHECK(backing_end(m, a), "entry %d reaches host 0x%llx, not the guest's RAM",
				   i, (unsigned long long)a);
		/* Same host bytes as the guest's buffers, in the same order. */
		FUZZ_CHECK(ri < r->n && s[i].addr == r->start[ri] + roff &&
			   roff + len <= r->len[ri], "entry %d 0x%x+0x%llx out of order", i,
			   s[i].addr, (unsigned long long)len);
		roff += len;
		if (roff == r->len[ri])
			ri++, roff = 0;
		total += len;
	}
	FUZZ_CHECK(total == r->total, "shadow moves %llu bytes, guest %llu",
		   (unsigned long long)total, (unsigned long long)r->total);
}

static const char *const outcome_words[] = {
	[REFUSE_64K] = "64 KiB", [REFUSE_RAM] = "outside the guest's RAM",
	[REFUSE_4G] = "above 4 GiB", [REFUSE_NO_EOT] = "no end-of-table",
	[REFUSE_FULL] = "full",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vdma_prd g[VDMA_MAX_PRD], s[VDMA_MAX_PRD];
	static struct runs r;
	struct fuzz_in in = { data, size };
	struct gmap m = { 0 };
	unsigned smax, gn = 0, p, bad = ~0u, want_bad = 0;
	uint32_t missing, skewed;
	const char *err = NULL;
	enum outcome want;
	int n;

	smax = fuzz_u8(&in);
	smax = smax ? smax : VDMA_MAX_PRD;
	missing = fuzz_u32(&in);
	skewed = fuzz_u32(&in);
	for (p = 0; p < RAM_PAGES; p++) {
		uint8_t f = fuzz_u8(&in);

		m.mapped[p] = !(missing & (1u << p)) && (p < HOLE_FIRST || p > HOLE_LAST);
		m.hpa[p] = f & 0x80 ? HOST_HIGH + (f & 0x1f) * PAGE : HOST_BASE + (f & 0x7f) * PAGE;
		if (skewed & (1u << p))
			m.hpa[p] += PAGE / 2;
	}
	while (in.n >= 8 && gn < VDMA_MAX_PRD) {
		g[gn].addr = fuzz_u32(&in);
		g[gn].count = fuzz_u16(&in);
		g[gn].flags = fuzz_u16(&in);
		if (!(g[gn].flags & OWN_ADDR))
			g[gn].addr &= GPA_FOLD;
		gn++;
	}
	want = oracle(&m, g, gn, smax, &r, &want_bad);
	memset(s, 0xcc, sizeof(s));
	n = vdma_build_shadow(g, gn, fake_xlate, &m, s, smax, &err, &bad);
	if (want == OK) {
		FUZZ_CHECK(n > 0 && n <= (int)smax, "refused a table inside RAM (%d: %s)", n,
			   err ? err : "");
		check_shadow(&m, s, n, &r);
		return 0;
	}
	FUZZ_CHECK(n == -1, "accepted a table the oracle refuses (%s at entry %u)",
		   outcome_words[want], want_bad);
	FUZZ_CHECK(err && strstr(err, outcome_words[want]), "refused with '%s', want '%s'",
		   err ? err : "(null)", outcome_words[want]);
	FUZZ_CHECK(bad == want_bad, "refusal names entry %u, want %u", bad, want_bad);
	return 0;
}
