/* trap.c: the IDT and the C side of every trap: exceptions, IRQs, syscalls.
 *
 * A fault in ring 3 kills only that process (with a log line); a fault in
 * ring 0 is a kernel bug: full register dump, then halt. */
#include "trap.h"
#include "console.h"
#include "desc.h"
#include "gdt.h"
#include "io.h"
#include "irq.h"
#include "klib.h"
#include "mboot.h"
#include "pic.h"
#include "proc.h"
#include "syscall.h"

static struct idt_gate64 trap_idt[256] __attribute__((aligned(16)));
static uint64_t trap_counts[32];

static const char *const trap_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check", "machine check",
	"SIMD error", "virtualization", "control protection", "reserved", "reserved",
	"reserved", "reserved", "reserved", "reserved", "hypervisor injection",
	"VMM communication", "security", "reserved",
};

/* Installs every stub entry.asm provides. The syscall gate (0x80) has DPL 3
 * so ring 3 may use int 0x80; it is an interrupt gate (IF cleared) on
 * purpose: the kernel is single-threaded and not preemptible. */
void trap_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		if (trap_stubs[v])
			trap_idt[v] = idt_gate64(trap_stubs[v], SEL_KCODE, v == T_DF ? 1 : 0,
						v == T_SYSCALL ? 3 : 0);
	struct desc_ptr p = { sizeof(trap_idt) - 1, (uint64_t)trap_idt };
	cpu_lidt(&p);
}

void trap_dump(const struct trapframe *tf)
{
	kprintf("vector %lu (%s) error %lx\n", tf->vector,
		tf->vector < 32 ? trap_names[tf->vector] : "irq/syscall", tf->error);
	kprintf("rip %016lx cs %04lx rflags %016lx\n", tf->rip, tf->cs, tf->rflags);
	kprintf("rsp %016lx ss %04lx cr2 %016lx\n", tf->rsp, tf->ss, cpu_read_cr2());
	kprintf("rax %016lx rbx %016lx rcx %016lx\n", tf->rax, tf->rbx, tf->rcx);
	kprintf("rdx %016lx rsi %016lx rdi %016lx\n", tf->rdx, tf->rsi, tf->rdi);
	kprintf("rbp %016lx r8  %016lx r9  %016lx\n", tf->rbp, tf->r8, tf->r9);
	kprintf("r10 %016lx r11 %016lx r12 %016lx\n", tf->r10, tf->r11, tf->r12);
	kprintf("r13 %016lx r14 %016lx r15 %016lx\n", tf->r13, tf->r14, tf->r15);
	kprintf("cr0 %016lx cr3 %016lx cr4 %016lx\n", cpu_read_cr0(), cpu_read_cr3(), cpu_read_cr4());
}

void trap_kernel_panic(const struct trapframe *tf, const char *why)
{
	cpu_cli();
	console_set_panic();
	struct proc *p = proc_current();
	kprintf("\nKERNEL PANIC: %s in the kernel", why);
	if (p)
		kprintf(" (current pid %d %s)", p->pid, p->name);
	kprintf("\n");
	trap_dump(tf);
	/* panicexit=N: also end the machine with status N (tests, the hv). */
	uint64_t st = mboot_option_num("panicexit", 0);
	if (st)
		outb(0xf4, (uint8_t)st);
	proc_halt_system();
}

/* Ring-3 exception: log it and kill the process; the kernel goes on. */
static void trap_user_fault(struct trapframe *tf)
{
	struct proc *p = proc_current();
	const char *name = trap_names[tf->vector];
	if (tf->vector == T_PF)
		kprintf("[os] pid %d (%s) killed: %s at rip %lx, address %lx, error %lx\n",
			p->pid, p->name, name, tf->rip, cpu_read_cr2(), tf->error);
	else if (tf->vector == T_GP)
		kprintf("[os] pid %d (%s) killed: %s at rip %lx, error %lx (port or privileged instruction?)\n",
			p->pid, p->name, name, tf->rip, tf->error);
	else
		kprintf("[os] pid %d (%s) killed: %s at rip %lx\n", p->pid, p->name, name, tf->rip);
	proc_exit_current(-(int)(128 + tf->vector));
}

void trap_dispatch(struct trapframe *tf)
{
	bool from_user = (tf->cs & 3) == 3;
	if (tf->vector < 32) {
		trap_counts[tf->vector]++;
		if (!from_user || !proc_current())
			trap_kernel_panic(tf, trap_names[tf->vector]);
		trap_user_fault(tf);
	} else if (tf->vector >= PIC_VECTOR_BASE && tf->vector < PIC_VECTOR_BASE + 16) {
		irq_dispatch((unsigned)(tf->vector - PIC_VECTOR_BASE), from_user);
	} else if (tf->vector == T_SYSCALL) {
		syscall_dispatch(tf);
	}
	if (from_user)
		proc_check_killed();
}
