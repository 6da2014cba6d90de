/*
 * Unit tests for the PCI configuration filter (hv/vpci_filter.c), driven
 * through the guest's ports (0xcf8-0xcff) against a fake configuration
 * space: a PIIX3 (or PIIX4) IDE function at 00:01.1 shared by owner A
 * (ide0, the primary channel) and owner B (ide1, the secondary channel),
 * its ISA bridge at 00:01.0, and a guest C that owns neither. The fake
 * records every physical write, so each test can say what reached the
 * device and what did not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vpci_filter.h"

#define FN0   0x0800u           /* 00:01.0 ISA bridge */
#define IDE   0x0900u           /* 00:01.1 IDE */
#define HOST  0x0000u           /* 00:00.0 host bridge: exists, owned by nobody */
#define CFC   VPCI_DATA_PORT

enum { A, B, C };               /* owner slots: ide0, ide1, neither */

static struct {
	uint8_t host[256], fn0[256], ide[256];
	struct { uint32_t bdf; unsigned reg; uint8_t val; } w[512];
	unsigned nw;
} hw;

static struct vpci_filter f;
static uint32_t addr[3];        /* each guest's CONFIG_ADDRESS */

static uint8_t *fn_bytes(uint32_t bdf)
{
	return bdf == FN0 ? hw.fn0 : bdf == IDE ? hw.ide : bdf == HOST ? hw.host : NULL;
}

static uint8_t fake_read8(void *ctx, uint32_t bdf, unsigned reg)
{
	uint8_t *b = fn_bytes(bdf);

	assert_true(reg < 256);
	return b ? b[reg] : 0xff;
}

static void fake_write8(void *ctx, uint32_t bdf, unsigned reg, uint8_t val)
{
	uint8_t *b = fn_bytes(bdf);

	assert_true(reg < 256);
	assert_true(hw.nw < 512);
	hw.w[hw.nw].bdf = bdf;
	hw.w[hw.nw].reg = reg;
	hw.w[hw.nw++].val = val;
	if (b)
		b[reg] = val;
}

static const struct vpci_filter_ops fake_ops = { fake_read8, fake_write8, NULL };

