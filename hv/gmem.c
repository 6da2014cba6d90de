/*
 * Guest memory by segment and linear address (see gmem.h). Segment checks
 * follow the SDM "Segment-Level Protection" ("Limit Checking", "Type
 * Checking") and, in 64-bit mode, "Segmentation in IA-32e Mode" (bases of
 * CS, DS, ES, SS are 0, no limits; canonical addresses, else #GP or #SS).
 * The guest's paging is walked by hv/gwalk.c; the guest-physical address
 * then goes through the guest's EPT, so an access reaches exactly what the
 * guest's own access would: its RAM, the PC hole's read-only page (writes
 * dropped, as a ROM ignores them), or nothing (outside its memory).
 */
#include "gmem.h"
#include "cpu.h"
#include "exit.h"
#include "guest.h"
#include "vmcs.h"
#include "vmx.h"

#define RFLAGS_AC     (1ull << 18)
#define AR_UNUSABLE   (1u << 16)
#define AR_TYPE_CODE  0x8u
#define AR_TYPE_WR    0x2u           /* data: writable; code: readable */
#define AR_TYPE_DOWN  0x4u           /* data: expand-down */
#define AR_DB         (1u << 14)
#define CPUID_GB_PAGES (1u << 26)    /* CPUID 0x80000001:EDX */

void gmem_paging(struct gwalk_cpu *c)
{
	struct cpuid_regs r;

	c->cr0 = vmcs_readnat(GUEST_CR0);
	c->cr3 = vmcs_readnat(GUEST_CR3);
	c->cr4 = vmcs_readnat(GUEST_CR4);
	c->efer = vmcs_read64(GUEST_IA32_EFER);
	for (unsigned i = 0; i < 4; i++)
		c->pdpte[i] = (c->cr4 & CR4_PAE) && !(c->efer & EFER_LMA) ?
			      vmcs_read_raw(GUEST_PDPTE0 + 2 * i) : 0;
	c->maxphyaddr = hv.maxphyaddr;
	/* The guest's CPUID shows the host's 1-GiB pages bit (hv/cpuid.c). */
	cpu_cpuid(0x80000001, 0, &r);
	c->gb_pages = r.edx & CPUID_GB_PAGES;
}

static enum gmem_status gmem_segfault(enum insn_seg seg, struct gmem_fault *f)
{
	*f = (struct gmem_fault){ .vector = seg == INSN_SS ? EXC_SS : EXC_GP };
	return GMEM_FAULT;
}

/* Checks seg's type and limit for an access of size bytes at off (protected or real mode). */
static bool gmem_seg_ok(enum insn_seg seg, uint64_t off, unsigned size, bool write)
{
	uint32_t ar = (uint32_t)vmcs_read_raw(GUEST_ES_AR_BYTES + 2 * seg);
	uint64_t limit = (uint32_t)vmcs_read_raw(GUEST_ES_LIMIT + 2 * seg);
	uint64_t last = off + size - 1;
	unsigned type = ar & 0xf;

	if (ar & AR_UNUSABLE)
		return false;
	/* Type checks apply in protected mode; real and virtual-8086 segments are plain data. */
	if ((vmcs_readnat(GUEST_CR0) & CR0_PE) && !(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_VM)) {
		if (write && ((type & AR_TYPE_CODE) || !(type & AR_TYPE_WR)))
			return false;
		if (!write && (type & AR_TYPE_CODE) && !(type & AR_TYPE_WR))
			return false;
		if (!(type & AR_TYPE_CODE) && (type & AR_TYPE_DOWN))
			/* Expand-down: offsets above the limit, up to 64 KiB or 4 GiB (B flag). */
			return off > limit && last <= ((ar & AR_DB) ? 0xffffffffull : 0xffffull);
	}
	return last <= limit;
}

enum gmem_status gmem_linear(enum insn_seg seg, uint64_t off, unsigned size, bool write,
			     uint64_t *lin, struct gmem_fault *f)
{
	uint64_t base = vmcs_read_raw(GUEST_ES_BASE + 2 * seg);

	if (exit_guest_64bit()) {
		if (seg != INSN_FS && seg != INSN_GS)
			base = 0;
		*lin = base + off;
		if (!gwalk_canonical(*lin) || !gwalk_canonical(*lin + size - 1))
			return gmem_segfault(seg, f);
		return GMEM_OK;
	}
	if (!gmem_seg_ok(seg, off, size, write))
		return gmem_segfault(seg, f);
	*lin = (uint32_t)(base + off);
	return GMEM_OK;
}

