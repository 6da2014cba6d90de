/*
 * Discovery on the host (tests/unit/hvhost): the hv installs a guest's ACPI
 * tables (acpi = on) into its RAM at boot and again at every restart, its
 * Multiboot modules come back pristine at a restart, fw_cfg answers every
 * guest at ports 0x510/0x511, and an ACPI power-off through PM1a_CNT ends
 * the guest, which a guest without acpi = on cannot do.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "acpitab.h"
#include "exit.h"
#include "guest.h"
#include "multiboot.h"

#define RAM8M (8u << 20)
#define CFG_ACPI "[hv]\ntrace = off\n[guest a]\nimage = \\t.elf\nmemory = 8M\nacpi = on\nrestart = yes\n" \
		 "module = \\m1.bin \"one two\"\nmodule = \\m2.bin\n"
#define CFG_PLAIN "[hv]\ntrace = off\n[guest b]\nimage = \\t.elf\nmemory = 8M\n"

/* I/O exit qualification (SDM "Exit Qualification for I/O Instructions"). */
#define IOQ(port, size, in) ((uint64_t)(port) << 16 | (uint64_t)((in) ? 8 : 0) | ((size) - 1))

static uint8_t mod1[5000], mod2[100];

/* The first boot stops on an EPT violation; the restart runs to a HLT. */
static void run_to_restart(void)
{
	host_script((struct fake_exit){ .reason = EXIT_REASON_EPT_VIOLATION, .qual = 2, .gpa = 0x40000000 });
	host_script((struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1 });
	assert_true(host_run());
	assert_true(fake_log_has("restarted (boot 2)"));
}

/* Boots CFG_ACPI with the two modules as uefi/ would have read them. */
static struct guest *boot_acpi_guest(void)
{
	struct guest *g;

	host_boot(CFG_ACPI);
	g = &hv.guests[0];
	for (unsigned i = 0; i < sizeof(mod1); i++)
		mod1[i] = (uint8_t)(i * 13 + 1);
	memset(mod2, 0x42, sizeof(mod2));
	g->boot->modules[0] = (struct boot_module){ (uintptr_t)mod1, sizeof(mod1) };
	g->boot->modules[1] = (struct boot_module){ (uintptr_t)mod2, sizeof(mod2) };
	g->boot->nmodules = 2;
	return g;
}

static uint32_t io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t val)
{
	v->regs.rax = in ? 0xdeadbeef : val;
	host_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(port, size, in), 1);
	return (uint32_t)v->regs.rax;
}

static void assert_tables_installed(void)
{
	const uint8_t *top = host_gpa(0, acpitab_gpa(RAM8M)), *ebda = host_gpa(0, ACPITAB_EBDA_GPA);
	const uint8_t *bda = host_gpa(0, ACPITAB_BDA_EBDA);

	assert_memory_equal(top, "RSD PTR ", 8);
	assert_memory_equal(ebda, top, ACPITAB_RSDP_BYTES);
	assert_int_equal(bda[0] | bda[1] << 8, ACPITAB_EBDA_GPA >> 4);
}

static void test_acpi_tables_are_installed_at_boot_and_at_every_restart(void **state)
{
	struct guest *g;
	const struct mb_info *mbi;
	const struct mb_mmap_entry *e;

	(void)state;
	g = boot_acpi_guest();
	assert_tables_installed();
	/* The guest spoils them; the restart builds them again. */
	memset(host_gpa(0, acpitab_gpa(RAM8M)), 0xcc, ACPITAB_BYTES);
	memset(host_gpa(0, ACPITAB_EBDA_GPA), 0xcc, 64);
	run_to_restart();
	assert_tables_installed();
	/* The reloaded Multiboot info shows them as ACPI memory, outside upper memory. */
	mbi = host_gpa(0, g->boot->mbi_gpa);
	e = host_gpa(0, mbi->mmap_addr + mbi->mmap_length - sizeof(*e));
	assert_int_equal(e->addr, acpitab_gpa(RAM8M));
	assert_int_equal(e->len, ACPITAB_BYTES);
	assert_int_equal(e->type, MB_MMAP_ACPI);
	assert_int_equal(mbi->mem_upper, (acpitab_gpa(RAM8M) - 0x100000) / 1024);
}

/* Boot 2 of the guest scribbles over its first module (as the guest could). */
static void scribble_module(struct vcpu *v, void *arg)
{
	const struct mb_info *mbi = host_gpa(0, v->guest->boot->mbi_gpa);
	const struct mb_module *m = host_gpa(0, mbi->mods_addr);

	(void)arg;
	memset(host_gpa(0, m[0].mod_start), 0xcc, sizeof(mod1));
}