static void put16(uint8_t *b, unsigned reg, uint16_t v)
{
	b[reg] = (uint8_t)v;
	b[reg + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, unsigned reg, uint32_t v)
{
	put16(b, reg, (uint16_t)v);
	put16(b, reg + 2, (uint16_t)(v >> 16));
}

static uint16_t phys16(unsigned reg)
{
	return (uint16_t)(hw.ide[reg] | hw.ide[reg + 1] << 8);
}

static uint32_t phys32(unsigned reg)
{
	return phys16(reg) | (uint32_t)phys16(reg + 2) << 16;
}

/* Physical writes to IDE offsets lo..hi since the setup. */
static unsigned phys_writes(unsigned lo, unsigned hi)
{
	unsigned n = 0;

	for (unsigned i = 0; i < hw.nw; i++)
		if (hw.w[i].bdf == IDE && hw.w[i].reg >= lo && hw.w[i].reg <= hi)
			n++;
	return n;
}

/* The machine as firmware left it: IDE decode on for both channels, I/O and bus master on. */
static void machine(uint16_t ide_device)
{
	memset(&hw, 0, sizeof(hw));
	put32(hw.host, 0, 0x12378086);
	put32(hw.fn0, 0, 0x70008086);
	put32(hw.fn0, 8, 0x06010000);
	hw.fn0[0x0e] = 0x80;                    /* multi-function */
	put16(hw.ide, 0, 0x8086);
	put16(hw.ide, 2, ide_device);
	put16(hw.ide, 0x04, 0x0005);            /* I/O space, bus master */
	put16(hw.ide, 0x06, 0x0280);            /* medium DEVSEL, fast back-to-back */
	put32(hw.ide, 0x08, 0x01018000);
	hw.ide[0x0d] = 0x40;                    /* latency timer */
	put32(hw.ide, 0x20, 0x0000c001);        /* BAR4: bus master at 0xc000 */
	put16(hw.ide, 0x40, 0x8000);            /* IDETIM primary: decode on */
	put16(hw.ide, 0x42, 0x8000);            /* IDETIM secondary: decode on */
	hw.ide[0x44] = 0x00;
	vpci_filter_init(&f, &fake_ops, IDE);
	vpci_filter_owner_reset(&f, A, VPCI_CHAN_PRI);
	vpci_filter_owner_reset(&f, B, VPCI_CHAN_SEC);
	vpci_filter_owner_reset(&f, C, 0);
	memset(addr, 0, sizeof(addr));
	hw.nw = 0;
}

static int setup_piix3(void **state)
{
	machine(0x7010);
	return 0;
}

static int setup_piix4(void **state)
{
	machine(0x7111);
	return 0;
}

static struct vpci_filter_result out(unsigned o, uint16_t port, unsigned size, uint32_t val)
{
	struct vpci_filter_result r;

	vpci_filter_out(&f, o, &addr[o], port, size, val, &r);
	return r;
}

static uint32_t in(unsigned o, uint16_t port, unsigned size)
{
	return vpci_filter_in(&f, o, addr[o], port, size);
}

/* Selects bdf's register dword that holds reg (a 32-bit write to 0xcf8). */
static void sel(unsigned o, uint32_t bdf, unsigned reg)
{
	struct vpci_filter_result r = out(o, VPCI_ADDR_PORT, 4, VPCI_ENABLE | bdf | (reg & 0xfc));

	assert_int_equal(r.denied, 0);
}

static uint32_t rd(unsigned o, uint32_t bdf, unsigned reg, unsigned size)
{
	sel(o, bdf, reg);
	return in(o, (uint16_t)(CFC + (reg & 3)), size);
}

static struct vpci_filter_result wr(unsigned o, uint32_t bdf, unsigned reg, unsigned size, uint32_t val)
{
	sel(o, bdf, reg);
	return out(o, (uint16_t)(CFC + (reg & 3)), size, val);
}

/* ---- the accesses from the issue ---- */

static void test_unaligned_dword_at_cfd_never_reaches_bar0(void **state)
{
	uint32_t bar0 = phys32(0x10);
	struct vpci_filter_result r;

	/* Register 0x0c, 4 bytes at 0xcfd: configuration bytes 0x0d-0x0f; the fourth byte is port 0xd00. */
	sel(A, IDE, 0x0c);
	r = out(A, 0xcfd, 4, 0xdeadbeef);
	assert_int_equal(phys32(0x10), bar0);
	assert_int_equal(phys_writes(0x0c, 0x13), 0);
	assert_int_equal(hw.ide[0x0d], 0x40);
	assert_int_equal(r.denied, 4);          /* 3 header bytes, 1 past the window */
	assert_int_equal(r.bdf, IDE);
	assert_int_equal(r.reg, 0x0d);
	assert_int_equal(r.val, 0xef);
	assert_string_equal(r.why, "header");
	assert_int_equal(hw.nw, 0);
}

static void test_unaligned_dword_at_cff_writes_no_configuration_byte_but_its_own(void **state)
{
	struct vpci_filter_result r;

	/* BAR0's dword, 4 bytes at 0xcff: only BAR0's top byte is a configuration byte. */
	sel(A, IDE, 0x10);
	r = out(A, 0xcff, 4, 0x44332211);
	assert_int_equal(hw.nw, 0);
	assert_int_equal(r.denied, 4);
	assert_int_equal(r.reg, 0x13);
	assert_int_equal(r.val, 0x11);
	assert_string_equal(r.why, "BAR");
	/* The header dword, 4 bytes at 0xcff: BIST; nothing reaches BAR0. */
	sel(A, IDE, 0x0c);
	r = out(A, 0xcff, 4, 0x000000ff);
	assert_int_equal(hw.nw, 0);
	assert_int_equal(r.reg, 0x0f);
}

static void test_word_at_cfe_into_bar4_is_denied(void **state)
{
	struct vpci_filter_result r = wr(A, IDE, 0x22, 2, 0xffff);

	assert_int_equal(phys32(0x20), 0xc001);
	assert_int_equal(hw.nw, 0);
	assert_int_equal(r.denied, 2);
	assert_string_equal(r.why, "BAR");
	/* The low half too, and by an unaligned word at 0xcfd over BAR4's bytes 1-2. */
	wr(A, IDE, 0x20, 2, 0x0000);
	sel(A, IDE, 0x20);
	out(A, 0xcfd, 2, 0x1234);
	assert_int_equal(phys32(0x20), 0xc001);
	assert_int_equal(hw.nw, 0);
}

static void test_bar_and_rom_dword_writes_read_back_unchanged(void **state)
{
	for (unsigned reg = 0x10; reg < 0x34; reg += 4) {
		uint32_t before = rd(A, IDE, reg, 4);
		struct vpci_filter_result r = wr(A, IDE, reg, 4, 0xfffffff0u);

		assert_int_equal(rd(A, IDE, reg, 4), before);
		assert_true(r.denied > 0);
	}
	assert_int_equal(hw.nw, 0);
}

static void test_header_type_interrupt_pin_and_ids_are_read_only(void **state)
{
	hw.ide[0x3c] = 14;
	hw.ide[0x3d] = 1;
	wr(A, IDE, 0x0e, 1, 0x80);
	wr(B, IDE, 0x3c, 2, 0x0000);
	wr(A, IDE, 0x00, 4, 0x12345678);
	wr(B, IDE, 0x08, 4, 0);
	assert_int_equal(hw.nw, 0);
	assert_int_equal(rd(A, IDE, 0x0c, 4), 0x00004000);
	assert_int_equal(rd(B, IDE, 0x3c, 2), 0x010e);
	assert_int_equal(rd(A, IDE, 0x00, 4), 0x70108086);
}

static void test_ide0_owner_clearing_secondary_decode_leaves_the_physical_register(void **state)
{
	struct vpci_filter_result r;

	/* Byte at 0xcff (0x43: decode enable is its bit 7), word at 0xcfe, dword at 0xcfc. */
	r = wr(A, IDE, 0x43, 1, 0x00);
	assert_int_equal(r.denied, 1);
	assert_string_equal(r.why, "another channel's register");
	wr(A, IDE, 0x42, 2, 0x0000);
	wr(A, IDE, 0x40, 4, 0x00008000);
	assert_int_equal(phys16(0x42), 0x8000);
	assert_int_equal(phys_writes(0x42, 0x43), 0);
	assert_int_equal(rd(B, IDE, 0x42, 2), 0x8000);
	/* ... and ide1's owner cannot cut ide0's channel off either. */
	wr(B, IDE, 0x40, 2, 0x0000);
	sel(B, IDE, 0x3c);
	out(B, 0xcfd, 4, 0);                    /* 0x3d-0x3f and port 0xd00: not 0x40 */
	assert_int_equal(phys16(0x40), 0x8000);
}

static void test_other_channel_registers_read_as_zero(void **state)
{
	hw.ide[0x44] = 0xa5;
	assert_int_equal(rd(A, IDE, 0x40, 4), 0x00008000);
	assert_int_equal(rd(B, IDE, 0x40, 4), 0x80000000);
	assert_int_equal(rd(A, IDE, 0x44, 1), 0x05);
	assert_int_equal(rd(B, IDE, 0x44, 1), 0xa0);
	vpci_filter_owner_reset(&f, A, VPCI_CHAN_PRI | VPCI_CHAN_SEC);
	assert_int_equal(rd(A, IDE, 0x40, 4), 0x80008000);
	assert_int_equal(rd(A, IDE, 0x44, 1), 0xa5);
}

static void test_own_channel_timing_goes_through_and_reads_back(void **state)
{
	struct vpci_filter_result r = wr(A, IDE, 0x40, 2, 0xa307);

	assert_int_equal(r.denied, 0);
	assert_int_equal(phys16(0x40), 0xa307);
	assert_int_equal(rd(A, IDE, 0x40, 2), 0xa307);
	/* Its own decode bit is its own to clear. */
	wr(A, IDE, 0x41, 1, 0x00);
	assert_int_equal(hw.ide[0x41], 0x00);
	assert_int_equal(phys16(0x42), 0x8000);
}

static void test_dword_over_both_idetims_is_split_by_channel(void **state)
{
	struct vpci_filter_result r = wr(A, IDE, 0x40, 4, 0x0000e301);

	assert_int_equal(phys32(0x40), 0x8000e301);
	assert_int_equal(r.denied, 2);
	assert_int_equal(r.reg, 0x42);
	/* An unaligned word at 0xcfd covers 0x41 (A's) and 0x42 (B's). */
	sel(A, IDE, 0x40);
	r = out(A, 0xcfd, 2, 0x0080);
	assert_int_equal(phys32(0x40), 0x80008001);
	assert_int_equal(r.denied, 1);
	assert_int_equal(r.reg, 0x42);
}

static void test_sidetim_nibbles_belong_to_their_channel(void **state)
{
	struct vpci_filter_result r;

	hw.ide[0x44] = 0x30;
	r = wr(A, IDE, 0x44, 1, 0xff);
	assert_int_equal(hw.ide[0x44], 0x3f);
	assert_int_equal(r.denied, 1);
	assert_string_equal(r.why, "another channel's bits");
	assert_int_equal(rd(A, IDE, 0x44, 1), 0x0f);
	/* Writing back what it reads (zeros for the other channel) is no attempt on it. */
	r = wr(A, IDE, 0x44, 1, 0x09);
	assert_int_equal(r.denied, 0);
	assert_int_equal(hw.ide[0x44], 0x39);
	r = wr(B, IDE, 0x44, 1, 0x00);
	assert_int_equal(hw.ide[0x44], 0x09);
	assert_int_equal(r.denied, 0);
}

static void test_piix4_udma_registers_per_channel(void **state)
{
	struct vpci_filter_result r;

	r = wr(A, IDE, 0x48, 1, 0x0f);
	assert_int_equal(hw.ide[0x48], 0x03);
	assert_int_equal(r.denied, 1);
	wr(B, IDE, 0x48, 1, 0x0c);
	assert_int_equal(hw.ide[0x48], 0x0f);
	wr(B, IDE, 0x48, 1, 0x00);
	assert_int_equal(hw.ide[0x48], 0x03);
	r = wr(A, IDE, 0x4a, 2, 0x2212);
	assert_int_equal(phys16(0x4a), 0x0012);
	assert_int_equal(r.denied, 1);
	r = wr(B, IDE, 0x4a, 2, 0x2212);
	assert_int_equal(phys16(0x4a), 0x2212);
	assert_int_equal(r.denied, 1);
	assert_int_equal(rd(A, IDE, 0x48, 4), 0x00120003);
	assert_int_equal(rd(B, IDE, 0x48, 4), 0x22000000);
}

static void test_piix3_has_no_udma_registers_to_write(void **state)
{
	struct vpci_filter_result r = wr(A, IDE, 0x48, 4, 0x00330003);

	assert_int_equal(hw.nw, 0);
	assert_int_equal(r.denied, 2);          /* the bytes that would change: 0x48 and 0x4a */
	assert_string_equal(r.why, "device-specific");
}

static void test_bus_master_clear_by_one_owner_keeps_physical_while_other_uses_it(void **state)
{
	struct vpci_filter_result r = wr(A, IDE, 0x04, 2, 0x0000);

	assert_int_equal(r.denied, 0);
	assert_true(r.cmd_differs);
	assert_int_equal(r.cmd_copy, 0x0000);
	assert_int_equal(r.cmd_phys, 0x0005);
	assert_int_equal(phys16(0x04), 0x0005);
	assert_int_equal(rd(A, IDE, 0x04, 2), 0x0000);  /* its copy, as the device would read */
	assert_int_equal(rd(B, IDE, 0x04, 2), 0x0005);
	/* The last user off: off physically. */
	r = wr(B, IDE, 0x04, 2, 0x0000);
	assert_false(r.cmd_differs);
	assert_int_equal(phys16(0x04), 0x0000);
	/* One back on: on physically; the other still reads its own copy. */
	wr(A, IDE, 0x04, 1, 0x04);
	assert_int_equal(phys16(0x04), 0x0004);
	assert_int_equal(rd(A, IDE, 0x04, 2), 0x0004);
	assert_int_equal(rd(B, IDE, 0x04, 2), 0x0000);
	assert_int_equal(phys_writes(0x05, 0x07), 0);
}

static void test_command_dword_write_leaves_status_alone(void **state)
{
	/* The classic read-modify-write of dword 0x04 with status zeros, and with status ones. */
	wr(A, IDE, 0x04, 4, 0x00000001);
	assert_int_equal(phys16(0x04), 0x0005);
	assert_int_equal(rd(A, IDE, 0x04, 4), 0x02800001);
	wr(A, IDE, 0x04, 4, 0xffff0005);
	assert_int_equal(phys_writes(0x05, 0x07), 0);
	assert_int_equal(rd(A, IDE, 0x04, 4), 0x02800005);
}

static void test_command_bits_other_than_the_enables_are_denied(void **state)
{
	struct vpci_filter_result r = wr(A, IDE, 0x04, 2, 0xffff);

	assert_int_equal(r.denied, 2);
	assert_string_equal(r.why, "command bits other than the enables");
	assert_int_equal(rd(A, IDE, 0x04, 2), 0x0005);  /* the PIIX implements only bits 0 and 2 */
	assert_int_equal(phys16(0x04), 0x0005);
	/* Rewriting what it reads is not an attempt. */
	r = wr(A, IDE, 0x04, 2, 0x0005);
	assert_int_equal(r.denied, 0);
}

static void test_status_write_one_to_clear_is_per_owner(void **state)
{
	struct vpci_filter_result r;

	put16(hw.ide, 0x06, 0x2280);            /* received master abort */
	r = wr(A, IDE, 0x06, 2, 0x2000);
	assert_int_equal(r.denied, 0);
	assert_int_equal(rd(A, IDE, 0x06, 2), 0x0280);
	assert_int_equal(rd(B, IDE, 0x06, 2), 0x2280);
	assert_int_equal(hw.nw, 0);
	/* Once clear physically, a new abort shows again. */
	put16(hw.ide, 0x06, 0x0280);
	assert_int_equal(rd(A, IDE, 0x06, 2), 0x0280);
	put16(hw.ide, 0x06, 0x2280);
	assert_int_equal(rd(A, IDE, 0x06, 2), 0x2280);
}

static void test_owner_restart_takes_back_the_firmware_enables(void **state)
{
	wr(A, IDE, 0x04, 2, 0);
	wr(B, IDE, 0x04, 2, 0);
	assert_int_equal(phys16(0x04), 0x0000);
	vpci_filter_owner_reset(&f, B, VPCI_CHAN_SEC);
	assert_int_equal(phys16(0x04), 0x0005);
	assert_int_equal(rd(B, IDE, 0x04, 2), 0x0005);
	assert_int_equal(rd(A, IDE, 0x04, 2), 0x0000);
}

/* ---- the ports ---- */

static void test_cf8_narrow_writes_do_not_move_the_address_latch(void **state)
{
	struct vpci_filter_result r;

	sel(A, IDE, 0x00);
	r = out(A, 0xcf8, 2, 0x0040);
	assert_int_equal(r.denied, 2);
	assert_int_equal(r.bdf, VPCI_NONE);
	assert_int_equal(r.reg, 0xcf8);
	assert_string_equal(r.why, "not a 32-bit CONFIG_ADDRESS write");
	r = out(A, 0xcf9, 1, 0x06);             /* PIIX reset control: never forwarded */
	assert_int_equal(r.denied, 1);
	out(A, 0xcfb, 1, 0x01);
	assert_int_equal(addr[A], VPCI_ENABLE | IDE);
	assert_int_equal(in(A, CFC, 4), 0x70108086);
	assert_int_equal(hw.nw, 0);
}

static void test_cf8_reads_the_latch_only_as_a_dword(void **state)
{
	sel(A, IDE, 0x40);
	assert_int_equal(in(A, 0xcf8, 4), VPCI_ENABLE | IDE | 0x40);
	assert_int_equal(in(A, 0xcf8, 2), 0xffff);
	assert_int_equal(in(A, 0xcf9, 1), 0xff);
	assert_int_equal(in(A, 0xcfa, 2), 0xffff);
}

static void test_dword_at_cfa_reaches_only_the_first_two_configuration_bytes(void **state)
{
	sel(A, IDE, 0x40);
	assert_int_equal(in(A, 0xcfa, 4), 0x8000ffff);
	out(A, 0xcfa, 4, 0x8307ffff);           /* 0xcfa-0xcfb dropped, 0x40-0x41 = 0x8307 */
	assert_int_equal(phys16(0x40), 0x8307);
	assert_int_equal(phys16(0x42), 0x8000);
}

static void test_reads_past_cff_float_and_are_not_the_next_register(void **state)
{
	hw.ide[0x10] = 0x5a;
	sel(A, IDE, 0x0c);
	assert_int_equal(in(A, 0xcfd, 4), 0xff000040);
	assert_int_equal(in(A, 0xcff, 2), 0xff00);
	assert_int_equal(in(A, 0xcfe, 2), 0x0000);
}

static void test_reads_are_the_bytes_of_byte_reads_at_any_alignment(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4 };

	put16(hw.ide, 0x06, 0x2280);
	hw.ide[0x44] = 0x5a;
	wr(A, IDE, 0x04, 1, 0x01);
	for (unsigned reg = 0; reg < 0x50; reg += 4) {
		uint8_t bytes[4];

		for (unsigned i = 0; i < 4; i++)
			bytes[i] = (uint8_t)rd(A, IDE, reg + i, 1);
		for (unsigned s = 0; s < 3; s++) {
			for (unsigned off = 0; off < 4; off++) {
				uint32_t want = 0, got = rd(A, IDE, reg + off, sizes[s]);

				for (unsigned i = 0; i < sizes[s]; i++)
					want |= (uint32_t)(off + i < 4 ? bytes[off + i] : 0xff) << 8 * i;
				assert_int_equal(got, want);
			}
		}
	}
}

