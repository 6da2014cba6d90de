/* trap.h: the register frame trap_common (entry.asm) builds, and trap entry points. */
#ifndef OS_TRAP_H
#define OS_TRAP_H

#include <stdint.h>

struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;      /* pushed by the CPU */
};

#define T_DE   0
#define T_UD   6
#define T_DF   8
#define T_GP   13
#define T_PF   14
#define T_IRQ0 0x20
#define T_SYSCALL 0x80
#define T_SPURIOUS 0xff

/* Loads the IDT with every entry stub (syscall gate 0x80 has DPL 3). */
void trap_init(void);
/* Handles one trap; called by trap_common with interrupts off. */
void trap_dispatch(struct trapframe *tf);
/* Prints every register of tf on the console (polled). */
void trap_dump(const struct trapframe *tf);
/* Kernel-mode fault: dumps registers and halts forever. */
void trap_kernel_panic(const struct trapframe *tf, const char *why) __attribute__((noreturn));

/* entry.asm */
extern const uint64_t trap_stubs[256];
void trap_return(void);
void ctx_switch(uint64_t *save_rsp, uint64_t new_rsp);
void ctx_kthread_start(void);

#endif
