/*
 * Virtual 8259A pair. Behaviour follows the Intel 8259A Programmable
 * Interrupt Controller datasheet (sections "Interrupt Sequence",
 * "Initialization Command Words", "Operation Command Words", "Fully Nested
 * Mode", "Automatic Rotation", "Special Mask Mode", "Poll Command",
 * "Edge and Level Triggered Modes") and, for the per-line ELCR, the
 * Intel PIIX4 datasheet ("ELCR1/ELCR2 - Edge/Level Control Registers").
 *
 * One deliberate difference from the silicon: in edge mode the IRR bit is
 * latched by a rising edge and stays latched when the line falls. The
 * datasheet asks a real IR input to stay high until the first INTA; the hv
 * instead delivers edges as pulses (a physical interrupt routed to the
 * guest, a PIT tick), with no INTA timing to honour, so un-latching on the
 * falling edge would lose them. A level-triggered request does go away with
 * its line, which is how a guest sees the spurious IRQ 7 / IRQ 15.
 */
#include "vpic.h"

#define VPIC_MASTER 0
#define VPIC_SLAVE  1

/* PIIX: IRQ 0, 1, 2, 8 and 13 are always edge triggered. */
static const uint8_t vpic_elcr_mask[2] = { 0xf8, 0xde };

static bool vpic_is_level(const struct vpic_chip *c, int ir)
{
	return c->ltim || (c->elcr & (1u << ir));
}

/*
 * Returns the priority (0 highest .. 7 lowest) of the most urgent bit in
 * mask, or 8 if mask is empty. IR (lowest+1)&7 has priority 0 ("Automatic
 * Rotation": the last serviced level becomes the lowest).
 */
static int vpic_priority(const struct vpic_chip *c, uint8_t mask)
{
	int pr;

	for (pr = 0; pr < 8; pr++)
		if (mask & (1u << ((c->lowest + 1 + pr) & 7)))
			return pr;
	return 8;
}

static int vpic_ir_of(const struct vpic_chip *c, int pr)
{
	return (c->lowest + 1 + pr) & 7;
}

/*
 * Returns the IR this chip would signal on INT now, or -1: the highest
 * unmasked request that outranks everything in service ("Fully Nested
 * Mode"). In special mask mode masked levels do not block; in special fully
 * nested mode the master lets the slave interrupt its own IR2 service.
 */
static int vpic_chip_pending(const struct vpic_chip *c, int which)
{
	uint8_t in_service = c->isr;
	int req = vpic_priority(c, c->irr & ~c->imr);

	if (req == 8)
		return -1;
	if (c->special_mask)
		in_service &= ~c->imr;
	if (c->sfnm && which == VPIC_MASTER)
		in_service &= ~(1u << VPIC_CASCADE_IRQ);
	if (req < vpic_priority(c, in_service))
		return vpic_ir_of(c, req);
	return -1;
}

/*
 * The slave's INT output drives master IR2. A deliverable slave request
 * (re)latches IR2, so a second slave request behind an auto-EOI'd first one
 * is not lost; a request that went away leaves IR2 latched, which is what
 * makes the datasheet's spurious IRQ 15 (master ISR2 set, slave IR7 vector).
 */
static void vpic_update_cascade(struct vpic *p)
{
	struct vpic_chip *m = &p->chip[VPIC_MASTER];
	bool out = vpic_chip_pending(&p->chip[VPIC_SLAVE], VPIC_SLAVE) >= 0;

	if (m->single)
		return;
	if (out)
		m->irr |= 1u << VPIC_CASCADE_IRQ;
	else if (vpic_is_level(m, VPIC_CASCADE_IRQ))
		m->irr &= (uint8_t)~(1u << VPIC_CASCADE_IRQ);
}

