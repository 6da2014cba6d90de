/*
 * Fuzz target: the virtual I/O APIC (hv/vioapic.c). Input: byte 0 the
 * IOAPIC ID, then a stream of operations: page reads and writes of
 * IOREGSEL, IOWIN and the EOI register (and other offsets and sizes),
 * whole redirection-entry writes, pin levels and pulses (also out of
 * range), LAPIC EOI broadcasts, the hv's peek and take, a reset.
 *
 * Invariants (82093AA datasheet, "IOREDTBL"): remote IRR only on level-
 * triggered entries; an edge waits to be sent only on an unmasked edge
 * entry; reads change nothing; delivery status reads "send pending"
 * exactly when the entry has a message to send (an unmasked edge latched,
 * or an unmasked level asserted with remote IRR clear), computed here from
 * the datasheet's rules; vioapic_peek names the lowest such pin and
 * vioapic_take the same, with the entry's vector, mode, destination mode,
 * trigger and destination, and consumes it (the edge, or sets remote IRR);
 * after an EOI no level entry with that vector keeps remote IRR; a masked
 * edge pin latches nothing; entries keep only their defined bits; the ID
 * stays 4 bits and the version reads 0x170020.
 */
#include <string.h>

#include "fuzz.h"
#include "vioapic.h"

#define RIRR   VIOAPIC_RTE_REMOTE_IRR
#define LEVEL  VIOAPIC_RTE_LEVEL
#define MASKED VIOAPIC_RTE_MASKED

/* The datasheet's rule for a message to send, from the harness's view of the pins. */
static bool ref_pending(const struct vioapic *io, int pin)
{
	uint64_t e = io->rte[pin];

	if (e & MASKED)
		return false;
	if (e & LEVEL)
		return (io->lines >> pin & 1) && !(e & RIRR);
	return io->edge_latch >> pin & 1;
}

static int ref_first(const struct vioapic *io)
{
	int pin;

	for (pin = 0; pin < VIOAPIC_PINS; pin++)
		if (ref_pending(io, pin))
			return pin;
	return -1;
}

static void check_state(const struct vioapic *io)
{
	struct vioapic_msg m;
	int pin;

	FUZZ_CHECK(io->id <= 0xf, "ID 0x%x", io->id);
	FUZZ_CHECK(!(io->lines >> VIOAPIC_PINS) && !(io->edge_latch >> VIOAPIC_PINS),
		   "pins beyond 23: lines 0x%x latch 0x%x", io->lines, io->edge_latch);
	for (pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t e = io->rte[pin];

		FUZZ_CHECK(!(e & ~(0xff00000000000000ull | 0x1afffull | RIRR)),
			   "pin %d entry 0x%llx", pin, (unsigned long long)e);
		FUZZ_CHECK(!(e & RIRR) || (e & LEVEL), "remote IRR on edge pin %d", pin);
		if (io->edge_latch >> pin & 1)
			FUZZ_CHECK(!(e & (LEVEL | MASKED)), "edge latched on pin %d, entry 0x%llx", pin,
				   (unsigned long long)e);
	}
	FUZZ_CHECK(vioapic_peek(io, &m) == ref_first(io), "peek %d, want %d", vioapic_peek(io, &m),
		   ref_first(io));
}

/* A read through the window, checked against the state; reads change nothing. */
static void op_read(struct vioapic *io, uint32_t off, unsigned len)
{
	struct vioapic old;
	uint32_t v, want = 0, mask;
	unsigned r = io->ioregsel;

	memcpy(&old, io, sizeof(old));
	v = vioapic_mmio_read(io, off, len);

	FUZZ_CHECK(!memcmp(&old, io, sizeof(old)), "read of 0x%x changed the IOAPIC", off);
	mask = len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
	if ((off & 0xffc) == VIOAPIC_IOREGSEL) {
		want = r;
	} else if ((off & 0xffc) == VIOAPIC_IOWIN) {
		if (r == 0 || r == 2)
			want = (uint32_t)io->id << 24;
		else if (r == 1)
			want = 0x00170020;
		else if (r >= 0x10 && r < 0x40)
			want = r & 1 ? (uint32_t)(io->rte[(r - 0x10) / 2] >> 32) :
			       (uint32_t)io->rte[(r - 0x10) / 2] |
			       (ref_pending(io, (int)(r - 0x10) / 2) ? 1u << 12 : 0);
	}
	want = (want >> ((off & 3) * 8)) & mask;
	FUZZ_CHECK(v == want, "read of 0x%x (%u bytes), IOREGSEL 0x%x: 0x%x, want 0x%x", off, len,
		   r, v, want);
}

/*
 * A guest write: remote IRR is read-only (only a sent message sets it), and
 * a window write changes at most the selected entry.
 */
static void op_write(struct vioapic *io, uint32_t off, unsigned len, uint32_t val)
{
	struct vioapic old;
	unsigned r = io->ioregsel;
	int pin;

	memcpy(&old, io, sizeof(old));
	vioapic_mmio_write(io, off, len, val);
	for (pin = 0; pin < VIOAPIC_PINS; pin++) {
		FUZZ_CHECK(!(io->rte[pin] & RIRR) || (old.rte[pin] & RIRR),
			   "a write of 0x%x at 0x%x set remote IRR of pin %d", val, off, pin);
		if (io->rte[pin] != old.rte[pin] && (off & 0xfff) != VIOAPIC_EOI)
			FUZZ_CHECK((off & 0xfff) == VIOAPIC_IOWIN && (unsigned)pin == (r - 0x10) / 2,
				   "a write at 0x%x, IOREGSEL 0x%x, changed pin %d", off, r, pin);
	}
}