static void test_guest_without_ide_sees_and_writes_nothing(void **state)
{
	struct vpci_filter_result r;

	assert_int_equal(rd(C, IDE, 0x00, 4), 0xffffffff);
	assert_int_equal(rd(C, FN0, 0x00, 4), 0xffffffff);
	r = wr(C, IDE, 0x40, 4, 0);
	assert_int_equal(r.denied, 4);
	assert_string_equal(r.why, "function not owned");
	r = wr(C, IDE, 0x04, 2, 0);
	assert_int_equal(hw.nw, 0);
	assert_int_equal(phys16(0x04), 0x0005);
}

static void test_owner_sees_function0_header_read_only_and_no_other_function(void **state)
{
	struct vpci_filter_result r;

	assert_int_equal(rd(A, FN0, 0x00, 4), 0x70008086);
	assert_int_equal(rd(A, FN0, 0x0e, 1), 0x80);
	assert_int_equal(rd(A, FN0, 0x10, 4), 0xffffffff);
	assert_int_equal(rd(A, FN0, 0x4c, 4), 0xffffffff);
	assert_int_equal(rd(A, HOST, 0x00, 4), 0xffffffff);
	r = wr(A, FN0, 0x04, 2, 0);
	assert_int_equal(r.denied, 2);
	assert_string_equal(r.why, "function 0 header is read-only");
	r = wr(A, FN0, 0x4c, 1, 0x80);          /* a chipset register of the ISA bridge */
	assert_string_equal(r.why, "function not owned");
	r = wr(A, HOST, 0x59, 1, 0x30);         /* the host bridge's PAM registers */
	assert_string_equal(r.why, "function not owned");
	assert_int_equal(hw.nw, 0);
}

