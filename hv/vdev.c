/*
 * A guest's virtual devices behind trapped ports: the 8259 pair, the 8254
 * (and port 0x61), CMOS/RTC, and PCI configuration space filtered to the
 * devices the guest owns, QEMU's fw_cfg (0x510-0x511) and, for acpi = on,
 * the ACPI PM1a registers its FADT names. The device models (vpic.c, vpit.c, vcmos.c) are
 * pure; this file connects them to port exits. They are byte-wide: a
 * wider access is split into bytes at consecutive ports.
 */
#include "vdev.h"
#include "acpitab.h"
#include "cpu.h"
#include "guest.h"
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

static bool vdev_pci(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	if (in)
		*val = vpci_read(g, port, size);
	else
		vpci_write(g, port, size, *val);
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

static const struct vdev_port vdev_ports[] = {
	{ 0x20, 0x21, vdev_pic },
	{ 0xa0, 0xa1, vdev_pic },
	{ 0x4d0, 0x4d1, vdev_pic },
	{ 0x40, 0x43, vdev_pit },
	{ 0x61, 0x61, vdev_pit },
	{ 0x70, 0x71, vdev_cmos },
	{ 0xcf8, 0xcff, vdev_pci },
	{ FWCFG_PORT_SEL, FWCFG_PORT_DATA, vdev_fwcfg },
};

void vdev_init(struct guest *g)
{
	uint64_t now = cpu_rdtsc();

	vpic_init(&g->pic);
	vpit_init(&g->pit, hv.tsc_hz, now);
	vcmos_init(&g->cmos, hv.bi->wall_unix, hv.tsc_hz, now);
	vcmos_set_memory(&g->cmos, g->boot->ram_bytes);
	vpci_guest_reset(g);
	vdma_init(g);
	fwcfg_init(&g->fwcfg, g->boot->ram_bytes, 1);
	acpipm_init(&g->pm);
}

vdev_io_fn vdev_lookup(struct guest *g, uint16_t port)
{
	for (unsigned i = 0; i < ARRAY_SIZE(vdev_ports); i++)
		if (port >= vdev_ports[i].first && port <= vdev_ports[i].last)
			return vdev_ports[i].fn;
	if (vdev_acpipm_handles(g, port))
		return vdev_acpipm;
	return vdma_handles(g, port) ? vdma_io : NULL;
}
