/*
 * I/O instruction exits. Ports a guest owns never exit (its I/O bitmap
 * lets them through). Every other port exits here: emulated ports go to
 * their virtual device; the rest are refused: reads float high (all ones,
 * as on an ISA bus with nothing behind the port), writes are dropped, and
 * the first few refusals per guest are logged.
 */
#include "exit.h"
#include "guest.h"
#include "vmx.h"
#include "log.h"
#include "vmcs.h"
#include "vdev.h"

/* Exit qualification for I/O instructions (SDM "Exit Qualification for I/O Instructions"). */
#define IOQ_SIZE(q)    ((unsigned)((q) & 7) + 1)
#define IOQ_IN(q)      (((q) >> 3) & 1)
#define IOQ_STRING(q)  (((q) >> 4) & 1)
#define IOQ_PORT(q)    ((uint16_t)((q) >> 16))

/* Port 0xE9: the guest's debug console, forwarded to the hv log line by line. */
static bool io_console(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	if (in)
		*val = 0xe9;            /* Bochs and QEMU read back 0xE9: "present" */
	else
		guest_con_putc(g, (char)*val);
	return true;
}

/* Port 0xF4: the guest ends itself with the written value as its status. */
static bool io_debug_exit(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	if (in) {
		*val = 0xffffffff;
		return true;
	}
	guest_exit(g, (int)*val);
	return false;
}

/* Port 0x80: POST codes, used by guests as an I/O delay. Ignored. */
static bool io_post(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	if (in)
		*val = 0xffffffff;
	return true;
}

static const struct vdev_port io_fixed[] = {
	{ 0xe9, 0xe9, io_console },
	{ 0xf4, 0xf7, io_debug_exit },
	{ 0x80, 0x80, io_post },
};

/* Returns the handler for port, from the fixed table or the guest's virtual devices. */
static vdev_io_fn io_lookup(struct guest *g, uint16_t port)
{
	for (unsigned i = 0; i < ARRAY_SIZE(io_fixed); i++)
		if (port >= io_fixed[i].first && port <= io_fixed[i].last)
			return io_fixed[i].fn;
	return vdev_lookup(g, port);
}

static void io_refuse(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val)
{
	if (in)
		*val = 0xffffffff;
	g->io_refusals++;
	guest_log_refusal(g, "%s of port 0x%x refused (not owned)", in ? "read" : "write", port);
}

/* Stores an IN result into AL/AX/EAX as the instruction would. */
static void io_store_in(struct vcpu *v, unsigned size, uint32_t val)
{
	uint64_t *rax = &v->regs.rax;

	if (size == 1)
		*rax = (*rax & ~0xffull) | (val & 0xff);
	else if (size == 2)
		*rax = (*rax & ~0xffffull) | (val & 0xffff);
	else
		*rax = val;             /* 32-bit results zero-extend */
}

enum exit_action exit_io(struct vcpu *v, struct exit_info *x)
{
	struct guest *g = v->guest;
	uint16_t port = IOQ_PORT(x->qual);
	unsigned size = IOQ_SIZE(x->qual);
	bool in = IOQ_IN(x->qual);
	uint32_t val = in ? 0 : (uint32_t)v->regs.rax & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
	vdev_io_fn fn;

	if (IOQ_STRING(x->qual)) {
		/* INS/OUTS would need a guest page walk; no emulated device needs them. */
		log_printf("hv: guest %s: string I/O on port 0x%x not emulated\n", g->cfg->name, port);
		vmx_dump_guest(v);
		guest_stop(g, "string I/O on emulated port 0x%x", port);
		return EXIT_STOPPED;
	}
	fn = io_lookup(g, port);
	if (!fn)
		io_refuse(g, port, in, size, &val);
	else if (!fn(g, port, in, size, &val))
		return EXIT_STOPPED;
	if (in)
		io_store_in(v, size, val);
	exit_skip_insn(v);
	return EXIT_RESUME;
}
