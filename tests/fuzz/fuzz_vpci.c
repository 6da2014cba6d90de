/*
 * Fuzz target: the PCI configuration filter (hv/vpci_filter.c). Input: the
 * IDE function's model (PIIX, PIIX3, PIIX4, another), which channels each
 * of three guests owns, the function's command, status and chipset
 * registers 0x40-0x4b as firmware left them, then a stream of guest port
 * accesses (0xcf8-0xd01, 1, 2 or 4 bytes, IN or OUT, CONFIG_ADDRESS writes
 * biased towards the IDE function and its function 0) and owner restarts.
 *
 * Invariants, after every operation, against an independent model:
 *   - no physical write outside the allow-list: other functions never
 *     change; of the IDE function only the command register's enables and
 *     the model's channel registers, and of those only the bits of the
 *     channels the acting guest owns; status never;
 *   - the physical enables are the OR of the owners' copies, each copy
 *     being the enables that owner last wrote (or firmware's);
 *   - what an IN reads, byte lane by byte lane: CONFIG_ADDRESS only for a
 *     32-bit IN at 0xcf8; all ones outside 0xcfc-0xcff, without the enable
 *     bit, and for a guest that owns no channel; the owner's own copy of the
 *     enables; 0 for the other channel's bits;
 *   - CONFIG_ADDRESS changes only by a 32-bit OUT to 0xcf8;
 *   - no more bytes are reported denied than the access has.
 */
#include <string.h>

#include "fuzz.h"
#include "vpci_filter.h"

#define IDE      0x0900u                /* 00:01.1 */
#define FN0      0x0800u                /* 00:01.0 */
#define GUESTS   3
#define CHIPSET  0x40                   /* first of the 12 chipset bytes the input sets */

static const uint16_t fuzz_devices[4] = { 0x1230, 0x7010, 0x7111, 0x1234 };
static const unsigned fuzz_nchan[4] = { 4, 5, 8, 0 };   /* leading entries of the PIIX table in use */
static const uint8_t fuzz_chan_regs[8] = { 0x40, 0x41, 0x42, 0x43, 0x44, 0x48, 0x4a, 0x4b };
static const uint8_t fuzz_chan_bits[8][2] = {
	{ 0xff, 0 }, { 0xff, 0 }, { 0, 0xff }, { 0, 0xff }, { 0x0f, 0xf0 }, { 0x03, 0x0c }, { 0x33, 0 }, { 0, 0x33 },
};

static struct {
	uint8_t ide[256], fn0[256];
	unsigned writes;
} hw;

struct model {
	unsigned model;                 /* index into fuzz_devices */
	uint16_t em;                    /* emulated command bits */
	unsigned chans[GUESTS];
	uint16_t copy[GUESTS];
	uint32_t addr[GUESTS];
};

static uint8_t fake_read8(void *ctx, uint32_t bdf, unsigned reg)
{
	FUZZ_CHECK(reg < 256, "read of offset 0x%x", reg);
	return bdf == IDE ? hw.ide[reg] : bdf == FN0 ? hw.fn0[reg] : 0xff;
}

static void fake_write8(void *ctx, uint32_t bdf, unsigned reg, uint8_t val)
{
	FUZZ_CHECK(reg < 256, "write of offset 0x%x", reg);
	FUZZ_CHECK(bdf == IDE, "physical write to function 0x%x offset 0x%x", bdf, reg);
	hw.ide[reg] = val;
	hw.writes++;
}

static const struct vpci_filter_ops fuzz_ops = { fake_read8, fake_write8, NULL };

/* The bits of IDE offset reg that a guest owning chans may change; -1: none (not a channel register). */
static int chan_bits(const struct model *m, unsigned reg, unsigned chans)
{
	for (unsigned i = 0; i < fuzz_nchan[m->model]; i++)
		if (fuzz_chan_regs[i] == reg)
			return ((chans & VPCI_CHAN_PRI) ? fuzz_chan_bits[i][0] : 0) |
			       ((chans & VPCI_CHAN_SEC) ? fuzz_chan_bits[i][1] : 0);
	return -1;
}

