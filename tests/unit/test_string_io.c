/*
 * String I/O on emulated ports, on the host (tests/unit/hvhost): INS and
 * OUTS with and without REP through the guest's segments, paging and EPT
 * (hv/exit_io.c, hv/gmem.c). Every test ends with the SDM's VM-entry
 * checks on the state the next entry would see. Issue 9 item 3.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "exit.h"
#include "gwalk.h"
#include "insn.h"
#include "vmx.h"

#define CFG1 "[hv]\ntrace = off\n[guest a]\nimage = \\a.elf\nmemory = 4M\n"

#define PF_INJECTED  (0x80000000u | (3u << 8) | (1u << 11) | EXC_PF)
#define GP_INJECTED  (0x80000000u | (3u << 8) | (1u << 11) | EXC_GP)
#define DB_INJECTED  (0x80000000u | (3u << 8) | EXC_DB)
#define RIP0         0x100020u

/* Exit qualification of an I/O instruction. */
#define IOQ(port, size, in, rep) (((uint64_t)(port) << 16) | ((size) - 1) | ((in) ? 8u : 0) | 0x10u | \
				  ((rep) ? 0x20u : 0))
/* VM-exit instruction information for INS/OUTS: address size 0/1/2, segment. */
#define IOI(asz, seg) (((uint32_t)(asz) << 7) | ((uint32_t)(seg) << 15))

static struct vcpu *v;

static int setup(void **state)
{
	(void)state;
	host_boot(CFG1);
	v = host_vcpu(0);
	return 0;
}

static uint8_t *ram(uint64_t gpa) { return host_gpa(0, gpa); }

/* One string I/O exit of guest 0 (32-bit addresses, DS unless told), then the entry checks. */
static int string_io(uint16_t port, unsigned size, bool in, bool rep, uint32_t info)
{
	int act;

	fake_vmcs_set(GUEST_RIP, RIP0);
	fake_vmcs_set(VM_EXIT_INSTRUCTION_INFO, info);
	act = host_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(port, size, in, rep), 2);
	if (act != EXIT_STOPPED) {
		const char *rule = fake_vmcheck();
		if (rule)
			print_error("the next VM entry would fail: %s\n", rule);
		assert_null(rule);
	}
	return act;
}

/* ---- OUTS/INS with paging off (the Multiboot state) ------------------------- */

static void test_rep_outsb_to_the_console(void **state)
{
	(void)state;
	memcpy(ram(0x2000), "hello from rep outsb\n", 21);
	v->regs.rsi = 0x2000;
	v->regs.rcx = 21;
	assert_int_equal(string_io(0xe9, 1, false, true, IOI(1, INSN_DS)), EXIT_RESUME);
	assert_true(host_log_has("[a] hello from rep outsb\n"));
	assert_int_equal(v->regs.rsi, 0x2015);
	assert_int_equal(v->regs.rcx, 0);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 2);
}

static void test_outs_without_rep_moves_one_element(void **state)
{
	(void)state;
	memcpy(ram(0x2000), "xy", 2);
	v->regs.rsi = 0x2000;
	v->regs.rcx = 99;
	assert_int_equal(string_io(0xe9, 1, false, false, IOI(1, INSN_DS)), EXIT_RESUME);
	assert_int_equal(v->regs.rsi, 0x2001);
	assert_int_equal(v->regs.rcx, 99);                        /* no REP: RCX untouched */
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 2);
}

