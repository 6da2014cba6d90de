/*
 * Virtual 8254 PIT. Behaviour follows the Intel 8254 Programmable Interval
 * Timer datasheet (sections "Control Word Format", "Counter Latch Command",
 * "Read-Back Command", "Status Byte", "Mode 0" .. "Mode 5", "Gate"), with
 * the PC/AT wiring: counter 0 OUT drives IRQ0, counter 1 paces DRAM refresh
 * (seen as port 0x61 bit 4), counter 2 gate and OUT are port 0x61 bits 0
 * and 5.
 *
 * Time: a counter's state is a pure function of n, the input clocks since it
 * started, and n = floor((now - start) * 1193182 / tsc_hz) is computed
 * exactly (split multiply, no 128-bit division: libgcc is not linked into
 * the hv). IRQ0 edge k of a periodic mode falls at n = k * N, so edges never
 * drift from the TSC however long the guest runs.
 *
 * Simplifications, none of which a PC guest relies on: a new count takes
 * effect at once (mode 2/3 silicon waits for the current period to end);
 * the extra CLK that loads the count is not modelled; BCD is stored and
 * reported in the status byte but counting is binary.
 */
#include "vpit.h"

/* Input clocks in d TSC ticks: floor(d * VPIT_HZ / tsc_hz), exactly. */
static uint64_t vpit_tsc_to_ticks(const struct vpit *t, uint64_t d)
{
	uint64_t q = d / t->tsc_hz, r = d % t->tsc_hz;

	/* r < tsc_hz, so r * VPIT_HZ fits for any TSC below 15 THz. */
	return q * VPIT_HZ + r * VPIT_HZ / t->tsc_hz;
}

/* Smallest d with vpit_tsc_to_ticks(d) >= k: ceil(k * tsc_hz / VPIT_HZ). */
static uint64_t vpit_ticks_to_tsc(const struct vpit *t, uint64_t k)
{
	uint64_t q = k / VPIT_HZ, r = k % VPIT_HZ;

	return q * t->tsc_hz + (r * t->tsc_hz + VPIT_HZ - 1) / VPIT_HZ;
}

/* Input clocks the counting element has seen since its count was loaded. */
static uint64_t vpit_ticks(const struct vpit *t, const struct vpit_channel *c,
			   uint64_t now)
{
	if (!c->running || now < c->start_tsc)
		return c->base_ticks;
	return c->base_ticks + vpit_tsc_to_ticks(t, now - c->start_tsc);
}

/* Modes 2 and 3 need a count of at least 2 ("Mode 2": 1 is illegal). */
static uint64_t vpit_period(const struct vpit_channel *c)
{
	return c->reload < 2 ? 2 : c->reload;
}

/* The value a read or a latch sees after n clocks. */
static uint16_t vpit_count(const struct vpit_channel *c, uint64_t n)
{
	uint64_t p = vpit_period(c);

	if (!c->loaded)
		return (uint16_t)c->reload;
	switch (c->mode) {
	case 2:
		return (uint16_t)(p - n % p);
	case 3:
		/* "Mode 3": the counting element steps by two. */
		return (uint16_t)((p - (2 * n) % p) & 0xfffe);
	default:
		/* Modes 0, 1, 4, 5 wrap through 0xffff after terminal count. */
		return (uint16_t)(c->reload - n);
	}
}

/* OUT after n clocks. */
static int vpit_out_at(const struct vpit_channel *c, uint64_t n)
{
	uint64_t p = vpit_period(c);

	if (!c->loaded)          /* after a control word: mode 0 low, else high */
		return c->mode != 0;
	switch (c->mode) {
	case 0:
		return n >= c->reload;
	case 1:
		return !c->running || n >= c->reload;
	case 2:                  /* low for the one clock at count 1 */
		return !c->running || n % p != p - 1;
	case 3:                  /* high for ceil(N/2), low for floor(N/2) */
		return !c->running || n % p < (p + 1) / 2;
	case 4:
		return n != c->reload;
	default:                 /* 5 */
		return !c->running || n != c->reload;
	}
}

/*
 * The period of IRQ0 edges in the periodic modes: the programmed one, but
 * never shorter than VPIT_MIN_IRQ0_CLOCKS. A guest may program count 2
 * (596 kHz); its interrupts still come at most 10000 times a second, so
 * its timer cannot keep the CPU in the hv (KVM bounds its guests' timers
 * the same way, min_timer_period_us). Counter reads keep the programmed
 * count.
 */
static uint64_t vpit_irq0_period(const struct vpit_channel *c)
{
	uint64_t p = vpit_period(c);

	return p < VPIT_MIN_IRQ0_CLOCKS ? VPIT_MIN_IRQ0_CLOCKS : p;
}

/* Channel 0 OUT rising edges (IRQ0) from the load up to n clocks. */
static uint64_t vpit_edges(const struct vpit_channel *c, uint64_t n)
{
	/* A stopped counter's n is frozen, so its past edges still count. */
	if (!c->loaded)
		return 0;
	switch (c->mode) {
	case 2:
	case 3:
		return n / vpit_irq0_period(c);
	case 0:
	case 1:
		return n >= c->reload;
	default:                 /* 4, 5: high again one clock after count 0 */
		return n >= (uint64_t)c->reload + 1;
	}
}

