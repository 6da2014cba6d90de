/*
 * Fuzz target: the virtual 16550A (hv/vuart.c). The input is a stream of
 * what a guest and the hv can do: register writes and reads (offsets 0-7),
 * bytes received from the line, bytes the hv takes from the transmitter,
 * a reset. An oracle keeps the bytes in flight: what the guest wrote to
 * THR leaves the transmitter in that order (a full FIFO drops the new
 * byte), in loopback it arrives at the receiver instead; the receiver
 * gives back bytes in order, drops the new byte when its FIFO is full and,
 * with FIFOs off, replaces the one it holds. Invariants after every step:
 * FIFO depths (16, or 1 with FIFOs off), IER and MCR within their bits,
 * IIR's FIFO bits and identification codes (timeout only with FIFOs), the
 * IRQ line only with OUT2 outside loopback and an interrupt pending, LSR's
 * DR/THRE/TEMT from the FIFOs and its error bits cleared by the read, the
 * THRE interrupt reset by the IIR read that reports it.
 */
#include <string.h>

#include "fuzz.h"
#include "vuart.h"

struct fz_queue {
	uint8_t b[VUART_FIFO];
	unsigned n;
};

static void q_put(struct fz_queue *q, uint8_t v) { q->b[q->n++] = v; }

static uint8_t q_get(struct fz_queue *q)
{
	uint8_t v = q->b[0];
	memmove(q->b, q->b + 1, --q->n);
	return v;
}

struct fz_uart {
	struct vuart u;
	struct fz_queue rx, tx;      /* the oracle's bytes in flight */
};

static unsigned depth(const struct vuart *u) { return (u->fcr & VUART_FCR_ENABLE) ? VUART_FIFO : 1; }

/* The receiver takes b as the datasheet says (the oracle's side). */
static void oracle_rx(struct fz_uart *f, uint8_t b)
{
	if (f->rx.n < depth(&f->u))
		q_put(&f->rx, b);
	else if (!(f->u.fcr & VUART_FCR_ENABLE))
		f->rx.b[0] = b;
}

static void check_state(const struct fz_uart *f)
{
	const struct vuart *u = &f->u;
	uint8_t iir = vuart_iir(u), id = iir & 0x0f;
	bool fifo = u->fcr & VUART_FCR_ENABLE;

	FUZZ_CHECK(u->rx.count == f->rx.n && u->tx.count == f->tx.n, "rx %u/%u tx %u/%u", u->rx.count, f->rx.n,
		   u->tx.count, f->tx.n);
	FUZZ_CHECK(u->rx.count <= depth(u) && u->tx.count <= depth(u), "rx %u tx %u depth %u", u->rx.count,
		   u->tx.count, depth(u));
	FUZZ_CHECK(!(u->ier & 0xf0) && !(u->mcr & 0xe0), "IER 0x%x MCR 0x%x", u->ier, u->mcr);
	FUZZ_CHECK((iir & 0xf0) == (fifo ? 0xc0 : 0), "IIR 0x%02x FIFO %d", iir, fifo);
	FUZZ_CHECK(id == 0x1 || id == 0x0 || id == 0x2 || id == 0x4 || id == 0x6 || (id == 0xc && fifo),
		   "IIR 0x%02x", iir);
	FUZZ_CHECK(!vuart_irq_line(u) || ((u->mcr & VUART_MCR_OUT2) && !(u->mcr & VUART_MCR_LOOP) && !(iir & 1)),
		   "IRQ line with MCR 0x%x IIR 0x%x", u->mcr, iir);
	if (!(u->mcr & VUART_MCR_LOOP) && (u->mcr & VUART_MCR_OUT2))
		FUZZ_CHECK(vuart_irq_line(u) == !(iir & 1), "IRQ line %d, IIR 0x%x", vuart_irq_line(u), iir);
}