/* gwalk's view of guest RAM: the paging structures must lie in it. */
static void *gmem_pt(void *ctx, uint64_t gpa, unsigned bytes)
{
	return guest_gpa_ptr(ctx, gpa, bytes);
}

enum gmem_status gmem_map(struct vcpu *v, uint64_t lin, unsigned access, struct gmem_map *m,
			  struct gmem_fault *f)
{
	struct gwalk_cpu c;
	struct gwalk_out w;
	uint64_t hpa;
	unsigned perms;

	gmem_paging(&c);
	if (exit_guest_cpl() == 3)
		access |= GWALK_USER;
	if (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_AC)
		access |= GWALK_AC;
	switch (gwalk(&c, lin, access, gmem_pt, v->guest, &w)) {
	case GWALK_FAULT:
		*f = (struct gmem_fault){ .vector = EXC_PF, .err = w.err, .addr = lin };
		return GMEM_FAULT;
	case GWALK_NO_RAM:
		*f = (struct gmem_fault){ .gpa = w.gpa, .page_table = true };
		return GMEM_STOP;
	case GWALK_OK:
		break;
	}
	if (ept_translate(&v->guest->ept, w.gpa, &hpa, &perms) < 0 || !(perms & EPT_R)) {
		*f = (struct gmem_fault){ .gpa = w.gpa };
		return GMEM_STOP;
	}
	m->gpa = w.gpa;
	m->bytes = 4096 - (unsigned)(w.gpa & 0xfff);
	m->rom = (access & GWALK_WRITE) && !(perms & EPT_W);
	m->host = m->rom ? NULL : (uint8_t *)(uintptr_t)hpa;
	return GMEM_OK;
}

enum gmem_status gmem_read(struct vcpu *v, uint64_t lin, void *buf, unsigned n, unsigned access,
			   struct gmem_fault *f)
{
	uint8_t *out = buf;

	while (n) {
		struct gmem_map m;
		enum gmem_status s = gmem_map(v, lin, access & ~GWALK_WRITE, &m, f);
		unsigned k = MIN(n, m.bytes);

		if (s != GMEM_OK)
			return s;
		memcpy(out, m.host, k);
		out += k, lin += k, n -= k;
	}
	return GMEM_OK;
}

void gmem_inject(struct vcpu *v, const struct gmem_fault *f)
{
	if (f->vector == EXC_PF)
		cpu_write_cr2(f->addr);       /* the guest's CR2 is live while it is handled */
	vmx_inject_exception(v, f->vector, true, f->err);
}

enum gmem_status gmem_fetch_insn(struct vcpu *v, struct gmem_insn *gi, struct gmem_fault *f)
{
	uint64_t rip = vmcs_readnat(GUEST_RIP), lin;
	bool longmode = exit_guest_64bit();
	enum insn_mode mode = longmode ? INSN_MODE64 :
			      (vmcs_read32(GUEST_CS_AR_BYTES) & AR_DB) ? INSN_MODE32 : INSN_MODE16;
	enum gmem_status s;
	unsigned first;

	lin = longmode ? rip : (uint32_t)(vmcs_readnat(GUEST_CS_BASE) + rip);
	gi->rip = rip;
	first = MIN(INSN_MAX_LEN, 4096 - (unsigned)(lin & 0xfff));
	s = gmem_read(v, lin, gi->bytes, first, GWALK_FETCH | GWALK_NO_AD, f);
	if (s != GMEM_OK)
		return s;
	gi->nbytes = first;
	gi->res = insn_decode(gi->bytes, first, mode, &gi->in);
	if (gi->res == INSN_SHORT && first < INSN_MAX_LEN &&
	    gmem_read(v, longmode ? lin + first : (uint32_t)(lin + first), gi->bytes + first,
		      INSN_MAX_LEN - first, GWALK_FETCH | GWALK_NO_AD, f) == GMEM_OK) {
		gi->nbytes = INSN_MAX_LEN;
		gi->res = insn_decode(gi->bytes, INSN_MAX_LEN, mode, &gi->in);
	}
	return GMEM_OK;
}