/* Clock count at which channel 0 rising edge k (1-based) happens; 0 if never. */
static uint64_t vpit_edge_tick(const struct vpit_channel *c, uint64_t k)
{
	if (c->mode == 2 || c->mode == 3)
		return k * vpit_irq0_period(c);
	if (k != 1)
		return 0;
	return c->mode <= 1 ? c->reload : (uint64_t)c->reload + 1;
}

/* Resets the PIT to what a PC BIOS leaves behind. */
void vpit_init(struct vpit *t, uint64_t tsc_hz, uint64_t now_tsc)
{
	int i;

	for (i = 0; i < 3; i++)
		t->ch[i] = (struct vpit_channel){ .rw = 3, .reload = 0x10000 };
	t->tsc_hz = tsc_hz ? tsc_hz : 1;
	t->boot_tsc = now_tsc;
	t->port61 = 0;
	/* Counter 0: mode 3, count 0 (65536): the BIOS's 18.2 Hz IRQ0. */
	t->ch[0].mode = 3;
	t->ch[0].gate = true;
	t->ch[0].loaded = true;
	t->ch[0].running = true;
	t->ch[0].start_tsc = now_tsc;
	/* Counter 1: refresh, mode 2, count 18 (15.08 us). */
	t->ch[1].mode = 2;
	t->ch[1].rw = 1;
	t->ch[1].reload = 18;
	t->ch[1].gate = true;
	t->ch[1].loaded = true;
	t->ch[1].running = true;
	t->ch[1].start_tsc = now_tsc;
	/* Counter 2: gate low (port 0x61 bit 0), not programmed. */
	t->ch[2].mode = 3;
}

/* Returns true for 0x40-0x43 and 0x61. */
bool vpit_handles_port(uint16_t port)
{
	return (port >= VPIT_PORT_CH0 && port <= VPIT_PORT_CTRL) ||
	       port == VPIT_PORT_61;
}

/* A complete count was written: the counter restarts from it. */
static void vpit_load(struct vpit_channel *c, uint32_t n, uint64_t now)
{
	c->reload = n ? n : 0x10000;
	c->loaded = true;
	c->null_count = false;
	c->base_ticks = 0;
	c->start_tsc = now;
	c->edges_done = 0;
	/* Modes 1 and 5 wait for a rising edge on the gate ("Mode 1"). */
	c->running = c->gate && c->mode != 1 && c->mode != 5;
}

/* A byte written to a counter port, per the RW field of its control word. */
static void vpit_write_count(struct vpit_channel *c, uint8_t val, uint64_t now)
{
	if (c->rw == 1) {
		vpit_load(c, val, now);
	} else if (c->rw == 2) {
		vpit_load(c, (uint32_t)val << 8, now);
	} else if (!c->write_msb_next) {
		c->write_lsb = val;
		c->write_msb_next = true;
		/* "Mode 0": writing the first byte stops the count, OUT low. */
		if (c->mode == 0)
			c->loaded = c->running = false;
	} else {
		c->write_msb_next = false;
		vpit_load(c, c->write_lsb | ((uint32_t)val << 8), now);
	}
}

/* "Counter Latch Command": freezes the count until it has been read. */
static void vpit_latch_count(const struct vpit *t, struct vpit_channel *c,
			     uint64_t now)
{
	if (c->latch_left)
		return;              /* a second latch before the read is ignored */
	c->latch = vpit_count(c, vpit_ticks(t, c, now));
	c->latch_left = c->rw == 3 ? 2 : 1;
	c->latch_msb_next = c->rw == 2;
}

/* "Status Byte": OUT, NULL COUNT, then the control word's low six bits. */
static void vpit_latch_status(const struct vpit *t, struct vpit_channel *c,
			      uint64_t now)
{
	if (c->status_latched)
		return;
	c->status = (uint8_t)((vpit_out_at(c, vpit_ticks(t, c, now)) << 7) |
			      (c->null_count << 6) | (c->rw << 4) |
			      (c->mode << 1) | c->bcd);
	c->status_latched = true;
}

/* "Read-Back Command": bit 5 clear latches counts, bit 4 clear status. */
static void vpit_read_back(struct vpit *t, uint8_t val, uint64_t now)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (!(val & (2u << i)))
			continue;
		if (!(val & 0x20))
			vpit_latch_count(t, &t->ch[i], now);
		if (!(val & 0x10))
			vpit_latch_status(t, &t->ch[i], now);
	}
}

/* "Control Word Format": SC RW M BCD. */
static void vpit_control(struct vpit *t, uint8_t val, uint64_t now)
{
	struct vpit_channel *c;
	uint8_t mode = val >> 1 & 7;

	if ((val >> 6) == 3) {
		vpit_read_back(t, val, now);
		return;
	}
	c = &t->ch[val >> 6];
	if ((val >> 4 & 3) == 0) {
		vpit_latch_count(t, c, now);
		return;
	}
	c->rw = val >> 4 & 3;
	c->mode = mode > 5 ? mode - 4 : mode;   /* 6, 7 are 2, 3 */
	c->bcd = val & 1;
	c->loaded = c->running = false;
	c->null_count = true;
	c->write_msb_next = c->read_msb_next = false;
	c->latch_left = 0;
	c->status_latched = false;
	c->base_ticks = 0;
	c->edges_done = 0;
}

