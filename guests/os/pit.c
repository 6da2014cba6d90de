/* pit.c: 8254 programmable interval timer, channel 0 mode 2 (rate generator). */
#include "pit.h"
#include "io.h"

static unsigned pit_rate;

void pit_init(unsigned hz)
{
	if (hz < 19)
		hz = 19;                          /* divisor must fit 16 bits */
	if (hz > 10000)
		hz = 10000;
	uint32_t div = (PIT_INPUT_HZ + hz / 2) / hz;
	pit_rate = hz;
	outb(0x43, 0x34);                         /* channel 0, lo/hi, mode 2, binary */
	outb(0x40, (uint8_t)div);
	outb(0x40, (uint8_t)(div >> 8));
}

unsigned pit_hz(void)
{
	return pit_rate;
}