/* Physical changes from old to now, done by guest g (g < 0: an owner restart). */
static void check_changes(const struct model *m, const uint8_t *old_ide, const uint8_t *old_fn0, int g)
{
	FUZZ_CHECK(!memcmp(old_fn0, hw.fn0, 256), "function 0 changed");
	for (unsigned reg = 0; reg < 256; reg++) {
		uint8_t diff = old_ide[reg] ^ hw.ide[reg];
		int ok;

		if (!diff)
			continue;
		if (reg == 0x04 || reg == 0x05)
			ok = (diff & ~(uint8_t)(m->em >> 8 * (reg - 0x04))) ? 0 : 0xff;
		else
			ok = g < 0 ? 0 : chan_bits(m, reg, m->chans[g]);
		FUZZ_CHECK(ok >= 0 && !(diff & ~ok), "guest %d changed offset 0x%x: 0x%02x -> 0x%02x", g, reg,
			   old_ide[reg], hw.ide[reg]);
	}
}

static void check_enables(const struct model *m)
{
	uint16_t want = 0, phys = (uint16_t)(hw.ide[4] | hw.ide[5] << 8);
	bool owned = false;

	for (unsigned g = 0; g < GUESTS; g++) {
		if (m->chans[g]) {
			want |= m->copy[g];
			owned = true;
		}
	}
	if (owned)
		FUZZ_CHECK((phys & m->em) == want, "physical command 0x%04x, owners want 0x%04x", phys, want);
}

/* What byte lane port of guest g's IN must read, if the model knows; -1 if it leaves it to the device. */
static int expected_byte(const struct model *m, unsigned g, unsigned port)
{
	uint32_t a = g < GUESTS ? m->addr[g] : 0;
	unsigned reg = (a & 0xfc) + (port - VPCI_DATA_PORT);
	int bits;

	if (g >= GUESTS || port < VPCI_DATA_PORT || port > VPCI_DATA_PORT + 3 || !(a & VPCI_ENABLE) ||
	    !m->chans[g])
		return 0xff;
	if ((a & VPCI_BDF_MASK) == FN0)
		return (a & 0xfc) < 0x10 ? hw.fn0[reg] : 0xff;
	if ((a & VPCI_BDF_MASK) != IDE)
		return 0xff;
	if (reg == 0x04 || reg == 0x05) {
		uint8_t em = (uint8_t)(m->em >> 8 * (reg - 4)), cp = (uint8_t)(m->copy[g] >> 8 * (reg - 4));

		return (hw.ide[reg] & ~em) | (cp & em);
	}
	bits = chan_bits(m, reg, VPCI_CHAN_PRI | VPCI_CHAN_SEC);
	if (bits >= 0)
		return hw.ide[reg] & ~(bits & ~chan_bits(m, reg, m->chans[g]));
	return reg == 0x07 ? -1 : hw.ide[reg];      /* status: acknowledged bits are the filter's */
}

static void fuzz_in_op(struct vpci_filter *f, const struct model *m, unsigned g, uint16_t port, unsigned size)
{
	uint32_t v = vpci_filter_in(f, g, g < GUESTS ? m->addr[g] : 0, port, size);

	if (port == VPCI_ADDR_PORT && size == 4) {
		FUZZ_CHECK(g >= GUESTS || v == m->addr[g], "0xcf8 reads 0x%x, latched 0x%x", v, m->addr[g]);
		return;
	}
	for (unsigned i = 0; i < size; i++) {
		int want = expected_byte(m, g, port + i);

		FUZZ_CHECK(want < 0 || (int)((v >> 8 * i) & 0xff) == want,
			   "guest %u IN%u at 0x%x, addr 0x%x: byte %u is 0x%02x, want 0x%02x", g, size, port,
			   g < GUESTS ? m->addr[g] : 0, i, (v >> 8 * i) & 0xff, want);
	}
}

