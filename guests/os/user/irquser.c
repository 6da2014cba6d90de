/* irquser: takes COM2 (ports 0x2f8-0x2ff, IRQ 3), enables its transmitter-
 * empty interrupt and waits for the interrupt to arrive as a message. */
#include "ulib.h"

static void iu_out(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

int main(const char *args)
{
	int64_t r = u_port_grant(0x2f8, 0x2ff);
	int64_t q = u_irq_attach(3);
	if (r < 0 || q < 0) {
		u_printf("irquser: cannot get COM2 (ports %ld, irq %ld)\n", r, q);
		return 1;
	}
	iu_out(0x2f8 + 4, 0x08);          /* MCR.OUT2 routes the UART interrupt */
	iu_out(0x2f8 + 1, 0x02);          /* IER: transmitter empty -> interrupt now */
	struct umsg m;
	int64_t from = u_recv(&m);
	iu_out(0x2f8 + 1, 0x00);
	u_printf("irquser: message from %ld: irq %lu (tag %lx)\n", from, m.w[1], m.w[0]);
	return 0;
}
