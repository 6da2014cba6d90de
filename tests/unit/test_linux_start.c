/*
 * A Linux guest's start on the host (tests/unit/hvhost): after a restart
 * the hv reloads the pristine bzImage and initrd with hv/linuxload.c and
 * enters the vCPU in the 32-bit boot protocol's state (CS __BOOT_CS, DS/ES/SS
 * __BOOT_DS from the loader's GDT, ESI the zero page, EBX = EBP = EDI = 0,
 * paging and interrupts off), which the fake VM entry checks against the
 * SDM's rules. A Multiboot guest keeps its own start state.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "bzimage.h"
#include "cpu.h"
#include "guest.h"
#include "linuxload.h"

#define CFG "[hv]\ntrace = off\n[guest lx]\nimage = \\bzImage\nmemory = 32M\n" \
	    "cmdline = \"console=ttyS0 quiet\"\nrestart = yes\n"

static uint8_t *image;
static size_t image_bytes;
static uint8_t initrd[3000];

/* What the vCPU looked like at the VM entry after the restart. */
static struct {
	uint64_t cs, ds, es, ss, gdtr_base, gdtr_limit, rip, rflags, cr0;
	struct guest_regs regs;
} seen;

static int teardown(void **state)
{
	(void)state;
	host_teardown();
	free(image);
	image = NULL;
	return 0;
}

static void note_start(struct vcpu *v, void *arg)
{
	(void)arg;
	seen.cs = fake_vmcs_get(GUEST_CS_SELECTOR);
	seen.ds = fake_vmcs_get(GUEST_DS_SELECTOR);
	seen.es = fake_vmcs_get(GUEST_ES_SELECTOR);
	seen.ss = fake_vmcs_get(GUEST_SS_SELECTOR);
	seen.gdtr_base = fake_vmcs_get(GUEST_GDTR_BASE);
	seen.gdtr_limit = fake_vmcs_get(GUEST_GDTR_LIMIT);
	seen.rip = fake_vmcs_get(GUEST_RIP);
	seen.rflags = fake_vmcs_get(GUEST_RFLAGS);
	seen.cr0 = fake_vmcs_get(GUEST_CR0);
	seen.regs = v->regs;
}

/* Boots guest lx, then makes it a Linux guest with a bzImage and an initrd as uefi/ would. */
static struct guest *boot_linux_guest(void)
{
	struct bzimage b = bzimage_default();
	struct guest *g;

	host_boot(CFG);
	g = &hv.guests[0];
	image = bzimage_build(&b, &image_bytes);
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0xa5);
	((struct cfg_guest *)g->cfg)->boot = CFG_BOOT_LINUX;
	g->boot->image_hpa = (uintptr_t)image;
	g->boot->image_bytes = image_bytes;
	g->boot->initrd_hpa = (uintptr_t)initrd;
	g->boot->initrd_bytes = sizeof(initrd);
	return g;
}

/* The first boot stops on an EPT violation; the restart's first entry is noted. */
static void run_to_restart(void)
{
	host_script((struct fake_exit){ .reason = EXIT_REASON_EPT_VIOLATION, .qual = 2, .gpa = 0x40000000 });
	host_script((struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1, .before = note_start });
	assert_true(host_run());
	assert_true(fake_log_has("hv: guest lx restarted (boot 2)"));
}

static void test_restart_enters_linux_in_the_32bit_boot_protocol_state(void **state)
{
	struct guest *g;

	(void)state;
	g = boot_linux_guest();
	run_to_restart();
	/* The entry passed every SDM entry check the fake CPU runs. */
	assert_true(fake_run.entries[1].launch);
	assert_null(fake_run.entries[1].rule);
	assert_int_equal(seen.rip, 0x1000000);
	assert_int_equal(seen.cs, LINUXLOAD_BOOT_CS);
	assert_int_equal(seen.ds, LINUXLOAD_BOOT_DS);
	assert_int_equal(seen.es, LINUXLOAD_BOOT_DS);
	assert_int_equal(seen.ss, LINUXLOAD_BOOT_DS);
	assert_int_equal(seen.gdtr_base, LINUXLOAD_GDT_GPA);
	assert_int_equal(seen.gdtr_limit, LINUXLOAD_GDT_LIMIT);
	assert_int_equal(seen.regs.rsi, LINUXLOAD_ZP_GPA);
	assert_int_equal(seen.regs.rbx, 0);
	assert_int_equal(seen.regs.rbp, 0);
	assert_int_equal(seen.regs.rdi, 0);
	assert_int_equal(seen.regs.rax, 0);
	assert_false(seen.rflags & RFLAGS_IF);
	assert_true(seen.cr0 & CR0_PE);
	assert_false(seen.cr0 & CR0_PG);
	assert_int_equal(g->boot->entry, 0x1000000);
	assert_int_equal(g->boot->zero_page_gpa, LINUXLOAD_ZP_GPA);
}

