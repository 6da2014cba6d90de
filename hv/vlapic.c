/*
 * Virtual local APIC. Behaviour follows the Intel SDM chapter "Advanced
 * Programmable Interrupt Controller (APIC)": "Local APIC Register Address
 * Map", "Local APIC State After Power-Up or Reset", "Local APIC State
 * After It Has Been Software Disabled", "Local Vector Table", "APIC
 * Timer", "TSC-Deadline Mode", "Error Handling", "Interrupt Command
 * Register (ICR)", "Determining IPI Destination", "Task and Processor
 * Priorities", "Interrupt Acceptance for Fixed Interrupts", "End-of-
 * Interrupt (EOI)", "Spurious Interrupt", and for x2APIC mode "x2APIC
 * Register Address Space", "Reserved Bit Checking", "x2APIC State
 * Transitions", "Logical Destination Mode in x2APIC Mode".
 *
 * Decisions where the SDM leaves a choice or the platform has one vCPU:
 *   - The ID register is read-only in xAPIC mode too (so it is on every
 *     CPU since Nehalem).
 *   - IPIs: fixed and NMI to this APIC (shorthand self or all-including-
 *     self, its physical or logical ID, a broadcast) are delivered, NMI
 *     with shorthand self too although the SDM's table calls that
 *     combination invalid. An IPI to any other destination has no target
 *     and is dropped without an error: the accept errors are P6-only.
 *     INIT, SIPI and SMI IPIs are dropped (one vCPU, no SMM). A lowest-
 *     priority IPI sets ESR "Redirectable IPI" and is not sent, as the
 *     SDM describes for x2APIC-capable processors. Every IPI dropped is
 *     recorded for the hv (vlapic_take_dropped_ipi), which logs it.
 *   - IA32_APIC_BASE: the base cannot move from 0xfee00000 (#GP; KVM
 *     accepts the write but leaves the page where it was, so the guest
 *     then talks to a page that is not its APIC).
 *   - Going from enabled to disabled (EN 1 -> 0) resets every register but
 *     the ID ("x2APIC Transitions From x2APIC Mode": nothing but the ID is
 *     preserved; "Enabling or Disabling the Local APIC": the APIC may
 *     return to its power-up state).
 *   - Timer mode 3 (reserved) counts as one-shot.
 *   - A divide configuration write restarts the count from the current
 *     count at the new rate (the fraction of a count is lost).
 *   - LINT input levels are assertions: the polarity bit is kept for the
 *     guest but inverts nothing (as QEMU and KVM).
 */
#include "vlapic.h"

#define SVR_ENABLE       (1u << 8)
#define SVR_EOI_SUPPRESS (1u << 12)
#define SVR_WRITABLE     0x13ffu        /* vector, enable, focus, EOI suppress */

#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_XAPIC_LO     0x000ccfffull  /* vector, mode, dest mode, level, trigger, shorthand */
#define ICR_BUSY         (1u << 12)

/* Register kinds per mode ("Local APIC Register Address Map Supported by x2APIC"). */
enum { REG_NONE, REG_RO, REG_WO, REG_RW };

/* Writable LVT bits: vector, delivery mode, polarity, trigger, mask, timer mode. */
static const uint32_t vlapic_lvt_writable[VLAPIC_LVT_COUNT] = {
	0x000700ff, 0x000107ff, 0x000107ff, 0x0001a7ff, 0x0001a7ff, 0x000100ff,
};

/* Read-only LVT bits: delivery status; remote IRR on LINT0/1. */
static const uint32_t vlapic_lvt_ro[VLAPIC_LVT_COUNT] = {
	0x1000, 0x1000, 0x1000, 0x5000, 0x5000, 0x1000,
};

static bool vec_test(const uint32_t *r, unsigned v)
{
	return r[v >> 5] >> (v & 31) & 1;
}

static void vec_set(uint32_t *r, unsigned v)
{
	r[v >> 5] |= 1u << (v & 31);
}

static void vec_clear(uint32_t *r, unsigned v)
{
	r[v >> 5] &= ~(1u << (v & 31));
}

/*
 * IRR and ISR keep a summary beside them (irr_words, isr_words: bit i set
 * while word i is not 0), so that the highest vector, asked for on every
 * VM entry, costs two bit scans and nothing when the register is empty.
 * Every change of IRR or ISR goes through these two.
 */
static void vec_set_sum(uint32_t *r, uint8_t *words, unsigned v)
{
	vec_set(r, v);
	*words |= (uint8_t)(1u << (v >> 5));
}

static void vec_clear_sum(uint32_t *r, uint8_t *words, unsigned v)
{
	vec_clear(r, v);
	if (!r[v >> 5])
		*words &= (uint8_t)~(1u << (v >> 5));
}

/* The highest vector set in a 256-bit register whose summary is words, or -1. */
static int vec_highest(const uint32_t *r, uint8_t words)
{
	int i;

	if (!words)
		return -1;
	i = 31 - __builtin_clz(words);
	return i * 32 + 31 - __builtin_clz(r[i]);
}

