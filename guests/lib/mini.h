/*
 * The freestanding library of the small 32-bit test guests: port I/O,
 * CPUID, TSC, the hv's hypercalls, and printing on the 0xE9 console.
 */
#ifndef GUEST_MINI_H
#define GUEST_MINI_H

#include <stdint.h>
#include <stddef.h>
#include "hypercall.h"

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

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

#endif
