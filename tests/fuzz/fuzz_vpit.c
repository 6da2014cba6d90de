/*
 * Fuzz target: the virtual 8254 PIT (hv/vpit.c). Input: bytes 0-3 the TSC
 * rate (1 MHz + n Hz), 4-7 the boot TSC (in 64 KiB steps), then a stream
 * of operations: port writes and reads (0x40-0x43, 0x61 and one that is
 * not the PIT's), TSC steps (small, or up to 2^35 ticks: seconds at GHz
 * rates), the hv's IRQ0 collection and next-edge query, OUT queries and
 * counter latches. Time only moves forward, as a CPU's TSC does.
 *
 * Invariants: the next IRQ0 edge the hv arms its timer for lies in the
 * future and is exactly where vpit_irq0_pending first reports it; a
 * running periodic counter always has one; the number of edges reported
 * over a step is bounded by the step's input clocks / VPIT_MIN_IRQ0_CLOCKS
 * + 1 (plus one per reprogramming); latched counts lie in the counter's
 * range for its mode; port 0x61 reads back the bits written and counter
 * 2's OUT.
 */
#include <string.h>

#include "fuzz.h"
#include "vpit.h"

static const uint16_t fuzz_ports[8] = {
	0x40, 0x41, 0x42, 0x43, 0x61, 0x40, 0x43, 0x44,
};

/* Input clocks in d TSC ticks, with 128-bit arithmetic (an independent computation). */
static uint64_t clocks(const struct vpit *t, uint64_t d)
{
	return (uint64_t)((unsigned __int128)d * VPIT_HZ / t->tsc_hz);
}

/* The next edge is in the future and is exactly where pending first sees it. */
static void check_next_edge(const struct vpit *t, uint64_t now)
{
	const struct vpit_channel *c = &t->ch[0];
	uint64_t next = vpit_next_irq0(t, now), period;
	struct vpit a, b;

	if (c->loaded && c->running && (c->mode == 2 || c->mode == 3)) {
		/* The programmed period, bounded below as IRQ0 is (VPIT_MIN_IRQ0_CLOCKS). */
		period = c->reload < 2 ? 2 : c->reload;
		if (period < VPIT_MIN_IRQ0_CLOCKS)
			period = VPIT_MIN_IRQ0_CLOCKS;
		FUZZ_CHECK(next != UINT64_MAX, "periodic mode %d has no next edge", c->mode);
		/* One period away at most (+1: the TSC tick may be coarser than a clock). */
		FUZZ_CHECK(clocks(t, next - now) <= period + 1,
			   "next edge %llu clocks away, period %llu",
			   (unsigned long long)clocks(t, next - now), (unsigned long long)period);
	}
	if (next == UINT64_MAX)
		return;
	FUZZ_CHECK(next > now, "next edge %llu not after now %llu", (unsigned long long)next,
		   (unsigned long long)now);
	a = *t;
	vpit_irq0_pending(&a, now);
	b = a;
	FUZZ_CHECK(vpit_irq0_pending(&a, next - 1) == 0, "edge before the announced %llu",
		   (unsigned long long)next);
	FUZZ_CHECK(vpit_irq0_pending(&b, next) >= 1, "no edge at the announced %llu",
		   (unsigned long long)next);
}

/* A latched count (the Counter Latch Command) is in range for the mode. */
static void check_latch(const struct vpit_channel *c)
{
	uint32_t period = c->reload < 2 ? 2 : c->reload, v = c->latch;

	if (!c->loaded) {
		FUZZ_CHECK(v == (c->reload & 0xffff), "unloaded latch 0x%x reload 0x%x", v,
			   c->reload);
		return;
	}
	if (c->mode == 2) {
		/* "Mode 2": N down to 1, then reloaded; 0 reads a count of 65536. */
		if (v == 0)
			v = 0x10000;
		FUZZ_CHECK(v >= 1 && v <= period, "mode 2 latch 0x%x period 0x%x", c->latch,
			   period);
	} else if (c->mode == 3) {
		/* "Mode 3": steps of two from N (N - 1 if odd); an odd N passes 0. */
		FUZZ_CHECK(!(v & 1) && v <= period,
			   "mode 3 latch 0x%x period 0x%x", c->latch, period);
	}
}