static uint64_t vlapic_gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

bool vlapic_x2apic_mode(const struct vlapic *a)
{
	return vlapic_hw_enabled(a) && (a->apic_base & VLAPIC_BASE_EXTD);
}

bool vlapic_xapic_mode(const struct vlapic *a)
{
	return vlapic_hw_enabled(a) && !(a->apic_base & VLAPIC_BASE_EXTD);
}

/* "Logical Destination Mode in x2APIC Mode": cluster ID[19:4], bit ID[3:0]. */
static uint32_t vlapic_x2apic_ldr(uint32_t id)
{
	return (id >> 4) << 16 | 1u << (id & 0xf);
}

static unsigned vlapic_timer_mode(const struct vlapic *a)
{
	return a->lvt[VLAPIC_LVT_TIMER_IDX] >> 17 & 3;
}

static bool vlapic_deadline_mode(const struct vlapic *a)
{
	return vlapic_timer_mode(a) == VLAPIC_TIMER_DEADLINE;
}

static bool vlapic_periodic(const struct vlapic *a)
{
	return vlapic_timer_mode(a) == VLAPIC_TIMER_PERIODIC;
}

/* Writable bits of LVT entry idx; TSC-deadline mode only with the feature. */
static uint32_t vlapic_lvt_mask(const struct vlapic *a, unsigned idx)
{
	uint32_t m = vlapic_lvt_writable[idx];

	if (idx == VLAPIC_LVT_TIMER_IDX && !a->cfg.tsc_deadline)
		m &= ~(1u << 18);
	return m;
}

/* "Local APIC State After Power-Up or Reset", for everything but IA32_APIC_BASE and the ID. */
static void vlapic_reset_regs(struct vlapic *a)
{
	int i;

	for (i = 0; i < 8; i++)
		a->irr[i] = a->isr[i] = a->tmr[i] = 0;
	a->irr_words = a->isr_words = 0;
	for (i = 0; i < VLAPIC_LVT_COUNT; i++)
		a->lvt[i] = VLAPIC_LVT_MASKED;
	a->tpr = a->ldr = 0;
	a->dfr = 0xffffffffu;
	a->svr = 0xff;
	a->esr = a->esr_pending = 0;
	a->icr = 0;
	a->timer_initial = a->timer_tdcr = 0;
	a->timer_running = false;
	a->timer_first = 0;
	a->timer_fired = 0;
	a->tsc_deadline = 0;
}

void vlapic_reset(struct vlapic *a)
{
	a->apic_base = VLAPIC_DEFAULT_BASE | VLAPIC_BASE_EN | (a->cfg.bsp ? VLAPIC_BASE_BSP : 0);
	vlapic_reset_regs(a);
}

int vlapic_init(struct vlapic *a, const struct vlapic_config *cfg)
{
	uint64_t g;

	*a = (struct vlapic){ .cfg = *cfg };
	if (!cfg->tsc_hz || !cfg->bus_hz)
		return -1;
	g = vlapic_gcd(cfg->tsc_hz, cfg->bus_hz);
	a->bus_num = cfg->bus_hz / g;
	a->bus_den = cfg->tsc_hz / g;
	/* r * num (r < den) and r * den + num - 1 (r < num) must fit. */
	if (a->bus_den > (UINT64_MAX - a->bus_num) / a->bus_num)
		return -1;
	a->min_period = cfg->bus_hz / VLAPIC_MIN_PERIOD_HZ;
	if (!a->min_period)
		a->min_period = 1;
	vlapic_reset(a);
	/* Virtual wire mode, as firmware leaves the BSP's APIC. */
	a->svr = SVR_ENABLE | 0xff;
	a->lvt[VLAPIC_LVT_LINT0_IDX] = VLAPIC_DM_EXTINT << 8;
	a->lvt[VLAPIC_LVT_LINT1_IDX] = VLAPIC_DM_NMI << 8;
	return 0;
}

/* ---- Priorities, acceptance, EOI ---- */

uint8_t vlapic_ppr(const struct vlapic *a)
{
	int isrv = vec_highest(a->isr, a->isr_words);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	/* "Processor Priority Register (PPR)": TPR if its class is not lower, else ISRV's class. */
	if ((a->tpr & 0xf0) >= isr_class)
		return (uint8_t)a->tpr;
	return (uint8_t)isr_class;
}

int vlapic_pending_vector(const struct vlapic *a)
{
	int v = vec_highest(a->irr, a->irr_words);

	if (!vlapic_hw_enabled(a) || v < 0)
		return -1;
	return ((unsigned)v & 0xf0) > (vlapic_ppr(a) & 0xf0u) ? v : -1;
}

int vlapic_ack(struct vlapic *a)
{
	int v = vlapic_pending_vector(a);

	if (v < 0)
		return a->svr & 0xff;
	vec_clear_sum(a->irr, &a->irr_words, (unsigned)v);
	vec_set_sum(a->isr, &a->isr_words, (unsigned)v);
	return v;
}

