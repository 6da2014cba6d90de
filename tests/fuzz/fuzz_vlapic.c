/*
 * Fuzz target: the virtual local APIC (hv/vlapic.c). Input: bytes 0-3 the
 * TSC rate (1 MHz + n Hz), 4-7 the timer clock (1 MHz + n Hz), byte 8 the
 * APIC ID, byte 9 the CPU model (bit 0 x2APIC, bit 1 TSC-deadline, bit 2
 * BSP), bytes 10-13 the start TSC (in 64 KiB steps); then a stream of
 * operations: xAPIC page reads and writes (registers, reserved slots, odd
 * offsets and sizes), RDMSR/WRMSR of IA32_APIC_BASE, IA32_TSC_DEADLINE and
 * 0x800-0xbff, interrupt messages, LINT levels, CR8 writes, EOIs, TSC
 * steps, and the hv's entry work (timer update, acknowledge, NMI and EOI
 * collection). Time only moves forward.
 *
 * Invariants (SDM "Advanced Programmable Interrupt Controller (APIC)"):
 * at most one ISR bit per priority class, and none, like IRR, below 16;
 * PPR >= TPR and PPR's class >= the highest ISR class; the pending vector
 * is the highest IRR bit iff its class is above PPR's; an acknowledge
 * moves exactly it from IRR to ISR (or gives the spurious vector and
 * changes nothing); an EOI clears exactly the highest ISR bit and reports
 * it for broadcast iff it was level-triggered and not suppressed; a masked
 * LVT timer never sets an IRR bit; after an update the next timer event
 * is after now, nothing happens just before it and something at it; the
 * software-disabled APIC has every LVT masked; registers keep only their
 * defined bits; IA32_APIC_BASE changes exactly on the legal transitions
 * and never leaves 0xfee00000; a #GP leaves the state as it was; x2APIC
 * MSRs outside x2APIC mode, reserved and read-only ones always #GP.
 */
#include <string.h>

#include "fuzz.h"
#include "vlapic.h"

static const uint32_t lvt_defined[VLAPIC_LVT_COUNT] = {
	0x000710ff, 0x000117ff, 0x000117ff, 0x0001f7ff, 0x0001f7ff, 0x000110ff,
};

static int highest(const uint32_t *r)
{
	int i;

	for (i = 255; i >= 0; i--)
		if (r[i >> 5] >> (i & 31) & 1)
			return i;
	return -1;
}

static bool test_bit(const uint32_t *r, int v)
{
	return r[v >> 5] >> (v & 31) & 1;
}

/* PPR written from "Processor Priority Register (PPR)", independently of vlapic_ppr. */
static unsigned ref_ppr(const struct vlapic *a)
{
	int isrv = highest(a->isr);
	unsigned isr_class = isrv < 0 ? 0 : (unsigned)isrv & 0xf0;

	return (a->tpr & 0xf0) >= isr_class ? a->tpr : isr_class;
}

static int ref_pending(const struct vlapic *a)
{
	int v = highest(a->irr);

	if (!(a->apic_base & VLAPIC_BASE_EN) || v < 0)
		return -1;
	return ((unsigned)v & 0xf0) > (ref_ppr(a) & 0xf0) ? v : -1;
}

static void check_timer(const struct vlapic *a, uint64_t now)
{
	unsigned mode = a->lvt[VLAPIC_LVT_TIMER_IDX] >> 17 & 3;
	uint32_t count = vlapic_timer_count(a, now);

	if (mode == VLAPIC_TIMER_DEADLINE) {
		FUZZ_CHECK(a->timer_initial == 0 && !a->timer_running && count == 0,
			   "deadline mode with initial count %u, count %u", a->timer_initial, count);
	} else {
		FUZZ_CHECK(a->tsc_deadline == 0, "IA32_TSC_DEADLINE %llu outside its mode",
			   (unsigned long long)a->tsc_deadline);
	}
	if (a->timer_running)
		FUZZ_CHECK(a->timer_initial >= 1 && a->timer_first >= 1 &&
			   a->timer_first <= a->timer_initial, "running with initial %u first %u",
			   a->timer_initial, a->timer_first);
	FUZZ_CHECK(count <= a->timer_initial, "count %u above the initial count %u", count,
		   a->timer_initial);
	FUZZ_CHECK(!(a->timer_tdcr & ~0xbu), "TDCR 0x%x", a->timer_tdcr);
}