/* rep insb from an emulated port: the virtual COM1 in loopback gives back what rep outsb sent. */
static void test_rep_insb_reads_what_the_virtual_uart_looped_back(void **state)
{
	(void)state;
	host_port_out(v, 0x3fa, 0x01);                                    /* FCR: FIFOs on */
	host_port_out(v, 0x3fc, 0x10);                                    /* MCR: loopback */
	memcpy(ram(0x2000), "0123456789abcdef", 16);
	v->regs.rsi = 0x2000;
	v->regs.rcx = 16;
	assert_int_equal(string_io(0x3f8, 1, false, true, IOI(1, INSN_DS)), EXIT_RESUME);
	assert_int_equal(host_port_in(v, 0x3fd) & 1, 1);                  /* LSR: data ready */
	v->regs.rdi = 0x3000;
	v->regs.rcx = 16;
	assert_int_equal(string_io(0x3f8, 1, true, true, IOI(1, 0)), EXIT_RESUME);
	assert_memory_equal(ram(0x3000), "0123456789abcdef", 16);
	assert_int_equal(v->regs.rdi, 0x3010);
	assert_int_equal(host_port_in(v, 0x3fd) & 1, 0);
}

/* At most 4 KiB per exit: RIP stays on the instruction with RCX/RSI left for the rest. */
static void test_long_rep_is_cut_into_bounded_exits(void **state)
{
	unsigned exits = 0;

	(void)state;
	memset(ram(0x10000), 'z', 10000);
	v->regs.rsi = 0x10000;
	v->regs.rcx = 10000;
	while (v->regs.rcx) {
		uint64_t before = v->regs.rcx;
		assert_int_equal(string_io(0x3e0, 1, false, true, IOI(1, INSN_DS)), EXIT_RESUME);
		exits++;
		assert_true(before - v->regs.rcx <= 4096);
		assert_int_equal(fake_vmcs_get(GUEST_RIP), v->regs.rcx ? RIP0 : RIP0 + 2);
	}
	assert_int_equal(exits, 3);
	assert_int_equal(v->regs.rsi, 0x10000 + 10000);
	/* A refused port: one line per exit, every element counted. */
	assert_int_equal(hv.guests[0].io_refusals, 10000);
}

static void test_rep_with_zero_count_completes(void **state)
{
	(void)state;
	v->regs.rsi = 0x2000;
	v->regs.rcx = 0;
	assert_int_equal(string_io(0xe9, 1, false, true, IOI(1, INSN_DS)), EXIT_RESUME);
	assert_int_equal(v->regs.rsi, 0x2000);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 2);
}

static void test_direction_flag_walks_down(void **state)
{
	(void)state;
	memcpy(ram(0x2000), "\ncba", 4);
	v->regs.rsi = 0x2003;
	v->regs.rcx = 4;
	fake_vmcs_set(GUEST_RFLAGS, fake_vmcs_get(GUEST_RFLAGS) | RFLAGS_DF);
	assert_int_equal(string_io(0xe9, 1, false, true, IOI(1, INSN_DS)), EXIT_RESUME);
	assert_true(host_log_has("[a] abc\n"));
	assert_int_equal(v->regs.rsi, 0x1fff);
}

/* 16-bit addresses: SI wraps at 64 KiB and the upper bits of RSI and RCX stay. */
static void test_16bit_address_size_wraps_si(void **state)
{
	(void)state;
	memcpy(ram(0xfffe), "ab", 2);
	memcpy(ram(0x0), "c\n", 2);
	v->regs.rsi = 0xabcd0000fffeull;
	v->regs.rcx = 0x55550004ull;
	assert_int_equal(string_io(0xe9, 1, false, true, IOI(0, INSN_DS)), EXIT_RESUME);
	assert_true(host_log_has("[a] abc\n"));
	assert_int_equal(v->regs.rsi, 0xabcd00000002ull);
	assert_int_equal(v->regs.rcx, 0x55550000ull);
}

/* Without the instruction information (IA32_VMX_BASIC bit 54), the hv decodes the instruction. */
static void no_ins_outs_info(void)
{
	fake_set_msr(MSR_IA32_VMX_BASIC, fake_get_msr(MSR_IA32_VMX_BASIC) & ~(1ull << 54));
}

