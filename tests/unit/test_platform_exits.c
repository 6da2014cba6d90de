/*
 * The PC platform every guest gets, on the host (tests/unit/hvhost): the
 * PC hole as a ROM in each guest's EPT (writes dropped, the instruction
 * completed by the hv's decoder), the VGA owner's text buffer, the
 * virtual COM ports and their interrupt, and resets through the 8042 and
 * 0xcf9 that restart only the guest. Issue 9 item 3.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "exit.h"
#include "guest.h"
#include "vdev.h"
#include "vmx.h"

#define HV   "[hv]\ntrace = off\n"
#define GA   "[guest a]\nimage = \\a.elf\nmemory = 4M\n"
#define GB   "[guest b]\nimage = \\b.elf\nmemory = 4M\n"
#define RIP0 0x100020u

/* EPT violation qualification: write, linear address valid, access to the translation. */
#define EPTQ_WRITE_DATA 0x182u

static struct vcpu *v;

static int setup(void **state)
{
	(void)state;
	host_boot(HV GA GB);
	v = host_vcpu(0);
	return 0;
}

static uint8_t *ram(uint64_t gpa) { return host_gpa(0, gpa); }

/* An EPT violation of guest 0 writing gpa, with the instruction bytes at RIP0. */
static int rom_write(uint64_t gpa, const char *insn, unsigned len)
{
	int act;

	memcpy(ram(RIP0), insn, len);
	fake_vmcs_set(GUEST_RIP, RIP0);
	fake_vmcs_set(GUEST_PHYSICAL_ADDRESS, gpa);
	act = host_exit(v, EXIT_REASON_EPT_VIOLATION, EPTQ_WRITE_DATA, 0);
	if (act != EXIT_STOPPED)
		host_assert_entry_ok();
	return act;
}

/* ---- the PC hole ------------------------------------------------------------ */

/* Every guest maps the hole read-only, not executable, to the same zero page; RAM around it is RWX. */
static void test_hole_is_one_read_only_zero_page_in_every_guest(void **state)
{
	uint64_t hpa;
	unsigned perms;

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct ept *e = &hv.guests[i].ept;
		for (uint64_t gpa = 0xa0000; gpa < 0x100000; gpa += 0x1000) {
			assert_int_equal(ept_translate(e, gpa + 0x10, &hpa, &perms), 0);
			assert_int_equal(hpa, (uint64_t)(uintptr_t)hv.zero_page + 0x10);
			assert_int_equal(perms, EPT_R);
		}
		assert_int_equal(ept_translate(e, 0x9f000, &hpa, &perms), 0);
		assert_int_equal(perms, EPT_RWX);
		assert_int_equal(ept_translate(e, 0x100000, &hpa, &perms), 0);
		assert_int_equal(perms, EPT_RWX);
	}
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(((uint8_t *)hv.zero_page)[i], 0);
}

/* The owner of vga gets the text buffer itself, read-write; the rest of its hole is the ROM. */
static void test_vga_owner_maps_the_text_buffer(void **state)
{
	uint64_t hpa;
	unsigned perms;

	(void)state;
	host_teardown();
	host_boot(HV GA "devices = vga\n" GB);
	assert_int_equal(ept_translate(&hv.guests[0].ept, 0xb8123, &hpa, &perms), 0);
	assert_int_equal(hpa, 0xb8123);
	assert_int_equal(perms, EPT_R | EPT_W);
	assert_int_equal(ept_translate(&hv.guests[0].ept, 0xbffff, &hpa, &perms), 0);
	assert_int_equal(hpa, 0xbffff);
	assert_int_equal(ept_translate(&hv.guests[0].ept, 0xb7000, &hpa, &perms), 0);
	assert_int_equal(perms, EPT_R);
	assert_int_equal(ept_translate(&hv.guests[0].ept, 0xc0000, &hpa, &perms), 0);
	assert_int_equal(hpa, (uint64_t)(uintptr_t)hv.zero_page);
	/* The other guest's text buffer is the ROM. */
	assert_int_equal(ept_translate(&hv.guests[1].ept, 0xb8000, &hpa, &perms), 0);
	assert_int_equal(hpa, (uint64_t)(uintptr_t)hv.zero_page);
	assert_int_equal(perms, EPT_R);
}

