/*
 * Guest page walker (see gwalk.h). Follows the SDM chapter "Paging":
 * "32-Bit Paging", "PAE Paging", "4-Level Paging and 5-Level Paging"
 * (4-level only: the guest CPU model never has LA57), "Access Rights"
 * (R/W and U/S accumulate over every level; CR0.WP; SMEP, SMAP with
 * RFLAGS.AC; execute-disable with EFER.NXE), "Accessed and Dirty Flags"
 * and "Page-Fault Exceptions" (the error code). Protection keys are not
 * checked: PKRU is the guest's own, user-writable register, so skipping
 * it gives no one more than the guest's own code could take.
 */
#include "gwalk.h"

#define GW_CR0_WP    (1ull << 16)
#define GW_CR0_PG    (1ull << 31)
#define GW_CR4_PSE   (1ull << 4)
#define GW_CR4_PAE   (1ull << 5)
#define GW_CR4_SMEP  (1ull << 20)
#define GW_CR4_SMAP  (1ull << 21)
#define GW_EFER_LMA  (1ull << 10)
#define GW_EFER_NXE  (1ull << 11)

#define PTE_P    (1ull << 0)
#define PTE_RW   (1ull << 1)
#define PTE_US   (1ull << 2)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)
#define PTE_XD   (1ull << 63)
#define ADDR52   0x000ffffffffff000ull

#define GW_MAX_LEVELS 4

/* One walk: the entries used and the rights accumulated over them. */
struct gw_walk {
	const struct gwalk_cpu *c;
	unsigned access;
	bool wide;                   /* 8-byte entries (PAE, 4-level) */
	bool user_ok, write_ok, exec_ok;
	void *ent[GW_MAX_LEVELS];
	unsigned nent;
};

bool gwalk_canonical(uint64_t linear)
{
	uint64_t top = linear >> 47;

	return top == 0 || top == 0x1ffff;
}

/* Bits of a physical address field at and above maxphyaddr (up to bit 51). */
static uint64_t gw_above_maxphy(const struct gwalk_cpu *c)
{
	unsigned m = c->maxphyaddr >= 52 || !c->maxphyaddr ? 52 : c->maxphyaddr;

	return ADDR52 & ~((1ull << m) - 1);
}

/* The page-fault error code for this walk's access, with the given P and RSVD bits. */
static uint32_t gw_err(const struct gw_walk *w, uint32_t bits)
{
	const struct gwalk_cpu *c = w->c;
	uint32_t err = bits;

	if (w->access & GWALK_WRITE)
		err |= PF_W;
	if (w->access & GWALK_USER)
		err |= PF_U;
	/* I/D is reported for fetches only where NX or SMEP exist to cause them. */
	if ((w->access & GWALK_FETCH) &&
	    ((c->cr4 & GW_CR4_SMEP) || ((c->cr4 & GW_CR4_PAE) && (c->efer & GW_EFER_NXE))))
		err |= PF_I;
	return err;
}

/*
 * Returns true if the 8-byte entry e at level (0 PT, 1 PD, 2 PDPT, 3 PML4)
 * has reserved bits set. leaf: e maps a page (PS, or level 0).
 */
static bool gw_reserved64(const struct gw_walk *w, uint64_t e, int level, bool leaf)
{
	const struct gwalk_cpu *c = w->c;

	if ((e & gw_above_maxphy(c)) || ((e & PTE_XD) && !(c->efer & GW_EFER_NXE)))
		return true;
	if (level == 3 && (e & PTE_PS))
		return true;
	if (leaf && level == 2)
		return !c->gb_pages || (e & 0x3fffe000ull);     /* 1 GiB: bits 29:13 */
	if (leaf && level == 1)
		return (e & 0x1fe000ull) != 0;                  /* 2 MiB: bits 20:13 */
	return false;
}

/* 32-bit paging, 4-MiB page: bit 21 is reserved, bits 20:13 are address bits 39:32. */
static bool gw_reserved_4m(const struct gwalk_cpu *c, uint32_t e)
{
	uint64_t hi = (e >> 13) & 0xff;
	unsigned m = c->maxphyaddr ? c->maxphyaddr : 52;

	return (e & (1u << 21)) || (m < 40 && (hi >> (m - 32)));
}

/* Reads the entry at gpa into *e. Returns false (out->gpa set) if it is not guest RAM. */
static bool gw_read(struct gw_walk *w, gwalk_mem_fn mem, void *ctx, uint64_t gpa, uint64_t *e,
		    struct gwalk_out *out)
{
	void *p = mem(ctx, gpa, w->wide ? 8 : 4);

	if (!p) {
		out->gpa = gpa;
		return false;
	}
	*e = w->wide ? __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED)
		     : __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
	w->ent[w->nent++] = p;
	return true;
}

/* Adds entry e's rights to the walk's. */
static void gw_rights(struct gw_walk *w, uint64_t e)
{
	if (!(e & PTE_RW))
		w->write_ok = false;
	if (!(e & PTE_US))
		w->user_ok = false;
	if (w->wide && (e & PTE_XD))
		w->exec_ok = false;
}