static void test_segment_override_found_by_decoding(void **state)
{
	(void)state;
	host_teardown();
	host_tweak = no_ins_outs_info;
	host_boot(CFG1);
	host_tweak = NULL;
	v = host_vcpu(0);
	memcpy(ram(RIP0), "\x64\xf3\x6e", 3);                     /* fs rep outsb */
	memcpy(ram(0x3000), "fs!\n", 4);
	fake_vmcs_set(GUEST_FS_BASE, 0x1000);
	v->regs.rsi = 0x2000;
	v->regs.rcx = 4;
	assert_int_equal(string_io(0xe9, 1, false, true, 0xffffffffu), EXIT_RESUME);
	assert_true(host_log_has("[a] fs!\n"));
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0 + 2);    /* the exit's length */
}

static void test_segment_limit_violation_raises_gp(void **state)
{
	(void)state;
	fake_vmcs_set(GUEST_DS_LIMIT, 0xfff);
	v->regs.rsi = 0xfff;
	v->regs.rcx = 4;
	memcpy(ram(0xfff), "q", 1);
	/* outsw: the word at 0xfff runs past the limit: #GP(0), nothing done. */
	assert_int_equal(string_io(0xe9, 2, false, true, IOI(1, INSN_DS)), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), GP_INJECTED);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_EXCEPTION_ERROR_CODE), 0);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0);
	assert_int_equal(v->regs.rcx, 4);
}

static void test_ins_into_a_read_only_data_segment_raises_gp(void **state)
{
	(void)state;
	fake_vmcs_set(GUEST_ES_AR_BYTES, 0xc091);                 /* data, read-only */
	v->regs.rdi = 0x2000;
	assert_int_equal(string_io(0x71, 1, true, false, IOI(1, 0)), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), GP_INJECTED);
}

/* A data buffer outside the guest's RAM: the CPU would take an EPT violation; the guest stops. */
static void test_buffer_outside_ram_stops_the_guest(void **state)
{
	(void)state;
	v->regs.rsi = 0x800000;
	v->regs.rcx = 1;
	assert_int_equal(string_io(0xe9, 1, false, true, IOI(1, INSN_DS)), EXIT_STOPPED);
	assert_true(host_log_has("hv: guest a: OUTS on port 0xe9: GPA 0x800000 is outside its memory"));
	assert_true(host_log_has("hv: guest a stopped: EPT violation at GPA 0x800000 (string I/O read)"));
}

/* INS into the PC hole: the bytes go nowhere (a ROM), the zero page stays zero. */
static void test_ins_into_the_pc_hole_is_dropped(void **state)
{
	const uint8_t *zero = hv.zero_page;

	(void)state;
	host_port_out(v, 0x70, 0x0a);                                     /* CMOS status A: 0x26 */
	v->regs.rdi = 0xf0000;
	v->regs.rcx = 8;
	assert_int_equal(string_io(0x71, 1, true, true, IOI(1, 0)), EXIT_RESUME);
	assert_int_equal(v->regs.rdi, 0xf0008);
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(zero[i], 0);
	assert_int_equal(hv.guests[0].rom_writes, 8);
	/* And reading the hole gives zeros. */
	v->regs.rdi = 0x3000;
	memset(ram(0x3000), 0x77, 8);
	host_port_out(v, 0x3fc, 0x10);                                    /* COM1 loopback */
	v->regs.rsi = 0xe0000;
	v->regs.rcx = 1;
	assert_int_equal(string_io(0x3f8, 1, false, true, IOI(1, INSN_DS)), EXIT_RESUME);
	assert_int_equal(host_port_in(v, 0x3f8), 0);
}

/* Single-stepping a REP string instruction: one element, then the trap. */
static void test_single_step_moves_one_element_per_exit(void **state)
{
	(void)state;
	memcpy(ram(0x2000), "ab\n", 3);
	v->regs.rsi = 0x2000;
	v->regs.rcx = 3;
	fake_vmcs_set(GUEST_RFLAGS, fake_vmcs_get(GUEST_RFLAGS) | RFLAGS_TF);
	assert_int_equal(string_io(0xe9, 1, false, true, IOI(1, INSN_DS)), EXIT_RESUME);
	assert_int_equal(v->regs.rcx, 2);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), DB_INJECTED);
}

