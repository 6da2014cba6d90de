/*
 * The physical 8259 pair and 8254 channel 0, which the hv owns: the PIC
 * backend of hv/pirq.h. The PICs are remapped to vectors
 * PIC_VECTOR_BASE..+15; lines a guest owns are unmasked and routed
 * (hv/irq.c through hv/pirq.c); IRQ 0 is CPU 0's one-shot wake-up timer
 * for idle periods. With the IOAPIC backend the pair is masked whole.
 */
#ifndef HV_PIC_H
#define HV_PIC_H

#include <stdbool.h>
#include <stdint.h>

#define PIC_VECTOR_BASE 0x20
#define PIT_HZ          1193182u

/* Initialises both PICs (vectors 0x20-0x2f, all lines masked but the cascade). */
void pic_init(void);
void pic_mask(unsigned irq);
void pic_unmask(unsigned irq);
/* Masks all 16 lines, the cascade too (the IOAPIC backend). */
void pic_mask_all(void);
/* Sends a specific EOI for irq (to the slave and the master's IR2 for irq >= 8). */
void pic_eoi(unsigned irq);
/* Returns true if irq (7 or 15) is not in service: a spurious interrupt. */
bool pic_is_spurious(unsigned irq);
/* Returns true if irq is level-triggered per the PIIX ELCR (0x4d0/0x4d1). */
bool pic_is_level(unsigned irq);

/* Arms PIT channel 0 to raise IRQ 0 once after tsc_delta TSC ticks (at most ~55 ms). */
void pit_oneshot(uint64_t tsc_delta, uint64_t tsc_hz);

#endif
