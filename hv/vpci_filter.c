/*
 * The PCI configuration filter (see vpci_filter.h for the rules).
 *
 * Port semantics follow the PCI Local Bus Specification, "Configuration
 * Mechanism #1": only a full 32-bit access to 0xcf8 reads or writes
 * CONFIG_ADDRESS; any narrower access to 0xcf8-0xcfb is an ordinary I/O
 * access (0xcf9 is the PIIX reset control register), so it reads all ones
 * here and its writes are dropped. An access to 0xcfc-0xcff reaches the
 * configuration bytes under its byte lanes only: the CPU splits an access
 * that runs past 0xcff, and the bytes beyond go to ports 0xd00.., not to
 * the next register (QEMU's pci_host likewise forwards only the bytes
 * inside the data window). Here those bytes read all ones and their
 * writes are dropped, as for any port the guest does not own.
 *
 * Register facts: PCI Local Bus Specification, "Configuration Space
 * Header" (command, status, write-1-to-clear error bits); Intel 82371FB
 * (PIIX) and 82371SB (PIIX3) datasheet, "IDETIM - IDE Timing Register"
 * (bit 15: IDE decode enable of that channel) and "SIDETIM - Slave IDE
 * Timing Register" (bits 3:0 primary, 7:4 secondary); Intel 82371AB
 * (PIIX4) datasheet, "UDMACTL - Ultra DMA/33 Control Register" (bits 1:0
 * primary drives, 3:2 secondary) and "UDMATIM - Ultra DMA/33 Timing
 * Register" (0x4a primary drives, 0x4b secondary). On these parts the IDE
 * function's command register implements only I/O space enable (bit 0) and
 * bus master enable (bit 2).
 */
#include <stddef.h>
#include "vpci_filter.h"

#define REG_CMD          0x04
#define REG_STATUS       0x06
#define STATUS_W1C_HIGH  0xf9    /* status bits 8, 11-15: parity, abort and SERR# records */
#define HEADER_BYTES     0x10    /* function 0's identification header */
#define CMD_ENABLES      0x0007  /* I/O space, memory space, bus master */

static const struct vpci_chan_reg vpci_piix_chan[] = {
	{ 0x40, { 0xff, 0x00 } },       /* IDETIM primary */
	{ 0x41, { 0xff, 0x00 } },
	{ 0x42, { 0x00, 0xff } },       /* IDETIM secondary */
	{ 0x43, { 0x00, 0xff } },
	{ 0x44, { 0x0f, 0xf0 } },       /* SIDETIM (PIIX3, PIIX4) */
	{ 0x48, { 0x03, 0x0c } },       /* UDMACTL (PIIX4) */
	{ 0x4a, { 0x33, 0x00 } },       /* UDMATIM (PIIX4): primary drives 0 and 1 */
	{ 0x4b, { 0x00, 0x33 } },       /*   secondary drives 0 and 1 */
};

static const struct vpci_model vpci_models[] = {
	{ 0x8086, 0x1230, "PIIX", 0x0005, vpci_piix_chan, 4 },
	{ 0x8086, 0x7010, "PIIX3", 0x0005, vpci_piix_chan, 5 },
	{ 0x8086, 0x7111, "PIIX4", 0x0005, vpci_piix_chan, 8 },
};

/* Any other IDE function: its enables are emulated, everything else is read-only. */
static const struct vpci_model vpci_model_other = {
	0, 0, "generic (enables and status only)", CMD_ENABLES, NULL, 0
};

enum vpci_view { VIEW_NONE, VIEW_HEADER, VIEW_OWNED };

static uint8_t phys_read8(struct vpci_filter *f, uint32_t bdf, unsigned reg)
{
	return f->ops.read8(f->ops.ctx, bdf, reg);
}

static void phys_write8(struct vpci_filter *f, uint32_t bdf, unsigned reg, uint8_t val)
{
	f->ops.write8(f->ops.ctx, bdf, reg, val);
}

static uint16_t phys_cmd(struct vpci_filter *f)
{
	return (uint16_t)(phys_read8(f, f->bdf, REG_CMD) | phys_read8(f, f->bdf, REG_CMD + 1) << 8);
}

/* Byte reg (0x04 or 0x05) of a command register value. */
static uint8_t cmd_byte(uint16_t v, unsigned reg)
{
	return (uint8_t)(v >> 8 * (reg - REG_CMD));
}

static const struct vpci_chan_reg *chan_reg(const struct vpci_filter *f, unsigned reg)
{
	for (unsigned i = 0; i < f->model->nchan; i++)
		if (f->model->chan[i].reg == reg)
			return &f->model->chan[i];
	return NULL;
}

/* The bits of r that belong to the channels chans. */
static uint8_t chan_bits(const struct vpci_chan_reg *r, unsigned chans)
{
	return (uint8_t)(((chans & VPCI_CHAN_PRI) ? r->bits[0] : 0) | ((chans & VPCI_CHAN_SEC) ? r->bits[1] : 0));
}

