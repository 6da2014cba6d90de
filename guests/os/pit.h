/* pit.h: 8254 channel 0 as the periodic scheduler tick (IRQ 0). */
#ifndef OS_PIT_H
#define OS_PIT_H

#include <stdint.h>

#define PIT_INPUT_HZ 1193182u

/* Programs channel 0 in rate-generator mode at hz (clamped to 19..10000). */
void pit_init(unsigned hz);
/* Returns the programmed tick rate. */
unsigned pit_hz(void);

#endif