static void check_state(const struct vpit *t)
{
	int i;

	for (i = 0; i < 3; i++) {
		const struct vpit_channel *c = &t->ch[i];

		FUZZ_CHECK(c->mode <= 5, "ch %d mode %d", i, c->mode);
		FUZZ_CHECK(c->rw >= 1 && c->rw <= 3, "ch %d rw %d", i, c->rw);
		FUZZ_CHECK(c->reload >= 1 && c->reload <= 0x10000, "ch %d reload 0x%x", i,
			   c->reload);
		FUZZ_CHECK(c->latch_left <= 2, "ch %d latch_left %d", i, c->latch_left);
	}
	FUZZ_CHECK(!(t->port61 & 0xf0), "port61 0x%x", t->port61);
}

/* A read: port 0x61's written bits and OUT2, 0xff from the control or another port. */
static void check_read(const struct vpit *t, uint16_t port, uint8_t v, uint64_t now,
		       uint8_t wrote61)
{
	if (port == VPIT_PORT_61) {
		FUZZ_CHECK((v & 0x0f) == (wrote61 & 0x0f), "0x61 read 0x%x, written 0x%x", v,
			   wrote61);
		FUZZ_CHECK(((v >> 5) & 1) == vpit_out(t, 2, now), "0x61 OUT2 bit 0x%x", v);
	} else if (port == VPIT_PORT_CTRL || !vpit_handles_port(port)) {
		FUZZ_CHECK(v == 0xff, "port 0x%x read 0x%x", port, v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vpit t;
	uint64_t hz = 1000000ull + fuzz_u32(&in);
	uint64_t now = (uint64_t)fuzz_u32(&in) << 16, last_pending = now;
	uint8_t v, wrote61 = 0;          /* port 0x61 reads back 0 after a reset */
	unsigned n, writes = 0;
	int ch, out;

	vpit_init(&t, hz, now);
	while (fuzz_more(&in)) {
		uint8_t op = fuzz_u8(&in), a = fuzz_u8(&in);
		uint16_t port = fuzz_ports[a & 7];

		switch (op % 8) {
		case 0: case 1:
			v = fuzz_u8(&in);
			vpit_write(&t, port, v, now);
			writes++;
			if (port == VPIT_PORT_61)
				wrote61 = v;
			break;
		case 2:
			check_read(&t, port, vpit_read(&t, port, now), now, wrote61);
			break;
		case 3:                         /* time passes: a few clocks, or minutes */
			now += a & 0x80 ? fuzz_u32(&in) & 0xffff : (uint64_t)fuzz_u32(&in) << (a & 7) / 2;
			break;
		case 4:                         /* the hv before an entry */
			n = vpit_irq0_pending(&t, now);
			/*
			 * IRQ0 periods are >= VPIT_MIN_IRQ0_CLOCKS (the rate bound of
			 * hostile guests); +1 for the rounding at each end, and one
			 * more for each reprogramming since the last collection.
			 */
			FUZZ_CHECK(n <= clocks(&t, now - last_pending) / VPIT_MIN_IRQ0_CLOCKS + 1 + writes,
				   "%u edges in %llu clocks", n,
				   (unsigned long long)clocks(&t, now - last_pending));
			writes = 0;
			FUZZ_CHECK(vpit_irq0_pending(&t, now) == 0, "edges reported twice");
			last_pending = now;
			break;
		case 5:
			check_next_edge(&t, now);
			break;
		case 6:
			ch = (int8_t)a;
			out = vpit_out(&t, ch, now);
			FUZZ_CHECK(out == 0 || out == 1, "ch %d OUT %d", ch, out);
			if (ch < 0 || ch > 2)
				FUZZ_CHECK(out == 0, "OUT %d of channel %d", out, ch);
			break;
		default:                        /* Counter Latch Command, then its range */
			ch = a % 3;
			n = t.ch[ch].latch_left;
			vpit_write(&t, VPIT_PORT_CTRL, (uint8_t)(ch << 6), now);
			if (!n)
				check_latch(&t.ch[ch]);
			break;
		}
		check_state(&t);
	}
	check_next_edge(&t, now);
	return 0;
}