/* movl $0x12345678, 0xf0000: dropped, logged, RIP past the 10 bytes. */
static void test_mov_to_the_hole_is_dropped_and_skipped(void **state)
{
	(void)state;
	assert_int_equal(rom_write(0xf0000, "\xc7\x05\x00\x00\x0f\x00\x78\x56\x34\x12", 10), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 10);
	assert_int_equal(hv.guests[0].state, GUEST_RUNNABLE);
	assert_int_equal(hv.guests[0].rom_writes, 4);
	assert_true(host_log_has("hv: guest a: write to the PC hole at GPA 0xf0000 dropped (read-only, a ROM area), "
			    "4 byte(s), rip 0x100020"));
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(((uint8_t *)hv.zero_page)[i], 0);
}

/* rep stosl over 32 KiB of the hole: one exit per page, RCX and RDI as if written. */
static void test_rep_stos_into_the_hole_takes_one_exit_per_page(void **state)
{
	unsigned exits = 0;

	(void)state;
	v->regs.rdi = 0xc0000;
	v->regs.rcx = 0x2000;
	v->regs.rax = 0xdeadbeef;
	while (v->regs.rcx) {
		assert_int_equal(rom_write(v->regs.rdi, "\xf3\xab", 2), EXIT_RESUME);
		exits++;
		assert_int_equal(fake_vmcs_get(GUEST_RIP), v->regs.rcx ? RIP0 : RIP0 + 2);
	}
	assert_int_equal(exits, 8);
	assert_int_equal(v->regs.rdi, 0xc8000);
	assert_int_equal(hv.guests[0].rom_writes, 0x8000);
}

/* The faulting element starts mid-page: the rest of that page, then the next exit. */
static void test_rep_stos_from_mid_page_and_downwards(void **state)
{
	(void)state;
	v->regs.rdi = 0xc0ffc;
	v->regs.rcx = 3;
	assert_int_equal(rom_write(0xc0ffc, "\xf3\xab", 2), EXIT_RESUME);   /* one dword fits in this page */
	assert_int_equal(v->regs.rcx, 2);
	assert_int_equal(v->regs.rdi, 0xc1000);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0);
	/* DF = 1: rep stosb down from 0xd0002 drops 3 bytes, down to the start of the page. */
	fake_vmcs_set(GUEST_RFLAGS, fake_vmcs_get(GUEST_RFLAGS) | RFLAGS_DF);
	v->regs.rdi = 0xd0002;
	v->regs.rcx = 10;
	assert_int_equal(rom_write(0xd0002, "\xf3\xaa", 2), EXIT_RESUME);
	assert_int_equal(v->regs.rcx, 7);
	assert_int_equal(v->regs.rdi, 0xcffff);
}

/* rep movsb into the hole moves RSI too; a plain stosb completes at once. */
static void test_movs_and_stos_without_rep(void **state)
{
	(void)state;
	v->regs.rsi = 0x2000;
	v->regs.rdi = 0xe0000;
	v->regs.rcx = 16;
	assert_int_equal(rom_write(0xe0000, "\xf3\xa4", 2), EXIT_RESUME);
	assert_int_equal(v->regs.rsi, 0x2010);
	assert_int_equal(v->regs.rdi, 0xe0010);
	assert_int_equal(v->regs.rcx, 0);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 2);
	v->regs.rcx = 5;
	assert_int_equal(rom_write(0xe0010, "\x66\xab", 2), EXIT_RESUME);   /* stosw */
	assert_int_equal(v->regs.rdi, 0xe0012);
	assert_int_equal(v->regs.rcx, 5);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 2);
}

/* 64-bit code: mov %rax,(%rdi) through the guest's 4-level paging. */
static void test_64bit_mov_into_the_hole(void **state)
{
	uint64_t cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	uint64_t e[2] = { 0x11000 | 3, 0x12000 | 3 }, pde = 0x83;

	(void)state;
	memcpy(ram(0x10000), &e[0], 8);
	memcpy(ram(0x11000), &e[1], 8);
	memcpy(ram(0x12000), &pde, 8);                             /* 0-2 MiB identity */
	host_long_mode(cr0, 0x10000, true);
	assert_int_equal(rom_write(0xa0000, "\x48\x89\x07", 3), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 3);
	assert_int_equal(hv.guests[0].rom_writes, 8);
}

/* An instruction the decoder does not know stops the guest with GPA, RIP and the bytes. */
static void test_unknown_instruction_writing_the_hole_stops_the_guest(void **state)
{
	(void)state;
	assert_int_equal(rom_write(0xf0000, "\x01\x07\x90", 3), EXIT_STOPPED);   /* add %eax,(%edi) */
	assert_true(host_log_has("hv: guest a: EPT violation at GPA 0xf0000 (write to the PC hole) rip 0x100020: "
			    "instruction not emulated; bytes 01 07 90"));
	assert_true(host_log_has("hv: guest a stopped: EPT violation at GPA 0xf0000 (write to the PC hole: "
			    "instruction not emulated)"));
	assert_int_equal(hv.guests[1].state, GUEST_RUNNABLE);
}