/* Clears one ISR bit and notes the line as acknowledged for the hv. */
static void vpic_clear_isr(struct vpic *p, int which, int ir)
{
	struct vpic_chip *c = &p->chip[which];

	if (!(c->isr & (1u << ir)))
		return;
	c->isr &= (uint8_t)~(1u << ir);
	if (!(which == VPIC_MASTER && ir == VPIC_CASCADE_IRQ))
		p->eoi_pending |= (uint16_t)(1u << (which * 8 + ir));
}

/* The acknowledge half of an INTA or poll: IRR -> ISR (or auto-EOI). */
static void vpic_intack(struct vpic *p, int which, int ir)
{
	struct vpic_chip *c = &p->chip[which];

	if (c->auto_eoi) {
		/* "Automatic End of Interrupt Mode": no ISR bit is kept. */
		if (c->rotate_aeoi)
			c->lowest = (uint8_t)ir;
		if (!(which == VPIC_MASTER && ir == VPIC_CASCADE_IRQ))
			p->eoi_pending |= (uint16_t)(1u << (which * 8 + ir));
	} else {
		c->isr |= (uint8_t)(1u << ir);
	}
	/* A level request stays in IRR while its line is high. */
	if (!vpic_is_level(c, ir))
		c->irr &= (uint8_t)~(1u << ir);
}

/* Resets both chips to the state a PC BIOS hands over. */
void vpic_init(struct vpic *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct vpic_chip *c = &p->chip[i];

		*c = (struct vpic_chip){ 0 };
		c->imr = 0xff;
		c->lowest = 7;
		c->icw4_needed = true;
	}
	p->chip[VPIC_MASTER].vector_base = 0x08;
	p->chip[VPIC_MASTER].icw3 = 1u << VPIC_CASCADE_IRQ;
	p->chip[VPIC_SLAVE].vector_base = 0x70;
	p->chip[VPIC_SLAVE].icw3 = VPIC_CASCADE_IRQ;
	p->eoi_pending = 0;
}

/* Returns true if port belongs to the PIC pair (cmd, data or ELCR). */
bool vpic_handles_port(uint16_t port)
{
	return port == VPIC_MASTER_CMD || port == VPIC_MASTER_DATA ||
	       port == VPIC_SLAVE_CMD || port == VPIC_SLAVE_DATA ||
	       port == VPIC_ELCR_MASTER || port == VPIC_ELCR_SLAVE;
}

/*
 * ICW1 ("Initialization Command Words"): IMR and ISR cleared, IR7 lowest,
 * special mask off, IRR selected for reads, and the edge sense latches
 * reset, so a line already high must fall and rise again to request.
 */
static void vpic_icw1(struct vpic *p, int which, uint8_t val)
{
	struct vpic_chip *c = &p->chip[which];
	int ir;

	for (ir = 0; ir < 8; ir++)
		vpic_clear_isr(p, which, ir);
	c->ltim = val & 0x08;
	c->single = val & 0x02;
	c->icw4_needed = val & 0x01;
	c->irr = c->ltim ? c->lines : (uint8_t)(c->lines & c->elcr);
	c->imr = 0;
	c->lowest = 7;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->auto_eoi = c->rotate_aeoi = c->sfnm = false;
	c->init_step = 2;
}

/* OCW2: the EOI and rotation commands. */
static void vpic_ocw2(struct vpic *p, int which, uint8_t val)
{
	struct vpic_chip *c = &p->chip[which];
	int ir = val & 7, pr;

	switch (val >> 5) {
	case 0: /* rotate in auto-EOI mode (clear) */
	case 4: /* rotate in auto-EOI mode (set) */
		c->rotate_aeoi = val & 0x80;
		break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		/* In special mask mode a masked ISR bit is not cleared. */
		pr = vpic_priority(c, c->special_mask ? c->isr & ~c->imr : c->isr);
		if (pr == 8)
			break;
		ir = vpic_ir_of(c, pr);
		vpic_clear_isr(p, which, ir);
		if (val & 0x80)
			c->lowest = (uint8_t)ir;
		break;
	case 3: /* specific EOI */
		vpic_clear_isr(p, which, ir);
		break;
	case 7: /* rotate on specific EOI */
		vpic_clear_isr(p, which, ir);
		c->lowest = (uint8_t)ir;
		break;
	case 6: /* set priority: IR ir becomes the lowest */
		c->lowest = (uint8_t)ir;
		break;
	default: /* 2: no operation */
		break;
	}
}