/* Returns 0 if the access the walk describes is allowed on the page it reached, else an error code. */
static uint32_t gw_check_rights(const struct gw_walk *w)
{
	const struct gwalk_cpu *c = w->c;
	bool user = w->access & GWALK_USER;

	if (user && !w->user_ok)
		return gw_err(w, PF_P);
	if ((w->access & GWALK_WRITE) && !w->write_ok && (user || (c->cr0 & GW_CR0_WP)))
		return gw_err(w, PF_P);
	if (w->access & GWALK_FETCH) {
		if (!w->exec_ok || (!user && w->user_ok && (c->cr4 & GW_CR4_SMEP)))
			return gw_err(w, PF_P);
	} else if (!user && w->user_ok && (c->cr4 & GW_CR4_SMAP) && !(w->access & GWALK_AC)) {
		return gw_err(w, PF_P);
	}
	return 0;
}

/* Sets the accessed flag of every entry used and the dirty flag of the leaf for a write. */
static void gw_set_ad(const struct gw_walk *w)
{
	for (unsigned i = 0; i < w->nent; i++) {
		uint64_t bits = PTE_A | ((i == w->nent - 1 && (w->access & GWALK_WRITE)) ? PTE_D : 0);
		if (w->wide)
			__atomic_fetch_or((uint64_t *)w->ent[i], bits, __ATOMIC_RELAXED);
		else
			__atomic_fetch_or((uint32_t *)w->ent[i], (uint32_t)bits, __ATOMIC_RELAXED);
	}
}

/*
 * Walks from the table at table_gpa through levels top..0. Index bits:
 * 9 per level from bit 12 (wide entries), 10 per level (32-bit paging).
 */
static enum gwalk_result gw_levels(struct gw_walk *w, uint64_t table, int top, uint64_t linear,
				   gwalk_mem_fn mem, void *ctx, struct gwalk_out *out)
{
	const struct gwalk_cpu *c = w->c;
	unsigned ibits = w->wide ? 9 : 10;

	for (int level = top; level >= 0; level--) {
		unsigned shift = 12 + ibits * (unsigned)level;
		uint64_t idx = (linear >> shift) & ((1u << ibits) - 1), e;
		bool leaf;

		if (!gw_read(w, mem, ctx, table + idx * (w->wide ? 8 : 4), &e, out))
			return GWALK_NO_RAM;
		if (!(e & PTE_P)) {
			out->err = gw_err(w, 0);
			return GWALK_FAULT;
		}
		leaf = level == 0 || (level <= 2 && (e & PTE_PS) && (w->wide || (c->cr4 & GW_CR4_PSE)));
		if (w->wide ? gw_reserved64(w, e, level, leaf) : (leaf && level == 1 && gw_reserved_4m(c, (uint32_t)e))) {
			out->err = gw_err(w, PF_P | PF_RSVD);
			return GWALK_FAULT;
		}
		gw_rights(w, e);
		if (leaf) {
			uint64_t size = 1ull << shift;
			uint64_t base = w->wide ? e & ADDR52 & ~(size - 1) : (e & 0xfffff000u & ~(size - 1));
			if (!w->wide && level == 1)
				base |= ((e >> 13) & 0xff) << 32;       /* PSE-36 */
			out->gpa = base | (linear & (size - 1));
			out->page_bytes = size;
			return GWALK_OK;
		}
		table = w->wide ? e & ADDR52 : e & 0xfffff000u;
	}
	return GWALK_FAULT;     /* not reached: level 0 is always a leaf */
}

enum gwalk_result gwalk(const struct gwalk_cpu *c, uint64_t linear, unsigned access,
			gwalk_mem_fn mem, void *ctx, struct gwalk_out *out)
{
	struct gw_walk w = { .c = c, .access = access, .user_ok = true, .write_ok = true, .exec_ok = true };
	enum gwalk_result r;

	*out = (struct gwalk_out){ 0 };
	if (!(c->cr0 & GW_CR0_PG)) {
		out->gpa = (uint32_t)linear;
		out->page_bytes = 4096;
		return GWALK_OK;
	}
	if (c->efer & GW_EFER_LMA) {
		w.wide = true;
		r = gw_levels(&w, c->cr3 & ADDR52 & ~gw_above_maxphy(c), 3, linear, mem, ctx, out);
	} else if (c->cr4 & GW_CR4_PAE) {
		uint64_t pdpte = c->pdpte[(linear >> 30) & 3];
		w.wide = true;
		if (!(pdpte & PTE_P)) {
			out->err = gw_err(&w, 0);
			return GWALK_FAULT;
		}
		r = gw_levels(&w, pdpte & ADDR52, 1, (uint32_t)linear, mem, ctx, out);
	} else {
		r = gw_levels(&w, c->cr3 & 0xfffff000u, 1, (uint32_t)linear, mem, ctx, out);
	}
	if (r != GWALK_OK)
		return r;
	if ((out->err = gw_check_rights(&w)) != 0)
		return GWALK_FAULT;
	if (!(access & GWALK_NO_AD))
		gw_set_ad(&w);
	return GWALK_OK;
}