static void check_read(struct fz_uart *f, unsigned reg, uint8_t v, const struct vuart *old)
{
	bool dlab = old->lcr & VUART_LCR_DLAB;

	switch (reg) {
	case VUART_RBR:
		if (dlab)
			FUZZ_CHECK(v == old->dll, "DLL 0x%x read 0x%x", old->dll, v);
		else if (f->rx.n) {
			uint8_t want = q_get(&f->rx);
			FUZZ_CHECK(v == want, "RBR 0x%02x, want 0x%02x", v, want);
		}
		break;
	case VUART_IIR:
		FUZZ_CHECK(v == vuart_iir(old), "IIR read 0x%x, was 0x%x", v, vuart_iir(old));
		if ((v & 0x0f) == VUART_IIR_THRE)
			FUZZ_CHECK(!f->u.thre_pending, "THRE still pending after IIR reported it");
		break;
	case VUART_LSR:
		FUZZ_CHECK(!!(v & VUART_LSR_DR) == (old->rx.count > 0), "LSR 0x%x rx %u", v, old->rx.count);
		FUZZ_CHECK(!!(v & VUART_LSR_THRE) == (old->tx.count == 0) && !!(v & VUART_LSR_TEMT) == (old->tx.count == 0),
			   "LSR 0x%x tx %u", v, old->tx.count);
		FUZZ_CHECK(!f->u.lsr_err, "LSR errors 0x%x kept after the read", f->u.lsr_err);
		break;
	case VUART_MSR:
		FUZZ_CHECK(!f->u.msr_delta, "MSR deltas kept after the read");
		break;
	case VUART_SCR:
		FUZZ_CHECK(v == old->scr, "SCR 0x%x read 0x%x", old->scr, v);
		break;
	}
}

static void do_write(struct fz_uart *f, unsigned reg, uint8_t v)
{
	bool dlab = f->u.lcr & VUART_LCR_DLAB;
	uint8_t fcr = f->u.fcr;

	if (reg == VUART_RBR && !dlab) {
		if (f->u.mcr & VUART_MCR_LOOP)
			oracle_rx(f, v);
		else if (f->tx.n < depth(&f->u))
			q_put(&f->tx, v);
	} else if (reg == VUART_IIR) {
		if ((v ^ fcr) & VUART_FCR_ENABLE)
			f->rx.n = f->tx.n = 0;
		if ((v & VUART_FCR_ENABLE) && (v & VUART_FCR_CLEAR_RX))
			f->rx.n = 0;
		if ((v & VUART_FCR_ENABLE) && (v & VUART_FCR_CLEAR_TX))
			f->tx.n = 0;
	}
	vuart_write(&f->u, reg, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fz_uart f;
	struct vuart old;
	uint8_t b;

	memset(&f, 0, sizeof(f));
	vuart_init(&f.u);
	check_state(&f);
	while (fuzz_more(&in)) {
		uint8_t op = fuzz_u8(&in), a = fuzz_u8(&in);
		unsigned reg = a & 7;

		old = f.u;
		switch (op % 8) {
		case 0: case 1: case 2:
			do_write(&f, reg, fuzz_u8(&in));
			break;
		case 3: case 4:
			check_read(&f, reg, vuart_read(&f.u, reg), &old);
			break;
		case 5:
			if (!(f.u.mcr & VUART_MCR_LOOP))
				oracle_rx(&f, a);
			FUZZ_CHECK(vuart_receive(&f.u, a) == (!(old.mcr & VUART_MCR_LOOP) && old.rx.count < depth(&old)),
				   "receive result");
			break;
		case 6:
			if (vuart_tx_take(&f.u, &b)) {
				uint8_t want;
				FUZZ_CHECK(f.tx.n, "took a byte nobody sent");
				want = q_get(&f.tx);
				FUZZ_CHECK(b == want, "sent 0x%02x, want 0x%02x", b, want);
				FUZZ_CHECK(f.tx.n || f.u.thre_pending, "THR emptied without THRE");
			} else {
				FUZZ_CHECK(!f.tx.n, "%u bytes not taken", f.tx.n);
			}
			break;
		default:
			if (a == 0xff) {
				vuart_init(&f.u);
				f.rx.n = f.tx.n = 0;
			}
			break;
		}
		check_state(&f);
	}
	return 0;
}