/* Which part of the function CONFIG_ADDRESS addr selects owner o may see. */
static enum vpci_view view_of(const struct vpci_filter *f, unsigned o, uint32_t addr)
{
	uint32_t bdf = addr & VPCI_BDF_MASK;

	if (!(addr & VPCI_ENABLE) || f->bdf == VPCI_NONE || o >= VPCI_OWNERS || !f->owner[o].chans)
		return VIEW_NONE;
	if (bdf == f->bdf)
		return VIEW_OWNED;
	/* Scanners skip a device whose function 0 is absent. */
	if (bdf == (f->bdf & ~0x700u) && (addr & 0xfc) < HEADER_BYTES)
		return VIEW_HEADER;
	return VIEW_NONE;
}

/* The physical command register's enables become the OR of the owners' copies. */
static void cmd_apply(struct vpci_filter *f)
{
	uint16_t want = 0;
	bool owned = false;

	for (unsigned o = 0; o < VPCI_OWNERS; o++) {
		if (f->owner[o].chans) {
			want |= f->owner[o].cmd;
			owned = true;
		}
	}
	if (!owned)
		return;
	for (unsigned reg = REG_CMD; reg <= REG_CMD + 1; reg++) {
		uint8_t em = cmd_byte(f->model->cmd_emulated, reg), phys, next;

		if (!em)
			continue;
		phys = phys_read8(f, f->bdf, reg);
		next = (uint8_t)((phys & ~em) | (cmd_byte(want, reg) & em));
		if (next != phys)
			phys_write8(f, f->bdf, reg, next);
	}
}

static uint8_t owned_read8(struct vpci_filter *f, struct vpci_owner *ow, unsigned reg)
{
	uint8_t phys = phys_read8(f, f->bdf, reg), em;
	const struct vpci_chan_reg *r;

	if (reg == REG_CMD || reg == REG_CMD + 1) {
		em = cmd_byte(f->model->cmd_emulated, reg);
		return (uint8_t)((phys & ~em) | (cmd_byte(ow->cmd, reg) & em));
	}
	if (reg == REG_STATUS + 1) {
		ow->status_acked &= phys;       /* cleared physically: the next error shows again */
		return (uint8_t)(phys & ~ow->status_acked);
	}
	r = chan_reg(f, reg);
	if (r)
		return (uint8_t)(phys & ~((r->bits[0] | r->bits[1]) & ~chan_bits(r, ow->chans)));
	return phys;
}

/* What a read-only register at reg is, for the log. */
static const char *region_name(unsigned reg)
{
	if (reg < 0x04)
		return "IDs";
	if (reg < 0x0c)
		return "class";
	if (reg < 0x10)
		return "header";        /* cache line size, latency timer, header type, BIST */
	if (reg < 0x28)
		return "BAR";
	if (reg < 0x30)
		return "subsystem";
	if (reg < 0x34)
		return "expansion ROM";
	if (reg < 0x3c)
		return "capabilities";
	if (reg < 0x3e)
		return "interrupt line/pin";
	if (reg < 0x40)
		return "header";        /* min grant, max latency */
	return "device-specific";
}

/* Owner o writes val to its command byte reg; notes in res if its copy now differs from the device. */
static const char *cmd_write8(struct vpci_filter *f, struct vpci_owner *ow, unsigned reg, uint8_t val,
			      uint8_t seen, struct vpci_filter_result *res)
{
	uint8_t em = cmd_byte(f->model->cmd_emulated, reg);
	uint16_t before = ow->cmd, phys;
	unsigned sh = 8 * (reg - REG_CMD);

	ow->cmd = (uint16_t)((ow->cmd & ~(em << sh)) | ((val & em) << sh));
	cmd_apply(f);
	phys = phys_cmd(f);
	if (ow->cmd != before && ((ow->cmd ^ phys) & f->model->cmd_emulated)) {
		res->cmd_differs = true;
		res->cmd_copy = (uint16_t)((phys & ~f->model->cmd_emulated) | ow->cmd);
		res->cmd_phys = phys;
	}
	return ((val ^ seen) & ~em) ? "command bits other than the enables" : NULL;
}

/* A channel register: the owner's bits go through, the rest is refused. */
static const char *chan_write8(struct vpci_filter *f, struct vpci_owner *ow, const struct vpci_chan_reg *r,
			       unsigned reg, uint8_t val, uint8_t seen)
{
	uint8_t mine = chan_bits(r, ow->chans), others = (uint8_t)((r->bits[0] | r->bits[1]) & ~mine);
	uint8_t phys = phys_read8(f, f->bdf, reg), next = (uint8_t)((phys & ~mine) | (val & mine));

	if (next != phys)
		phys_write8(f, f->bdf, reg, next);
	/* A register wholly another channel's is refused whatever the value: an attempt on a neighbour. */
	if (!mine && others)
		return "another channel's register";
	if ((val ^ seen) & others)
		return "another channel's bits";
	return ((val ^ seen) & ~mine & ~others) ? "read-only bits" : NULL;
}

