/* gdt.h: segments, the TSS and its I/O permission bitmap. */
#ifndef OS_GDT_H
#define OS_GDT_H

#include <stdbool.h>
#include <stdint.h>

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)
#define SEL_TSS   0x28

/* Loads the GDT, TSS (I/O bitmap all closed) and reloads segment registers. */
void gdt_init(void);
/* Sets the stack the CPU switches to on a trap from ring 3. */
void gdt_set_kernel_stack(uint64_t rsp0);
/* Opens (allow = true) or closes ports first..last in the TSS I/O bitmap. */
void gdt_io_set(uint16_t first, uint16_t last, bool allow);

#endif