/* Sets the IRR bit of vector (16..255) and its TMR bit to the trigger mode. */
static void vlapic_set_irr(struct vlapic *a, uint8_t vector, bool level)
{
	vec_set_sum(a->irr, &a->irr_words, vector);
	if (level)
		vec_set(a->tmr, vector);
	else
		vec_clear(a->tmr, vector);
}

/*
 * An error the APIC detected: logged for the next ESR write whatever the
 * LVT error mask, and signalled through LVT error if unmasked ("Error
 * Handling"). An illegal vector in LVT error itself is logged, not
 * signalled again.
 */
static void vlapic_error(struct vlapic *a, uint32_t bits)
{
	uint32_t lvt = a->lvt[VLAPIC_LVT_ERROR_IDX];

	a->esr_pending |= bits;
	if (lvt & VLAPIC_LVT_MASKED)
		return;
	if ((lvt & 0xff) < 16)
		a->esr_pending |= VLAPIC_ESR_RECV_ILLEGAL;
	else
		vlapic_set_irr(a, (uint8_t)lvt, false);
}

bool vlapic_accept_irq(struct vlapic *a, unsigned mode, uint8_t vector, bool level)
{
	if (!vlapic_hw_enabled(a))
		return false;
	switch (mode) {
	case VLAPIC_DM_FIXED:
	case VLAPIC_DM_LOWEST:
		if (!(a->svr & SVR_ENABLE))
			return false;
		if (vector < 16) {
			/* "the local APIC will never set an IRR bit in the range 0 to 15" */
			vlapic_error(a, VLAPIC_ESR_RECV_ILLEGAL);
			return false;
		}
		vlapic_set_irr(a, vector, level);
		return true;
	case VLAPIC_DM_NMI:
		a->nmi_pending = true;
		return true;
	default:
		return false;
	}
}

/*
 * An LVT LINT entry and its pin: fixed mode takes a rising edge, or in
 * level mode (LINT0) the asserted level while remote IRR is clear, which
 * it then sets; NMI mode takes a rising edge. With the APIC globally
 * disabled, LINT1 is the NMI pin.
 */
static void vlapic_lint_deliver(struct vlapic *a, int pin, bool rising)
{
	uint32_t *lvt = &a->lvt[VLAPIC_LVT_LINT0_IDX + pin];
	unsigned dm = *lvt >> 8 & 7;

	if (!vlapic_hw_enabled(a)) {
		if (pin == 1 && rising)
			a->nmi_pending = true;
		return;
	}
	if (*lvt & VLAPIC_LVT_MASKED)
		return;
	if (dm == VLAPIC_DM_NMI) {
		if (rising)
			a->nmi_pending = true;
	} else if (dm == VLAPIC_DM_FIXED && pin == 0 && (*lvt & VLAPIC_LVT_LEVEL)) {
		/* "Remote IRR Flag": set on acceptance, cleared by the EOI. */
		if ((a->lint_level & 1) && !(*lvt & VLAPIC_LVT_REMOTE_IRR) &&
		    vlapic_accept_irq(a, VLAPIC_DM_FIXED, (uint8_t)*lvt, true))
			*lvt |= VLAPIC_LVT_REMOTE_IRR;
	} else if (dm == VLAPIC_DM_FIXED && rising) {
		/* LINT1 is edge-only: "level-sensitive interrupts are not supported for LINT1". */
		vlapic_accept_irq(a, VLAPIC_DM_FIXED, (uint8_t)*lvt, false);
	}
}

void vlapic_set_lint(struct vlapic *a, int pin, int level)
{
	bool was;

	if (pin < 0 || pin > 1)
		return;
	was = a->lint_level >> pin & 1;
	if (level)
		a->lint_level |= (uint8_t)(1u << pin);
	else
		a->lint_level &= (uint8_t)~(1u << pin);
	vlapic_lint_deliver(a, pin, level && !was);
}

/*
 * "End-of-Interrupt (EOI)": clears the highest ISR bit. A level-triggered
 * vector (TMR set) is broadcast to the IOAPICs unless SVR suppresses it
 * ("EOI-Broadcast Suppression"), and clears a LINT entry's remote IRR.
 */
static void vlapic_eoi(struct vlapic *a)
{
	int v = vec_highest(a->isr, a->isr_words), pin;

	if (v < 0)
		return;
	vec_clear_sum(a->isr, &a->isr_words, (unsigned)v);
	if (!vec_test(a->tmr, (unsigned)v))
		return;
	if (!(a->svr & SVR_EOI_SUPPRESS))
		vec_set(a->eoi_pending, (unsigned)v);
	for (pin = 0; pin < 2; pin++) {
		uint32_t *lvt = &a->lvt[VLAPIC_LVT_LINT0_IDX + pin];

		if ((*lvt & VLAPIC_LVT_REMOTE_IRR) && (*lvt & 0xff) == (unsigned)v) {
			*lvt &= ~VLAPIC_LVT_REMOTE_IRR;
			vlapic_lint_deliver(a, pin, false);
		}
	}
}

