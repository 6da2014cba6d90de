/*
 * x86 instruction wrappers for freestanding code: the hv (64-bit, ring 0),
 * the guest OS (64-bit, rings 0 and 3) and the small test guests (32-bit).
 * Register-sized values are unsigned long, which is the register width in
 * both the 32-bit (ILP32) and the 64-bit (LP64) ABI.
 *
 * Under HOST_TEST (the hv's unit tests on the host) the same names are
 * only declared: tests/unit/hvhost/fake_hw.c defines them as a fake CPU
 * that records what the code did. No policy lives here (docs/architecture.md
 * "The shared library").
 */
#ifndef LIB_X86_H
#define LIB_X86_H

#include <stddef.h>
#include <stdint.h>

struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };
/* The operand of LGDT/LIDT/SGDT/SIDT: a 32-bit base in 32-bit code, 64-bit in 64-bit code. */
struct __attribute__((packed)) desc_ptr { uint16_t limit; unsigned long base; };

/* RFLAGS bits (SDM Vol. 1 "EFLAGS Register"). */
#define RFLAGS_CF  (1ull << 0)
#define RFLAGS_FIXED (1ull << 1)
#define RFLAGS_TF  (1ull << 8)
#define RFLAGS_IF  (1ull << 9)
#define RFLAGS_DF  (1ull << 10)
#define RFLAGS_VM  (1ull << 17)
#define RFLAGS_RF  (1ull << 16)


#ifdef HOST_TEST

void outb(uint16_t port, uint8_t v);
void outw(uint16_t port, uint16_t v);
void outl(uint16_t port, uint32_t v);
uint8_t inb(uint16_t port);
uint16_t inw(uint16_t port);
uint32_t inl(uint16_t port);
void cpu_outsb(uint16_t port, const char *s, size_t n);
void cpu_cpuid(uint32_t leaf, uint32_t sub, struct cpuid_regs *r);
uint64_t cpu_rdmsr(uint32_t msr);
void cpu_wrmsr(uint32_t msr, uint64_t v);
uint64_t cpu_rdtsc(void);
unsigned long cpu_read_cr0(void);
unsigned long cpu_read_cr2(void);
unsigned long cpu_read_cr3(void);
unsigned long cpu_read_cr4(void);
void cpu_write_cr0(unsigned long v);
void cpu_write_cr2(unsigned long v);
void cpu_write_cr3(unsigned long v);
void cpu_write_cr4(unsigned long v);
unsigned long cpu_read_rflags(void);
void cpu_sgdt(struct desc_ptr *p);
void cpu_sidt(struct desc_ptr *p);
void cpu_lidt(const struct desc_ptr *p);
void cpu_ltr(uint16_t sel);
void cpu_cli(void);
void cpu_sti(void);
void cpu_hlt(void);
void cpu_pause(void);

#else

/* ---- port I/O ---- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* REP OUTSB: n bytes to one port in one instruction (one exit under a hypervisor). */
static inline void cpu_outsb(uint16_t port, const char *s, size_t n)
{
	__asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"(port) : "memory");
}

/* ---- identification, MSRs, time ---- */
static inline void cpu_cpuid(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	__asm__ volatile("cpuid" : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
			 : "a"(leaf), "c"(sub));
}

static inline uint64_t cpu_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t cpu_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* ---- control registers, flags, descriptor tables ---- */
#define X86_READ_CR(n) \
	static inline unsigned long cpu_read_cr##n(void) { unsigned long v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; }
#define X86_WRITE_CR(n) \
	static inline void cpu_write_cr##n(unsigned long v) { __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
X86_READ_CR(0) X86_READ_CR(2) X86_READ_CR(3) X86_READ_CR(4)
X86_WRITE_CR(0) X86_WRITE_CR(2) X86_WRITE_CR(3) X86_WRITE_CR(4)
#undef X86_READ_CR
#undef X86_WRITE_CR

static inline unsigned long cpu_read_rflags(void)
{
	unsigned long v;
	__asm__ volatile("pushf; pop %0" : "=r"(v));
	return v;
}

static inline void cpu_sgdt(struct desc_ptr *p) { __asm__ volatile("sgdt %0" : "=m"(*p)); }
static inline void cpu_sidt(struct desc_ptr *p) { __asm__ volatile("sidt %0" : "=m"(*p)); }
static inline void cpu_lidt(const struct desc_ptr *p) { __asm__ volatile("lidt %0" :: "m"(*p)); }
static inline void cpu_ltr(uint16_t sel) { __asm__ volatile("ltr %0" :: "r"(sel)); }

/* ---- interrupts and waiting ---- */
static inline void cpu_cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void cpu_sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cpu_hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }

#endif /* HOST_TEST */

#endif
