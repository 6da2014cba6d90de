/*
 * x86-64 descriptor-table layouts and builders (SDM Vol. 3A "Segment
 * Descriptors", "Task Management in 64-bit Mode", "64-Bit Mode IDT"):
 * flat code and data descriptors, the 16-byte TSS descriptor, the TSS and
 * the 16-byte interrupt gate. Used by the hv (hv/setup.c) and the guest OS
 * (guests/os/gdt.c, trap.c); no policy: which selectors and stacks a
 * kernel uses stays with it.
 */
#ifndef LIB_DESC_H
#define LIB_DESC_H

#include <stdint.h>

/* Flat 4 GiB segments: G=1, present; code is 64-bit (L=1), data is 32-bit writable. */
#define DESC_CODE64_DPL0 0x00af9a000000ffffull
#define DESC_DATA_DPL0   0x00cf92000000ffffull
#define DESC_CODE64_DPL3 0x00affa000000ffffull
#define DESC_DATA_DPL3   0x00cff2000000ffffull

/* The 64-bit TSS (104 bytes); an I/O permission bitmap, if any, follows it. */
struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iopb_offset;
};
_Static_assert(sizeof(struct tss64) == 104, "SDM: the 64-bit TSS is 104 bytes");

/* A 64-bit interrupt or trap gate. */
struct __attribute__((packed)) idt_gate64 {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, reserved;
};
_Static_assert(sizeof(struct idt_gate64) == 16, "SDM: 64-bit IDT gates are 16 bytes");

#define GATE_INTR64 0x8e                /* present, DPL 0, 64-bit interrupt gate */

/* The two GDT slots of an available 64-bit TSS (type 9, present) at base, limit. */
static inline void desc_tss64(uint64_t slot[2], uint64_t base, uint32_t limit)
{
	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		  ((uint64_t)(limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	slot[1] = base >> 32;
}

/* An interrupt gate to handler through code selector sel, stack ist (0: none), dpl. */
static inline struct idt_gate64 idt_gate64(uint64_t handler, uint16_t sel, unsigned ist,
					   unsigned dpl)
{
	return (struct idt_gate64){
		.off_lo = (uint16_t)handler, .sel = sel, .ist = (uint8_t)ist,
		.type = (uint8_t)(GATE_INTR64 | dpl << 5), .off_mid = (uint16_t)(handler >> 16),
		.off_hi = (uint32_t)(handler >> 32), .reserved = 0,
	};
}

#endif
