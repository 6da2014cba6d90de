/*
 * Virtual I/O APIC. Behaviour follows the Intel 82093AA I/O Advanced
 * Programmable Interrupt Controller datasheet ("Register Description":
 * "IOREGSEL", "IOWIN", "IOAPICID", "IOAPICVER", "IOAPICARB", "IOREDTBL"),
 * with the EOI register of the I/O xAPICs of Intel's chipsets (version
 * 0x20: a write of a vector clears remote IRR of the level-triggered
 * entries with that vector, the target of a local APIC's directed EOI).
 *
 * Decisions:
 *   - A message is sent when the hv takes it (vioapic_take); until then
 *     the entry's delivery status reads "send pending". A message is
 *     built from the entry as it is when taken, so a redirection change
 *     before that is honoured; an entry masked before that sends nothing
 *     (an edge is dropped, a level waits for the unmask).
 *   - An entry set to edge-triggered has remote IRR cleared (the datasheet
 *     leaves it undefined for edge; Linux relies on the clearing to
 *     unstick a level pin on IOAPICs without an EOI register, and KVM and
 *     QEMU clear it too).
 *   - The arbitration ID register reads the ID (the 82093AA loads it from
 *     the ID); there is no APIC bus to arbitrate.
 */
#include "vioapic.h"

/* Writable bits: vector, delivery mode, dest mode, polarity, trigger, mask; destination. */
#define RTE_LO_WRITABLE 0x0001afffull
#define RTE_HI_WRITABLE 0xff00000000000000ull

/* Returns true if pin has a message to send. */
static bool vioapic_pending(const struct vioapic *io, int pin)
{
	uint64_t e = io->rte[pin];

	if (e & VIOAPIC_RTE_MASKED)
		return false;
	if (e & VIOAPIC_RTE_LEVEL)
		return (io->lines >> pin & 1) && !(e & VIOAPIC_RTE_REMOTE_IRR);
	return io->edge_latch >> pin & 1;
}

void vioapic_init(struct vioapic *io, uint8_t id)
{
	int pin;

	*io = (struct vioapic){ .id = id & 0xf };
	for (pin = 0; pin < VIOAPIC_PINS; pin++)
		io->rte[pin] = VIOAPIC_RTE_MASKED;
}

/* The indirect register IOREGSEL selects, with delivery status computed. */
static uint32_t vioapic_reg_read(const struct vioapic *io)
{
	unsigned r = io->ioregsel;
	int pin;
	uint64_t e;

	switch (r) {
	case VIOAPIC_REG_ID:
	case VIOAPIC_REG_ARB:
		return (uint32_t)io->id << 24;
	case VIOAPIC_REG_VER:
		return (VIOAPIC_PINS - 1) << 16 | VIOAPIC_VERSION;
	}
	if (r < VIOAPIC_REG_RTE || r >= VIOAPIC_REG_RTE + 2 * VIOAPIC_PINS)
		return 0;
	pin = (int)(r - VIOAPIC_REG_RTE) / 2;
	e = io->rte[pin];
	if (vioapic_pending(io, pin))
		e |= VIOAPIC_RTE_DELIVS;
	return r & 1 ? (uint32_t)(e >> 32) : (uint32_t)e;
}

/* A write through IOWIN to the selected register. */
static void vioapic_reg_write(struct vioapic *io, uint32_t val)
{
	unsigned r = io->ioregsel;
	uint32_t bit;
	uint64_t e;
	int pin;

	if (r == VIOAPIC_REG_ID) {
		io->id = val >> 24 & 0xf;
		return;
	}
	if (r < VIOAPIC_REG_RTE || r >= VIOAPIC_REG_RTE + 2 * VIOAPIC_PINS)
		return;                         /* version, arbitration: read-only */
	pin = (int)(r - VIOAPIC_REG_RTE) / 2;
	bit = 1u << pin;
	e = io->rte[pin];
	if (r & 1)
		e = (e & ~RTE_HI_WRITABLE) | ((uint64_t)val << 32 & RTE_HI_WRITABLE);
	else
		e = (e & ~RTE_LO_WRITABLE) | (val & RTE_LO_WRITABLE);
	if (!(e & VIOAPIC_RTE_LEVEL))
		e &= ~VIOAPIC_RTE_REMOTE_IRR;
	/* "Edge-sensitive interrupts signaled on a masked interrupt pin are ignored." */
	if (e & (VIOAPIC_RTE_MASKED | VIOAPIC_RTE_LEVEL))
		io->edge_latch &= ~bit;
	io->rte[pin] = e;
}

uint32_t vioapic_mmio_read(const struct vioapic *io, uint32_t offset, unsigned len)
{
	uint32_t mask = len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1, v = 0;

	offset &= VIOAPIC_SIZE - 1;
	if ((offset & ~3u) == VIOAPIC_IOREGSEL)
		v = io->ioregsel;
	else if ((offset & ~3u) == VIOAPIC_IOWIN)
		v = vioapic_reg_read(io);
	return (v >> ((offset & 3) * 8)) & mask;
}

void vioapic_mmio_write(struct vioapic *io, uint32_t offset, unsigned len, uint32_t val)
{
	offset &= VIOAPIC_SIZE - 1;
	if (offset == VIOAPIC_IOREGSEL)
		io->ioregsel = (uint8_t)val;
	else if (offset == VIOAPIC_IOWIN && len == 4)
		vioapic_reg_write(io, val);
	else if (offset == VIOAPIC_EOI)
		vioapic_eoi(io, (uint8_t)val);
}

void vioapic_set_irq(struct vioapic *io, int pin, int level)
{
	uint32_t bit;

	if (pin < 0 || pin >= VIOAPIC_PINS)
		return;
	bit = 1u << pin;
	if (!level) {
		io->lines &= ~bit;
		return;
	}
	/* A rising edge on an unmasked edge-triggered pin is latched for sending. */
	if (!(io->lines & bit) && !(io->rte[pin] & (VIOAPIC_RTE_MASKED | VIOAPIC_RTE_LEVEL)))
		io->edge_latch |= bit;
	io->lines |= bit;
}

void vioapic_pulse_irq(struct vioapic *io, int pin)
{
	vioapic_set_irq(io, pin, 1);
	vioapic_set_irq(io, pin, 0);
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	int pin;

	for (pin = 0; pin < VIOAPIC_PINS; pin++)
		if ((io->rte[pin] & 0xff) == vector)
			io->rte[pin] &= ~VIOAPIC_RTE_REMOTE_IRR;
}

int vioapic_peek(const struct vioapic *io, struct vioapic_msg *m)
{
	int pin;
	uint64_t e;

	for (pin = 0; pin < VIOAPIC_PINS; pin++) {
		if (!vioapic_pending(io, pin))
			continue;
		e = io->rte[pin];
		m->vector = (uint8_t)e;
		m->delivery_mode = e >> 8 & 7;
		m->logical = e & VIOAPIC_RTE_LOGICAL;
		m->level = e & VIOAPIC_RTE_LEVEL;
		m->dest = (uint8_t)(e >> 56);
		return pin;
	}
	return -1;
}

int vioapic_take(struct vioapic *io, struct vioapic_msg *m)
{
	int pin = vioapic_peek(io, m);

	if (pin < 0)
		return -1;
	if (io->rte[pin] & VIOAPIC_RTE_LEVEL)
		io->rte[pin] |= VIOAPIC_RTE_REMOTE_IRR;
	else
		io->edge_latch &= ~(1u << pin);
	return pin;
}
