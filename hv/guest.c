/*
 * Guest lifecycle: create each partition (RAM in its EPT, bitmaps, VMCS),
 * start it the Multiboot way, stop it (containment: only that guest), end
 * it on its own request, restart it if hv.cfg says so, and pick which
 * guest runs next.
 */
#include "hv.h"
#include "cpu.h"
#include "log.h"
#include "mbload.h"
#include "exit.h"
#include "vdev.h"
#include "xstate.h"
#include "tracer.h"

#define GUEST_MAX_RESTARTS 3

static void *guest_ept_alloc(void *ctx)
{
	return mem_alloc_pages(1);
}

void *guest_gpa_ptr(struct guest *g, uint64_t gpa, uint64_t len)
{
	uint64_t ram = g->boot->ram_bytes;

	if (gpa >= ram || len > ram - gpa)
		return NULL;
	/* The PC hole is not the guest's RAM: its EPT does not map it. */
	if (gpa < MBLOAD_HOLE_END && gpa + len > MBLOAD_HOLE_START)
		return NULL;
	return (void *)(uintptr_t)(g->boot->ram_hpa + gpa);
}

/* Maps the guest's RAM at guest-physical 0, leaving the PC hole unmapped. */
static void guest_build_ept(struct guest *g)
{
	uint64_t hpa = g->boot->ram_hpa, bytes = g->boot->ram_bytes;

	if (ept_init(&g->ept, guest_ept_alloc, NULL) < 0 ||
	    ept_map(&g->ept, 0, hpa, MBLOAD_HOLE_START, EPT_RWX) < 0 ||
	    ept_map(&g->ept, MBLOAD_HOLE_END, hpa + MBLOAD_HOLE_END,
		    bytes - MBLOAD_HOLE_END, EPT_RWX) < 0)
		panic("guest_build_ept: cannot map RAM of guest %s", g->cfg->name);
}

/* Resets counters that belong to one boot of the guest. */
static void guest_reset_counters(struct guest *g)
{
	g->acct_pending = false;
	g->con_len = 0;
	g->tick_backlog = 0;
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++)
		if (!g->stats.count[r])
			g->stats.tsc_min[r] = UINT64_MAX;
}

void guest_init_all(struct boot_info *bi)
{
	hv.nguests = bi->cfg.nguests;
	for (int i = 0; i < hv.nguests; i++) {
		struct guest *g = &hv.guests[i];
		g->id = i;
		g->cfg = &bi->cfg.guests[i];
		g->boot = &bi->guests[i];
		g->state = GUEST_RUNNABLE;
		g->boots = 1;
		guest_build_ept(g);
		vdev_init(g);
		if (vmx_guest_setup(g) < 0)
			panic("guest_init_all: VMCLEAR failed for guest %s", g->cfg->name);
		vmx_guest_reset_state(g);
		guest_reset_counters(g);
		log_printf("hv: guest %s: %lu MiB RAM at host 0x%lx, entry 0x%x, %u EPT tables, cmdline \"%s\"\n",
			   g->cfg->name, g->boot->ram_bytes >> 20, g->boot->ram_hpa,
			   g->boot->entry, g->ept.tables, g->cfg->cmdline);
	}
}

/* Loads the image again and starts the guest from its entry point. Returns 0 or -1. */
static int guest_restart(struct guest *g)
{
	struct mbload_result res;
	const char *err = "";

	if (mbload((const void *)(uintptr_t)g->boot->image_hpa, g->boot->image_bytes,
		   (void *)(uintptr_t)g->boot->ram_hpa, g->boot->ram_bytes,
		   g->cfg->cmdline, &res, &err) < 0) {
		log_printf("hv: guest %s: cannot reload image: %s\n", g->cfg->name, err);
		return -1;
	}
	g->boot->entry = res.entry;
	g->boot->mbi_gpa = res.mbi_gpa;
	vdev_init(g);
	vmx_guest_reset_state(g);
	xstate_load(&g->vcpu);         /* the stopped guest's state is the live one: replace it */
	guest_reset_counters(g);
	g->state = GUEST_RUNNABLE;
	g->boots++;
	log_printf("hv: guest %s restarted (boot %u)\n", g->cfg->name, g->boots);
	return 0;
}

void guest_stop(struct guest *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vsnprintf(g->stop_reason, sizeof(g->stop_reason), fmt, ap);
	va_end(ap);
	g->state = GUEST_STOPPED;
	trace_forget(&g->vcpu);
	log_printf("hv: guest %s stopped: %s\n", g->cfg->name, g->stop_reason);
	guest_print_stats(g);
	if (g->cfg->restart == CFG_RESTART_YES) {
		if (g->boots > GUEST_MAX_RESTARTS)
			log_printf("hv: guest %s: restart limit (%d) reached, stays stopped\n",
				   g->cfg->name, GUEST_MAX_RESTARTS);
		else
			guest_restart(g);
	}
}

void guest_exit(struct guest *g, int status)
{
	g->state = GUEST_EXITED;
	g->exit_status = status;
	trace_forget(&g->vcpu);
	if (g->con_len)
		guest_con_putc(g, '\n');
	log_printf("hv: guest %s exited with status %d\n", g->cfg->name, status);
	guest_print_stats(g);
}

void guest_con_putc(struct guest *g, char c)
{
	if (c == '\r')
		return;
	if (c != '\n' && g->con_len < GUEST_CON_LINE - 1) {
		g->con[g->con_len++] = c;
		return;
	}
	g->con[g->con_len] = 0;
	log_printf("[%s] %s\n", g->cfg->name, g->con);
	g->con_len = 0;
	if (c != '\n')
		g->con[g->con_len++] = c;
}

void guest_print_stats(const struct guest *g)
{
	const struct exit_stats *s = &g->stats;

	log_printf("hv: guest %s exits: %lu total; ran %lu us; %lu virtual interrupts injected, "
		   "%lu timer ticks dropped\n", g->cfg->name, s->total,
		   hv.tsc_hz >= 1000000 ? g->run_tsc / (hv.tsc_hz / 1000000) : 0,
		   g->virqs_injected, g->ticks_dropped);
	if (g->dma_started || g->dma_refusals)
		log_printf("hv: guest %s DMA: %lu transfers started, %lu refused\n", g->cfg->name,
			   g->dma_started, g->dma_refusals);
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++) {
		if (!s->count[r])
			continue;
		uint64_t min = s->tsc_min[r] == UINT64_MAX ? 0 : s->tsc_min[r];
		log_printf("hv:   %-24s %8lu  tsc min %lu max %lu sum %lu\n",
			   exit_reason_name(r), s->count[r], min, s->tsc_max[r], s->tsc_sum[r]);
	}
}
