/*
 * Virtual 16550A UART, one per COM port a guest does not own. Pure logic:
 * the hv traps the 8 ports, calls vuart_read / vuart_write with the
 * register offset (0-7), takes what the guest transmitted with
 * vuart_tx_take (to its console, tagged in the hv log), feeds received
 * bytes with vuart_receive (a console of the hv; nothing does yet), and
 * drives the guest's virtual 8259 line with vuart_irq_line.
 *
 * The line is infinitely fast: a byte written to THR is on the wire as
 * soon as the hv takes it, which it does at once, so the guest always
 * sees THR empty again after a write (THRE and TEMT set) and a THRE
 * interrupt follows every write while IER enables it. Time does not pass
 * inside the model: the character timeout of the receive FIFO is
 * indicated as soon as bytes wait below the trigger level.
 *
 * The modem inputs outside loopback are those of a terminal that is
 * attached and ready: CTS, DSR and DCD asserted, RI not.
 */
#ifndef HV_VUART_H
#define HV_VUART_H

#include <stdbool.h>
#include <stdint.h>

#define VUART_FIFO 16

/* Register offsets from the base port ("Register Addresses" of the PC16550D datasheet). */
#define VUART_RBR 0                  /* read, DLAB = 0; THR on write; DLL with DLAB = 1 */
#define VUART_IER 1                  /* DLM with DLAB = 1 */
#define VUART_IIR 2                  /* read; FCR on write */
#define VUART_LCR 3
#define VUART_MCR 4
#define VUART_LSR 5
#define VUART_MSR 6
#define VUART_SCR 7

#define VUART_IER_RDA   0x01         /* received data available (and character timeout) */
#define VUART_IER_THRE  0x02         /* transmitter holding register empty */
#define VUART_IER_RLS   0x04         /* receiver line status */
#define VUART_IER_MS    0x08         /* modem status */

#define VUART_IIR_NONE  0x01         /* no interrupt pending */
#define VUART_IIR_MS    0x00
#define VUART_IIR_THRE  0x02
#define VUART_IIR_RDA   0x04
#define VUART_IIR_RLS   0x06
#define VUART_IIR_TIMEOUT 0x0c
#define VUART_IIR_FIFO  0xc0         /* FIFOs enabled */

#define VUART_FCR_ENABLE   0x01
#define VUART_FCR_CLEAR_RX 0x02
#define VUART_FCR_CLEAR_TX 0x04

#define VUART_LCR_DLAB  0x80

#define VUART_MCR_DTR   0x01
#define VUART_MCR_RTS   0x02
#define VUART_MCR_OUT1  0x04
#define VUART_MCR_OUT2  0x08         /* on a PC: enables the IRQ line */
#define VUART_MCR_LOOP  0x10

#define VUART_LSR_DR    0x01
#define VUART_LSR_OE    0x02
#define VUART_LSR_PE    0x04
#define VUART_LSR_FE    0x08
#define VUART_LSR_BI    0x10
#define VUART_LSR_THRE  0x20
#define VUART_LSR_TEMT  0x40

#define VUART_MSR_DCTS  0x01
#define VUART_MSR_DDSR  0x02
#define VUART_MSR_TERI  0x04
#define VUART_MSR_DDCD  0x08
#define VUART_MSR_CTS   0x10
#define VUART_MSR_DSR   0x20
#define VUART_MSR_RI    0x40
#define VUART_MSR_DCD   0x80

struct vuart_fifo {
	uint8_t buf[VUART_FIFO];
	uint8_t head, count;
};

struct vuart {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;                 /* FIFO enable and the receive trigger level (bits 7:6) */
	uint8_t lsr_err;             /* OE, PE, FE, BI since LSR was last read */
	uint8_t msr_delta;           /* DCTS, DDSR, TERI, DDCD since MSR was last read */
	uint8_t rbr_last;            /* what RBR reads with nothing received */
	bool thre_pending;           /* THRE interrupt condition: THR emptied, not yet acknowledged */
	struct vuart_fifo rx, tx;
};

/* Resets to the datasheet's master-reset values: no interrupts, FIFOs off and empty. */
void vuart_init(struct vuart *u);

/* Guest IN from register reg (0-7), with the side effects of the read. */
uint8_t vuart_read(struct vuart *u, unsigned reg);

/* Guest OUT of val to register reg (0-7). */
void vuart_write(struct vuart *u, unsigned reg, uint8_t val);

/* Takes the next byte the guest transmitted. Returns false if none waits. */
bool vuart_tx_take(struct vuart *u, uint8_t *byte);

/*
 * A byte arrives on the serial input. Returns false if it was lost or
 * lost another: receive FIFO full (overrun), or loopback (the input is
 * disconnected).
 */
bool vuart_receive(struct vuart *u, uint8_t byte);

/* Returns the interrupt identification as IIR would read it, without the read's side effect. */
uint8_t vuart_iir(const struct vuart *u);

/* Returns the level of the IRQ line: an interrupt pending, OUT2 set, not in loopback. */
bool vuart_irq_line(const struct vuart *u);

#endif