static void test_write_to_the_hole_during_event_delivery_stops_the_guest(void **state)
{
	(void)state;
	fake_vmcs_set(IDT_VECTORING_INFO, 0x80000000u | (3u << 8) | 13);
	assert_int_equal(rom_write(0xa0ffc, "\x90", 1), EXIT_STOPPED);
	assert_true(host_log_has("(write to the PC hole: during event delivery)"));
}

/* A fetch from the hole (not executable) or a write outside RAM still stops the guest as before. */
static void test_fetch_from_the_hole_and_writes_outside_ram_stop(void **state)
{
	(void)state;
	fake_vmcs_set(GUEST_PHYSICAL_ADDRESS, 0xf0000);
	assert_int_equal(host_exit(v, EXIT_REASON_EPT_VIOLATION, 0x4 | 0x180, 0), EXIT_STOPPED);
	assert_true(host_log_has("hv: guest a stopped: EPT violation at GPA 0xf0000 (instruction fetch)"));
	v = host_vcpu(1);
	fake_vmcs_set(GUEST_PHYSICAL_ADDRESS, 0x40000000);
	assert_int_equal(host_exit(v, EXIT_REASON_EPT_VIOLATION, EPTQ_WRITE_DATA, 0), EXIT_STOPPED);
	assert_true(host_log_has("hv: guest b stopped: EPT violation at GPA 0x40000000 (write)"));
}

/* ---- the virtual COM ports ------------------------------------------------- */

static void test_virtual_com1_output_is_tagged_in_the_log(void **state)
{
	(void)state;
	assert_int_equal(hv.guests[0].com_virtual, 0xf);
	assert_int_equal(host_port_in(v, 0x3fd), 0x60);                   /* LSR: THRE, TEMT */
	host_port_out(v, 0x3ff, 0x5a);
	assert_int_equal(host_port_in(v, 0x3ff), 0x5a);                   /* scratch: a UART is there */
	for (const char *p = "hi from com1\n"; *p; p++)
		host_port_out(v, 0x3f8, (uint8_t)*p);
	assert_true(host_log_has("[a] hi from com1\n"));
	assert_int_equal(fake.machine_reset_writes, 0);
	/* COM4 too, on the same console. */
	for (const char *p = "com4\n"; *p; p++)
		host_port_out(v, 0x2e8, (uint8_t)*p);
	assert_true(host_log_has("[a] com4\n"));
}

/* The THRE interrupt reaches the guest's virtual 8259 on IRQ 4 only with OUT2, and IIR resets it. */
static void test_thre_interrupt_through_the_virtual_pic(void **state)
{
	struct vpic *pic = &hv.guests[0].pic;

	(void)state;
	host_port_out(v, 0x20, 0x11); host_port_out(v, 0x21, 0x20); host_port_out(v, 0x21, 0x04); host_port_out(v, 0x21, 0x01);
	host_port_out(v, 0x21, 0xef);                                     /* IRQ 4 only */
	host_port_out(v, 0x3f9, 0x02);                                    /* IER: THRE */
	assert_false(vpic_has_interrupt(pic));                   /* OUT2 clear: no line */
	assert_int_equal(host_port_in(v, 0x3fa), 0x02);                   /* IIR: THRE (read resets it) */
	host_port_out(v, 0x3f9, 0x00);
	host_port_out(v, 0x3fc, 0x08);                                    /* MCR: OUT2 */
	host_port_out(v, 0x3f9, 0x02);
	assert_true(vpic_has_interrupt(pic));
	assert_int_equal(vpic_ack(pic), 0x24);
	assert_int_equal(host_port_in(v, 0x3fa), 0x02);
	host_port_out(v, 0x20, 0x20);                                     /* EOI */
	assert_false(vpic_has_interrupt(pic));
	host_port_out(v, 0x3f8, '\n');                                    /* THR emptied again: a new edge */
	assert_true(vpic_has_interrupt(pic));
}

