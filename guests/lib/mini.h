/*
 * The freestanding library of the small 32-bit test guests: the hv's
 * hypercalls and printing on the 0xE9 console, over lib/ (x86.h: port
 * I/O, CPUID, TSC; fmt.h: the formatter).
 */
#ifndef GUEST_MINI_H
#define GUEST_MINI_H

#include <stdint.h>
#include <stdarg.h>
#include <stddef.h>
#include "hypercall.h"
#include "x86.h"

/* The test guests' names for lib/x86.h's CPUID and RDTSC. */
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	struct cpuid_regs r;

	cpu_cpuid(leaf, 0, &r);
	*a = r.eax, *b = r.ebx, *c = r.ecx, *d = r.edx;
}

static inline uint64_t rdtsc(void) { return cpu_rdtsc(); }

/* VMCALL with number n and up to three arguments. Returns RAX (32-bit guest: EAX). */
static inline long hypercall(uint32_t n, uint32_t a1, uint32_t a2, uint32_t a3)
{
	long ret;
	__asm__ volatile("vmcall" : "=a"(ret) : "a"(n), "b"(a1), "c"(a2), "d"(a3) : "memory");
	return ret;
}

/* Ends the guest with status (port 0xF4). Does not return. */
static inline __attribute__((noreturn)) void guest_exit(uint8_t status)
{
	outb(0xf4, status);
	for (;;)
		__asm__ volatile("hlt");
}

void putc_e9(char c);
void puts_e9(const char *s);
void printf_e9(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf_e9(const char *fmt, va_list ap);

#endif
