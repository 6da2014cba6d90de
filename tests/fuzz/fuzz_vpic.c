/*
 * Fuzz target: the virtual 8259A pair (hv/vpic.c). The input is a stream
 * of operations a guest and its devices can cause: port writes and reads
 * (the six PIC ports and one that is not), input line levels and pulses,
 * the hv's interrupt acknowledge (only when vpic_has_interrupt says so, as
 * the hv does), taking the EOI mask, and a reset. After every operation the
 * registers must stay consistent; each acknowledge must deliver the most
 * urgent unmasked request and set its in-service bit.
 */
#include <string.h>

#include "fuzz.h"
#include "vpic.h"

static const uint16_t fuzz_ports[8] = {
	VPIC_MASTER_CMD, VPIC_MASTER_DATA, VPIC_SLAVE_CMD, VPIC_SLAVE_DATA,
	VPIC_ELCR_MASTER, VPIC_ELCR_SLAVE, 0x22, VPIC_MASTER_DATA,
};

/* PIIX: IRQ 0, 1, 2, 8 and 13 cannot be level triggered. */
static const uint8_t elcr_mask[2] = { 0xf8, 0xde };

static bool is_level(const struct vpic_chip *c, int ir)
{
	return c->ltim || (c->elcr & (1u << ir));
}

static int model_pending(const struct vpic_chip *c, bool master);

/* State that must hold between any two operations. */
static void check_state(const struct vpic *p, const struct vpic *old)
{
	int w, ir;

	for (w = 0; w < 2; w++) {
		const struct vpic_chip *c = &p->chip[w];

		FUZZ_CHECK(!(c->elcr & ~elcr_mask[w]), "chip %d elcr 0x%x", w, c->elcr);
		FUZZ_CHECK(c->init_step == 0 || (c->init_step >= 2 && c->init_step <= 4),
			   "chip %d init_step %d", w, c->init_step);
		FUZZ_CHECK(c->lowest < 8, "chip %d lowest %d", w, c->lowest);
		/* A level request exists only while its line is high (IR2: the slave's output). */
		for (ir = 0; ir < 8; ir++)
			if (is_level(c, ir) && !(w == 0 && ir == VPIC_CASCADE_IRQ))
				FUZZ_CHECK(!(c->irr & ~c->lines & (1u << ir)),
					   "chip %d level IR%d requested with its line low", w, ir);
		/* ISR bits the guest lost are reported to the hv as EOIs (not IR2). */
		if (old) {
			uint8_t gone = old->chip[w].isr & ~c->isr;

			if (w == 0)
				gone &= (uint8_t)~(1u << VPIC_CASCADE_IRQ);
			FUZZ_CHECK(((p->eoi_pending >> (8 * w)) & gone) == gone,
				   "chip %d ISR 0x%x -> 0x%x, EOIs 0x%x", w, old->chip[w].isr,
				   c->isr, p->eoi_pending);
		}
	}
	FUZZ_CHECK(!(p->eoi_pending & (1u << VPIC_CASCADE_IRQ)), "EOI for the cascade");
	FUZZ_CHECK(vpic_has_interrupt(p) == (model_pending(&p->chip[0], true) >= 0),
		   "has_interrupt %d: irr 0x%x imr 0x%x isr 0x%x", vpic_has_interrupt(p),
		   p->chip[0].irr, p->chip[0].imr, p->chip[0].isr);
	if (p->chip[0].imr == 0xff)
		FUZZ_CHECK(!vpic_has_interrupt(p), "interrupt with every master line masked");
}

/* Priority of IR ir, 0 highest ("Automatic Rotation": lowest + 1 leads). */
static int prio(const struct vpic_chip *c, int ir)
{
	return (ir - c->lowest - 1) & 7;
}