/* State that must hold between any two operations. */
static void check_state(const struct vlapic *a, uint64_t now)
{
	unsigned c, i, ppr = vlapic_ppr(a);
	int isrv = highest(a->isr), v;

	FUZZ_CHECK((a->apic_base & ~0xd00ull) == VLAPIC_DEFAULT_BASE, "APIC base 0x%llx",
		   (unsigned long long)a->apic_base);
	FUZZ_CHECK(!(a->apic_base & VLAPIC_BASE_EXTD) ||
		   ((a->apic_base & VLAPIC_BASE_EN) && a->cfg.x2apic), "EXTD in 0x%llx",
		   (unsigned long long)a->apic_base);
	FUZZ_CHECK(!(a->irr[0] & 0xffff) && !(a->isr[0] & 0xffff), "vector below 16: irr 0x%x isr 0x%x",
		   a->irr[0], a->isr[0]);
	for (c = 0; c < 16; c++)
		FUZZ_CHECK(__builtin_popcount((a->isr[c >> 1] >> ((c & 1) * 16)) & 0xffff) <= 1,
			   "two ISR bits in class %u", c);
	FUZZ_CHECK(ppr == ref_ppr(a) && ppr >= (a->tpr & 0xff) &&
		   (isrv < 0 || (ppr & 0xf0) >= ((unsigned)isrv & 0xf0)),
		   "PPR 0x%x, TPR 0x%x, ISRV 0x%x", ppr, a->tpr, isrv);
	v = vlapic_pending_vector(a);
	FUZZ_CHECK(v == ref_pending(a), "pending 0x%x, want 0x%x", v, ref_pending(a));
	for (i = 0; i < 8; i++)
		FUZZ_CHECK(!(a->irr_words >> i & 1) == !a->irr[i] && !(a->isr_words >> i & 1) == !a->isr[i],
			   "stale summary at word %u: irr 0x%x (0x%x) isr 0x%x (0x%x)", i, a->irr[i],
			   a->irr_words, a->isr[i], a->isr_words);
	FUZZ_CHECK(vlapic_highest_irr(a) == highest(a->irr) && vlapic_irr_pending(a) == (highest(a->irr) >= 0),
		   "highest IRR %d, want %d", vlapic_highest_irr(a), highest(a->irr));
	if (!(a->apic_base & VLAPIC_BASE_EN))
		for (i = 0; i < 8; i++)
			FUZZ_CHECK(!a->irr[i] && !a->isr[i] && !a->tmr[i], "disabled APIC holds vectors");
	for (i = 0; i < VLAPIC_LVT_COUNT; i++) {
		FUZZ_CHECK(!(a->lvt[i] & ~lvt_defined[i]), "LVT %u 0x%x", i, a->lvt[i]);
		if (!(a->svr & 0x100))
			FUZZ_CHECK(a->lvt[i] & VLAPIC_LVT_MASKED, "software-disabled, LVT %u 0x%x", i,
				   a->lvt[i]);
	}
	FUZZ_CHECK(!(a->lvt[VLAPIC_LVT_LINT1_IDX] & VLAPIC_LVT_REMOTE_IRR), "remote IRR on LINT1");
	if (a->lvt[VLAPIC_LVT_LINT0_IDX] & VLAPIC_LVT_REMOTE_IRR)
		FUZZ_CHECK((a->lvt[VLAPIC_LVT_LINT0_IDX] & 0x8700) == 0x8000,
			   "remote IRR on LINT0 0x%x", a->lvt[VLAPIC_LVT_LINT0_IDX]);
	FUZZ_CHECK(a->tpr <= 0xff && !(a->svr & ~0x13ffu) && !(a->ldr & 0x00ffffff) &&
		   !(a->dfr & 0x0fffffff && a->dfr != 0xffffffff) && !((a->esr | a->esr_pending) & ~0xf0u),
		   "TPR 0x%x SVR 0x%x LDR 0x%x DFR 0x%x ESR 0x%x/0x%x", a->tpr, a->svr, a->ldr, a->dfr,
		   a->esr, a->esr_pending);
	FUZZ_CHECK(!(a->icr & 0x00ffffff00030000ull && !(a->apic_base & VLAPIC_BASE_EXTD)) &&
		   !(a->icr & 0x00000000fff33000ull), "ICR 0x%llx", (unsigned long long)a->icr);
	check_timer(a, now);
}