/* Counter 2's gate (port 0x61 bit 0); see "Gate" for each mode. */
static void vpit_set_gate(struct vpit *t, struct vpit_channel *c, bool level,
			  uint64_t now)
{
	if (level == c->gate)
		return;
	c->gate = level;
	if (!c->loaded)
		return;
	if (!level) {
		/* Modes 0, 2, 3, 4 stop counting; 1 and 5 ignore a low gate. */
		if (c->mode == 1 || c->mode == 5)
			return;
		c->base_ticks = vpit_ticks(t, c, now);
		c->running = false;
		return;
	}
	/* Rising edge: modes 1, 2, 3, 5 restart from the count; 0, 4 resume. */
	if (c->mode != 0 && c->mode != 4) {
		c->base_ticks = 0;
		c->edges_done = 0;
	}
	c->start_tsc = now;
	c->running = true;
}

/* Guest OUT to a PIT port at time now_tsc. Other ports are ignored. */
void vpit_write(struct vpit *t, uint16_t port, uint8_t val, uint64_t now_tsc)
{
	if (port >= VPIT_PORT_CH0 && port <= VPIT_PORT_CH2) {
		vpit_write_count(&t->ch[port - VPIT_PORT_CH0], val, now_tsc);
	} else if (port == VPIT_PORT_CTRL) {
		vpit_control(t, val, now_tsc);
	} else if (port == VPIT_PORT_61) {
		t->port61 = val & 0x0f;
		vpit_set_gate(t, &t->ch[2], val & 1, now_tsc);
	}
}

/* A read of a counter port: status, then latched count, then live count. */
static uint8_t vpit_read_count(const struct vpit *t, struct vpit_channel *c,
			       uint64_t now)
{
	uint16_t v;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latch_left) {
		msb = c->latch_msb_next;
		c->latch_msb_next = !msb;
		c->latch_left--;
		return (uint8_t)(msb ? c->latch >> 8 : c->latch);
	}
	v = vpit_count(c, vpit_ticks(t, c, now));
	msb = c->rw == 2 || (c->rw == 3 && c->read_msb_next);
	if (c->rw == 3)
		c->read_msb_next = !c->read_msb_next;
	return (uint8_t)(msb ? v >> 8 : v);
}

/* Guest IN from a PIT port at time now_tsc. Returns 0xff for other ports. */
uint8_t vpit_read(struct vpit *t, uint16_t port, uint64_t now_tsc)
{
	uint64_t since;

	if (port >= VPIT_PORT_CH0 && port <= VPIT_PORT_CH2)
		return vpit_read_count(t, &t->ch[port - VPIT_PORT_CH0], now_tsc);
	if (port != VPIT_PORT_61)
		return 0xff;     /* the control word register is write-only */
	/* Bit 4 toggles with each refresh request (counter 1, 18 clocks). */
	since = now_tsc > t->boot_tsc ? now_tsc - t->boot_tsc : 0;
	return (uint8_t)(t->port61 |
			 ((vpit_tsc_to_ticks(t, since) / 18 & 1) << 4) |
			 (vpit_out(t, 2, now_tsc) << 5));
}

/* Returns the number of IRQ0 rising edges due since the last call. */
unsigned vpit_irq0_pending(struct vpit *t, uint64_t now_tsc)
{
	struct vpit_channel *c = &t->ch[0];
	uint64_t e = vpit_edges(c, vpit_ticks(t, c, now_tsc));
	uint64_t n = e > c->edges_done ? e - c->edges_done : 0;

	c->edges_done = e;
	return n > 0xffffffffu ? 0xffffffffu : (unsigned)n;
}

/* Returns the TSC of the first IRQ0 edge after now_tsc, UINT64_MAX if none. */
uint64_t vpit_next_irq0(const struct vpit *t, uint64_t now_tsc)
{
	const struct vpit_channel *c = &t->ch[0];
	uint64_t k, tick;

	if (!c->loaded || !c->running)
		return UINT64_MAX;
	k = vpit_edges(c, vpit_ticks(t, c, now_tsc)) + 1;
	tick = vpit_edge_tick(c, k);
	if (tick == 0 || tick < c->base_ticks)
		return UINT64_MAX;
	return c->start_tsc + vpit_ticks_to_tsc(t, tick - c->base_ticks);
}

/* Returns the current OUT level (0/1) of channel ch (0..2). */
int vpit_out(const struct vpit *t, int ch, uint64_t now_tsc)
{
	const struct vpit_channel *c;

	if (ch < 0 || ch > 2)
		return 0;
	c = &t->ch[ch];
	return vpit_out_at(c, vpit_ticks(t, c, now_tsc));
}