/* OCW3: read-register select, poll, special mask mode. */
static void vpic_ocw3(struct vpic_chip *c, uint8_t val)
{
	if (val & 0x40)
		c->special_mask = val & 0x20;
	if (val & 0x04)
		c->poll = true;
	if (val & 0x02)
		c->read_isr = val & 0x01;
}

/* Data port: OCW1 (IMR) when initialised, else the next ICW. */
static void vpic_write_data(struct vpic_chip *c, uint8_t val)
{
	switch (c->init_step) {
	case 2:
		c->vector_base = val & 0xf8;
		c->init_step = c->single ? (c->icw4_needed ? 4 : 0) : 3;
		break;
	case 3:
		c->icw3 = val;
		c->init_step = c->icw4_needed ? 4 : 0;
		break;
	case 4:
		/* uPM (bit 0) is always 8086 here; buffered mode is moot. */
		c->auto_eoi = val & 0x02;
		c->sfnm = val & 0x10;
		c->init_step = 0;
		break;
	default:
		c->imr = val;
	}
}

/* A PIIX ELCR write: lines that become level take IRR from their level. */
static void vpic_write_elcr(struct vpic_chip *c, int which, uint8_t val)
{
	c->elcr = val & vpic_elcr_mask[which];
	c->irr = (uint8_t)((c->irr & ~c->elcr) | (c->lines & c->elcr));
}

/* Guest OUT to a PIC port. Other ports are ignored. */
void vpic_write(struct vpic *p, uint16_t port, uint8_t val)
{
	int which = (port == VPIC_SLAVE_CMD || port == VPIC_SLAVE_DATA ||
		     port == VPIC_ELCR_SLAVE) ? VPIC_SLAVE : VPIC_MASTER;
	struct vpic_chip *c = &p->chip[which];

	if (port == VPIC_ELCR_MASTER || port == VPIC_ELCR_SLAVE)
		vpic_write_elcr(c, which, val);
	else if (port == VPIC_MASTER_DATA || port == VPIC_SLAVE_DATA)
		vpic_write_data(c, val);
	else if (port != VPIC_MASTER_CMD && port != VPIC_SLAVE_CMD)
		return;
	else if (val & 0x10)
		vpic_icw1(p, which, val);
	else if (val & 0x08)
		vpic_ocw3(c, val);
	else
		vpic_ocw2(p, which, val);
	vpic_update_cascade(p);
}

/*
 * "Poll Command": the read is the INTA. Returns 0x80 | IR if a request was
 * pending (and acknowledges it), 0 otherwise.
 */
static uint8_t vpic_poll(struct vpic *p, int which)
{
	int ir = vpic_chip_pending(&p->chip[which], which);

	p->chip[which].poll = false;
	if (ir < 0)
		return 0;
	vpic_intack(p, which, ir);
	vpic_update_cascade(p);
	return (uint8_t)(0x80 | ir);
}