/* A word access at the UART's last port: the byte past it (0x400, Bochs' panic port) is no UART's. */
static void test_wide_access_past_a_uart_reads_ones_and_writes_nothing(void **state)
{
	(void)state;
	host_port_out(v, 0x3ff, 0x5a);
	assert_int_equal(host_exit(v, EXIT_REASON_IO_INSTRUCTION, (0x3ffull << 16) | 8 | 1, 1), EXIT_RESUME);
	assert_int_equal(v->regs.rax & 0xffff, 0xff5a);
	v->regs.rax = 0x1234;
	assert_int_equal(host_exit(v, EXIT_REASON_IO_INSTRUCTION, (0x3ffull << 16) | 1, 1), EXIT_RESUME);
	assert_int_equal(host_port_in(v, 0x3ff), 0x34);
}

/* A guest that owns COM1 keeps the physical port; COM2-COM4 are virtual. */
static void test_owned_com1_is_not_virtual(void **state)
{
	(void)state;
	host_teardown();
	host_boot(HV GA "devices = com1\n" GB);
	assert_int_equal(hv.guests[0].com_virtual, 0xe);
	assert_null(vdev_lookup(&hv.guests[0], 0x3f8));
	assert_non_null(vdev_lookup(&hv.guests[0], 0x3e8));
	assert_non_null(vdev_lookup(&hv.guests[1], 0x3f8));
}

/* ---- resets ------------------------------------------------------------------ */

static void set_rax(struct vcpu *vc, void *arg)
{
	vc->regs.rax = (uintptr_t)arg;
}

static struct fake_exit out_exit(uint16_t port, uint8_t val)
{
	return (struct fake_exit){ .reason = EXIT_REASON_IO_INSTRUCTION, .qual = (uint64_t)port << 16,
				   .insn_len = 1, .before = set_rax, .arg = (void *)(uintptr_t)val };
}

static void set_if_off(struct vcpu *vc, void *arg)
{
	(void)vc, (void)arg;
	fake_vmcs_set(GUEST_RFLAGS, fake_vmcs_get(GUEST_RFLAGS) & ~RFLAGS_IF);
}

static struct fake_exit hlt_off(void)
{
	return (struct fake_exit){ .reason = EXIT_REASON_HLT, .insn_len = 1, .before = set_if_off };
}

/* Three resets, one of each kind, restart the guest three times; the machine is never touched. */
static void test_resets_restart_only_the_guest(void **state)
{
	(void)state;
	host_teardown();
	host_boot(HV GA "restart = yes\n");
	host_script(out_exit(0x64, 0xfe));                             /* 8042: pulse the reset line */
	host_script(out_exit(0x64, 0xd1));                             /* 8042: write the output port... */
	host_script(out_exit(0x60, 0xfe));                             /* ...with the reset bit clear */
	host_script(out_exit(0xcf9, 0x02));                            /* SYS_RST alone: nothing yet */
	host_script(out_exit(0xcf9, 0x06));                            /* RST_CPU */
	host_script(hlt_off());
	assert_true(host_run());
	assert_true(host_log_has("hv: guest a stopped: reset by the guest (8042)"));
	assert_true(host_log_has("hv: guest a restarted (boot 2)"));
	assert_true(host_log_has("hv: guest a restarted (boot 3)"));
	assert_true(host_log_has("hv: guest a stopped: reset by the guest (0xcf9)"));
	assert_true(host_log_has("hv: guest a restarted (boot 4)"));
	assert_true(host_log_has("hv: guest a halted with interrupts off"));
	assert_int_equal(hv.guests[0].boots, 4);
	assert_int_equal(fake.machine_reset_writes, 0);
}

/* With restart = no the guest stays stopped, named by how it reset; the other goes on. */
static void test_reset_without_restart_stops_the_guest(void **state)
{
	(void)state;
	host_port_out(v, 0xcf9, 0x02);
	assert_int_equal(host_port_in(v, 0xcf9), 0x02);                   /* SYS_RST reads back */
	v->regs.rax = 0x0e;
	assert_int_equal(host_exit(v, EXIT_REASON_IO_INSTRUCTION, 0xcf9ull << 16, 1), EXIT_STOPPED);
	assert_int_equal(hv.guests[0].state, GUEST_STOPPED);
	assert_string_equal(hv.guests[0].stop_reason, "reset by the guest (0xcf9)");
	assert_false(hv.guests[0].sched.restart_due);
	assert_int_equal(hv.guests[1].state, GUEST_RUNNABLE);
	assert_int_equal(fake.machine_reset_writes, 0);
}

/* A 32-bit access at 0xcf8 is still CONFIG_ADDRESS, not the reset register. */
static void test_dword_at_0xcf8_stays_pci(void **state)
{
	(void)state;
	v->regs.rax = 0x80000004;
	assert_int_equal(host_exit(v, EXIT_REASON_IO_INSTRUCTION, (0xcf8ull << 16) | 3, 1), EXIT_RESUME);
	assert_int_equal(hv.guests[0].pci_addr, 0x80000004);
	assert_int_equal(hv.guests[0].state, GUEST_RUNNABLE);
}

