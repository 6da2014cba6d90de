/*
 * I/O instruction exits. Ports a guest owns never exit (its I/O bitmap
 * lets them through). Every other port exits here: emulated ports go to
 * their virtual device; the rest are refused: reads float high (all ones,
 * as on an ISA bus with nothing behind the port), writes are dropped, and
 * the first few refusals per guest are logged. String I/O (INS, OUTS,
 * with or without REP) is emulated element by element through the guest's
 * segments, paging and EPT (hv/gmem.c), a bounded number per exit.
 */
#include "exit.h"
#include "cpu.h"
#include "gmem.h"
#include "guest.h"
#include "vmx.h"
#include "log.h"
#include "vmcs.h"
#include "vdev.h"

/* Exit qualification for I/O instructions (SDM "Exit Qualification for I/O Instructions"). */
#define IOQ_SIZE(q)    ((unsigned)((q) & 7) + 1)
#define IOQ_IN(q)      (((q) >> 3) & 1)
#define IOQ_STRING(q)  (((q) >> 4) & 1)
#define IOQ_REP(q)     (((q) >> 5) & 1)
#define IOQ_PORT(q)    ((uint16_t)((q) >> 16))

/* VM-exit instruction information for INS/OUTS ("... as Used for INS and OUTS"). */
#define IOI_ASIZE(i)   (((i) >> 7) & 7)      /* 0: 16-bit, 1: 32-bit, 2: 64-bit */
#define IOI_SEG(i)     (((i) >> 15) & 7)     /* OUTS: the source segment */

/* Bytes one exit moves at most: a REP string instruction resumes for the rest. */
#define IO_STRING_MAX  4096u

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

