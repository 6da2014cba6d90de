/*
 * tguest: one 32-bit Multiboot test guest, many tests. The test runs as
 * chosen on the command line ("test=NAME key=value ..."); docs/test-guests.md
 * lists the tests, their parameters and their output lines.
 *
 * The same image runs under the hv and natively (QEMU TCG): tg_under_hv
 * says which (CPUID leaf 0x40000000 = "NanoKernelHV"); VMCALL is only ever
 * executed under the hv.
 */
#ifndef TGUEST_H
#define TGUEST_H

#include <stdarg.h>
#include <stdint.h>
#include "mini.h"
#include "multiboot.h"

/* ---- environment (main.c) ---- */
extern int tg_under_hv;               /* CPUID hypervisor signature is the hv's */
extern uint64_t tg_tsc_hz;            /* TSC frequency */
extern const char *tg_tsc_source;     /* "hv" (HC_GUEST_INFO) or "pit2" (calibrated) */
extern const char *tg_name;           /* guest name from HC_GUEST_INFO, or "native" */
extern const struct mb_info *tg_mbi;
extern struct hc_guest_info tg_info;  /* valid under the hv only */

/* ---- command line (lib.c) ---- */
void args_parse(const char *cmdline);
const char *arg_str(const char *key, const char *def);
uint32_t arg_u32(const char *key, uint32_t def);   /* decimal or 0x hex; bad value: exit 2 */

/* ---- 64-bit arithmetic without libgcc, printing, checks (lib.c) ---- */
uint64_t udiv64(uint64_t n, uint64_t d, uint64_t *rem);
void tg_vprintf(const char *fmt, va_list ap);
void tg_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes num/den with `decimals` digits after the point into buf (>= 32 bytes). */
char *fmt_fixed(char *buf, uint64_t num, uint64_t den, int decimals);
void tg_fail_exit(uint8_t status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* A family of pass/fail checks printed as "PREFIX: NAME ok|FAIL (detail)|skipped (...)". */
struct checks {
	const char *prefix;
	unsigned n, failed, skipped;
};
int check(struct checks *c, const char *name, int ok, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void check_skip(struct checks *c, const char *name, const char *why);
/* Prints "PREFIX: N checks, F failed" and exits with F ? 1 : 0. */
void checks_finish(struct checks *c) __attribute__((noreturn));

/* ---- time ---- */
uint64_t tsc_calibrate_pit2(void);       /* TSC Hz measured over ~10 ms of PIT channel 2 */
uint64_t tsc_from_us(uint64_t us);       /* TSC ticks in us microseconds */
void delay_us(uint64_t us);              /* busy wait on the TSC */

/* ---- CPU state, IDT, expected faults (idt.c) ---- */
struct regs {                      /* as the common ISR stub pushes them */
	uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;   /* pushal */
	uint32_t vec, err;
	uint32_t eip, cs, eflags;                            /* pushed by the CPU */
};
typedef void (*isr_fn)(struct regs *r);

#define SEL_CODE32  0x08
#define SEL_DATA    0x10
#define SEL_CODE64  0x18
#define IRQ_BASE    0x20           /* master PIC vectors 0x20..0x27, slave 0x28..0x2f */
#define NVECTORS    48

void gdt_init(void);
void idt_init(void);
void idt_set_handler(unsigned vec, isr_fn fn);
/* Loads a 256-vector IDT: vectors 0-47 as idt_init's, 48-255 each calling high (APIC vectors). */
void idt_load_256(isr_fn high);
const char *exc_name(unsigned vec);

/* Runs one instruction that may #GP: the handler checks the bytes at EIP, skips them. */
int safe_rdmsr(uint32_t msr, uint64_t *val);        /* 0, or -1 on #GP */
int safe_wrmsr(uint32_t msr, uint64_t val);         /* 0, or -1 on #GP */
int safe_write_cr4(uint32_t val);                   /* 0, or -1 on #GP */

/* The tests' short names for lib/x86.h's. */
static inline void cli(void) { cpu_cli(); }
static inline void sti(void) { cpu_sti(); }
static inline void cpu_relax(void) { cpu_pause(); }
static inline uint32_t read_cr0(void) { return cpu_read_cr0(); }
static inline uint32_t read_cr4(void) { return cpu_read_cr4(); }
static inline void write_cr4(uint32_t v) { cpu_write_cr4(v); }

/* ---- 8259 PIC and 8254 PIT (idt.c) ---- */
void pic_init(void);                     /* ICW1-4: bases 0x20/0x28, cascade on IR2; all masked */
void pic_set_mask(uint16_t mask);        /* bit n = IRQ n masked */
uint16_t pic_get_mask(void);
void pic_eoi(unsigned irq);              /* non-specific EOI */
uint8_t pic_read_irr(int slave);         /* OCW3 0x0a */
uint8_t pic_read_isr(int slave);         /* OCW3 0x0b */

#define PIT_HZ 1193182u
void pit_ch0_start(uint32_t hz, uint8_t mode);
void pit_ch0_stop(void);

/* ---- the tests ---- */
int tg_streq(const char *a, const char *b);

void test_heartbeat(void);
void test_pci(void);
void test_calibrate(void);
void test_triple(void);
void test_fpu(void);
void test_bench(void);
void test_insn(void);
void test_spin(void);
void test_wild(void);
void test_msr(void);
void test_cr(void);
void test_pic(void);
void test_hypercall(void);
void test_control(void);
void test_cmos(void);
void test_dma(void);
void test_forge(void);
void test_pciattack(void);
void test_machine(void);
void test_cpumodel(void);

void test_cpustate(void);
void test_exact(void);
void test_pcplatform(void);
void test_modules(void);
void test_acpi(void);
void test_lapic(void);
void test_ipiattack(void);

/* ---- long mode (t_cr.c) ---- */
#define LM_NVECTORS   32
#define LM_FATAL      0xfa170000u      /* lm_call result: unexpected exception in 64-bit code, | vector */
#define LM_FATAL_MASK 0xffff0000u

/* The last exception in 64-bit code; skip > 0: the stub skips that many bytes at RIP (once). */
struct lm_fault {
	uint32_t vec, err, skip, count;
	uint64_t rip;
};
extern volatile struct lm_fault lm_fault;

/* Ends the guest with status 1 ("cr: long mode FAIL ...") if the CPU has no long mode. */
void lm_require(void);
/*
 * Runs fn64 (64-bit code: argument in RDI, result in EAX) in long mode with
 * interrupts off, the first GiB identity-mapped and a 64-bit IDT (vectors
 * 0-31); returns its result in 32-bit protected mode with paging off, or
 * LM_FATAL | vector after an exception nobody expected (lm_fault.skip 0).
 */
uint32_t lm_call(const void *fn64, uint32_t arg);
/* Puts vector vec of the 64-bit IDT on interrupt stack ist (0: none); the caller loads a TSS. */
void lm_set_ist(unsigned vec, unsigned ist);
void test_work(void);
void test_pitstorm(void);
void test_comstorm(void);
void test_spam(void);
void test_clihlt(void);

#endif