/* Guest IN from a PIC port. Returns 0xff for ports it does not handle. */
uint8_t vpic_read(struct vpic *p, uint16_t port)
{
	int which = (port == VPIC_SLAVE_CMD || port == VPIC_SLAVE_DATA ||
		     port == VPIC_ELCR_SLAVE) ? VPIC_SLAVE : VPIC_MASTER;
	struct vpic_chip *c = &p->chip[which];

	if (port == VPIC_ELCR_MASTER || port == VPIC_ELCR_SLAVE)
		return c->elcr;
	if (!vpic_handles_port(port))
		return 0xff;
	if (c->poll)
		return vpic_poll(p, which);
	if (port == VPIC_MASTER_DATA || port == VPIC_SLAVE_DATA)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

/* Sets input line irq (0..15) to level. Out-of-range irq is ignored. */
void vpic_set_irq(struct vpic *p, int irq, int level)
{
	struct vpic_chip *c;
	uint8_t bit;

	if (irq < 0 || irq > 15)
		return;
	c = &p->chip[irq >> 3];
	bit = (uint8_t)(1u << (irq & 7));
	if (level) {
		/* Edge mode latches only a low-to-high transition. */
		if (vpic_is_level(c, irq & 7) || !(c->lines & bit))
			c->irr |= bit;
		c->lines |= bit;
	} else {
		c->lines &= (uint8_t)~bit;
		if (vpic_is_level(c, irq & 7))
			c->irr &= (uint8_t)~bit;
	}
	vpic_update_cascade(p);
}

/* Raises then lowers line irq: one edge. */
void vpic_pulse_irq(struct vpic *p, int irq)
{
	vpic_set_irq(p, irq, 1);
	vpic_set_irq(p, irq, 0);
}

/* Returns true if an unmasked request would be delivered to the CPU now. */
bool vpic_has_interrupt(const struct vpic *p)
{
	return vpic_chip_pending(&p->chip[VPIC_MASTER], VPIC_MASTER) >= 0;
}

bool vpic_edge_would_interrupt(const struct vpic *p, int irq)
{
	const struct vpic_chip *m = &p->chip[VPIC_MASTER];
	uint8_t bit = (uint8_t)(1u << (irq & 7));

	/*
	 * A master line other than the cascade: an edge latches only if the
	 * line is edge-triggered, low and not latched already; it interrupts
	 * if the master then has a request it did not have. The entry path
	 * asks this for IRQ 0 before every entry: no copy of the pair here.
	 */
	if (irq >= 0 && irq < 8 && irq != VPIC_CASCADE_IRQ) {
		struct vpic_chip after;

		if ((m->imr & bit) || (m->irr & bit) || (m->lines & bit) || vpic_is_level(m, irq))
			return false;
		after = *m;
		after.irr |= bit;
		return vpic_chip_pending(&after, VPIC_MASTER) >= 0 &&
		       vpic_chip_pending(m, VPIC_MASTER) < 0;
	}
	struct vpic copy = *p;

	vpic_pulse_irq(&copy, irq);
	return vpic_has_interrupt(&copy) && !vpic_has_interrupt(p);
}

/*
 * INTA cycle ("Interrupt Sequence"). Returns the vector and moves the
 * request from IRR to ISR. With no request left (it went away, or was
 * masked, after INT was raised) the chip answers IR7 and sets no ISR bit:
 * the spurious vector. Via the cascade the master has already set ISR2
 * when the slave finds nothing, so the slave's IR7 (IRQ 15) is spurious
 * with master ISR2 set; the guest must EOI the master only.
 */
int vpic_ack(struct vpic *p)
{
	struct vpic_chip *m = &p->chip[VPIC_MASTER];
	struct vpic_chip *s = &p->chip[VPIC_SLAVE];
	int ir = vpic_chip_pending(m, VPIC_MASTER), sir, vec;

	if (ir < 0)
		return m->vector_base + 7;
	vpic_intack(p, VPIC_MASTER, ir);
	vec = m->vector_base + ir;
	if (ir == VPIC_CASCADE_IRQ && !m->single) {
		sir = vpic_chip_pending(s, VPIC_SLAVE);
		if (sir >= 0)
			vpic_intack(p, VPIC_SLAVE, sir);
		vec = s->vector_base + (sir >= 0 ? sir : 7);
	}
	vpic_update_cascade(p);
	return vec;
}

/* Returns (and clears) the mask of lines acknowledged since the last call. */
uint16_t vpic_take_eois(struct vpic *p)
{
	uint16_t m = p->eoi_pending;

	p->eoi_pending = 0;
	return m;
}