static void fuzz_out_op(struct vpci_filter *f, struct model *m, unsigned g, uint16_t port, unsigned size,
			uint32_t val)
{
	uint32_t scratch = 0, *addr = g < GUESTS ? &m->addr[g] : &scratch, before = *addr;
	struct vpci_filter_result res;

	vpci_filter_out(f, g, addr, port, size, val, &res);
	FUZZ_CHECK(res.denied <= size, "%u bytes denied of %u", res.denied, size);
	FUZZ_CHECK(*addr == before || (port == VPCI_ADDR_PORT && size == 4), "latch moved by OUT%u at 0x%x", size,
		   port);
	if (g >= GUESTS || !m->chans[g] || (port == VPCI_ADDR_PORT && size == 4) || !(before & VPCI_ENABLE) ||
	    (before & VPCI_BDF_MASK) != IDE)
		return;
	for (unsigned i = 0; i < size; i++) {
		unsigned p = port + i, reg = (before & 0xfc) + (p - VPCI_DATA_PORT);
		uint8_t em;

		if (p < VPCI_DATA_PORT || p > VPCI_DATA_PORT + 3 || (reg != 0x04 && reg != 0x05))
			continue;
		em = (uint8_t)(m->em >> 8 * (reg - 4));
		m->copy[g] = (uint16_t)((m->copy[g] & ~(em << 8 * (reg - 4))) |
					(((val >> 8 * i) & em) << 8 * (reg - 4)));
	}
}

/* The machine as the input's header sets it; returns the filter's model of it. */
static void fuzz_setup(struct fuzz_in *in, struct vpci_filter *f, struct model *m)
{
	uint8_t owners;

	memset(&hw, 0, sizeof(hw));
	memset(m, 0, sizeof(*m));
	m->model = fuzz_u8(in) & 3;
	owners = fuzz_u8(in);
	hw.fn0[0] = 0x86, hw.fn0[1] = 0x80, hw.fn0[2] = 0x00, hw.fn0[3] = 0x70, hw.fn0[0x0e] = 0x80;
	hw.ide[0] = 0x86, hw.ide[1] = 0x80;
	hw.ide[2] = (uint8_t)fuzz_devices[m->model], hw.ide[3] = (uint8_t)(fuzz_devices[m->model] >> 8);
	hw.ide[0x0a] = 0x01, hw.ide[0x0b] = 0x01, hw.ide[0x20] = 0x01, hw.ide[0x21] = 0xc0;
	for (unsigned r = 0x04; r < 0x08; r++)
		hw.ide[r] = fuzz_u8(in);
	for (unsigned r = CHIPSET; r < CHIPSET + 12; r++)
		hw.ide[r] = fuzz_u8(in);
	vpci_filter_init(f, &fuzz_ops, IDE);
	m->em = m->model == 3 ? 0x0007 : 0x0005;
	for (unsigned g = 0; g < GUESTS; g++) {
		m->chans[g] = (owners >> 2 * g) & 3;
		m->copy[g] = (uint16_t)((hw.ide[4] | hw.ide[5] << 8) & m->em);
		vpci_filter_owner_reset(f, g, m->chans[g]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned sizes[4] = { 1, 2, 4, 4 };
	struct fuzz_in in = { data, size };
	struct vpci_filter f;
	struct model m;
	uint8_t old_ide[256], old_fn0[256];

	fuzz_setup(&in, &f, &m);
	check_enables(&m);
	while (fuzz_more(&in)) {
		uint8_t op = fuzz_u8(&in), sel = fuzz_u8(&in);
		unsigned g = op & 3, n = sizes[(op >> 2) & 3];          /* g == 3: a slot nobody has */
		uint16_t port = (uint16_t)(VPCI_ADDR_PORT + sel % 10);
		uint32_t val = fuzz_u32(&in);
		int actor = g < GUESTS ? (int)g : 0;

		memcpy(old_ide, hw.ide, 256);
		memcpy(old_fn0, hw.fn0, 256);
		if ((op & 0xf0) == 0xf0 && g < GUESTS) {
			/* A restart; its copy is firmware's enables again. */
			vpci_filter_owner_reset(&f, g, m.chans[g]);
			m.copy[g] = f.cmd_boot & m.em;
			actor = -1;
		} else if (op & 0x10) {
			fuzz_in_op(&f, &m, g, port, n);
		} else {
			if ((op & 0x20) && port == VPCI_ADDR_PORT && n == 4)   /* aim at the IDE function or function 0 */
				val = VPCI_ENABLE | ((op & 0x40) ? FN0 : IDE) | (val & 0xff);
			fuzz_out_op(&f, &m, g, port, n, val);
		}
		check_changes(&m, old_ide, old_fn0, g < GUESTS ? actor : -2);
		check_enables(&m);
	}
	return 0;
}
