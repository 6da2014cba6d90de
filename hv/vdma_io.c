/*
 * The PIIX bus-master ports of a guest that owns ide0 (channel 0) or ide1
 * (channel 1). Per channel, at BAR4 + 8 * channel:
 *   +0 command: bit 0 start/stop, bit 3 direction  -> checked, then real
 *   +2 status:  active, error, interrupt           -> real, plus a refusal
 *   +4 PRD table pointer (32-bit)                  -> virtual: the guest's
 * On start the hv reads the guest's PRD table, builds the shadow table
 * (vdma_build_shadow, through the guest's EPT), points the real register
 * at it and starts the channel. Completion is the routed IRQ 14/15.
 */
#include "hv.h"
#include "guest.h"
#include "mem.h"
#include "cpu.h"
#include "log.h"
#include "vdma.h"
#include "vdev.h"
#include "vpci.h"

#define BM_CMD_START   0x01
#define BM_ST_ACTIVE   0x01
#define BM_ST_ERROR    0x02

/* EPT walk for one guest page: RAM only (the EPT maps nothing else), read and write. */
static int vdma_xlate(void *ctx, uint64_t gpa, uint32_t len, uint64_t *hpa)
{
	struct guest *g = ctx;
	unsigned perms;

	if (!guest_gpa_ptr(g, gpa, len) || ept_translate(&g->ept, gpa, hpa, &perms) < 0 ||
	    (perms & (EPT_R | EPT_W)) != (EPT_R | EPT_W))
		return -1;
	return 0;
}

/* Returns the channel (0, 1) the guest owns at port, or -1. */
static int vdma_channel(struct guest *g, uint16_t port)
{
	uint16_t base = vpci_bm_base();
	int ch;

	if (!base || port < base || port >= base + 16)
		return -1;
	ch = (port - base) / 8;
	return (g->cfg->devices & (ch ? CFG_DEV_IDE1 : CFG_DEV_IDE0)) ? ch : -1;
}

/* Starts channel ch of g after checking its PRD table. Returns true if started. */
static bool vdma_start(struct guest *g, int ch, uint8_t cmd, uint16_t port)
{
	struct vdma_chan *c = &g->dma[ch];
	uint64_t room = g->boot->ram_bytes > c->prd ? g->boot->ram_bytes - c->prd : 0;
	unsigned gmax = (unsigned)MIN(room / sizeof(struct vdma_prd), VDMA_MAX_PRD), bad = 0;
	const struct vdma_prd *gtab = guest_gpa_ptr(g, c->prd, (uint64_t)gmax * sizeof(*gtab));
	const char *err = "PRD table outside the guest's RAM";
	int n = gtab && !(c->prd & 3) ?
		vdma_build_shadow(gtab, gmax, vdma_xlate, g, c->shadow, VDMA_MAX_PRD, &err, &bad) : -1;

	if (n < 0) {
		c->refused = true;
		g->dma_refusals++;
		guest_log_refusal(g, "DMA refused: PRD table at GPA 0x%x, entry %u: %s", c->prd, bad, err);
		return false;
	}
	c->refused = false;
	g->dma_started++;
	outl(port + 4, (uint32_t)(uintptr_t)c->shadow);
	outb(port, cmd);
	return true;
}

static void vdma_write(struct guest *g, int ch, unsigned reg, uint16_t base, uint8_t val)
{
	struct vdma_chan *c = &g->dma[ch];

	if (reg == 0) {
		if ((val & BM_CMD_START) && !(c->cmd & BM_CMD_START)) {
			if (!vdma_start(g, ch, val, base))
				val &= (uint8_t)~BM_CMD_START;
		} else {
			outb(base, val);
		}
		c->cmd = val;
	} else if (reg == 2) {
		if (val & BM_ST_ERROR)
			c->refused = false;             /* write-1-to-clear, as the chip */
		outb(base + 2, val);
	} else if (reg >= 4) {
		unsigned sh = 8 * (reg - 4);
		c->prd = (c->prd & ~(0xffu << sh)) | (uint32_t)val << sh;
	}
}

static uint8_t vdma_read(struct guest *g, int ch, unsigned reg, uint16_t base)
{
	struct vdma_chan *c = &g->dma[ch];

	if (reg == 0)
		return c->cmd;
	if (reg == 2) {
		uint8_t st = inb(base + 2);
		return c->refused ? (uint8_t)((st | BM_ST_ERROR) & ~BM_ST_ACTIVE) : st;
	}
	if (reg >= 4)
		return (uint8_t)(c->prd >> 8 * (reg - 4));
	return 0xff;
}

bool vdma_io(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		int ch = vdma_channel(g, p);
		unsigned reg = (p - vpci_bm_base()) & 7;
		uint16_t base = (uint16_t)(p - reg);
		if (ch < 0) {
			if (in)
				*val |= 0xffu << 8 * i;
			continue;
		}
		if (in)
			*val = (*val & ~(0xffu << 8 * i)) | (uint32_t)vdma_read(g, ch, reg, base) << 8 * i;
		else
			vdma_write(g, ch, reg, base, (uint8_t)(*val >> 8 * i));
	}
	return true;
}

bool vdma_handles(struct guest *g, uint16_t port)
{
	return vdma_channel(g, port) >= 0;
}

void vdma_init(struct guest *g)
{
	uint16_t base = vpci_bm_base();

	for (int ch = 0; ch < 2; ch++) {
		if (!g->dma[ch].shadow)
			g->dma[ch].shadow = mem_alloc_pages(1);
		/* A restarted guest's transfer in flight is stopped: the shadow table is reused. */
		if (base && (g->cfg->devices & (ch ? CFG_DEV_IDE1 : CFG_DEV_IDE0)))
			outb(base + 8 * ch, 0);
		g->dma[ch].prd = 0;
		g->dma[ch].cmd = 0;
		g->dma[ch].refused = false;
	}
}