int vlapic_take_eoi(struct vlapic *a)
{
	int i;

	for (i = 0; i < 8; i++) {
		if (a->eoi_pending[i]) {
			int v = i * 32 + __builtin_ctz(a->eoi_pending[i]);

			vec_clear(a->eoi_pending, (unsigned)v);
			return v;
		}
	}
	return -1;
}

bool vlapic_take_nmi(struct vlapic *a)
{
	bool was = a->nmi_pending;

	a->nmi_pending = false;
	return was;
}

uint64_t vlapic_read_cr8(const struct vlapic *a)
{
	return a->tpr >> 4;
}

void vlapic_write_cr8(struct vlapic *a, uint64_t cr8)
{
	a->tpr = (uint32_t)(cr8 & 0xf) << 4;
}

void vlapic_set_tpr(struct vlapic *a, uint8_t tpr)
{
	a->tpr = tpr;
}

int vlapic_highest_irr(const struct vlapic *a)
{
	return vec_highest(a->irr, a->irr_words);
}

/* ---- Destinations and IPIs ---- */

/* dest: 32 bits in x2APIC mode, 8 in xAPIC mode ("Determining IPI Destination"). */
static bool vlapic_match(const struct vlapic *a, uint32_t dest, bool logical)
{
	uint32_t lid;

	if (!vlapic_hw_enabled(a))
		return false;
	if (vlapic_x2apic_mode(a)) {
		uint32_t ldr = vlapic_x2apic_ldr(a->cfg.id);

		if (dest == 0xffffffffu)
			return true;
		if (!logical)
			return dest == a->cfg.id;
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == (a->cfg.id & 0xff);
	lid = a->ldr >> 24;
	if ((a->dfr >> 28) == 0xf)              /* flat model */
		return dest & lid;
	return (dest >> 4) == (lid >> 4) && (dest & lid & 0xf);        /* cluster model */
}

bool vlapic_match_dest(const struct vlapic *a, uint8_t dest, bool logical)
{
	/* An 8-bit broadcast stays one in x2APIC mode (KVM does the same). */
	if (dest == 0xff && vlapic_hw_enabled(a))
		return true;
	return vlapic_match(a, dest, logical);
}

/* Records an IPI that reached no one, for the hv's log (vlapic_take_dropped_ipi). */
static void vlapic_drop_ipi(struct vlapic *a, bool self)
{
	a->ipis_dropped++;
	a->ipi_dropped = (struct vlapic_ipi){ a->icr, vlapic_x2apic_mode(a), self };
}

/*
 * A write of ICR (low half in xAPIC mode) sends the IPI it describes.
 * Only this APIC can take it: an IPI whose destination names no one else
 * reaches it, the rest is recorded as dropped.
 */
static void vlapic_send_ipi(struct vlapic *a)
{
	uint32_t lo = (uint32_t)a->icr;
	uint32_t dest = vlapic_x2apic_mode(a) ? (uint32_t)(a->icr >> 32) : (uint32_t)(a->icr >> 56);
	unsigned dm = lo >> 8 & 7, shorthand = lo >> 18 & 3;
	bool self;

	if (shorthand == 0)
		self = vlapic_match(a, dest, lo & ICR_DEST_LOGICAL);
	else
		self = shorthand != 3;          /* self, all including self; not all-but-self */
	switch (dm) {
	case VLAPIC_DM_FIXED:
		if ((lo & 0xff) < 16) {
			vlapic_error(a, VLAPIC_ESR_SEND_ILLEGAL);
			return;                 /* an error, not a message */
		}
		if (!self)
			break;
		vlapic_accept_irq(a, VLAPIC_DM_FIXED, (uint8_t)lo, false);
		return;
	case VLAPIC_DM_LOWEST:
		vlapic_error(a, VLAPIC_ESR_REDIR_IPI);
		break;
	case VLAPIC_DM_NMI:
		if (!self)
			break;
		vlapic_accept_irq(a, VLAPIC_DM_NMI, 0, false);
		return;
	default:                                /* SMI, INIT, SIPI, reserved: no target */
		break;
	}
	vlapic_drop_ipi(a, self);
}

uint32_t vlapic_take_dropped_ipi(struct vlapic *a, struct vlapic_ipi *ipi)
{
	uint32_t n = a->ipis_dropped;

	*ipi = a->ipi_dropped;
	a->ipis_dropped = 0;
	return n;
}

/* x2APIC SELF IPI: a fixed, edge-triggered IPI to this APIC. */
static void vlapic_self_ipi(struct vlapic *a, uint8_t vector)
{
	if (vector < 16)
		vlapic_error(a, VLAPIC_ESR_SEND_ILLEGAL);
	else
		vlapic_accept_irq(a, VLAPIC_DM_FIXED, vector, false);
}

/* ---- Timer ---- */

/* "Divide Configuration Register": bits 3, 1:0 = 000 -> 2, ..., 110 -> 128, 111 -> 1. */
static uint64_t vlapic_divisor(const struct vlapic *a)
{
	unsigned v = (a->timer_tdcr & 3) | (a->timer_tdcr >> 1 & 4);

	return 1ull << ((v + 1) & 7);
}

/* Bus clocks in d TSC ticks: floor(d * bus_hz / tsc_hz), exactly. */
static uint64_t vlapic_tsc_to_bus(const struct vlapic *a, uint64_t d)
{
	return d / a->bus_den * a->bus_num + d % a->bus_den * a->bus_num / a->bus_den;
}

/* Smallest d with vlapic_tsc_to_bus(d) >= b: ceil(b * tsc_hz / bus_hz). */
static uint64_t vlapic_bus_to_tsc(const struct vlapic *a, uint64_t b)
{
	return b / a->bus_num * a->bus_den +
	       (b % a->bus_num * a->bus_den + a->bus_num - 1) / a->bus_num;
}

/* Bus clock of expiry j: the first at timer_first counts, then every period. */
static uint64_t vlapic_expiry(const struct vlapic *a, uint64_t j)
{
	uint64_t div = vlapic_divisor(a), period = a->timer_initial * div;

	if (period < a->min_period)
		period = a->min_period;
	return a->timer_first * div + j * period;
}

/* Bus clocks counted since the timer started. */
static uint64_t vlapic_timer_clocks(const struct vlapic *a, uint64_t now)
{
	return now > a->timer_start ? vlapic_tsc_to_bus(a, now - a->timer_start) : 0;
}

/* The expiries due by now; one-shot stops at the first not yet handled. */
static uint64_t vlapic_expiries_due(const struct vlapic *a, uint64_t now)
{
	uint64_t b = vlapic_timer_clocks(a, now), first = vlapic_expiry(a, 0), due;

	if (b < first)
		return 0;
	due = (b - first) / (vlapic_expiry(a, 1) - first) + 1;
	if (!vlapic_periodic(a) && due > a->timer_fired + 1)
		due = a->timer_fired + 1;
	return due;
}

uint32_t vlapic_timer_count(const struct vlapic *a, uint64_t now)
{
	uint64_t b, first, div;

	if (vlapic_deadline_mode(a) || !a->timer_running)
		return 0;                       /* "current-count register always reads 0" */
	div = vlapic_divisor(a);
	b = vlapic_timer_clocks(a, now);
	first = a->timer_first * div;
	if (b < first)
		return a->timer_first - (uint32_t)(b / div);
	if (!vlapic_periodic(a) && b >= vlapic_expiry(a, a->timer_fired))
		return 0;
	/* Periodic: reloaded from the initial count; reads keep the programmed rate. */
	return a->timer_initial - (uint32_t)((b - first) % (a->timer_initial * div) / div);
}

/* The LVT timer interrupt: fixed, edge; nothing while masked. */
static void vlapic_timer_fire(struct vlapic *a)
{
	uint32_t lvt = a->lvt[VLAPIC_LVT_TIMER_IDX];

	if (!(lvt & VLAPIC_LVT_MASKED))
		vlapic_accept_irq(a, VLAPIC_DM_FIXED, (uint8_t)lvt, false);
}

void vlapic_update(struct vlapic *a, uint64_t now)
{
	uint64_t due;

	if (vlapic_deadline_mode(a)) {
		/* "TSC-Deadline Mode": fires when TSC >= deadline, then disarms and clears the MSR. */
		if (a->tsc_deadline && now >= a->tsc_deadline) {
			a->tsc_deadline = 0;
			vlapic_timer_fire(a);
		}
		return;
	}
	if (!a->timer_running)
		return;
	due = vlapic_expiries_due(a, now);
	if (due <= a->timer_fired)
		return;
	/* Expiries missed since the last update coalesce into one IRR bit. */
	a->timer_fired = due;
	if (!vlapic_periodic(a))
		a->timer_running = false;
	vlapic_timer_fire(a);
}

uint64_t vlapic_next_event(const struct vlapic *a)
{
	if (!vlapic_hw_enabled(a) || (a->lvt[VLAPIC_LVT_TIMER_IDX] & VLAPIC_LVT_MASKED))
		return UINT64_MAX;
	if (vlapic_deadline_mode(a))
		return a->tsc_deadline ? a->tsc_deadline : UINT64_MAX;
	if (!a->timer_running)
		return UINT64_MAX;
	return a->timer_start + vlapic_bus_to_tsc(a, vlapic_expiry(a, a->timer_fired));
}

/* Counting restarts at now from count first (0 stops it). */
static void vlapic_timer_restart(struct vlapic *a, uint32_t first, uint64_t now)
{
	a->timer_running = first != 0;
	a->timer_start = now;
	a->timer_first = first;
	a->timer_fired = 0;
}

/* "APIC Timer": a write of the initial count (re)starts the count; ignored in TSC-deadline mode. */
static void vlapic_write_tmict(struct vlapic *a, uint32_t val, uint64_t now)
{
	if (vlapic_deadline_mode(a))
		return;
	a->timer_initial = val;
	vlapic_timer_restart(a, val, now);
}

static void vlapic_write_tdcr(struct vlapic *a, uint32_t val, uint64_t now)
{
	uint32_t count = vlapic_timer_count(a, now);

	a->timer_tdcr = val & 0xb;
	if (a->timer_running)
		vlapic_timer_restart(a, count, now);
}

/* "TSC-Deadline Mode": switching to or from it disarms the timer. */
static void vlapic_timer_mode_change(struct vlapic *a, uint32_t old)
{
	bool was = (old >> 17 & 3) == VLAPIC_TIMER_DEADLINE;

	if (was != vlapic_deadline_mode(a)) {
		a->tsc_deadline = 0;
		a->timer_initial = 0;
		a->timer_running = false;
	}
}

/* ---- Registers ---- */

/* What a register is in the current mode ("Local APIC Register Address Map"). */
static int vlapic_reg_kind(unsigned off, bool x2)
{
	switch (off) {
	case VLAPIC_ID: case VLAPIC_VERSION: case VLAPIC_PPR: case VLAPIC_TMCCT:
		return REG_RO;
	case VLAPIC_TPR: case VLAPIC_SVR: case VLAPIC_ESR: case VLAPIC_ICR_LO:
	case VLAPIC_TMICT: case VLAPIC_TDCR:
		return REG_RW;
	case VLAPIC_EOI:
		return REG_WO;
	case VLAPIC_APR: case VLAPIC_RRD:
		return x2 ? REG_NONE : REG_RO;
	case VLAPIC_LDR:
		return x2 ? REG_RO : REG_RW;
	case VLAPIC_DFR: case VLAPIC_ICR_HI:
		return x2 ? REG_NONE : REG_RW;
	case VLAPIC_SELF_IPI:
		return x2 ? REG_WO : REG_NONE;
	}
	if (off >= VLAPIC_ISR && off < VLAPIC_IRR + 0x80)
		return REG_RO;
	if (off >= VLAPIC_LVT_TIMER && off <= VLAPIC_LVT_ERROR)
		return REG_RW;
	return REG_NONE;
}

/* Reads a register that exists and is readable in this mode. */
static uint64_t vlapic_reg_read(const struct vlapic *a, unsigned off, bool x2, uint64_t now)
{
	unsigned i = off >> 4 & 7;

	switch (off) {
	case VLAPIC_ID:
		return x2 ? a->cfg.id : (a->cfg.id & 0xff) << 24;
	case VLAPIC_VERSION:
		return VLAPIC_VERSION_VALUE;
	case VLAPIC_TPR:
		return a->tpr;
	case VLAPIC_PPR:
		return vlapic_ppr(a);
	case VLAPIC_LDR:
		return x2 ? vlapic_x2apic_ldr(a->cfg.id) : a->ldr;
	case VLAPIC_DFR:
		return a->dfr | 0x0fffffffu;
	case VLAPIC_SVR:
		return a->svr;
	case VLAPIC_ESR:
		return a->esr;
	case VLAPIC_ICR_LO:
		return x2 ? a->icr : (uint32_t)a->icr;
	case VLAPIC_ICR_HI:
		return a->icr >> 32;
	case VLAPIC_TMICT:
		return a->timer_initial;
	case VLAPIC_TMCCT:
		return vlapic_timer_count(a, now);
	case VLAPIC_TDCR:
		return a->timer_tdcr;
	}
	if (off >= VLAPIC_ISR && off < VLAPIC_TMR)
		return a->isr[i];
	if (off >= VLAPIC_TMR && off < VLAPIC_IRR)
		return a->tmr[i];
	if (off >= VLAPIC_IRR && off < VLAPIC_IRR + 0x80)
		return a->irr[i];
	if (off >= VLAPIC_LVT_TIMER && off <= VLAPIC_LVT_ERROR)
		return a->lvt[(off - VLAPIC_LVT_TIMER) >> 4];
	return 0;                               /* APR, RRD, EOI */
}

/*
 * The bits of a writable register that hold state (x2APIC: every other
 * bit but the read-only ones is reserved and must be written as 0).
 */
static uint64_t vlapic_reg_writable(const struct vlapic *a, unsigned off, bool x2)
{
	switch (off) {
	case VLAPIC_TPR:
		return 0xff;
	case VLAPIC_LDR:
		return 0xff000000u;
	case VLAPIC_DFR:
		return 0xf0000000u;
	case VLAPIC_SVR:
		return SVR_WRITABLE;
	case VLAPIC_ICR_LO:
		return x2 ? 0xffffffff00000000ull | ICR_XAPIC_LO : ICR_XAPIC_LO;
	case VLAPIC_ICR_HI:
		return 0xff000000u;
	case VLAPIC_TMICT:
		return 0xffffffffu;
	case VLAPIC_TDCR:
		return 0xb;
	case VLAPIC_SELF_IPI:
		return 0xff;
	case VLAPIC_EOI: case VLAPIC_ESR:
		return x2 ? 0 : 0xffffffffu;    /* x2APIC: only 0 may be written */
	}
	if (off >= VLAPIC_LVT_TIMER && off <= VLAPIC_LVT_ERROR)
		return vlapic_lvt_mask(a, (off - VLAPIC_LVT_TIMER) >> 4);
	return 0;
}

/* Bits of a writable register a write may set without effect (x2APIC: no #GP). */
static uint64_t vlapic_reg_ro_bits(unsigned off)
{
	if (off == VLAPIC_ICR_LO)
		return ICR_BUSY;        /* x2APIC: reserved, but ignored as Intel CPUs do */
	if (off >= VLAPIC_LVT_TIMER && off <= VLAPIC_LVT_ERROR)
		return vlapic_lvt_ro[(off - VLAPIC_LVT_TIMER) >> 4];
	return 0;
}

static void vlapic_write_svr(struct vlapic *a, uint32_t val)
{
	int i;

	a->svr = val;
	/* Software disabled: every LVT mask bit set, and it stays set. */
	if (!(val & SVR_ENABLE))
		for (i = 0; i < VLAPIC_LVT_COUNT; i++)
			a->lvt[i] |= VLAPIC_LVT_MASKED;
}

static void vlapic_write_lvt(struct vlapic *a, unsigned idx, uint32_t val)
{
	uint32_t old = a->lvt[idx];

	if (!(a->svr & SVR_ENABLE))
		val |= VLAPIC_LVT_MASKED;
	a->lvt[idx] = val | (old & VLAPIC_LVT_REMOTE_IRR);
	if (idx == VLAPIC_LVT_TIMER_IDX) {
		vlapic_timer_mode_change(a, old);
	} else if (idx == VLAPIC_LVT_LINT0_IDX || idx == VLAPIC_LVT_LINT1_IDX) {
		/* Remote IRR belongs to a fixed, level-triggered entry only. */
		if ((val >> 8 & 7) != VLAPIC_DM_FIXED || !(val & VLAPIC_LVT_LEVEL))
			a->lvt[idx] &= ~VLAPIC_LVT_REMOTE_IRR;
		vlapic_lint_deliver(a, (int)idx - VLAPIC_LVT_LINT0_IDX, false);
	}
}

/* Writes a writable register; val has only its writable bits. Timer brought to now. */
static void vlapic_reg_write(struct vlapic *a, unsigned off, uint64_t val, uint64_t now)
{
	switch (off) {
	case VLAPIC_TPR:
		a->tpr = (uint32_t)val;
		return;
	case VLAPIC_EOI:
		vlapic_eoi(a);
		return;
	case VLAPIC_LDR:
		a->ldr = (uint32_t)val;
		return;
	case VLAPIC_DFR:
		a->dfr = (uint32_t)val;
		return;
	case VLAPIC_SVR:
		vlapic_write_svr(a, (uint32_t)val);
		return;
	case VLAPIC_ESR:
		/* "A write ... updates the ESR with any errors detected since the last write." */
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		return;
	case VLAPIC_ICR_LO:
		a->icr = vlapic_x2apic_mode(a) ? val : (a->icr & ~0xffffffffull) | val;
		vlapic_send_ipi(a);
		return;
	case VLAPIC_ICR_HI:
		a->icr = (uint32_t)a->icr | val << 32;
		return;
	case VLAPIC_TMICT:
		vlapic_write_tmict(a, (uint32_t)val, now);
		return;
	case VLAPIC_TDCR:
		vlapic_write_tdcr(a, (uint32_t)val, now);
		return;
	case VLAPIC_SELF_IPI:
		vlapic_self_ipi(a, (uint8_t)val);
		return;
	}
	vlapic_write_lvt(a, (off - VLAPIC_LVT_TIMER) >> 4, (uint32_t)val);
}

void vlapic_fill_page(const struct vlapic *a, uint32_t *page)
{
	unsigned off;

	for (off = 0; off < 0x400; off += 0x10) {
		int kind = vlapic_reg_kind(off, false);

		if (off != VLAPIC_ICR_HI)       /* the guest's own there (vlapic.h) */
			page[off / 4] = kind == REG_NONE || kind == REG_WO || off == VLAPIC_TMCCT ?
					0 : (uint32_t)vlapic_reg_read(a, off, false, 0);
		page[off / 4 + 1] = page[off / 4 + 2] = page[off / 4 + 3] = 0;
	}
}

uint32_t vlapic_mmio_read(struct vlapic *a, uint32_t offset, unsigned len, uint64_t now)
{
	uint32_t mask = len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1, v = 0;
	unsigned off = offset & 0xff0;
	int kind;

	if (!vlapic_xapic_mode(a))
		return mask;                    /* nothing decodes the page */
	vlapic_update(a, now);
	if (!(offset & 0xc)) {
		kind = vlapic_reg_kind(off, false);
		if (kind == REG_NONE)
			vlapic_error(a, VLAPIC_ESR_ILLEGAL_REG);
		else
			v = (uint32_t)vlapic_reg_read(a, off, false, now);
	}
	return (v >> ((offset & 3) * 8)) & mask;
}

void vlapic_mmio_write(struct vlapic *a, uint32_t offset, unsigned len, uint32_t val,
		       uint64_t now)
{
	unsigned off = offset & 0xff0;
	int kind;

	if (!vlapic_xapic_mode(a) || len != 4 || (offset & 0xf))
		return;
	vlapic_update(a, now);
	kind = vlapic_reg_kind(off, false);
	if (kind == REG_NONE)
		vlapic_error(a, VLAPIC_ESR_ILLEGAL_REG);
	else if (kind != REG_RO)
		vlapic_reg_write(a, off, val & vlapic_reg_writable(a, off, false), now);
}

bool vlapic_handles_msr(uint32_t msr)
{
	return msr == VLAPIC_MSR_APIC_BASE || msr == VLAPIC_MSR_TSC_DEADLINE ||
	       (msr >= VLAPIC_MSR_X2APIC_FIRST && msr <= VLAPIC_MSR_X2APIC_LAST);
}

/* The xAPIC offset of an x2APIC MSR, or 0 (no register) if msr is none. */
static unsigned vlapic_x2apic_off(const struct vlapic *a, uint32_t msr)
{
	if (!vlapic_x2apic_mode(a) || msr < VLAPIC_MSR_X2APIC_FIRST ||
	    msr > VLAPIC_X2APIC_MSR(VLAPIC_SELF_IPI))
		return 0;
	return (msr - VLAPIC_MSR_X2APIC_FIRST) << 4;
}

int vlapic_rdmsr(struct vlapic *a, uint32_t msr, uint64_t *val, uint64_t now)
{
	unsigned off;
	int kind;

	if (msr == VLAPIC_MSR_APIC_BASE) {
		*val = a->apic_base;
		return 0;
	}
	if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		if (!a->cfg.tsc_deadline)
			return -1;
		vlapic_update(a, now);
		*val = a->tsc_deadline;         /* 0 outside TSC-deadline mode */
		return 0;
	}
	off = vlapic_x2apic_off(a, msr);
	kind = vlapic_reg_kind(off, true);
	if (kind == REG_NONE || kind == REG_WO)
		return -1;
	vlapic_update(a, now);
	*val = vlapic_reg_read(a, off, true, now);
	return 0;
}

