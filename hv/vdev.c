/*
 * A guest's virtual devices behind trapped ports: the 8259 pair, the 8254
 * (and port 0x61), CMOS/RTC, and PCI configuration space filtered to the
 * devices the guest owns. The device models (vpic.c, vpit.c, vcmos.c) are
 * pure; this file connects them to port exits. They are byte-wide: a
 * wider access is split into bytes at consecutive ports.
 */
#include "vdev.h"
#include "cpu.h"
#include "vpci.h"

/* Returns the TSC of the exit being handled (the stub took it first). */
static uint64_t vdev_now(struct guest *g)
{
	return g->vcpu.exit_tsc;
}

static bool vdev_pic(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	for (unsigned i = 0; i < size; i++) {
		if (in)
			*val = (*val & ~(0xffu << 8 * i)) | (uint32_t)vpic_read(&g->pic, port + i) << 8 * i;
		else
			vpic_write(&g->pic, port + i, (uint8_t)(*val >> 8 * i));
	}
	return true;
}

static bool vdev_pit(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	uint64_t now = vdev_now(g);

	for (unsigned i = 0; i < size; i++) {
		if (in)
			*val = (*val & ~(0xffu << 8 * i)) | (uint32_t)vpit_read(&g->pit, port + i, now) << 8 * i;
		else
			vpit_write(&g->pit, port + i, (uint8_t)(*val >> 8 * i), now);
	}
	return true;
}

static bool vdev_cmos(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	uint64_t now = vdev_now(g);

	for (unsigned i = 0; i < size; i++) {
		if (in)
			*val = (*val & ~(0xffu << 8 * i)) | (uint32_t)vcmos_read(&g->cmos, port + i, now) << 8 * i;
		else
			vcmos_write(&g->cmos, port + i, (uint8_t)(*val >> 8 * i), now);
	}
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

static const struct vdev_port vdev_ports[] = {
	{ 0x20, 0x21, vdev_pic },
	{ 0xa0, 0xa1, vdev_pic },
	{ 0x4d0, 0x4d1, vdev_pic },
	{ 0x40, 0x43, vdev_pit },
	{ 0x61, 0x61, vdev_pit },
	{ 0x70, 0x71, vdev_cmos },
	{ 0xcf8, 0xcff, vdev_pci },
};

void vdev_init(struct guest *g)
{
	uint64_t now = cpu_rdtsc();

	vpic_init(&g->pic);
	vpit_init(&g->pit, hv.tsc_hz, now);
	vcmos_init(&g->cmos, hv.bi->wall_unix, hv.tsc_hz, now);
	vcmos_set_memory(&g->cmos, g->boot->ram_bytes);
	g->pci_addr = 0;
}

vdev_io_fn vdev_lookup(struct guest *g, uint16_t port)
{
	for (unsigned i = 0; i < ARRAY_SIZE(vdev_ports); i++)
		if (port >= vdev_ports[i].first && port <= vdev_ports[i].last)
			return vdev_ports[i].fn;
	return NULL;
}