static void op_take(struct vioapic *io, bool peek_only)
{
	struct vioapic old;
	struct vioapic_msg m, p;
	int want = ref_first(io), pin;
	uint64_t e;

	memcpy(&old, io, sizeof(old));
	memset(&m, 0xa5, sizeof(m));
	pin = peek_only ? vioapic_peek(io, &m) : vioapic_take(io, &m);
	FUZZ_CHECK(pin == want, "%s gave pin %d, want %d", peek_only ? "peek" : "take", pin, want);
	if (pin < 0)
		return;
	e = old.rte[pin];
	FUZZ_CHECK(m.vector == (uint8_t)e && m.delivery_mode == (e >> 8 & 7) &&
		   m.logical == !!(e & (1u << 11)) && m.level == !!(e & LEVEL) &&
		   m.dest == (uint8_t)(e >> 56), "message of pin %d differs from entry 0x%llx", pin,
		   (unsigned long long)e);
	if (peek_only) {
		FUZZ_CHECK(!memcmp(&old, io, sizeof(old)), "peek changed the IOAPIC");
		return;
	}
	FUZZ_CHECK(vioapic_peek(&old, &p) == pin, "take and peek disagree");
	if (e & LEVEL)
		FUZZ_CHECK((io->rte[pin] & RIRR) && io->edge_latch == old.edge_latch,
			   "level pin %d sent without remote IRR", pin);
	else
		FUZZ_CHECK(io->edge_latch == (old.edge_latch & ~(1u << pin)) && io->rte[pin] == e,
			   "edge pin %d not consumed", pin);
}

static void op_set_irq(struct vioapic *io, int pin, int level)
{
	struct vioapic old;

	memcpy(&old, io, sizeof(old));
	vioapic_set_irq(io, pin, level);
	if (pin < 0 || pin >= VIOAPIC_PINS) {
		FUZZ_CHECK(!memcmp(&old, io, sizeof(old)), "pin %d changed the IOAPIC", pin);
		return;
	}
	/* (Not written as !!(x) == !!level: Debian's gcc 12.2 -O1 miscompiles that here.) */
	FUZZ_CHECK(((io->lines >> pin) & 1u) == (level ? 1u : 0u), "pin %d level not kept", pin);
	/* Only a rising edge on an unmasked edge entry latches. */
	FUZZ_CHECK((io->edge_latch & ~old.edge_latch) ==
		   (level && !(old.lines >> pin & 1) && !(old.rte[pin] & (LEVEL | MASKED)) ?
		    (1u << pin) & ~old.edge_latch : 0), "pin %d latch 0x%x -> 0x%x", pin,
		   old.edge_latch, io->edge_latch);
}

static void op_eoi(struct vioapic *io, uint8_t vector, bool reg)
{
	int pin;

	if (reg)
		vioapic_mmio_write(io, VIOAPIC_EOI, 4, vector);
	else
		vioapic_eoi(io, vector);
	for (pin = 0; pin < VIOAPIC_PINS; pin++)
		if ((io->rte[pin] & 0xff) == vector)
			FUZZ_CHECK(!(io->rte[pin] & RIRR), "remote IRR of pin %d kept by EOI 0x%x", pin,
				   vector);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t offs[8] = { 0x00, 0x10, 0x40, 0x00, 0x10, 0x01, 0x12, 0x20 };
	struct fuzz_in in = { data, size };
	struct vioapic io;

	vioapic_init(&io, fuzz_u8(&in));
	check_state(&io);
	while (fuzz_more(&in)) {
		uint8_t op = fuzz_u8(&in), a = fuzz_u8(&in);
		unsigned len = 1u << (a >> 3 & 3);
		int pin;

		if (len == 8)
			len = 4;
		switch (op % 10) {
		case 0: case 1:                 /* the commonest guest action */
			op_write(&io, offs[a & 7] + (a & 0x80 ? 0x1000 : 0), len, fuzz_u32(&in));
			break;
		case 2:                         /* a whole entry, as a guest programs one */
			pin = a % VIOAPIC_PINS;
			vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, 0x11 + 2 * (unsigned)pin);
			vioapic_mmio_write(&io, VIOAPIC_IOWIN, 4, (uint32_t)fuzz_u8(&in) << 24);
			vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, 0x10 + 2 * (unsigned)pin);
			op_write(&io, VIOAPIC_IOWIN, 4, fuzz_u32(&in));
			break;
		case 3:
			op_read(&io, offs[a & 7] + (a & 0x80 ? 2 : 0), len);
			break;
		case 4:                         /* a line level; out-of-range pins too */
			op_set_irq(&io, (int8_t)a >= -2 && (int8_t)a < 27 ? (int8_t)a : a % 24,
				   fuzz_u8(&in) & 1);
			break;
		case 5:
			vioapic_pulse_irq(&io, a % 26);
			break;
		case 6:
			op_eoi(&io, fuzz_u8(&in), a & 1);
			break;
		case 7:
			op_take(&io, a & 1);
			break;
		case 8:                         /* the hv drains everything */
			while (ref_first(&io) >= 0)
				op_take(&io, false);
			op_take(&io, false);
			break;
		default:
			if (a == 0xa5)
				vioapic_init(&io, fuzz_u8(&in));
			else
				op_read(&io, offs[a & 7], 4);
			break;
		}
		check_state(&io);
	}
	return 0;
}
