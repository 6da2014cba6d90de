/* uart.c: 16550 driver. TX bytes go through a ring drained by the THRE
 * interrupt; RX bytes are moved by the RX interrupt into a ring that the
 * console reads. The rings are lib/ring.h (single producer/consumer). */
#include "uart.h"
#include "io.h"
#include "ring.h"

#define UART_THR 0
#define UART_RBR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define IER_RDA  0x01
#define IER_THRE 0x02
#define UART_FIFO 16

static uint16_t uart_io;
static bool uart_irq_mode;
static struct ring uart_tx, uart_rx;
static uint8_t uart_tx_buf[16384], uart_rx_buf[1024];
static uint64_t uart_irqs, uart_dropped;

bool uart_init(uint16_t base)
{
	uart_io = base;
	ring_init(&uart_tx, uart_tx_buf, sizeof(uart_tx_buf));
	ring_init(&uart_rx, uart_rx_buf, sizeof(uart_rx_buf));
	outb(base + UART_SCR, 0x5a);
	if (inb(base + UART_SCR) != 0x5a) {
		uart_io = 0;                      /* nothing there: stay silent */
		return false;
	}
	outb(base + UART_IER, 0);
	outb(base + UART_LCR, 0x80);              /* DLAB: divisor 1 = 115200 */
	outb(base + 0, 1);
	outb(base + 1, 0);
	outb(base + UART_LCR, 0x03);              /* 8N1 */
	outb(base + UART_FCR, 0xc7);              /* FIFOs on, cleared, 14-byte RX trigger */
	outb(base + UART_MCR, 0x0b);              /* DTR, RTS, OUT2 (routes the IRQ) */
	(void)inb(base + UART_RBR);
	return true;
}

static void uart_put_polled(uint8_t c)
{
	for (unsigned spin = 0; spin < 100000; spin++)
		if (inb(uart_io + UART_LSR) & LSR_THRE)
			break;
	outb(uart_io + UART_THR, c);
}

/* Moves up to one FIFO's worth from the TX ring into the UART; keeps the
 * THRE interrupt enabled exactly while bytes remain. */
static void uart_tx_pump(void)
{
	uint8_t c;
	if (inb(uart_io + UART_LSR) & LSR_THRE)
		for (int i = 0; i < UART_FIFO && ring_get(&uart_tx, &c); i++)
			outb(uart_io + UART_THR, c);
	uint8_t ier = IER_RDA | (ring_count(&uart_tx) ? IER_THRE : 0);
	outb(uart_io + UART_IER, ier);
}

void uart_enable_irq(void)
{
	uart_irq_mode = true;
	outb(uart_io + UART_IER, IER_RDA);
}

void uart_write(const char *s, size_t n)
{
	if (!uart_io)
		return;
	if (!uart_irq_mode) {
		while (n--)
			uart_put_polled((uint8_t)*s++);
		return;
	}
	uint64_t f = cpu_irq_save();
	for (; n; n--, s++) {
		while (!ring_put(&uart_tx, (uint8_t)*s)) {
			/* Ring full: drain one byte by polling rather than lose output. */
			uint8_t c;
			if (ring_get(&uart_tx, &c))
				uart_put_polled(c);
		}
	}
	uart_tx_pump();
	cpu_irq_restore(f);
}

void uart_write_polled(const char *s, size_t n)
{
	uint8_t c;
	if (!uart_io)
		return;
	while (ring_get(&uart_tx, &c))
		uart_put_polled(c);
	while (n--)
		uart_put_polled((uint8_t)*s++);
}

bool uart_getc(uint8_t *c)
{
	return ring_get(&uart_rx, c);
}

bool uart_irq(void)
{
	bool got = false;
	uart_irqs++;
	while (inb(uart_io + UART_LSR) & LSR_DR) {
		uint8_t c = inb(uart_io + UART_RBR);
		if (!ring_put(&uart_rx, c))
			uart_dropped++;
		got = true;
	}
	(void)inb(uart_io + UART_IIR);            /* acknowledges a THRE interrupt */
	uart_tx_pump();
	return got;
}

unsigned uart_irq_line(void)
{
	return uart_io == COM2_BASE ? 3 : 4;
}

uint16_t uart_base(void)
{
	return uart_io;
}

uint64_t uart_irq_count(void)
{
	return uart_irqs;
}

uint64_t uart_rx_dropped(void)
{
	return uart_dropped;
}
