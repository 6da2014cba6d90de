/*
 * A guest's virtual devices behind trapped ports: the 8259 pair, the 8254
 * (and port 0x61), CMOS/RTC, PCI configuration space filtered to the
 * devices the guest owns, the PIIX reset control register (0xcf9), the
 * 8042 (0x60/0x64), a 16550 at each of COM1-COM4 whose ports the guest
 * does not own, QEMU's fw_cfg (0x510-0x511) and, for acpi = on, the ACPI
 * PM1a registers its FADT names. The device models (vpic.c, vpit.c,
 * vcmos.c, vuart.c, v8042.c, fwcfg.c, acpipm.c) are pure; this file
 * connects them to port exits. They are byte-wide: a wider access is
 * split into bytes at consecutive ports.
 */
#include "vdev.h"
#include "acpitab.h"
#include "cpu.h"
#include "guest.h"
#include "irq.h"
#include "lapic.h"
#include "vpci.h"

/* Byte-wide device models, with the time of the exit for those that keep time. */
typedef uint8_t (*vdev_read8_fn)(struct guest *g, uint16_t port, uint64_t now);
typedef void (*vdev_write8_fn)(struct guest *g, uint16_t port, uint8_t val, uint64_t now);

/* Splits an access of size bytes into byte accesses at port, port+1, ... */
static void vdev_bytes(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val,
		       vdev_read8_fn rd, vdev_write8_fn wr)
{
	uint64_t now = g->vcpu.exit_tsc;        /* the stub took it first */

	for (unsigned i = 0; i < size; i++) {
		if (in)
			*val = (*val & ~(0xffu << 8 * i)) | (uint32_t)rd(g, port + i, now) << 8 * i;
		else
			wr(g, port + i, (uint8_t)(*val >> 8 * i), now);
	}
}

static uint8_t pic_rd(struct guest *g, uint16_t port, uint64_t now) { return vpic_read(&g->pic, port); }
static void pic_wr(struct guest *g, uint16_t port, uint8_t v, uint64_t now) { vpic_write(&g->pic, port, v); }
static uint8_t pit_rd(struct guest *g, uint16_t port, uint64_t now) { return vpit_read(&g->pit, port, now); }
static void pit_wr(struct guest *g, uint16_t port, uint8_t v, uint64_t now) { vpit_write(&g->pit, port, v, now); }
static uint8_t cmos_rd(struct guest *g, uint16_t port, uint64_t now) { return vcmos_read(&g->cmos, port, now); }
static void cmos_wr(struct guest *g, uint16_t port, uint8_t v, uint64_t now) { vcmos_write(&g->cmos, port, v, now); }

static bool vdev_pic(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	vdev_bytes(g, port, in, size, val, pic_rd, pic_wr);
	return true;
}

static bool vdev_pit(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	vdev_bytes(g, port, in, size, val, pit_rd, pit_wr);
	return true;
}

static bool vdev_cmos(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	vdev_bytes(g, port, in, size, val, cmos_rd, cmos_wr);
	return true;
}

/* g asked its machine to reset: it alone is reset, as hv.cfg's restart says; its CMOS is kept. */
static bool vdev_guest_reset(struct guest *g, const char *how)
{
	g->warm_reset = true;
	guest_stop(g, "reset by the guest (%s)", how);
	return false;
}

#define VDEV_RESET_CONTROL 0xcf9
#define RC_SYS_RST  0x02             /* PIIX/ICH reset control: hard reset (with RST_CPU) */
#define RC_RST_CPU  0x04             /* 0 -> 1 starts the reset; reads back 0 */
#define RC_FULL_RST 0x08             /* ICH: full reset (power cycle) */

/*
 * The reset control register a byte access to 0xcf9 reaches (PIIX4
 * datasheet "RC - Reset Control Register"; the ICH's adds FULL_RST): a
 * write with RST_CPU set resets the guest, whatever kind the other bits
 * choose. Wider accesses stay PCI configuration mechanism accesses.
 */
