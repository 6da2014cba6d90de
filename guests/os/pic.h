/* pic.h: the 8259A pair, remapped to vectors 0x20-0x2f. */
#ifndef OS_PIC_H
#define OS_PIC_H

#include <stdbool.h>
#include <stdint.h>

#define PIC_VECTOR_BASE 0x20

/* Remaps both PICs to PIC_VECTOR_BASE and masks every line. */
void pic_init(void);
/* Unmasks (on = true) or masks IRQ line irq (0-15). */
void pic_set_mask(unsigned irq, bool on);
/* Sends end-of-interrupt for irq (to the slave too for 8-15). */
void pic_eoi(unsigned irq);
/* Returns true if irq (7 or 15) is spurious (not in service); sends the
 * master EOI a spurious slave IRQ still needs. */
bool pic_is_spurious(unsigned irq);

#endif