/* The IR of highest priority in mask, or -1. */
static int most_urgent(const struct vpic_chip *c, uint8_t mask)
{
	int pr;

	for (pr = 0; pr < 8; pr++)
		if (mask & (1u << ((c->lowest + 1 + pr) & 7)))
			return (c->lowest + 1 + pr) & 7;
	return -1;
}

/*
 * The datasheet's rule for INT, written from "Fully Nested Mode", "Special
 * Mask Mode" and "Special Fully Nested Mode": the most urgent unmasked
 * request, if it outranks everything in service. Returns its IR or -1.
 */
static int model_pending(const struct vpic_chip *c, bool master)
{
	int req = most_urgent(c, c->irr & ~c->imr), ins;
	uint8_t isr = c->isr;

	if (req < 0)
		return -1;
	if (c->special_mask)
		isr &= ~c->imr;
	if (master && c->sfnm)
		isr &= (uint8_t)~(1u << VPIC_CASCADE_IRQ);
	ins = most_urgent(c, isr);
	return ins < 0 || prio(c, req) < prio(c, ins) ? req : -1;
}

/*
 * One chip's side of an acknowledge of IR ir: the in-service bit is set
 * (or, in auto-EOI mode, the EOI reported), an edge request is consumed.
 */
static void check_intack(const struct vpic *p, const struct vpic *old, int w, int ir)
{
	const struct vpic_chip *c = &p->chip[w], *o = &old->chip[w];
	uint8_t bit = (uint8_t)(1u << ir);

	FUZZ_CHECK(ir >= 0 && ir == most_urgent(o, o->irr & ~o->imr),
		   "chip %d acknowledged IR%d, irr 0x%x imr 0x%x lowest %d", w, ir, o->irr,
		   o->imr, o->lowest);
	if (o->auto_eoi) {
		FUZZ_CHECK(c->isr == o->isr, "auto-EOI chip %d set ISR 0x%x", w, c->isr);
		if (!(w == 0 && ir == VPIC_CASCADE_IRQ))
			FUZZ_CHECK(p->eoi_pending & (1u << (8 * w + ir)),
				   "auto-EOI of chip %d IR%d not reported", w, ir);
	} else {
		FUZZ_CHECK(c->isr == (o->isr | bit), "chip %d ISR 0x%x -> 0x%x for IR%d", w,
			   o->isr, c->isr, ir);
	}
	if (!is_level(o, ir) && !(w == 0 && ir == VPIC_CASCADE_IRQ))
		FUZZ_CHECK(!(c->irr & bit), "edge IR%d still requested on chip %d", ir, w);
}

/*
 * An acknowledge the hv made because vpic_has_interrupt was true: the
 * master's pending IR, or through the cascade the slave's (its IR7, with
 * nothing set in service, when the slave has nothing left: spurious).
 */
static void check_ack(const struct vpic *p, const struct vpic *old, int v)
{
	const struct vpic_chip *om = &old->chip[0], *os = &old->chip[1];
	int ir = model_pending(om, true), sir;

	check_intack(p, old, 0, ir);
	if (ir != VPIC_CASCADE_IRQ || om->single) {
		FUZZ_CHECK(v == om->vector_base + ir, "vector 0x%x for master IR%d", v, ir);
		FUZZ_CHECK(!memcmp(&p->chip[1], os, sizeof(*os)), "master IR%d changed the slave", ir);
		return;
	}
	sir = model_pending(os, false);
	if (sir >= 0) {
		FUZZ_CHECK(v == os->vector_base + sir, "vector 0x%x for slave IR%d", v, sir);
		check_intack(p, old, 1, sir);
	} else {
		FUZZ_CHECK(v == os->vector_base + 7 && p->chip[1].isr == os->isr &&
			   p->chip[1].irr == os->irr, "spurious slave vector 0x%x", v);
	}
}

