/*
 * Virtual 16550A UART (see vuart.h). Behaviour follows the National
 * Semiconductor PC16550D datasheet: "Register Addresses", "Interrupt
 * Identification Register" (the priority table: receiver line status,
 * received data available or character timeout, THR empty, modem status;
 * how each is reset), "FIFO Control Register" (enabling or disabling the
 * FIFOs clears them; the trigger levels 1, 4, 8, 14), "Line Status
 * Register" (OE/PE/FE/BI cleared by reading it), "Modem Control Register"
 * (loopback: the modem outputs feed the modem inputs, the serial input is
 * disconnected, OUT2 is forced inactive, so no interrupt reaches the PC's
 * IRQ line) and "Modem Status Register" (deltas cleared by reading it),
 * and the 16550's THRE behaviour: enabling the THRE interrupt while THR is
 * empty raises it at once; reading IIR when THRE is the source, or
 * writing THR, resets it.
 */
#include "vuart.h"

#define VUART_IDLE_INPUTS (VUART_MSR_CTS | VUART_MSR_DSR | VUART_MSR_DCD)

static void vuart_fifo_clear(struct vuart_fifo *f)
{
	f->head = f->count = 0;
}

static bool vuart_fifo_put(struct vuart_fifo *f, uint8_t b)
{
	if (f->count == VUART_FIFO)
		return false;
	f->buf[(f->head + f->count) % VUART_FIFO] = b;
	f->count++;
	return true;
}

static bool vuart_fifo_get(struct vuart_fifo *f, uint8_t *b)
{
	if (!f->count)
		return false;
	*b = f->buf[f->head];
	f->head = (uint8_t)((f->head + 1) % VUART_FIFO);
	f->count--;
	return true;
}

static bool vuart_fifo_on(const struct vuart *u)
{
	return u->fcr & VUART_FCR_ENABLE;
}

/* Bytes each FIFO holds: 16 with FIFOs on, else the one holding register. */
static unsigned vuart_depth(const struct vuart *u)
{
	return vuart_fifo_on(u) ? VUART_FIFO : 1;
}

/* Receive trigger level (FCR bits 7:6). */
static unsigned vuart_trigger(const struct vuart *u)
{
	static const uint8_t level[4] = { 1, 4, 8, 14 };

	return vuart_fifo_on(u) ? level[u->fcr >> 6] : 1;
}

/* The modem inputs CTS, DSR, RI, DCD (MSR bits 7:4): in loopback, the modem outputs. */
static uint8_t vuart_modem_inputs(const struct vuart *u)
{
	uint8_t m = u->mcr;

	if (!(m & VUART_MCR_LOOP))
		return VUART_IDLE_INPUTS;
	return (uint8_t)(((m & VUART_MCR_RTS) ? VUART_MSR_CTS : 0) | ((m & VUART_MCR_DTR) ? VUART_MSR_DSR : 0) |
			 ((m & VUART_MCR_OUT1) ? VUART_MSR_RI : 0) | ((m & VUART_MCR_OUT2) ? VUART_MSR_DCD : 0));
}

/* Records the deltas of a change of the modem inputs from old to new. */
static void vuart_modem_changed(struct vuart *u, uint8_t old, uint8_t new)
{
	uint8_t diff = old ^ new;

	if (diff & VUART_MSR_CTS)
		u->msr_delta |= VUART_MSR_DCTS;
	if (diff & VUART_MSR_DSR)
		u->msr_delta |= VUART_MSR_DDSR;
	if ((old & VUART_MSR_RI) && !(new & VUART_MSR_RI))
		u->msr_delta |= VUART_MSR_TERI;          /* trailing edge only */
	if (diff & VUART_MSR_DCD)
		u->msr_delta |= VUART_MSR_DDCD;
}

void vuart_init(struct vuart *u)
{
	*u = (struct vuart){ 0 };
}

/* The receiver takes byte: into the FIFO, or an overrun (FIFO: the byte is lost; 16450 mode: it replaces). */
static bool vuart_rx_put(struct vuart *u, uint8_t byte)
{
	if (u->rx.count < vuart_depth(u))
		return vuart_fifo_put(&u->rx, byte);
	u->lsr_err |= VUART_LSR_OE;
	if (!vuart_fifo_on(u))
		u->rx.buf[u->rx.head] = byte;
	return false;
}

bool vuart_receive(struct vuart *u, uint8_t byte)
{
	if (u->mcr & VUART_MCR_LOOP)
		return false;
	return vuart_rx_put(u, byte);
}

bool vuart_tx_take(struct vuart *u, uint8_t *byte)
{
	if (!vuart_fifo_get(&u->tx, byte))
		return false;
	if (!u->tx.count)
		u->thre_pending = true;                 /* THR became empty */
	return true;
}

