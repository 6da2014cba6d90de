/*
 * machine: an attack on the machine through the ports that act on all of
 * it. A guest that owns none of them writes what resets, powers off, raises
 * an SMI or stops the emulator on a PC, Bochs or QEMU. Under the hv each
 * write traps and is refused (logged by the hv, at most 8 per guest: one
 * set of writes stays within that) or reaches the guest's own virtual
 * device, and the machine runs on; the guest
 * then ends itself through one of the hv's own debug-exit ports
 * 0xf5-0xf7 (QEMU's isa-debug-exit would end the whole emulator there).
 *
 *   test=machine set=reset|power|shutdown exit=0xf5 pm=0xb000
 *
 * pm is the ACPI PM base (PM1a control at pm + 4): OVMF sets the PIIX4's
 * to 0xb000. Natively the writes would do what they say, so the test
 * refuses to run there.
 */
#include "tguest.h"

struct machine_write {
	uint16_t port;            /* 0: pm + 4 */
	uint8_t bytes;            /* 1 or 2 */
	uint16_t value;
	const char *what;
};

/*
 * The 8042's reset (0x64 <- 0xfe, or its output port with bit 0 clear) and
 * 0xcf9 with RST_CPU reset the writing guest alone, through its virtual
 * 8042 and reset control register: pcplatform does that beside a victim
 * (t_pcplatform.c). Here: the fast reset, refused, and the writes to the
 * same registers that reset nothing.
 */
static const struct machine_write set_reset[] = {
	{ 0x92, 1, 0x01, "system control port A: fast reset" },
	{ 0xcf9, 1, 0x02, "reset control: hard reset chosen, RST_CPU not set" },
	{ 0x64, 1, 0xd1, "8042: next data byte is the output port" },
	{ 0x60, 1, 0x03, "8042 output port: reset line high, A20 on" },
	{ 0 },
};

static const struct machine_write set_power[] = {
	{ 0xb2, 1, 0xf1, "APM control: SMI (QEMU's ACPI enable command)" },
	{ 0xb3, 1, 0x00, "APM status" },
	{ 0, 2, 0x2000, "ACPI PM1a control: SLP_EN, sleep type 0 (S5, power off)" },
	{ 0x400, 1, 0x00, "Bochs BIOS panic port" },
	{ 0x501, 1, 0x00, "QEMU isa-debug-exit default port, Bochs VGA BIOS panic" },
	{ 0x505, 1, 0x01, "QEMU pvpanic: guest panicked" },
	{ 0x510, 2, 0x0000, "QEMU fw_cfg selector" },
	{ 0 },
};

static const struct machine_write set_shutdown[] = {
	{ 0x8900, 1, 'S', "Bochs shutdown port" }, { 0x8900, 1, 'h', "Bochs shutdown port" },
	{ 0x8900, 1, 'u', "Bochs shutdown port" }, { 0x8900, 1, 't', "Bochs shutdown port" },
	{ 0x8900, 1, 'd', "Bochs shutdown port" }, { 0x8900, 1, 'o', "Bochs shutdown port" },
	{ 0x8900, 1, 'w', "Bochs shutdown port" }, { 0x8900, 1, 'n', "Bochs shutdown port" },
	{ 0 },
};

static inline void machine_outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port));
}

/* Returns the set the command line names; exits 2 on an unknown one. */
static const struct machine_write *machine_set(const char *name)
{
	if (tg_streq(name, "reset"))
		return set_reset;
	if (tg_streq(name, "power"))
		return set_power;
	if (tg_streq(name, "shutdown"))
		return set_shutdown;
	tg_fail_exit(2, "machine: FAIL unknown set \"%s\" (reset, power, shutdown)\n", name);
}

void test_machine(void)
{
	const char *name = arg_str("set", "reset");
	const struct machine_write *w = machine_set(name);
	uint32_t exit_port = arg_u32("exit", 0xf5), pm = arg_u32("pm", 0xb000);
	unsigned n = 0;

	if (exit_port < 0xf5 || exit_port > 0xf7)
		tg_fail_exit(2, "machine: FAIL exit=0x%x, want 0xf5..0xf7\n", exit_port);
	if (!tg_under_hv)
		tg_fail_exit(2, "machine: FAIL not under the hv: these writes would reset the machine\n");
	for (; w->bytes; w++, n++) {
		uint16_t port = w->port ? w->port : (uint16_t)(pm + 4);

		tg_printf("machine: out 0x%x <- 0x%x (%s)\n", port, w->value, w->what);
		if (w->bytes == 2)
			machine_outw(port, w->value);
		else
			outb(port, (uint8_t)w->value);
	}
	tg_printf("machine: survived %u writes of set %s; exit through port 0x%x\n", n, name, exit_port);
	outb((uint16_t)exit_port, 0);
	tg_fail_exit(1, "machine: FAIL still running after the write to port 0x%x\n", exit_port);
}