/* OUTS to the exit port ends the guest with the byte as its status. */
static void test_outs_to_the_exit_port_ends_the_guest(void **state)
{
	(void)state;
	ram(0x2000)[0] = 3;
	v->regs.rsi = 0x2000;
	v->regs.rcx = 5;
	assert_int_equal(string_io(0xf4, 1, false, true, IOI(1, INSN_DS)), EXIT_STOPPED);
	assert_true(host_log_has("hv: guest a exited with status 3"));
}

/* ---- 64-bit mode with 4-level paging ----------------------------------------- */

/* 4-level tables at 0x10000: the first 4 MiB identity-mapped with 2 MiB pages, nothing else. */
static void long_mode_identity_4m(void)
{
	uint64_t cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG | CR0_WP;
	uint64_t e[3] = { 0x11000 | 3, 0x12000 | 3, 0 };

	memcpy(ram(0x10000), &e[0], 8);
	memcpy(ram(0x11000), &e[1], 8);
	e[0] = 0x000000 | 0x83, e[1] = 0x200000 | 0x83;
	memcpy(ram(0x12000), e, 16);
	host_long_mode(cr0, 0x10000, true);
}

static void test_64bit_rep_outsb_through_the_guest_page_tables(void **state)
{
	uint64_t pde;

	(void)state;
	long_mode_identity_4m();
	memcpy(ram(0x300000), "long mode\n", 10);
	v->regs.rsi = 0x300000;
	v->regs.rcx = 10;
	assert_int_equal(string_io(0xe9, 1, false, true, IOI(2, INSN_DS)), EXIT_RESUME);
	assert_true(host_log_has("[a] long mode\n"));
	assert_int_equal(v->regs.rsi, 0x30000a);
	/* The walk marked the page accessed, as the CPU would. */
	memcpy(&pde, ram(0x12008), 8);
	assert_int_equal(pde & 0x20, 0x20);
}

/* A #PF in the middle of rep insb: the elements before it are done, CR2 and the error code as the CPU gives them. */
static void test_page_fault_mid_rep_is_injected_at_that_element(void **state)
{
	uint64_t pde;

	(void)state;
	long_mode_identity_4m();
	host_port_out(v, 0x70, 0x0a);
	v->regs.rdi = 0x3ffff8;                                   /* 8 bytes before the unmapped 4 MiB */
	v->regs.rcx = 32;
	assert_int_equal(string_io(0x71, 1, true, true, IOI(2, 0)), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), PF_INJECTED);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_EXCEPTION_ERROR_CODE), PF_W);   /* not present, write, CPL 0 */
	assert_int_equal(fake.cr2, 0x400000);
	assert_int_equal(v->regs.rdi, 0x400000);
	assert_int_equal(v->regs.rcx, 24);
	assert_int_equal(fake_vmcs_get(GUEST_RIP), RIP0);
	assert_int_equal(ram(0x3ffff8)[0], 0x26);                 /* CMOS status A */
	/* The write set the dirty flag of the 2 MiB page. */
	memcpy(&pde, ram(0x12008), 8);
	assert_int_equal(pde & 0x60, 0x60);
}

/* Ring 3: INS into a supervisor page is a protection #PF with the U bit; the port is not read. */
static void test_user_ins_into_a_supervisor_page_faults_with_u(void **state)
{
	uint64_t pde = 0x200000 | 0x83;                          /* present, writable, supervisor */

	(void)state;
	long_mode_identity_4m();
	memcpy(ram(0x12008), &pde, 8);
	fake_vmcs_set(GUEST_CS_SELECTOR, 0x1b);
	fake_vmcs_set(GUEST_CS_AR_BYTES, HOST_AR_CODE64 | 0x60);       /* DPL 3 */
	fake_vmcs_set(GUEST_SS_SELECTOR, 0x23);
	fake_vmcs_set(GUEST_SS_AR_BYTES, 0xc0f3);                 /* DPL 3: CPL 3 */
	/* The upper levels allow user access (bit 2); the 2 MiB page does not. */
	uint64_t e0 = 0x11000 | 7, e1 = 0x12000 | 7;
	memcpy(ram(0x10000), &e0, 8);
	memcpy(ram(0x11000), &e1, 8);
	host_port_out(v, 0x70, 0x0a);
	v->regs.rdi = 0x300000;
	v->regs.rcx = 2;
	ram(0x300000)[0] = 0x77;
	assert_int_equal(string_io(0x71, 1, true, true, IOI(2, 0)), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), PF_INJECTED);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_EXCEPTION_ERROR_CODE), PF_P | PF_W | PF_U);
	assert_int_equal(v->regs.rcx, 2);
	assert_int_equal(ram(0x300000)[0], 0x77);
}