/* THR write: to the transmitter, or in loopback straight to the receiver. */
static void vuart_transmit(struct vuart *u, uint8_t byte)
{
	u->thre_pending = false;
	if (u->mcr & VUART_MCR_LOOP) {
		vuart_rx_put(u, byte);
		u->thre_pending = true;                 /* shifted out at once */
	} else if (u->tx.count < vuart_depth(u)) {
		vuart_fifo_put(&u->tx, byte);
	}
}

static void vuart_write_fcr(struct vuart *u, uint8_t val)
{
	if ((val ^ u->fcr) & VUART_FCR_ENABLE) {
		/* Changing the FIFO mode clears both FIFOs. */
		vuart_fifo_clear(&u->rx);
		vuart_fifo_clear(&u->tx);
	}
	if (!(val & VUART_FCR_ENABLE)) {
		u->fcr = 0;
		return;
	}
	if (val & VUART_FCR_CLEAR_RX)
		vuart_fifo_clear(&u->rx);
	if ((val & VUART_FCR_CLEAR_TX) && u->tx.count) {
		vuart_fifo_clear(&u->tx);
		u->thre_pending = true;
	}
	u->fcr = val & 0xc9;                            /* enable, DMA mode, trigger level */
}

void vuart_write(struct vuart *u, unsigned reg, uint8_t val)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;
	uint8_t old;

	switch (reg & 7) {
	case VUART_RBR:
		if (dlab)
			u->dll = val;
		else
			vuart_transmit(u, val);
		break;
	case VUART_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		/* Enabling the THRE interrupt with THR empty raises it at once. */
		if ((val & VUART_IER_THRE) && !(u->ier & VUART_IER_THRE) && !u->tx.count)
			u->thre_pending = true;
		u->ier = val & 0x0f;
		break;
	case VUART_IIR:
		vuart_write_fcr(u, val);
		break;
	case VUART_LCR:
		u->lcr = val;
		break;
	case VUART_MCR:
		old = vuart_modem_inputs(u);
		u->mcr = val & 0x1f;
		vuart_modem_changed(u, old, vuart_modem_inputs(u));
		break;
	case VUART_SCR:
		u->scr = val;
		break;
	default:
		break;                                  /* LSR, MSR: read-only (factory test writes ignored) */
	}
}

uint8_t vuart_iir(const struct vuart *u)
{
	uint8_t fifo = vuart_fifo_on(u) ? VUART_IIR_FIFO : 0;

	if ((u->ier & VUART_IER_RLS) && (u->lsr_err & (VUART_LSR_OE | VUART_LSR_PE | VUART_LSR_FE | VUART_LSR_BI)))
		return fifo | VUART_IIR_RLS;
	if ((u->ier & VUART_IER_RDA) && u->rx.count)
		return fifo | (u->rx.count >= vuart_trigger(u) ? VUART_IIR_RDA : VUART_IIR_TIMEOUT);
	if ((u->ier & VUART_IER_THRE) && u->thre_pending)
		return fifo | VUART_IIR_THRE;
	if ((u->ier & VUART_IER_MS) && u->msr_delta)
		return fifo | VUART_IIR_MS;
	return fifo | VUART_IIR_NONE;
}

static uint8_t vuart_lsr(const struct vuart *u)
{
	uint8_t lsr = u->lsr_err;

	if (u->rx.count)
		lsr |= VUART_LSR_DR;
	if (!u->tx.count)
		lsr |= VUART_LSR_THRE | VUART_LSR_TEMT;
	return lsr;
}

uint8_t vuart_read(struct vuart *u, unsigned reg)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;
	uint8_t v;

	switch (reg & 7) {
	case VUART_RBR:
		if (dlab)
			return u->dll;
		if (vuart_fifo_get(&u->rx, &v))
			u->rbr_last = v;
		return u->rbr_last;
	case VUART_IER:
		return dlab ? u->dlm : u->ier;
	case VUART_IIR:
		v = vuart_iir(u);
		if ((v & 0x0f) == VUART_IIR_THRE)
			u->thre_pending = false;        /* reading IIR acknowledges THRE */
		return v;
	case VUART_LCR:
		return u->lcr;
	case VUART_MCR:
		return u->mcr;
	case VUART_LSR:
		v = vuart_lsr(u);
		u->lsr_err = 0;
		return v;
	case VUART_MSR:
		v = (uint8_t)(vuart_modem_inputs(u) | u->msr_delta);
		u->msr_delta = 0;
		return v;
	default:
		return u->scr;
	}
}

bool vuart_irq_line(const struct vuart *u)
{
	if ((u->mcr & VUART_MCR_LOOP) || !(u->mcr & VUART_MCR_OUT2))
		return false;
	return !(vuart_iir(u) & VUART_IIR_NONE);
}
