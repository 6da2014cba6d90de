/* The machine's I/O APICs (hv/ioapic.h; Intel 82093AA I/O APIC datasheet). */
#include "ioapic.h"
#include "pirq_hw.h"

uint64_t ioapic_rte(uint8_t vector, uint8_t dest, bool level, bool active_low, bool masked)
{
	uint64_t rte = vector | IOAPIC_RTE_DELMOD_FIXED;

	if (active_low)
		rte |= IOAPIC_RTE_ACTIVE_LOW;
	if (level)
		rte |= IOAPIC_RTE_LEVEL;
	if (masked)
		rte |= IOAPIC_RTE_MASKED;
	return rte | (uint64_t)dest << IOAPIC_RTE_DEST_SHIFT;
}

void ioapic_isa_line(const struct boot_madt *m, unsigned irq, bool elcr_level, struct ioapic_line *l)
{
	*l = (struct ioapic_line){ .gsi = irq };
	if (!m->found) {
		l->level = elcr_level;
		return;
	}
	for (uint32_t i = 0; i < m->niso && i < BOOT_MAX_ISOS; i++) {
		const struct boot_iso *o = &m->iso[i];

		if (o->bus != 0 || o->source != irq)
			continue;
		/* "Conforms to the specifications of the bus" (and the reserved 2) is ISA's: high, edge. */
		l->gsi = o->gsi;
		l->active_low = IOAPIC_INTI_POLARITY(o->flags) == 3;
		l->level = IOAPIC_INTI_TRIGGER(o->flags) == 3;
		l->override = true;
		return;
	}
}

int ioapic_find(const struct ioapic_chip *chips, unsigned n, uint32_t gsi, unsigned *pin)
{
	for (unsigned i = 0; i < n; i++)
		if (gsi >= chips[i].gsi_base && gsi - chips[i].gsi_base < chips[i].pins) {
			*pin = gsi - chips[i].gsi_base;
			return (int)i;
		}
	return -1;
}

bool ioapic_version_ok(uint32_t ver)
{
	uint32_t version = ver & 0xff, max_entry = (ver >> 16) & 0xff;

	return ver != 0xffffffffu && version >= 0x10 && version <= 0x2f && max_entry >= 1 && max_entry < 240;
}

static uint32_t ioapic_read(struct ioapic_chip *c, uint32_t reg)
{
	uint32_t v;

	spin_lock(&c->lock);
	mmio_write32(c->addr + IOAPIC_IOREGSEL, reg);
	v = mmio_read32(c->addr + IOAPIC_IOWIN);
	spin_unlock(&c->lock);
	return v;
}

static void ioapic_write(struct ioapic_chip *c, uint32_t reg, uint32_t v)
{
	spin_lock(&c->lock);
	mmio_write32(c->addr + IOAPIC_IOREGSEL, reg);
	mmio_write32(c->addr + IOAPIC_IOWIN, v);
	spin_unlock(&c->lock);
}

int ioapic_probe(uint32_t addr, uint32_t gsi_base, struct ioapic_chip *c)
{
	*c = (struct ioapic_chip){ .addr = addr, .gsi_base = gsi_base };
	c->version = ioapic_read(c, IOAPIC_REG_VER);
	if (!ioapic_version_ok(c->version))
		return -1;
	c->pins = ((c->version >> 16) & 0xff) + 1;
	c->id = (ioapic_read(c, IOAPIC_REG_ID) >> 24) & 0xf;
	return 0;
}

void ioapic_write_rte(struct ioapic_chip *c, unsigned pin, uint64_t rte)
{
	/* The destination first: the low half may unmask the entry. */
	ioapic_write(c, IOAPIC_REG_RTE + 2 * pin + 1, (uint32_t)(rte >> 32));
	ioapic_write(c, IOAPIC_REG_RTE + 2 * pin, (uint32_t)rte);
}

void ioapic_write_rte_low(struct ioapic_chip *c, unsigned pin, uint32_t low)
{
	ioapic_write(c, IOAPIC_REG_RTE + 2 * pin, low);
}

uint64_t ioapic_read_rte(struct ioapic_chip *c, unsigned pin)
{
	uint64_t lo = ioapic_read(c, IOAPIC_REG_RTE + 2 * pin);

	return lo | (uint64_t)ioapic_read(c, IOAPIC_REG_RTE + 2 * pin + 1) << 32;
}

void ioapic_mask_all(struct ioapic_chip *c)
{
	/* Masked first, then the destination: an entry left open never sends meanwhile. */
	for (unsigned pin = 0; pin < c->pins; pin++) {
		ioapic_write(c, IOAPIC_REG_RTE + 2 * pin, IOAPIC_RTE_MASKED);
		ioapic_write(c, IOAPIC_REG_RTE + 2 * pin + 1, 0);
	}
}