/* A port nobody emulates or owns: reads float high, writes go nowhere. Logs if log. */
static void io_refuse(struct guest *g, uint16_t port, bool in, uint32_t *val, bool log)
{
	if (in)
		*val = 0xffffffff;
	g->io_refusals++;
	if (log)
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

/* Performs one port access of size bytes: its device, or a refusal. Returns false if the guest stopped. */
static bool io_port(struct guest *g, vdev_io_fn fn, uint16_t port, bool in, unsigned size, uint32_t *val,
		    bool log_refusal)
{
	if (!fn) {
		io_refuse(g, port, in, val, log_refusal);
		return true;
	}
	return fn(g, port, in, size, val);
}

/* The segment and address size of a string I/O instruction. */
struct io_string {
	enum insn_seg seg;
	unsigned asize;
};

/*
 * Finds the operands of the INS/OUTS that exited: from the VM-exit
 * instruction information where the CPU gives it (IA32_VMX_BASIC bit 54),
 * else by decoding the instruction. Returns false if neither can.
 */
static bool io_string_operands(struct vcpu *v, bool in, struct io_string *s)
{
	struct gmem_insn gi;
	struct gmem_fault f;

	if (vmx_caps()->basic & VMX_BASIC_INS_OUTS_INFO) {
		uint32_t info = vmcs_read32(VM_EXIT_INSTRUCTION_INFO);
		if (IOI_ASIZE(info) > 2 || (!in && IOI_SEG(info) > INSN_GS))
			return false;
		s->asize = 2u << IOI_ASIZE(info);
		s->seg = in ? INSN_ES : (enum insn_seg)IOI_SEG(info);
		return true;
	}
	if (gmem_fetch_insn(v, &gi, &f) != GMEM_OK || gi.res != INSN_OK ||
	    gi.in.kind != (in ? INSN_INS : INSN_OUTS))
		return false;
	s->asize = gi.in.addrsize;
	s->seg = gi.in.seg;
	return true;
}

/* Maps the size bytes of one element at lin: one page, or two if it straddles them. */
static enum gmem_status io_map_elem(struct vcpu *v, uint64_t lin, unsigned size, unsigned access,
				    struct gmem_map m[2], struct gmem_fault *f)
{
	enum gmem_status st = gmem_map(v, lin, access, &m[0], f);

	if (st != GMEM_OK || m[0].bytes >= size) {
		m[0].bytes = size;
		m[1].bytes = 0;
		return st;
	}
	st = gmem_map(v, lin + m[0].bytes, access, &m[1], f);
	m[1].bytes = size - m[0].bytes;
	return st;
}

/* Copies between an element's mapping and val (little-endian). Writes to a ROM page are dropped. */
static void io_elem_copy(struct guest *g, struct gmem_map m[2], bool to_mem, uint32_t *val)
{
	unsigned k = 0;

	for (unsigned i = 0; i < 2; i++)
		for (unsigned b = 0; b < m[i].bytes; b++, k++) {
			if (!to_mem)
				*val = (*val & ~(0xffu << 8 * k)) | (uint32_t)m[i].host[b] << 8 * k;
			else if (m[i].rom)
				g->rom_writes++;
			else
				m[i].host[b] = (uint8_t)(*val >> 8 * k);
		}
}

/*
 * One element of INS or OUTS at seg:RDI/RSI. Returns GMEM_OK (done, the
 * index register moved), or the fault/stop of its memory operand (nothing
 * done, the port untouched); *stopped if the port access ended the guest.
 */
static enum gmem_status io_string_elem(struct vcpu *v, const struct io_string *s, vdev_io_fn fn,
				       uint16_t port, unsigned size, bool in, bool first, bool *stopped,
				       struct gmem_fault *f)
{
	uint64_t *idx = in ? &v->regs.rdi : &v->regs.rsi, off = *idx & insn_mask(s->asize), lin;
	bool down = vmcs_readnat(GUEST_RFLAGS) & RFLAGS_DF;
	struct gmem_map m[2];
	enum gmem_status st;
	uint32_t val = 0;

	st = gmem_linear(s->seg, off, size, in, &lin, f);
	if (st == GMEM_OK)
		st = io_map_elem(v, lin, size, in ? GWALK_WRITE : 0, m, f);
	if (st != GMEM_OK)
		return st;
	if (in) {
		*stopped = !io_port(v->guest, fn, port, true, size, &val, first);
		io_elem_copy(v->guest, m, true, &val);
	} else {
		io_elem_copy(v->guest, m, false, &val);
		*stopped = !io_port(v->guest, fn, port, false, size, &val, first);
	}
	*idx = insn_reg_write(*idx, down ? off - size : off + size, s->asize);
	return GMEM_OK;
}

/*
 * INS/OUTS, with or without REP: at most IO_STRING_MAX bytes (one element
 * while single-stepping) per exit, RCX/RSI/RDI kept up to date element by
 * element; a REP instruction with a count left keeps RIP on itself and
 * runs again, so the hv's time per exit stays bounded and the guest can be
 * preempted or interrupted between chunks. A fault of the memory operand
 * goes to the guest at that element, as the CPU would raise it.
 */
static enum exit_action io_string(struct vcpu *v, struct exit_info *x, vdev_io_fn fn)
{
	struct guest *g = v->guest;
	uint16_t port = IOQ_PORT(x->qual);
	unsigned size = IOQ_SIZE(x->qual);
	bool in = IOQ_IN(x->qual), rep = IOQ_REP(x->qual), stopped = false;
	struct io_string s;
	struct gmem_fault f;
	enum gmem_status st = GMEM_OK;
	uint64_t count, max, done = 0;

	if (!io_string_operands(v, in, &s)) {
		log_printf("hv: guest %s: %s on port 0x%x: operands not found\n", g->cfg->name,
			   in ? "INS" : "OUTS", port);
		vmx_dump_guest(v);
		guest_stop(g, "string I/O on port 0x%x not decoded", port);
		return EXIT_STOPPED;
	}
	count = rep ? v->regs.rcx & insn_mask(s.asize) : 1;
	max = (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_TF) ? 1 : IO_STRING_MAX / size;
	while (done < count && done < max && !stopped) {
		st = io_string_elem(v, &s, fn, port, size, in, done == 0, &stopped, &f);
		if (st != GMEM_OK)
			break;
		done++;
		if (rep)
			v->regs.rcx = insn_reg_write(v->regs.rcx, count - done, s.asize);
	}
	if (stopped)
		return EXIT_STOPPED;
	if (st == GMEM_FAULT) {
		gmem_inject(v, &f);
		return EXIT_RESUME;
	}
	if (st == GMEM_STOP) {
		log_printf("hv: guest %s: %s on port 0x%x: GPA 0x%lx%s is outside its memory\n", g->cfg->name,
			   in ? "INS" : "OUTS", port, f.gpa, f.page_table ? " (a paging structure)" : "");
		vmx_dump_guest(v);
		guest_stop(g, "EPT violation at GPA 0x%lx (string I/O %s)", f.gpa, in ? "write" : "read");
		return EXIT_STOPPED;
	}
	exit_complete_insn(v, done == count ? vmcs_read32(VM_EXIT_INSTRUCTION_LEN) : 0);
	return EXIT_RESUME;
}

enum exit_action exit_io(struct vcpu *v, struct exit_info *x)
{
	struct guest *g = v->guest;
	uint16_t port = IOQ_PORT(x->qual);
	unsigned size = IOQ_SIZE(x->qual);
	bool in = IOQ_IN(x->qual);
	uint32_t val = in ? 0 : (uint32_t)v->regs.rax & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
	vdev_io_fn fn = io_lookup(g, port);

	if (IOQ_STRING(x->qual))
		return io_string(v, x, fn);
	if (!io_port(g, fn, port, in, size, &val, true))
		return EXIT_STOPPED;
	if (in)
		io_store_in(v, size, val);
	exit_skip_insn(v);
	return EXIT_RESUME;
}