/* The 8042's status reads empty buffers; A20 commands change nothing. */
static void test_virtual_8042_status_and_a20(void **state)
{
	(void)state;
	assert_int_equal(host_port_in(v, 0x64) & 3, 0);
	host_port_out(v, 0x64, 0xdf);                                     /* A20 on */
	host_port_out(v, 0x64, 0xd1);
	host_port_out(v, 0x60, 0xdf);                                     /* output port, reset line high */
	assert_int_equal(hv.guests[0].state, GUEST_RUNNABLE);
	host_port_out(v, 0x64, 0xaa);
	assert_int_equal(host_port_in(v, 0x64) & 1, 1);
	assert_int_equal(host_port_in(v, 0x60), 0x55);
	assert_int_equal(fake.machine_reset_writes, 0);
}

/* A guest that owns 0x60 reads the physical status register; its reset still resets only it. */
static void test_owner_of_port_0x60_reads_the_physical_status(void **state)
{
	(void)state;
	host_teardown();
	host_boot(HV GA "ports = 0x60\n" GB);
	v = host_vcpu(0);
	assert_int_equal(host_port_in(v, 0x64), 0xff);                    /* the fake machine's 8042 */
	v = host_vcpu(1);
	assert_int_equal(host_port_in(v, 0x64), 0x14);                    /* the virtual one */
	v = host_vcpu(0);
	v->regs.rax = 0xfe;
	assert_int_equal(host_exit(v, EXIT_REASON_IO_INSTRUCTION, 0x64ull << 16, 1), EXIT_STOPPED);
	assert_int_equal(fake.machine_reset_writes, 0);
}

/* A reset the guest asked for keeps its CMOS (battery-backed); a restart after a fault does not. */
static void test_guest_reset_keeps_the_cmos(void **state)
{
	struct guest *g;

	(void)state;
	host_teardown();
	host_boot(HV GA "restart = yes\n");
	g = &hv.guests[0];
	v = host_vcpu(0);
	host_port_out(v, 0x70, 0x50);
	host_port_out(v, 0x71, 0x42);
	v->regs.rax = 0xfe;
	assert_int_equal(host_exit(v, EXIT_REASON_IO_INSTRUCTION, 0x64ull << 16, 1), EXIT_STOPPED);
	assert_int_equal(guest_restart(g), 0);
	v = host_vcpu(0);
	host_port_out(v, 0x70, 0x50);
	assert_int_equal(host_port_in(v, 0x71), 0x42);
	/* Now a fault: the next boot's CMOS is fresh. */
	fake_vmcs_set(GUEST_PHYSICAL_ADDRESS, 0x40000000);
	assert_int_equal(host_exit(v, EXIT_REASON_EPT_VIOLATION, EPTQ_WRITE_DATA, 0), EXIT_STOPPED);
	assert_int_equal(guest_restart(g), 0);
	v = host_vcpu(0);
	host_port_out(v, 0x70, 0x50);
	assert_int_equal(host_port_in(v, 0x71), 0x00);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, host_cmocka_teardown)
	const struct CMUnitTest tests[] = {
		T(test_hole_is_one_read_only_zero_page_in_every_guest),
		T(test_vga_owner_maps_the_text_buffer),
		T(test_mov_to_the_hole_is_dropped_and_skipped),
		T(test_rep_stos_into_the_hole_takes_one_exit_per_page),
		T(test_rep_stos_from_mid_page_and_downwards),
		T(test_movs_and_stos_without_rep),
		T(test_64bit_mov_into_the_hole),
		T(test_unknown_instruction_writing_the_hole_stops_the_guest),
		T(test_write_to_the_hole_during_event_delivery_stops_the_guest),
		T(test_fetch_from_the_hole_and_writes_outside_ram_stop),
		T(test_virtual_com1_output_is_tagged_in_the_log),
		T(test_thre_interrupt_through_the_virtual_pic),
		T(test_wide_access_past_a_uart_reads_ones_and_writes_nothing),
		T(test_owned_com1_is_not_virtual),
		T(test_resets_restart_only_the_guest),
		T(test_reset_without_restart_stops_the_guest),
		T(test_dword_at_0xcf8_stays_pci),
		T(test_virtual_8042_status_and_a20),
		T(test_owner_of_port_0x60_reads_the_physical_status),
		T(test_guest_reset_keeps_the_cmos),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