/*
 * IA32_APIC_BASE ("x2APIC State Transitions"): EN=0 EXTD=1 is invalid;
 * x2APIC -> xAPIC and disabled -> x2APIC are illegal; reserved bits and a
 * moved base are refused. Disabling resets the registers.
 */
static int vlapic_write_base(struct vlapic *a, uint64_t val)
{
	uint64_t flags = VLAPIC_BASE_BSP | VLAPIC_BASE_EXTD | VLAPIC_BASE_EN;
	bool en = val & VLAPIC_BASE_EN, extd = val & VLAPIC_BASE_EXTD;

	if ((val & ~flags) != VLAPIC_DEFAULT_BASE || (extd && !a->cfg.x2apic) || (extd && !en))
		return -1;
	if (vlapic_x2apic_mode(a) && en && !extd)
		return -1;
	if (!vlapic_hw_enabled(a) && en && extd)
		return -1;
	if (vlapic_hw_enabled(a) && !en)
		vlapic_reset_regs(a);
	a->apic_base = val;
	return 0;
}

int vlapic_wrmsr(struct vlapic *a, uint32_t msr, uint64_t val, uint64_t now)
{
	unsigned off;
	int kind;

	if (msr == VLAPIC_MSR_APIC_BASE)
		return vlapic_write_base(a, val);
	if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		if (!a->cfg.tsc_deadline)
			return -1;
		/* Ignored outside TSC-deadline mode; a deadline passed fires at once. */
		vlapic_update(a, now);
		if (vlapic_deadline_mode(a)) {
			a->tsc_deadline = val;
			vlapic_update(a, now);
		}
		return 0;
	}
	off = vlapic_x2apic_off(a, msr);
	kind = vlapic_reg_kind(off, true);
	if (kind == REG_NONE || kind == REG_RO)
		return -1;
	if (val & ~(vlapic_reg_writable(a, off, true) | vlapic_reg_ro_bits(off)))
		return -1;                      /* "Reserved Bit Checking" */
	vlapic_update(a, now);
	vlapic_reg_write(a, off, val & vlapic_reg_writable(a, off, true), now);
	return 0;
}