static void test_data_port_without_the_enable_bit_is_no_configuration_access(void **state)
{
	struct vpci_filter_result r;

	out(A, VPCI_ADDR_PORT, 4, IDE | 0x40);
	assert_int_equal(in(A, CFC, 4), 0xffffffff);
	r = out(A, CFC, 4, 0);
	assert_int_equal(r.denied, 0);
	assert_int_equal(hw.nw, 0);
}

static void test_no_ide_function_means_nothing_visible(void **state)
{
	vpci_filter_init(&f, &fake_ops, VPCI_NONE);
	vpci_filter_owner_reset(&f, A, VPCI_CHAN_PRI);
	assert_int_equal(rd(A, IDE, 0x00, 4), 0xffffffff);
	wr(A, IDE, 0x04, 2, 0);
	assert_int_equal(hw.nw, 0);
}

static void test_unknown_ide_model_emulates_enables_and_keeps_the_rest(void **state)
{
	machine(0x1234);
	assert_string_equal(f.model->name, "generic (enables and status only)");
	wr(A, IDE, 0x04, 2, 0x0000);
	assert_int_equal(phys16(0x04), 0x0005);
	assert_int_equal(rd(A, IDE, 0x04, 2), 0x0000);
	wr(A, IDE, 0x40, 4, 0);
	assert_int_equal(hw.nw, 0);
}