/* A read: the registers a guest can see, and 0xff from a port that is not the PIC's. */
static void check_read(const struct vpic *p, const struct vpic *old, uint16_t port, uint8_t v)
{
	int w = port == VPIC_SLAVE_CMD || port == VPIC_SLAVE_DATA || port == VPIC_ELCR_SLAVE;
	const struct vpic_chip *c = &old->chip[w];
	int ir;

	if (!vpic_handles_port(port)) {
		FUZZ_CHECK(v == 0xff, "port 0x%x read 0x%x", port, v);
	} else if (port == VPIC_ELCR_MASTER || port == VPIC_ELCR_SLAVE) {
		FUZZ_CHECK(v == c->elcr, "elcr read 0x%x, is 0x%x", v, c->elcr);
	} else if (c->poll) {
		/* "Poll Command": the read is the acknowledge. */
		ir = model_pending(c, w == 0);
		FUZZ_CHECK(v == (ir >= 0 ? 0x80 | ir : 0), "poll read 0x%x, pending IR%d", v, ir);
		FUZZ_CHECK(!p->chip[w].poll, "poll mode left on");
		if (ir >= 0)
			check_intack(p, old, w, ir);
		return;
	} else if (port == VPIC_MASTER_DATA || port == VPIC_SLAVE_DATA) {
		FUZZ_CHECK(v == c->imr, "imr read 0x%x, is 0x%x", v, c->imr);
	} else {
		FUZZ_CHECK(v == (c->read_isr ? c->isr : c->irr), "cmd port read 0x%x", v);
	}
	FUZZ_CHECK(!memcmp(p, old, sizeof(*p)), "a read of port 0x%x changed the PIC", port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct vpic p, old;
	uint16_t port;
	int v;

	vpic_init(&p);
	check_state(&p, NULL);
	while (fuzz_more(&in)) {
		uint8_t op = fuzz_u8(&in), a = fuzz_u8(&in);

		old = p;
		switch (op % 8) {
		case 0: case 1:                 /* OUT: the commonest guest action */
			vpic_write(&p, fuzz_ports[a & 7], fuzz_u8(&in));
			break;
		case 2:
			port = fuzz_ports[a & 7];
			check_read(&p, &old, port, vpic_read(&p, port));
			break;
		case 3:                         /* a line level; out-of-range lines too */
			vpic_set_irq(&p, (int8_t)a >= -2 && (int8_t)a < 18 ? (int8_t)a : a & 15,
				     fuzz_u8(&in) & 1);
			break;
		case 4:
			vpic_pulse_irq(&p, a & 15);
			break;
		case 5:                         /* the hv before a VM entry */
			if (vpic_has_interrupt(&p)) {
				v = vpic_ack(&p);
				FUZZ_CHECK(v >= 0 && v <= 255, "vector %d", v);
				check_ack(&p, &old, v);
			} else if ((a & 1) && p.chip[0].imr == 0xff) {
				/* All masked: INTA gets the master's spurious IR7, nothing changes. */
				v = vpic_ack(&p);
				FUZZ_CHECK(v == old.chip[0].vector_base + 7, "vector 0x%x", v);
				FUZZ_CHECK(!memcmp(&p.chip, &old.chip, sizeof(p.chip)),
					   "spurious acknowledge changed the chips");
			}
			break;
		case 6:
			vpic_take_eois(&p);
			FUZZ_CHECK(p.eoi_pending == 0, "EOIs left 0x%x", p.eoi_pending);
			break;
		default:
			if (a == 0xa5)
				vpic_init(&p);
			else
				vpic_write(&p, fuzz_ports[a & 7], fuzz_u8(&in));
			break;
		}
		check_state(&p, (op % 8 == 7 && a == 0xa5) ? NULL : &old);
		/* Only an acknowledge or a poll read puts a request in service. */
		if (op % 8 != 5 && op % 8 != 2)
			FUZZ_CHECK(!(p.chip[0].isr & ~old.chip[0].isr) &&
				   !(p.chip[1].isr & ~old.chip[1].isr), "op %d set an ISR bit", op % 8);
	}
	return 0;
}