static void test_restart_reloads_kernel_initrd_and_zero_page_from_the_pristine_copies(void **state)
{
	struct guest *g;
	uint8_t *zp, *ram;
	uint32_t rd_gpa;

	(void)state;
	g = boot_linux_guest();
	/* What the first boot (Multiboot here) left in RAM must all be gone. */
	memset(host_gpa(0, 0x1000000), 0xcc, 0x1000);
	run_to_restart();
	ram = host_gpa(0, 0);
	zp = ram + LINUXLOAD_ZP_GPA;
	rd_gpa = (uint32_t)(zp[LX_RAMDISK_IMAGE] | zp[LX_RAMDISK_IMAGE + 1] << 8 |
			    zp[LX_RAMDISK_IMAGE + 2] << 16 | (uint32_t)zp[LX_RAMDISK_IMAGE + 3] << 24);
	assert_int_equal(rd_gpa, (32u << 20) - 4096);
	assert_memory_equal(ram + rd_gpa, initrd, sizeof(initrd));
	assert_memory_equal(ram + 0x1000000, image + 1024, image_bytes - 1024);
	assert_string_equal((char *)ram + LINUXLOAD_CMDLINE_GPA, "console=ttyS0 quiet");
	assert_int_equal(zp[LX_TYPE_OF_LOADER], 0xff);
	/* The GDT the VMCS names holds the flat descriptors its cached state claims. */
	assert_int_equal(*(uint64_t *)(ram + LINUXLOAD_GDT_GPA + 0x10), 0x00cf9b000000ffffull);
	assert_int_equal(*(uint64_t *)(ram + LINUXLOAD_GDT_GPA + 0x18), 0x00cf93000000ffffull);
	(void)g;
}

static void test_restart_with_a_broken_kernel_copy_says_why_and_does_not_start(void **state)
{
	struct guest *g;

	(void)state;
	g = boot_linux_guest();
	image[LX_HEADER] = 'X';
	assert_int_equal(guest_restart(g), -1);
	assert_true(fake_log_has("hv: guest lx: cannot reload: image \\bzImage: not a bzImage (no HdrS)"));
}

static void test_multiboot_guest_keeps_its_start_state(void **state)
{
	(void)state;
	host_boot("[hv]\ntrace = off\n[guest mb]\nimage = \\a.elf\nmemory = 4M\nrestart = yes\n");
	host_script((struct fake_exit){ .reason = EXIT_REASON_EPT_VIOLATION, .qual = 2, .gpa = 0x40000000 });
	host_script((struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1, .before = note_start });
	assert_true(host_run());
	assert_null(fake_run.entries[1].rule);
	assert_int_equal(seen.cs, 0x08);
	assert_int_equal(seen.ds, 0x10);
	assert_int_equal(seen.gdtr_base, 0);
	assert_int_equal(seen.gdtr_limit, 0xffff);
	assert_int_equal(seen.regs.rax, 0x2badb002);
	assert_int_equal(seen.regs.rbx, 0x7000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_restart_enters_linux_in_the_32bit_boot_protocol_state, teardown),
		cmocka_unit_test_teardown(test_restart_reloads_kernel_initrd_and_zero_page_from_the_pristine_copies, teardown),
		cmocka_unit_test_teardown(test_restart_with_a_broken_kernel_copy_says_why_and_does_not_start, teardown),
		cmocka_unit_test_teardown(test_multiboot_guest_keeps_its_start_state, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