static bool vdev_reset_control(struct guest *g, bool in, uint32_t *val)
{
	if (in) {
		*val = g->reset_control;
		return true;
	}
	g->reset_control = (uint8_t)*val & (RC_SYS_RST | RC_FULL_RST);
	return (*val & RC_RST_CPU) ? vdev_guest_reset(g, "0xcf9") : true;
}

static bool vdev_pci(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	if (port == VDEV_RESET_CONTROL && size == 1)
		return vdev_reset_control(g, in, val);
	if (in)
		*val = vpci_read(g, port, size);
	else
		vpci_write(g, port, size, *val);
	return true;
}

/*
 * The 8042. A guest that owns port 0x60 (a keyboard of its own) reads the
 * physical status register at 0x64, so it sees its keyboard's bytes; its
 * commands still go to the virtual controller, which resets only it.
 */
static bool vdev_kbc(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		uint8_t b = (uint8_t)(*val >> 8 * i);

		if (p != V8042_DATA && p != V8042_CMD) {
			if (in)
				*val |= 0xffu << 8 * i;        /* 0x61-0x63 are not the 8042's */
			continue;
		}
		if (in && p == V8042_CMD && cfg_guest_owns_port(g->cfg, V8042_DATA))
			b = inb(V8042_CMD);
		else if (in)
			b = v8042_read(&g->kbc, p);
		else if (v8042_write(&g->kbc, p, b) == V8042_RESET)
			return vdev_guest_reset(g, "8042");
		if (in)
			*val = (*val & ~(0xffu << 8 * i)) | (uint32_t)b << 8 * i;
	}
	return true;
}

/* QEMU's fw_cfg, every guest: the model answers each access as QEMU's port pair does. */
static bool vdev_fwcfg(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	uint32_t r = fwcfg_io(&g->fwcfg, port, in, size, *val);

	if (in)
		*val = r;
	return true;
}

/* Whether port is one of the ACPI PM1a registers g's FADT names (acpi = on). */
static bool vdev_acpipm_handles(const struct guest *g, uint16_t port)
{
	return g->cfg->acpi && port >= ACPITAB_PM1A_EVT && port < ACPITAB_PM1A_EVT + ACPIPM_BYTES;
}

/*
 * The ACPI PM1a registers, byte by byte: SLP_EN with the S5 sleep type
 * ends the guest (an ACPI power-off); another sleep type is ignored (the
 * DSDT offers none) and logged. Bytes past the block read all ones.
 */
static bool vdev_acpipm(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	for (unsigned i = 0; i < size; i++) {
		unsigned off = (unsigned)(port + i) - ACPITAB_PM1A_EVT;
		enum acpipm_action a;

		if (in) {
			*val = (*val & ~(0xffu << 8 * i)) | (uint32_t)acpipm_read(&g->pm, off) << 8 * i;
			continue;
		}
		a = acpipm_write(&g->pm, off, (uint8_t)(*val >> 8 * i));
		if (a == ACPIPM_SLEEP)
			guest_log_refusal(g, "ACPI sleep (PM1_CNT 0x%x) not supported, ignored", *val);
		if (a == ACPIPM_POWER_OFF) {
			log_printf("hv: guest %s powered itself off (ACPI S5)\n", g->cfg->name);
			guest_exit(g, 0);
			return false;
		}
	}
	return true;
}

