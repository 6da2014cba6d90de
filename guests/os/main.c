/* main.c: kmain, reached from boot.asm in long mode on the boot stack.
 * Order matters: the Multiboot info is copied before the page allocator may
 * hand its memory out; the console comes up before anything can fail. */
#include "ata.h"
#include "console.h"
#include "gdt.h"
#include "hvstat.h"
#include "io.h"
#include "irq.h"
#include "klib.h"
#include "mboot.h"
#include "mem.h"
#include "pic.h"
#include "pit.h"
#include "ports.h"
#include "proc.h"
#include "shell.h"
#include "syscall.h"
#include "trap.h"
#include "uart.h"
#include "vm.h"

void kmain(uint32_t magic, uint64_t info);

static void main_timer(unsigned irq, bool from_user)
{
	proc_tick(from_user);
}

static void main_uart(unsigned irq, bool from_user)
{
	if (uart_irq())
		console_rx_ready();
}

/* console=com1|com2|none and e9=0|1. */
static void main_console(void)
{
	char v[16] = "com1";
	mboot_option("console", v, sizeof(v));
	uint16_t base = !strcmp(v, "com2") ? COM2_BASE : !strcmp(v, "none") ? 0 : COM1_BASE;
	console_init(base, mboot_option_num("e9", 0) != 0 || base == 0);
}

static void main_policies(enum palloc_policy *pa, enum sched_policy *sp)
{
	char v[16];
	*pa = PALLOC_BITMAP;
	*sp = SCHED_RR;
	if (mboot_option("alloc", v, sizeof(v)) && palloc_policy_parse(v, pa) < 0)
		kprintf("os: unknown alloc=%s, using bitmap\n", v);
	if (mboot_option("sched", v, sizeof(v)) && sched_policy_parse(v, sp) < 0)
		kprintf("os: unknown sched=%s, using rr\n", v);
}

static void main_devices(void)
{
	unsigned hz = (unsigned)mboot_option_num("hz", 1000);
	pic_init();
	pit_init(hz);
	ports_reserve_kernel(0x20, 0x21, "pic master");
	ports_reserve_kernel(0xa0, 0xa1, "pic slave");
	ports_reserve_kernel(0x40, 0x43, "pit");
	ports_reserve_kernel(0xcf8, 0xcff, "pci config");
	ports_reserve_kernel(0xf4, 0xf4, "exit port");
	irq_set_kernel(0, "timer", main_timer);
	if (uart_base()) {
		ports_reserve_kernel(uart_base(), (uint16_t)(uart_base() + 7), "console uart");
		uart_enable_irq();
		irq_set_kernel(uart_irq_line(), "console uart", main_uart);
	}
	char v[8] = "";
	mboot_option("disk", v, sizeof(v));
	ata_init(!strcmp(v, "pio"));
}

void kmain(uint32_t magic, uint64_t info)
{
	int mb = mboot_parse(magic, info);
	main_console();
	kprintf("\nos: guest kernel booting (cmdline \"%s\")\n", mboot.cmdline);
	if (mb < 0)
		panic("kmain: not started by a Multiboot loader (magic %x) or no memory map", magic);
	gdt_init();
	trap_init();
	enum palloc_policy pa;
	enum sched_policy sp;
	main_policies(&pa, &sp);
	if (mem_init(pa) < 0)
		panic("kmain: no usable memory in the Multiboot map");
	vm_init();
	uint64_t quantum_ms = mboot_option_num("quantum", 10);
	main_devices();
	proc_init(sp, syscall_ms_to_ticks(quantum_ms));
	struct mem_stats st;
	mem_get_stats(&st);
	kprintf("os: sched=%s alloc=%s hz=%u quantum=%lums, %lu KiB free, %s%s\n",
		sched_policy_name(sp), st.policy, pit_hz(), quantum_ms, st.free_pages * 4,
		hvstat_detect() ? "under the hv" : "no hv", ata_present() ? "" : ", no disk");
	if (proc_kthread("shell", shell_main, NULL) < 0)
		panic("kmain: cannot start the shell");
	proc_run();
}