/* After an update to now: the next event is after now, exact, and bounded. */
static void check_next_event(const struct vlapic *a, uint64_t now)
{
	uint64_t next = vlapic_next_event(a);
	bool counting = a->timer_running && (a->lvt[VLAPIC_LVT_TIMER_IDX] >> 17 & 3) != 2;
	struct vlapic b, c;

	if (counting && !(a->lvt[VLAPIC_LVT_TIMER_IDX] & VLAPIC_LVT_MASKED) &&
	    (a->apic_base & VLAPIC_BASE_EN))
		FUZZ_CHECK(next != UINT64_MAX, "a running unmasked timer with no next event");
	if (next == UINT64_MAX)
		return;
	FUZZ_CHECK(next > now, "next event %llu not after now %llu", (unsigned long long)next,
		   (unsigned long long)now);
	memcpy(&b, a, sizeof(b));
	vlapic_update(&b, next - 1);
	FUZZ_CHECK(!memcmp(&b, a, sizeof(b)), "the timer moved before its event at %llu",
		   (unsigned long long)next);
	memcpy(&c, a, sizeof(c));
	vlapic_update(&c, next);
	FUZZ_CHECK(memcmp(&c, a, sizeof(c)), "nothing happened at the event at %llu",
		   (unsigned long long)next);
	FUZZ_CHECK(test_bit(c.irr, a->lvt[VLAPIC_LVT_TIMER_IDX] & 0xff) ||
		   (c.esr_pending & VLAPIC_ESR_RECV_ILLEGAL), "the event set no IRR bit");
}

/* An xAPIC offset: a register slot, an odd byte of one, or beyond 0x3f0. */
static uint32_t pick_offset(struct fuzz_in *in, uint8_t a, unsigned *len)
{
	uint32_t off = (uint32_t)(a & 0x3f) << 4;
	uint8_t b;

	*len = 4;
	if (a & 0x40) {
		b = fuzz_u8(in);
		off |= b & 0xf;
		*len = 1u << (b >> 4 & 3);
		if (*len == 8)
			*len = 4;
	}
	if (a & 0x80)
		off += 0x400;
	return off;
}

static uint32_t pick_msr(struct fuzz_in *in, uint8_t a)
{
	switch (a >> 6) {
	case 0: case 1:
		return VLAPIC_MSR_X2APIC_FIRST + (a & 0x3f);
	case 2:
		return a & 1 ? VLAPIC_MSR_APIC_BASE : VLAPIC_MSR_TSC_DEADLINE;
	default:
		return VLAPIC_MSR_X2APIC_FIRST + (fuzz_u16(in) & 0x3ff);
	}
}

/* x2APIC MSRs that exist ("Local APIC Register Address Map Supported by x2APIC"). */
static bool x2apic_listed(uint32_t msr, bool *ro, bool *wo)
{
	uint32_t r = msr - VLAPIC_MSR_X2APIC_FIRST;

	*ro = r == 0x2 || r == 0x3 || r == 0xa || r == 0xd || (r >= 0x10 && r <= 0x27) || r == 0x39;
	*wo = r == 0xb || r == 0x3f;
	return *ro || *wo || r == 0x8 || r == 0xf || r == 0x28 || r == 0x30 ||
	       (r >= 0x32 && r <= 0x38) || r == 0x3e;
}

static bool base_legal(const struct vlapic *a, uint64_t val)
{
	bool en = val & VLAPIC_BASE_EN, extd = val & VLAPIC_BASE_EXTD;
	bool was_en = a->apic_base & VLAPIC_BASE_EN, was_x2 = was_en && (a->apic_base & VLAPIC_BASE_EXTD);

	if ((val & ~0xd00ull) != VLAPIC_DEFAULT_BASE || (extd && !a->cfg.x2apic) || (extd && !en))
		return false;
	return !(was_x2 && en && !extd) && !(!was_en && en && extd);
}

/* Returns true if IRR differs from old's at most in the LVT error vector (an error interrupt). */
static bool irr_same_but_error(const struct vlapic *a, const struct vlapic *old)
{
	unsigned ev = old->lvt[VLAPIC_LVT_ERROR_IDX] & 0xff;
	int i;

	for (i = 0; i < 8; i++)
		if ((a->irr[i] ^ old->irr[i]) & ~(i == (int)(ev >> 5) ? 1u << (ev & 31) : 0))
			return false;
	return true;
}