/* COM1-COM4: base ports and ISA lines (PC convention). */
static const uint16_t vdev_com_base[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
static const uint8_t vdev_com_irq[4] = { 4, 3, 4, 3 };

/* Returns the index of the virtual UART at port, or -1. */
static int vdev_com_at(const struct guest *g, uint16_t port)
{
	for (int n = 0; n < 4; n++)
		if ((g->com_virtual & (1u << n)) && port >= vdev_com_base[n] && port < vdev_com_base[n] + 8)
			return n;
	return -1;
}

/*
 * Drives g's virtual 8259 line irq from its virtual UARTs there (COM1 and
 * COM3 share IRQ 4, COM2 and COM4 IRQ 3: the line is high while either
 * asks). A line a physical device of g's drives (hv/irq.c) is left to it.
 */
static void vdev_com_irq_update(struct guest *g, unsigned irq)
{
	bool level = false;

	if (irq_owner(irq) == g)
		return;
	for (int n = 0; n < 4; n++)
		if ((g->com_virtual & (1u << n)) && vdev_com_irq[n] == irq && vuart_irq_line(&g->com[n]))
			level = true;
	vpic_set_irq(&g->pic, (int)irq, level);
	lapic_line(g, irq, level, false);
}

/* A byte of a wider access that runs past the UART's 8 ports reads all ones and is not written. */
static uint8_t com_rd(struct guest *g, uint16_t port, uint64_t now)
{
	int n = vdev_com_at(g, port);
	uint8_t v;

	if (n < 0)
		return 0xff;
	v = vuart_read(&g->com[n], (unsigned)(port - vdev_com_base[n]));
	vdev_com_irq_update(g, vdev_com_irq[n]);
	return v;
}

/* A write; what the guest transmitted goes to its console, tagged [name] in the hv log. */
static void com_wr(struct guest *g, uint16_t port, uint8_t v, uint64_t now)
{
	int n = vdev_com_at(g, port);
	uint8_t c;

	if (n < 0)
		return;
	vuart_write(&g->com[n], (unsigned)(port - vdev_com_base[n]), v);
	while (vuart_tx_take(&g->com[n], &c))
		guest_con_putc(g, (char)c);
	vdev_com_irq_update(g, vdev_com_irq[n]);
}

static bool vdev_com(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	vdev_bytes(g, port, in, size, val, com_rd, com_wr);
	return true;
}

static const struct vdev_port vdev_ports[] = {
	{ 0x20, 0x21, vdev_pic },
	{ 0xa0, 0xa1, vdev_pic },
	{ 0x4d0, 0x4d1, vdev_pic },
	{ 0x40, 0x43, vdev_pit },
	{ 0x61, 0x61, vdev_pit },
	{ 0x70, 0x71, vdev_cmos },
	{ 0xcf8, 0xcff, vdev_pci },
	{ 0x60, 0x60, vdev_kbc },
	{ 0x64, 0x64, vdev_kbc },
	{ FWCFG_PORT_SEL, FWCFG_PORT_DATA, vdev_fwcfg },
};

/* COMn is virtual for g if g owns none of its 8 ports. */
static void vdev_com_init(struct guest *g)
{
	g->com_virtual = 0;
	for (unsigned n = 0; n < 4; n++) {
		bool owned = false;
		for (uint16_t p = vdev_com_base[n]; p < vdev_com_base[n] + 8; p++)
			owned |= cfg_guest_owns_port(g->cfg, p);
		if (!owned)
			g->com_virtual |= (uint8_t)(1u << n);
		vuart_init(&g->com[n]);
	}
}

void vdev_init(struct guest *g)
{
	uint64_t now = cpu_rdtsc();

	vpic_init(&g->pic);
	vpit_init(&g->pit, hv.tsc_hz, now);
	/* The CMOS is battery-backed: a reset the guest asked for keeps it, as on a PC. */
	if (!g->warm_reset)
		vcmos_init(&g->cmos, hv.bi->wall_unix, hv.tsc_hz, now);
	g->warm_reset = false;
	vcmos_set_memory(&g->cmos, g->boot->ram_bytes);
	vpci_guest_reset(g);
	vdma_init(g);
	vdev_com_init(g);
	v8042_init(&g->kbc);
	g->reset_control = 0;
	fwcfg_init(&g->fwcfg, g->boot->ram_bytes, 1);
	acpipm_init(&g->pm);
	lapic_reset(g);
}

vdev_io_fn vdev_lookup(struct guest *g, uint16_t port)
{
	for (unsigned i = 0; i < ARRAY_SIZE(vdev_ports); i++)
		if (port >= vdev_ports[i].first && port <= vdev_ports[i].last)
			return vdev_ports[i].fn;
	if (vdev_com_at(g, port) >= 0)
		return vdev_com;
	if (vdev_acpipm_handles(g, port))
		return vdev_acpipm;
	return vdma_handles(g, port) ? vdma_io : NULL;
}