static void test_bad_owner_slot_is_nobody(void **state)
{
	uint32_t a = VPCI_ENABLE | IDE;
	struct vpci_filter_result r;

	assert_int_equal(vpci_filter_in(&f, VPCI_OWNERS, a, CFC, 4), 0xffffffff);
	vpci_filter_out(&f, VPCI_OWNERS, &a, CFC, 4, 0, &r);
	assert_int_equal(r.denied, 4);
	vpci_filter_owner_reset(&f, VPCI_OWNERS, VPCI_CHAN_PRI);
	assert_int_equal(hw.nw, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unaligned_dword_at_cfd_never_reaches_bar0, setup_piix3),
		cmocka_unit_test_setup(test_unaligned_dword_at_cff_writes_no_configuration_byte_but_its_own, setup_piix3),
		cmocka_unit_test_setup(test_word_at_cfe_into_bar4_is_denied, setup_piix3),
		cmocka_unit_test_setup(test_bar_and_rom_dword_writes_read_back_unchanged, setup_piix3),
		cmocka_unit_test_setup(test_header_type_interrupt_pin_and_ids_are_read_only, setup_piix3),
		cmocka_unit_test_setup(test_ide0_owner_clearing_secondary_decode_leaves_the_physical_register, setup_piix3),
		cmocka_unit_test_setup(test_other_channel_registers_read_as_zero, setup_piix3),
		cmocka_unit_test_setup(test_own_channel_timing_goes_through_and_reads_back, setup_piix3),
		cmocka_unit_test_setup(test_dword_over_both_idetims_is_split_by_channel, setup_piix3),
		cmocka_unit_test_setup(test_sidetim_nibbles_belong_to_their_channel, setup_piix3),
		cmocka_unit_test_setup(test_piix4_udma_registers_per_channel, setup_piix4),
		cmocka_unit_test_setup(test_piix3_has_no_udma_registers_to_write, setup_piix3),
		cmocka_unit_test_setup(test_bus_master_clear_by_one_owner_keeps_physical_while_other_uses_it, setup_piix3),
		cmocka_unit_test_setup(test_command_dword_write_leaves_status_alone, setup_piix3),
		cmocka_unit_test_setup(test_command_bits_other_than_the_enables_are_denied, setup_piix3),
		cmocka_unit_test_setup(test_status_write_one_to_clear_is_per_owner, setup_piix3),
		cmocka_unit_test_setup(test_owner_restart_takes_back_the_firmware_enables, setup_piix3),
		cmocka_unit_test_setup(test_cf8_narrow_writes_do_not_move_the_address_latch, setup_piix3),
		cmocka_unit_test_setup(test_cf8_reads_the_latch_only_as_a_dword, setup_piix3),
		cmocka_unit_test_setup(test_dword_at_cfa_reaches_only_the_first_two_configuration_bytes, setup_piix3),
		cmocka_unit_test_setup(test_reads_past_cff_float_and_are_not_the_next_register, setup_piix3),
		cmocka_unit_test_setup(test_reads_are_the_bytes_of_byte_reads_at_any_alignment, setup_piix3),
		cmocka_unit_test_setup(test_guest_without_ide_sees_and_writes_nothing, setup_piix3),
		cmocka_unit_test_setup(test_owner_sees_function0_header_read_only_and_no_other_function, setup_piix3),
		cmocka_unit_test_setup(test_data_port_without_the_enable_bit_is_no_configuration_access, setup_piix3),
		cmocka_unit_test_setup(test_no_ide_function_means_nothing_visible, setup_piix3),
		cmocka_unit_test(test_unknown_ide_model_emulates_enables_and_keeps_the_rest),
		cmocka_unit_test_setup(test_bad_owner_slot_is_nobody, setup_piix3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