/*
 * "Error Handling": sending a fixed IPI with a vector below 16 sets "Send
 * Illegal Vector" and requests nothing (but the error interrupt); a
 * lowest-priority IPI sets "Redirectable IPI".
 */
static void check_ipi_errors(const struct vlapic *a, const struct vlapic *old, uint32_t icr)
{
	unsigned mode = icr >> 8 & 7;

	if (mode == VLAPIC_DM_FIXED && (icr & 0xff) < 16)
		FUZZ_CHECK((a->esr_pending & VLAPIC_ESR_SEND_ILLEGAL) && irr_same_but_error(a, old),
			   "illegal vector 0x%x sent: ESR 0x%x", icr & 0xff, a->esr_pending);
	if (mode == VLAPIC_DM_LOWEST)
		FUZZ_CHECK(a->esr_pending & VLAPIC_ESR_REDIR_IPI, "lowest-priority IPI: ESR 0x%x",
			   a->esr_pending);
}

static void op_rdmsr(struct vlapic *a, uint32_t msr, uint64_t now)
{
	struct vlapic old;
	bool ro, wo, listed = x2apic_listed(msr, &ro, &wo);
	uint64_t v = 0;
	int rc;

	vlapic_update(a, now);
	memcpy(&old, a, sizeof(old));
	rc = vlapic_rdmsr(a, msr, &v, now);
	FUZZ_CHECK(vlapic_handles_msr(msr), "MSR 0x%x not the APIC's", msr);
	FUZZ_CHECK(!memcmp(&old, a, sizeof(old)), "RDMSR 0x%x changed the APIC", msr);
	if (msr >= VLAPIC_MSR_X2APIC_FIRST && (!vlapic_x2apic_mode(a) || !listed || wo))
		FUZZ_CHECK(rc == -1, "RDMSR 0x%x did not #GP", msr);
	if (rc == 0 && msr >= VLAPIC_MSR_X2APIC_FIRST && msr != 0x830)
		FUZZ_CHECK(!(v >> 32), "RDMSR 0x%x bits 63:32 0x%llx", msr, (unsigned long long)v);
	if (msr == VLAPIC_MSR_APIC_BASE)
		FUZZ_CHECK(rc == 0 && v == a->apic_base, "IA32_APIC_BASE read 0x%llx",
			   (unsigned long long)v);
}

static void op_wrmsr(struct vlapic *a, uint32_t msr, uint64_t val, uint64_t now)
{
	struct vlapic old;
	bool ro, wo, listed = x2apic_listed(msr, &ro, &wo);
	int rc;

	vlapic_update(a, now);
	memcpy(&old, a, sizeof(old));
	rc = vlapic_wrmsr(a, msr, val, now);
	if (rc)
		FUZZ_CHECK(!memcmp(&old, a, sizeof(old)), "a #GP WRMSR 0x%x changed the APIC", msr);
	if (msr >= VLAPIC_MSR_X2APIC_FIRST && (!vlapic_x2apic_mode(&old) || !listed || ro))
		FUZZ_CHECK(rc == -1, "WRMSR 0x%x did not #GP", msr);
	if (msr >= VLAPIC_MSR_X2APIC_FIRST && msr != 0x830 && (val >> 32))
		FUZZ_CHECK(rc == -1, "WRMSR 0x%x with bits 63:32 did not #GP", msr);
	if ((msr == 0x80b || msr == 0x828) && val)
		FUZZ_CHECK(rc == -1, "non-zero write of MSR 0x%x did not #GP", msr);
	if (rc == 0 && msr == 0x830)
		check_ipi_errors(a, &old, (uint32_t)val);
	if (rc == 0 && msr == 0x83f)
		check_ipi_errors(a, &old, (uint32_t)val & 0xff);
	if (msr == VLAPIC_MSR_APIC_BASE) {
		FUZZ_CHECK((rc == 0) == base_legal(&old, val), "IA32_APIC_BASE 0x%llx -> 0x%llx: %d",
			   (unsigned long long)old.apic_base, (unsigned long long)val, rc);
		if (rc == 0)
			FUZZ_CHECK(a->apic_base == val, "IA32_APIC_BASE holds 0x%llx",
				   (unsigned long long)a->apic_base);
	}
}

/*
 * What the xAPIC page holds at a 16-byte slot ("Local APIC Register Address
 * Map"): 0 reserved, 1 read-only, 2 writable or write-only.
 */