static void test_modules_are_reloaded_from_the_pristine_copies(void **state)
{
	struct guest *g;
	const struct mb_info *mbi;
	const struct mb_module *m;

	(void)state;
	g = boot_acpi_guest();
	/* Boot 1 stops; boot 2 scribbles over a module and stops; boot 3 halts. */
	host_script((struct fake_exit){ .reason = EXIT_REASON_EPT_VIOLATION, .qual = 2, .gpa = 0x40000000 });
	host_script((struct fake_exit){ .reason = EXIT_REASON_EPT_VIOLATION, .qual = 2, .gpa = 0x40000000,
				   .before = scribble_module });
	host_script((struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1 });
	assert_true(host_run());
	assert_true(fake_log_has("restarted (boot 3)"));
	mbi = host_gpa(0, g->boot->mbi_gpa);
	assert_true(mbi->flags & MB_IF_MODS);
	assert_int_equal(mbi->mods_count, 2);
	m = host_gpa(0, mbi->mods_addr);
	assert_memory_equal(host_gpa(0, m[0].mod_start), mod1, sizeof(mod1));
	assert_memory_equal(host_gpa(0, m[1].mod_start), mod2, sizeof(mod2));
	assert_int_equal(m[0].mod_end - m[0].mod_start, sizeof(mod1));
	assert_string_equal(host_gpa(0, m[0].string), "\\m1.bin one two");
	assert_string_equal(host_gpa(0, m[1].string), "\\m2.bin");
}

static void test_fw_cfg_answers_every_guest(void **state)
{
	struct vcpu *v;
	char sig[5] = { 0 };
	uint64_t ram = 0;

	(void)state;
	host_boot(CFG_PLAIN);
	v = host_vcpu(0);
	io(v, 0x510, 2, false, 0x0000);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)io(v, 0x511, 1, true, 0);
	assert_string_equal(sig, "QEMU");
	io(v, 0x510, 2, false, 0x0003);
	for (int i = 0; i < 8; i++)
		ram |= (uint64_t)(io(v, 0x511, 1, true, 0) & 0xff) << (8 * i);
	assert_int_equal(ram, RAM8M);
	/* An 8-bit IN keeps the rest of EAX, as the CPU does. */
	io(v, 0x510, 2, false, 0x0005);
	assert_int_equal(io(v, 0x511, 1, true, 0), 0xdeadbe01);
	assert_int_equal(hv.guests[0].io_refusals, 0);
	/* The DMA port is absent: refused like any port the guest does not own. */
	assert_int_equal(io(v, 0x514, 4, true, 0), 0xffffffff);
	assert_int_equal(hv.guests[0].io_refusals, 1);
}

static void test_acpi_power_off_ends_the_guest(void **state)
{
	struct vcpu *v;

	(void)state;
	host_boot(CFG_ACPI);
	v = host_vcpu(0);
	assert_int_equal(io(v, ACPITAB_PM1A_CNT, 2, true, 0) & 0xffff, 1);     /* SCI_EN: ACPI mode */
	v->regs.rax = ACPITAB_SLP_TYP_S5 << 10 | 1u << 13;
	assert_int_equal(host_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(ACPITAB_PM1A_CNT, 2, false), 1),
			 EXIT_STOPPED);
	assert_int_equal(hv.guests[0].state, GUEST_EXITED);
	assert_int_equal(hv.guests[0].exit_status, 0);
	assert_true(fake_log_has("hv: guest a powered itself off (ACPI S5)"));
}

static void test_pm_ports_are_refused_without_acpi(void **state)
{
	struct vcpu *v;

	(void)state;
	host_boot(CFG_PLAIN);
	v = host_vcpu(0);
	assert_int_equal(io(v, ACPITAB_PM1A_CNT, 2, true, 0), 0xdead0000 | 0xffff);
	v->regs.rax = ACPITAB_SLP_TYP_S5 << 10 | 1u << 13;
	assert_int_equal(host_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(ACPITAB_PM1A_CNT, 2, false), 1),
			 EXIT_RESUME);
	assert_int_equal(hv.guests[0].state, GUEST_RUNNABLE);
	assert_int_equal(hv.guests[0].io_refusals, 2);
	/* Nor are tables installed. */
	assert_int_equal(*(uint8_t *)host_gpa(0, ACPITAB_EBDA_GPA), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_acpi_tables_are_installed_at_boot_and_at_every_restart, host_cmocka_teardown),
		cmocka_unit_test_teardown(test_modules_are_reloaded_from_the_pristine_copies, host_cmocka_teardown),
		cmocka_unit_test_teardown(test_fw_cfg_answers_every_guest, host_cmocka_teardown),
		cmocka_unit_test_teardown(test_acpi_power_off_ends_the_guest, host_cmocka_teardown),
		cmocka_unit_test_teardown(test_pm_ports_are_refused_without_acpi, host_cmocka_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
