/*
 * PRD-table translation for the PIIX bus master (Intel 82371 PIIX/PIIX3
 * datasheet, "Bus Master IDE": a table of 8-byte entries, each a
 * physical buffer address and byte count, the last flagged EOT; a buffer
 * may not cross a 64 KiB boundary). Pure: hv/vdma_io.c does the ports.
 */
#include "lib.h"
#include "vdma.h"

#define PAGE       0x1000ull
#define SZ_64K     0x10000ull
#define LOW_4G     0x100000000ull

struct shadow_out {
	struct vdma_prd *tab;
	unsigned n, max;
};

/* Appends [hpa, hpa+len) to the shadow table, extending the last entry if it runs on. */
static int shadow_add(struct shadow_out *o, uint64_t hpa, uint32_t len)
{
	if (o->n) {
		struct vdma_prd *last = &o->tab[o->n - 1];
		uint64_t last_len = last->count ? last->count : SZ_64K;
		if (last->addr + last_len == hpa && last_len + len <= SZ_64K &&
		    (last->addr & ~(SZ_64K - 1)) == ((hpa + len - 1) & ~(SZ_64K - 1))) {
			last->count = (uint16_t)(last_len + len);    /* 64 KiB wraps to 0, as the chip reads it */
			return 0;
		}
	}
	if (o->n == o->max)
		return -1;
	o->tab[o->n++] = (struct vdma_prd){ (uint32_t)hpa, (uint16_t)len, 0 };
	return 0;
}

/* Translates one guest buffer into shadow entries. Returns 0, or -1 with *err. */
static int shadow_buffer(const struct vdma_prd *e, vdma_xlate_fn xlate, void *ctx,
			 struct shadow_out *o, const char **err)
{
	uint64_t gpa = e->addr & ~1u, len = e->count ? e->count : SZ_64K;

	if ((gpa & ~(SZ_64K - 1)) != ((gpa + len - 1) & ~(SZ_64K - 1)))
		return *err = "buffer crosses a 64 KiB boundary", -1;
	while (len) {
		uint32_t chunk = (uint32_t)MIN(len, PAGE - (gpa & (PAGE - 1)));
		uint64_t hpa;
		if (xlate(ctx, gpa, chunk, &hpa) < 0)
			return *err = "buffer outside the guest's RAM", -1;
		if (hpa + chunk > LOW_4G)
			return *err = "buffer above 4 GiB in host memory", -1;
		/* A host 64 KiB boundary inside the chunk: split there. */
		uint64_t cut = (hpa | (SZ_64K - 1)) + 1;
		if (hpa + chunk > cut) {
			if (shadow_add(o, hpa, (uint32_t)(cut - hpa)) < 0 ||
			    shadow_add(o, cut, (uint32_t)(hpa + chunk - cut)) < 0)
				return *err = "shadow PRD table full", -1;
		} else if (shadow_add(o, hpa, chunk) < 0) {
			return *err = "shadow PRD table full", -1;
		}
		gpa += chunk, len -= chunk;
	}
	return 0;
}

int vdma_build_shadow(const struct vdma_prd *gtab, unsigned gmax, vdma_xlate_fn xlate, void *ctx,
		      struct vdma_prd *shadow, unsigned smax, const char **err, unsigned *bad)
{
	struct shadow_out o = { shadow, 0, smax };

	for (unsigned i = 0; i < gmax; i++) {
		*bad = i;
		if (shadow_buffer(&gtab[i], xlate, ctx, &o, err) < 0)
			return -1;
		if (gtab[i].flags & VDMA_PRD_EOT) {
			shadow[o.n - 1].flags = VDMA_PRD_EOT;
			return (int)o.n;
		}
	}
	*bad = gmax;
	*err = "PRD table has no end-of-table entry within the guest's RAM or 512 entries";
	return -1;
}