static int xapic_kind(uint32_t off)
{
	if (off == 0x20 || off == 0x30 || off == 0x90 || off == 0xa0 || off == 0xc0 ||
	    (off >= 0x100 && off <= 0x270) || off == 0x390)
		return 1;
	if (off == 0x80 || off == 0xb0 || off == 0xd0 || off == 0xe0 || off == 0xf0 ||
	    off == 0x280 || off == 0x300 || off == 0x310 || (off >= 0x320 && off <= 0x380) ||
	    off == 0x3e0)
		return 2;
	return 0;
}

/*
 * An access to a reserved slot: ESR "Illegal Register Address" is logged
 * and, through LVT error, its vector may be requested; nothing else moves.
 */
static void check_illegal_access(const struct vlapic *a, const struct vlapic *old, uint32_t off)
{
	struct vlapic b;
	unsigned ev = old->lvt[VLAPIC_LVT_ERROR_IDX] & 0xff;

	FUZZ_CHECK(a->esr_pending == (old->esr_pending | VLAPIC_ESR_ILLEGAL_REG) ||
		   a->esr_pending == (old->esr_pending | VLAPIC_ESR_ILLEGAL_REG |
				      VLAPIC_ESR_RECV_ILLEGAL), "access to 0x%x: ESR 0x%x", off,
		   a->esr_pending);
	memcpy(&b, a, sizeof(b));
	b.esr_pending = old->esr_pending;
	b.irr[ev >> 5] = (b.irr[ev >> 5] & ~(1u << (ev & 31))) | (old->irr[ev >> 5] & 1u << (ev & 31));
	b.tmr[ev >> 5] = (b.tmr[ev >> 5] & ~(1u << (ev & 31))) | (old->tmr[ev >> 5] & 1u << (ev & 31));
	b.irr_words = old->irr_words;          /* follows IRR (check_state) */
	FUZZ_CHECK(!memcmp(&b, old, sizeof(b)), "access to 0x%x changed more than ESR", off);
}

/* xAPIC read: a register read changes nothing; a reserved one logs an error. */
static void op_read(struct vlapic *a, uint32_t off, unsigned len, uint64_t now)
{
	struct vlapic old;
	uint32_t v;

	vlapic_update(a, now);
	memcpy(&old, a, sizeof(old));
	v = vlapic_mmio_read(a, off, len, now);
	if (!vlapic_xapic_mode(a)) {
		FUZZ_CHECK(v == (len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1),
			   "undecoded page read 0x%x", v);
		FUZZ_CHECK(!memcmp(&old, a, sizeof(old)), "undecoded read changed the APIC");
	} else if (off & 0xc) {
		FUZZ_CHECK(v == 0 && !memcmp(&old, a, sizeof(old)), "bytes 4-15 of 0x%x: 0x%x",
			   off & 0xff0, v);
	} else if (off < 0x400 && xapic_kind(off & 0xff0)) {
		FUZZ_CHECK(!memcmp(&old, a, sizeof(old)), "read of 0x%x changed the APIC", off);
	} else {
		FUZZ_CHECK(v == 0, "reserved 0x%x read 0x%x", off, v);
		check_illegal_access(a, &old, off);
	}
}

/* xAPIC write: only 32-bit writes to a register slot act; read-only slots ignore them. */
static void op_write(struct vlapic *a, uint32_t off, unsigned len, uint32_t val, uint64_t now)
{
	struct vlapic old;
	bool decoded = vlapic_xapic_mode(a) && len == 4 && !(off & 0xf);
	int kind = off >= 0x400 ? 0 : xapic_kind(off & 0xff0);

	vlapic_update(a, now);
	memcpy(&old, a, sizeof(old));
	vlapic_mmio_write(a, off, len, val, now);
	if (!decoded || kind == 1)
		FUZZ_CHECK(!memcmp(&old, a, sizeof(old)), "write of 0x%x (%u bytes) at 0x%x acted",
			   val, len, off);
	else if (kind == 0)
		check_illegal_access(a, &old, off);
	else if (off == VLAPIC_ICR_LO)
		check_ipi_errors(a, &old, val);
}

