/*
 * 32-bit accesses to the physical interrupt controllers' registers (the
 * IOAPICs' windows, the local APIC's xAPIC page), identity-mapped and
 * uncacheable (setup_map_uncached). Under HOST_TEST (the hv's unit tests
 * on the host) these are declared only: tests/unit/hvhost/fake_hw.c puts
 * a fake IOAPIC pair and local APIC behind them.
 */
#ifndef HV_PIRQ_HW_H
#define HV_PIRQ_HW_H

#include <stdint.h>

#ifdef HOST_TEST

uint32_t mmio_read32(uint64_t pa);
void mmio_write32(uint64_t pa, uint32_t v);

#else

static inline uint32_t mmio_read32(uint64_t pa)
{
	return *(volatile uint32_t *)(uintptr_t)pa;
}

static inline void mmio_write32(uint64_t pa, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)pa = v;
}

#endif

#endif
