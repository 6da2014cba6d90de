/* shell.c: the shell runs as a kernel thread: scheduled like a process, it
 * blocks (costing nothing) while it waits for console input or the disk.
 * Commands are a table of (name, handler, help). */
#include "shell.h"
#include "ata.h"
#include "console.h"
#include "errno.h"
#include "hvstat.h"
#include "io.h"
#include "irq.h"
#include "klib.h"
#include "mboot.h"
#include "mem.h"
#include "pit.h"
#include "ports.h"
#include "proc.h"
#include "progs.h"
#include "syscall.h"
#include "sysipc.h"
#include "sysmem.h"
#include "uart.h"

#define SHELL_LINE 160

struct shell_cmd {
	const char *name;
	void (*fn)(const char *args);
	const char *help;
};

static const struct shell_cmd shell_cmds[];

/* Reads one byte, blocking the shell thread until input arrives. */
static uint8_t shell_getc(void)
{
	uint8_t c;
	while (!console_getc(&c))
		proc_block_on(&console_readers);
	return c;
}

/* Reads a line with echo and backspace into buf (size n). */
static void shell_readline(char *buf, unsigned n)
{
	unsigned len = 0;
	for (;;) {
		uint8_t c = shell_getc();
		if (c == '\r' || c == '\n') {
			console_write("\n", 1);
			break;
		}
		if ((c == 8 || c == 127) && len) {
			len--;
			console_write("\b \b", 3);
		} else if (c >= ' ' && c < 127 && len + 1 < n) {
			buf[len++] = (char)c;
			console_write((char *)&c, 1);
		}
	}
	buf[len] = 0;
}