/* An EOI write: exactly the highest ISR bit goes, reported iff level and broadcast. */
static void op_eoi(struct vlapic *a, uint64_t now)
{
	struct vlapic old;
	int v, i;

	vlapic_update(a, now);
	memcpy(&old, a, sizeof(old));
	v = highest(old.isr);
	if (vlapic_x2apic_mode(a))
		FUZZ_CHECK(vlapic_wrmsr(a, 0x80b, 0, now) == 0, "EOI MSR write refused");
	else
		vlapic_mmio_write(a, VLAPIC_EOI, 4, 0, now);
	if (!vlapic_hw_enabled(a) || v < 0) {
		FUZZ_CHECK(!memcmp(old.isr, a->isr, sizeof(a->isr)), "EOI with nothing in service");
		return;
	}
	for (i = 0; i < 8; i++)
		FUZZ_CHECK(a->isr[i] == (old.isr[i] & ~(i == v >> 5 ? 1u << (v & 31) : 0)),
			   "EOI of 0x%x: ISR[%d] 0x%x -> 0x%x", v, i, old.isr[i], a->isr[i]);
	FUZZ_CHECK(test_bit(a->eoi_pending, v) ==
		   (test_bit(old.eoi_pending, v) || (test_bit(old.tmr, v) && !(old.svr & 0x1000))),
		   "EOI of 0x%x reported %d, TMR %d", v, test_bit(a->eoi_pending, v),
		   test_bit(old.tmr, v));
}

/*
 * "Determining IPI Destination" for an IOAPIC message: nothing reaches a
 * disabled APIC; 0xff is a broadcast; a physical destination is the ID
 * (its low 8 bits in xAPIC mode); logical ones follow LDR and DFR (flat:
 * any common bit; cluster: the same cluster and a common bit) or, in
 * x2APIC mode, the derived LDR (cluster 0 here: IDs below 16).
 */
static void check_match(const struct vlapic *a, uint8_t dest, bool logical)
{
	bool m = vlapic_match_dest(a, dest, logical), want;
	uint32_t lid = a->ldr >> 24, id = a->cfg.id;

	if (!(a->apic_base & VLAPIC_BASE_EN))
		want = false;
	else if (dest == 0xff)
		want = true;
	else if (!logical)
		want = vlapic_x2apic_mode(a) ? dest == id : dest == (id & 0xff);
	else if (vlapic_x2apic_mode(a))
		want = id < 16 && (dest & (1u << id));
	else if (a->dfr >> 28 == 0xf)
		want = dest & lid;
	else
		want = (dest >> 4) == (lid >> 4) && (dest & lid & 0xf);
	FUZZ_CHECK(m == want, "destination 0x%x (logical %d) matched %d, ID 0x%x LDR 0x%x DFR 0x%x",
		   dest, logical, m, id, a->ldr, a->dfr);
}