static void test_noncanonical_address_raises_gp(void **state)
{
	(void)state;
	long_mode_identity_4m();
	v->regs.rsi = 0x0000800000000000ull;
	v->regs.rcx = 1;
	assert_int_equal(string_io(0xe9, 1, false, true, IOI(2, INSN_DS)), EXIT_RESUME);
	assert_int_equal(fake_vmcs_get(VM_ENTRY_INTR_INFO), GP_INJECTED);
}

/* In 64-bit mode DS's base counts for nothing, GS's does. */
static void test_64bit_segment_bases(void **state)
{
	(void)state;
	long_mode_identity_4m();
	fake_vmcs_set(GUEST_DS_BASE, 0x100000);
	fake_vmcs_set(GUEST_GS_BASE, 0x200000);
	memcpy(ram(0x1000), "ds\n", 3);
	v->regs.rsi = 0x1000;
	v->regs.rcx = 3;
	assert_int_equal(string_io(0xe9, 1, false, true, IOI(2, INSN_DS)), EXIT_RESUME);
	assert_true(host_log_has("[a] ds\n"));
	memcpy(ram(0x201000), "gs\n", 3);
	v->regs.rsi = 0x1000;
	v->regs.rcx = 3;
	assert_int_equal(string_io(0xe9, 1, false, true, IOI(2, INSN_GS)), EXIT_RESUME);
	assert_true(host_log_has("[a] gs\n"));
}

/* Page tables outside the guest's RAM: the CPU's walk would take an EPT violation. */
static void test_page_table_outside_ram_stops_the_guest(void **state)
{
	(void)state;
	long_mode_identity_4m();
	fake_vmcs_set(GUEST_CR3, 0x800000);
	v->regs.rsi = 0x1000;
	v->regs.rcx = 1;
	assert_int_equal(string_io(0xe9, 1, false, true, IOI(2, INSN_DS)), EXIT_STOPPED);
	assert_true(host_log_has("GPA 0x800000 (a paging structure) is outside its memory"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, host_cmocka_teardown)
	const struct CMUnitTest tests[] = {
		T(test_rep_outsb_to_the_console),
		T(test_outs_without_rep_moves_one_element),
		T(test_rep_insb_reads_what_the_virtual_uart_looped_back),
		T(test_long_rep_is_cut_into_bounded_exits),
		T(test_rep_with_zero_count_completes),
		T(test_direction_flag_walks_down),
		T(test_16bit_address_size_wraps_si),
		T(test_segment_override_found_by_decoding),
		T(test_segment_limit_violation_raises_gp),
		T(test_ins_into_a_read_only_data_segment_raises_gp),
		T(test_buffer_outside_ram_stops_the_guest),
		T(test_ins_into_the_pc_hole_is_dropped),
		T(test_single_step_moves_one_element_per_exit),
		T(test_outs_to_the_exit_port_ends_the_guest),
		T(test_64bit_rep_outsb_through_the_guest_page_tables),
		T(test_page_fault_mid_rep_is_injected_at_that_element),
		T(test_user_ins_into_a_supervisor_page_faults_with_u),
		T(test_noncanonical_address_raises_gp),
		T(test_64bit_segment_bases),
		T(test_page_table_outside_ram_stops_the_guest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