static const char *shell_skip(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

static void shell_ps(const char *args)
{
	kprintf("PID  PPID NAME         STATE     CPU(ms)  PAGES  SYSCALLS  PERIOD  JOBS    MISSES\n");
	for (int i = 0; i < PROC_MAX; i++) {
		struct proc *p = proc_slot(i);
		if (!p || p->zombie)
			continue;
		kprintf("%-4d %-4d %-12s %-9s %-8lu %-6lu %-9lu %-7lu %-7lu %lu\n", p->pid, p->ppid,
			p->name, p->kernel ? "kernel" : sched_state_name(p->task.state),
			syscall_ticks_to_ms(p->task.cpu_time), p->pages, p->syscalls,
			syscall_ticks_to_ms(p->task.period), p->task.jobs, p->task.misses);
	}
}

static void shell_mem(const char *args)
{
	struct mem_stats st;
	mem_get_stats(&st);
	kprintf("allocator: %s\n", st.policy);
	kprintf("ram: %lu KiB usable, kernel+metadata end at %lx\n", st.ram_bytes >> 10, st.kernel_end);
	kprintf("pages: %lu managed, %lu free, %lu used\n", st.total_pages, st.free_pages,
		st.total_pages - st.free_pages);
	kprintf("calls: %lu allocs, %lu frees, %lu failures\n", st.allocs, st.frees, st.failures);
	kprintf("heap: %lu bytes, %lu free; shared pages live: %u\n", st.heap_total, st.heap_free,
		sysmem_shm_live());
}

static void shell_ports(const char *args)
{
	ports_print();
}

static void shell_irqs(const char *args)
{
	irq_print();
}

static void shell_run(const char *args)
{
	char name[PROC_NAME_MAX];
	unsigned n = 0;
	args = shell_skip(args);
	while (args[n] && args[n] != ' ' && n + 1 < sizeof(name))
		name[n] = args[n], n++;
	name[n] = 0;
	if (!n) {
		kprintf("usage: run PROGRAM [ARGS]; programs:\n");
		for (unsigned i = 0; progs_get(i); i++)
			kprintf("  %s %s\n", progs_get(i)->name, progs_get(i)->help);
		return;
	}
	int pid = proc_spawn(name, shell_skip(args + n), 0, 0, 0, 0);
	if (pid == -ENOENT)
		kprintf("run: no program '%s'\n", name);
	else if (pid < 0)
		kprintf("run: cannot start %s: error %d\n", name, pid);
	else
		kprintf("started pid %d (%s)\n", pid, name);
}

static void shell_kill(const char *args)
{
	const char *end;
	args = shell_skip(args);
	int pid = (int)klib_strtoul(args, &end, 10);
	int r = end == args ? -EINVAL : proc_kill(pid, "by the shell");
	if (r == -ESRCH)
		kprintf("kill: no process %d\n", pid);
	else if (r == -EPERM)
		kprintf("kill: %d is a kernel thread\n", pid);
	else if (r < 0)
		kprintf("usage: kill PID\n");
}

static uint32_t shell_fnv(const uint8_t *p, unsigned n)
{
	uint32_t h = 0x811c9dc5u;
	while (n--)
		h = (h ^ *p++) * 0x01000193u;
	return h;
}

static void shell_disk(const char *args)
{
	const char *end;
	args = shell_skip(args);
	if (strncmp(args, "read", 4)) {
		kprintf("usage: disk read LBA\n");
		return;
	}
	uint64_t lba = klib_strtoul(shell_skip(args + 4), &end, 0), pa;
	if (mem_alloc(0, &pa) < 0) {
		kprintf("disk: out of memory\n");
		return;
	}
	struct ata_seg seg = { pa, ATA_SECTOR };
	int r = ata_rw(lba, 1, &seg, 1, false);
	if (r < 0) {
		kprintf("disk: read of lba %lu failed: error %d\n", lba, r);
	} else {
		const uint8_t *b = (const uint8_t *)pa;
		for (unsigned row = 0; row < 64; row += 16) {
			kprintf("%04x:", row);
			for (unsigned i = 0; i < 16; i++)
				kprintf(" %02x", b[row + i]);
			kprintf("\n");
		}
		kprintf("disk: lba %lu (%s) checksum fnv1a %08x\n", lba, ata_mode(), shell_fnv(b, ATA_SECTOR));
	}
	mem_free(pa, 0);
}

static void shell_stats(const char *args)
{
	struct proc_stats ps;
	struct ata_stats as;
	proc_get_stats(&ps);
	ata_get_stats(&as);
	kprintf("ticks %lu (%u Hz, uptime %lu ms)\n", ps.ticks, pit_hz(), syscall_ticks_to_ms(ps.ticks));
	kprintf("context switches %lu\n", ps.switches);
	kprintf("syscalls %lu\n", syscall_count());
	kprintf("irqs %lu (uart %lu)\n", irq_total(), uart_irq_count());
	kprintf("idle halts %lu\n", ps.idle_halts);
	kprintf("processes: %lu spawned, %lu exited, %lu killed\n", ps.spawned, ps.exited, ps.killed);
	kprintf("ipc: %lu messages, %u semaphores\n", sysipc_msg_count(), sysipc_sem_count());
	kprintf("disk: %lu reads, %lu writes, %lu sectors, %lu irqs, %lu errors, %lu timeouts\n",
		as.reads, as.writes, as.sectors, as.dma_irqs, as.errors, as.timeouts);
	hvstat_print();
}

static void shell_exit(const char *args)
{
	const char *end;
	args = shell_skip(args);
	uint64_t st = klib_strtoul(args, &end, 0);
	console_set_panic();                  /* polled: the line must leave before we stop */
	kprintf("os: exit with status %lu\n", st);
	/* isa-debug-exit under QEMU (exit code st*2+1) or the hv's exit port. */
	outb(0xf4, (uint8_t)st);
	kprintf("os: no exit device on port 0xf4; halted\n");
	proc_halt_system();
}

static void shell_halt(const char *args)
{
	shell_exit("0");
}

/* Faults in ring 0 on purpose (reads page 0, which is never mapped) to
 * show the kernel-fault path: register dump, halt (panicexit=N: exit N). */
static void shell_panic(const char *args)
{
	kprintf("panic: reading address 0 in the kernel\n");
	(void)*(volatile uint64_t *)0;
}

/* sleep MS: the shell thread sleeps (costs nothing), letting processes run. */
static void shell_sleep(const char *args)
{
	const char *end;
	uint64_t ms = klib_strtoul(shell_skip(args), &end, 10);
	if (end == shell_skip(args)) {
		kprintf("usage: sleep MS\n");
		return;
	}
	proc_sleep_until(proc_now() + syscall_ms_to_ticks(ms));
}

/* guest VERB NAME: stop, restart or ask the state of another guest (HC_GUEST_CTL). */
static void shell_guest(const char *args)
{
	char verb[8];
	const char *p = shell_skip(args);
	size_t n = 0;

	while (p[n] && p[n] != ' ' && n + 1 < sizeof(verb)) {
		verb[n] = p[n];
		n++;
	}
	verb[n] = 0;
	p = shell_skip(p + n);
	hvstat_guest_ctl(verb, p);
}

static void shell_help(const char *args)
{
	for (unsigned i = 0; shell_cmds[i].name; i++)
		kprintf("  %-8s %s\n", shell_cmds[i].name, shell_cmds[i].help);
}

static const struct shell_cmd shell_cmds[] = {
	{ "help", shell_help, "this list" },
	{ "ps", shell_ps, "processes: state, CPU time, pages, syscalls, deadline misses" },
	{ "mem", shell_mem, "physical pages and kernel heap" },
	{ "ports", shell_ports, "I/O port ownership" },
	{ "irqs", shell_irqs, "interrupt lines, counts, owners" },
	{ "run", shell_run, "PROGRAM [ARGS]: start a built-in program (run alone lists them)" },
	{ "kill", shell_kill, "PID: kill a process" },
	{ "disk", shell_disk, "read LBA: hex dump and checksum of one sector" },
	{ "stats", shell_stats, "kernel counters and, under the hv, this guest's exit statistics" },
	{ "sleep", shell_sleep, "MS: pause the shell for MS milliseconds" },
	{ "guest", shell_guest, "stop|restart|status NAME: manage another guest (hv.cfg manages)" },
	{ "exit", shell_exit, "[STATUS]: write STATUS to port 0xf4 (ends QEMU or the guest)" },
	{ "halt", shell_halt, "same as exit 0" },
	{ "panic", shell_panic, "fault in the kernel on purpose (register dump, halt)" },
	{ NULL, NULL, NULL },
};

static void shell_exec(const char *line)
{
	line = shell_skip(line);
	if (!*line)
		return;
	for (unsigned i = 0; shell_cmds[i].name; i++) {
		size_t n = strlen(shell_cmds[i].name);
		if (!strncmp(line, shell_cmds[i].name, n) && (line[n] == ' ' || !line[n])) {
			shell_cmds[i].fn(line + n);
			return;
		}
	}
	kprintf("unknown command; try help\n");
}

/*
 * Runs the boot script: the part of the command line after " -- ", shell
 * commands separated by ';' (for example "-- run hog; sleep 500; ps; exit 0").
 * This is how a guest with no console input shows what it does.
 */
static void shell_script(void)
{
	const char *p = mboot.cmdline;
	char line[SHELL_LINE];

	while (*p && strncmp(p, " -- ", 4))
		p++;
	if (!*p)
		return;
	for (p += 4; *p; ) {
		unsigned n = 0;
		while (*p && *p != ';' && n + 1 < sizeof(line))
			line[n++] = *p++;
		line[n] = 0;
		if (*p == ';')
			p++;
		kprintf("os> %s\n", shell_skip(line));
		shell_exec(line);
	}
}

void shell_main(void *arg)
{
	char line[SHELL_LINE];
	shell_script();
	kprintf("os: shell ready on the console; type help\n");
	for (;;) {
		kprintf("os> ");
		shell_readline(line, sizeof(line));
		shell_exec(line);
	}
}