/* The hv before an entry: update, next event, acknowledge, NMI, EOIs. */
static void op_entry(struct vlapic *a, uint8_t sel, uint64_t now)
{
	struct vlapic old;
	int v, got, i;

	memcpy(&old, a, sizeof(old));
	vlapic_update(a, now);
	if (old.lvt[VLAPIC_LVT_TIMER_IDX] & VLAPIC_LVT_MASKED)
		FUZZ_CHECK(!memcmp(old.irr, a->irr, sizeof(a->irr)) && old.esr_pending == a->esr_pending,
			   "a masked timer set an IRR bit");
	check_next_event(a, now);
	v = vlapic_pending_vector(a);
	memcpy(&old, a, sizeof(old));
	if (v >= 0 || (sel & 1)) {
		got = vlapic_ack(a);
		if (v < 0) {
			FUZZ_CHECK(got == (int)(old.svr & 0xff) && !memcmp(&old, a, sizeof(old)),
				   "spurious acknowledge gave 0x%x", got);
		} else {
			FUZZ_CHECK(got == v && test_bit(a->isr, v) && !test_bit(a->irr, v),
				   "acknowledge of 0x%x gave 0x%x", v, got);
			for (i = 0; i < 8; i++)
				FUZZ_CHECK((a->isr[i] ^ old.isr[i]) == (i == v >> 5 ? 1u << (v & 31) : 0),
					   "acknowledge changed ISR[%d]", i);
		}
	}
	/* "Enabling or Disabling the Local APIC": INTR reaches the CPU directly, or through LINT0 ExtINT. */
	FUZZ_CHECK(vlapic_extint_open(a) == (!(a->apic_base & VLAPIC_BASE_EN) ||
					     (a->lvt[VLAPIC_LVT_LINT0_IDX] & 0x10700) == 0x700),
		   "ExtINT open %d, LINT0 0x%x", vlapic_extint_open(a), a->lvt[VLAPIC_LVT_LINT0_IDX]);
	if (sel & 2) {
		bool pending = vlapic_nmi_pending(a);

		FUZZ_CHECK(vlapic_take_nmi(a) == pending && !vlapic_nmi_pending(a), "NMI taken twice");
	}
	if (sel & 4)
		while (vlapic_take_eoi(a) >= 0)
			;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vlapic_config cfg = { 0 };
	struct vlapic a, old;
	uint64_t now, g, num, den;
	unsigned len;
	uint8_t flags;
	bool ok;

	cfg.tsc_hz = 1000000ull + fuzz_u32(&in);
	cfg.bus_hz = 1000000ull + fuzz_u32(&in);
	cfg.id = fuzz_u8(&in);
	flags = fuzz_u8(&in);
	cfg.x2apic = flags & 1;
	cfg.tsc_deadline = flags & 2;
	cfg.bsp = flags & 4;
	now = (uint64_t)fuzz_u32(&in) << 16;
	for (num = cfg.tsc_hz, den = cfg.bus_hz; den; g = num % den, num = den, den = g)
		;
	g = num;
	num = cfg.bus_hz / g;
	den = cfg.tsc_hz / g;
	ok = (unsigned __int128)num * den + num <= UINT64_MAX;
	FUZZ_CHECK((vlapic_init(&a, &cfg) == 0) == ok, "rates %llu/%llu accepted: %d",
		   (unsigned long long)cfg.tsc_hz, (unsigned long long)cfg.bus_hz, !ok);
	if (!ok)
		return 0;
	check_state(&a, now);
	while (fuzz_more(&in)) {
		uint8_t op = fuzz_u8(&in), x = fuzz_u8(&in);
		uint32_t off, val;

		switch (op % 12) {
		case 0: case 1:                 /* the commonest guest action */
			off = pick_offset(&in, x, &len);
			op_write(&a, off, len, fuzz_u32(&in), now);
			break;
		case 2:
			off = pick_offset(&in, x, &len);
			op_read(&a, off, len, now);
			break;
		case 3:
			off = pick_msr(&in, x);
			op_wrmsr(&a, off, x & 0x20 ? fuzz_u64(&in) : fuzz_u32(&in), now);
			break;
		case 4:
			op_rdmsr(&a, pick_msr(&in, x), now);
			break;
		case 5:                         /* an IOAPIC message */
			memcpy(&old, &a, sizeof(old));
			val = fuzz_u8(&in);
			if (x & 0x10) {         /* routed as the hv does: only to a matching APIC */
				uint8_t dest = fuzz_u8(&in);

				check_match(&a, dest, x & 0x20);
				if (!vlapic_match_dest(&a, dest, x & 0x20))
					break;
			}
			ok = vlapic_accept_irq(&a, x & 7, (uint8_t)val, x & 8);
			if (ok && (x & 6) == 0)
				FUZZ_CHECK(val >= 16 && test_bit(a.irr, (int)val) &&
					   test_bit(a.tmr, (int)val) == !!(x & 8), "accepted 0x%x", val);
			if ((x & 7) == 2 || (x & 7) == 3 || (x & 7) >= 5 || !vlapic_hw_enabled(&old))
				FUZZ_CHECK(!ok, "mode %d taken", x & 7);
			break;
		case 6:                         /* time passes: a few ticks, or seconds */
			now += x & 0x80 ? fuzz_u16(&in) : (uint64_t)fuzz_u32(&in) << (x & 7);
			break;
		case 7:
			op_entry(&a, x, now);
			break;
		case 8:
			vlapic_set_lint(&a, (int8_t)x % 3, fuzz_u8(&in) & 1);
			break;
		case 9:
			op_eoi(&a, now);
			break;
		case 10:
			vlapic_write_cr8(&a, x & 0xf);
			FUZZ_CHECK(vlapic_read_cr8(&a) == (x & 0xfu) && a.tpr == (x & 0xfu) << 4,
				   "CR8 %u, TPR 0x%x", x & 0xf, a.tpr);
			break;
		default:
			if (x == 0xa5)
				vlapic_reset(&a);
			else
				op_entry(&a, x, now);
			break;
		}
		check_state(&a, now);
	}
	vlapic_update(&a, now);
	check_next_event(&a, now);
	return 0;
}
