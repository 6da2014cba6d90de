/* io.h: the kernel's CPU instructions: lib/x86.h's, and the few only it uses. */
#ifndef OS_IO_H
#define OS_IO_H

#include <stdint.h>
#include "x86.h"

/* Enables interrupts and halts in one step: sti's one-instruction shadow means
 * an interrupt pending at sti wakes the hlt instead of being lost. */
static inline void cpu_sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void cpu_invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

/* Saves IF and disables interrupts; pair with cpu_irq_restore. */
static inline uint64_t cpu_irq_save(void) { uint64_t f = cpu_read_rflags(); cpu_cli(); return f; }
static inline void cpu_irq_restore(uint64_t f) { if (f & RFLAGS_IF) cpu_sti(); }

#endif