/* Returns NULL if owner o's byte was taken as the device would take it, else why (part of) it was refused. */
static const char *owned_write8(struct vpci_filter *f, unsigned o, unsigned reg, uint8_t val,
				struct vpci_filter_result *res)
{
	struct vpci_owner *ow = &f->owner[o];
	uint8_t seen = owned_read8(f, ow, reg);
	const struct vpci_chan_reg *r;

	if (reg == REG_CMD || reg == REG_CMD + 1)
		return cmd_write8(f, ow, reg, val, seen, res);
	if (reg == REG_STATUS)
		return NULL;            /* read-only status bits: the device ignores writes */
	if (reg == REG_STATUS + 1) {
		ow->status_acked |= (uint8_t)(val & seen & STATUS_W1C_HIGH);
		return NULL;
	}
	r = chan_reg(f, reg);
	if (r)
		return chan_write8(f, ow, r, reg, val, seen);
	return val == seen ? NULL : region_name(reg);
}

static uint8_t read_byte(struct vpci_filter *f, unsigned o, uint32_t addr, unsigned port)
{
	unsigned reg;

	if (port < VPCI_DATA_PORT || port > VPCI_DATA_PORT + 3)
		return 0xff;
	reg = (addr & 0xfc) + (port - VPCI_DATA_PORT);
	switch (view_of(f, o, addr)) {
	case VIEW_OWNED:
		return owned_read8(f, &f->owner[o], reg);
	case VIEW_HEADER:
		return phys_read8(f, addr & VPCI_BDF_MASK, reg);
	default:
		return 0xff;
	}
}

static void deny(struct vpci_filter_result *res, uint32_t bdf, unsigned reg, uint8_t val, const char *why)
{
	if (!res->denied++) {
		res->bdf = bdf;
		res->reg = reg;
		res->val = val;
		res->why = why;
	}
}

static void write_byte(struct vpci_filter *f, unsigned o, uint32_t addr, unsigned port, uint8_t val,
		       struct vpci_filter_result *res)
{
	unsigned reg = (addr & 0xfc) + (port - VPCI_DATA_PORT);
	const char *why;

	if (port < VPCI_DATA_PORT) {
		deny(res, VPCI_NONE, port, val, "not a 32-bit CONFIG_ADDRESS write");
		return;
	}
	if (port > VPCI_DATA_PORT + 3) {
		deny(res, VPCI_NONE, port, val, "past CONFIG_DATA: not a configuration byte");
		return;
	}
	if (!(addr & VPCI_ENABLE))
		return;                 /* not a configuration cycle: an I/O write nothing decodes */
	switch (view_of(f, o, addr)) {
	case VIEW_OWNED:
		why = owned_write8(f, o, reg, val, res);
		break;
	case VIEW_HEADER:
		why = "function 0 header is read-only";
		break;
	default:
		why = "function not owned";
	}
	if (why)
		deny(res, addr & VPCI_BDF_MASK, reg, val, why);
}

void vpci_filter_init(struct vpci_filter *f, const struct vpci_filter_ops *ops, uint32_t bdf)
{
	uint16_t vendor, device;

	*f = (struct vpci_filter){ .ops = *ops, .bdf = bdf, .model = &vpci_model_other };
	if (bdf == VPCI_NONE)
		return;
	vendor = (uint16_t)(phys_read8(f, bdf, 0) | phys_read8(f, bdf, 1) << 8);
	device = (uint16_t)(phys_read8(f, bdf, 2) | phys_read8(f, bdf, 3) << 8);
	for (unsigned i = 0; i < sizeof(vpci_models) / sizeof(vpci_models[0]); i++)
		if (vpci_models[i].vendor == vendor && vpci_models[i].device == device)
			f->model = &vpci_models[i];
	f->cmd_boot = phys_cmd(f);
}

void vpci_filter_owner_reset(struct vpci_filter *f, unsigned o, unsigned chans)
{
	if (o >= VPCI_OWNERS)
		return;
	f->owner[o] = (struct vpci_owner){
		.chans = f->bdf == VPCI_NONE ? 0 : chans & (VPCI_CHAN_PRI | VPCI_CHAN_SEC),
		.cmd = f->cmd_boot & f->model->cmd_emulated,
	};
	if (f->owner[o].chans)
		cmd_apply(f);
}

uint32_t vpci_filter_in(struct vpci_filter *f, unsigned o, uint32_t addr, uint16_t port, unsigned size)
{
	uint32_t v = 0;

	if (port == VPCI_ADDR_PORT && size == 4)
		return addr;
	for (unsigned i = 0; i < size && i < 4; i++)
		v |= (uint32_t)read_byte(f, o, addr, port + i) << 8 * i;
	return v;
}

void vpci_filter_out(struct vpci_filter *f, unsigned o, uint32_t *addr, uint16_t port, unsigned size,
		     uint32_t val, struct vpci_filter_result *res)
{
	*res = (struct vpci_filter_result){ .bdf = VPCI_NONE };
	if (port == VPCI_ADDR_PORT && size == 4) {
		*addr = val;
		return;
	}
	for (unsigned i = 0; i < size && i < 4; i++)
		write_byte(f, o, *addr, port + i, (uint8_t)(val >> 8 * i), res);
}
