/* uart.h: 16550 UART driver, interrupt-driven with ring buffers both ways. */
#ifndef OS_UART_H
#define OS_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1_BASE 0x3f8
#define COM2_BASE 0x2f8

/* Programs the UART at base for 115200 8N1 with FIFOs; output is polled
 * until uart_enable_irq. Returns false if no UART answers at base. */
bool uart_init(uint16_t base);
/* Switches to interrupt-driven mode (RX and TX interrupts on). */
void uart_enable_irq(void);
/* Queues n bytes for output; if the TX ring is full, waits for the FIFO
 * (polling) instead of dropping output. */
void uart_write(const char *s, size_t n);
/* Polled, unbuffered output for panics (drains the TX ring first). */
void uart_write_polled(const char *s, size_t n);
/* Takes one received byte; returns false if none is buffered. */
bool uart_getc(uint8_t *c);
/* IRQ handler: moves received bytes to the RX ring and refills the TX FIFO.
 * Returns true if bytes were received. */
bool uart_irq(void);
/* Returns the IRQ line of the UART (4 for COM1, 3 for COM2). */
unsigned uart_irq_line(void);
/* Returns the base port. */
uint16_t uart_base(void);
/* Statistics: interrupts taken, bytes dropped because the RX ring was full. */
uint64_t uart_irq_count(void);
uint64_t uart_rx_dropped(void);

#endif
