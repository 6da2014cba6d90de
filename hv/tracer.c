/*
 * VM-exit trace writer. Records live in a ring indexed by 64-bit sequence
 * numbers (slot = seq % TRACE_RING): head is the next record to write,
 * tail the next to drain. A full ring drops the new record and counts it:
 * the exit path never waits for the channel.
 *
 * A record's resume TSC is known only when its guest is next entered
 * (trace_resume). Draining stops at the oldest record still waiting for
 * it, unless the ring is half full: then that record goes out with resume
 * 0 ("not resumed yet") rather than hold up the rest.
 *
 * Lines go to port 0xE9 only (log_debugcon_write), base64-encoded, each
 * "@T <kind> <payload>", so they travel with the hv log and the decoder
 * (tools/hvtrace) picks them out.
 */
#include "tracer.h"
#include "trace.h"
#include "cpu.h"
#include "log.h"
#include "mem.h"
#include "vmcs.h"

#define TRACE_RING        16384u          /* records: 768 KiB */
#define TRACE_PER_LINE    8u
#define TRACE_FINAL       0xffu           /* in the ring only: no resume will come */

static struct trace_record *ring;
static uint64_t head, tail, lost, cost_sum, cost_max;
static bool enabled;

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Writes "@T <kind> <base64 of p[0..n)>\n" to the debug port. */
static void trace_line(char kind, const void *p, size_t n)
{
	char buf[8 + 4 * ((TRACE_PER_LINE * sizeof(struct trace_record) + 2) / 3) + 2];
	const uint8_t *s = p;
	size_t o = 0;

	buf[o++] = '@', buf[o++] = 'T', buf[o++] = ' ', buf[o++] = kind, buf[o++] = ' ';
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);
		buf[o++] = b64[v >> 18 & 63];
		buf[o++] = b64[v >> 12 & 63];
		buf[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		buf[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	buf[o++] = '\n';
	log_debugcon_take();
	log_debugcon_write(buf, o);
	log_debugcon_give();
}

static void trace_name_line(uint16_t kind, uint16_t id, const char *name)
{
	struct trace_name nm = { .kind = kind, .id = id };

	lib_strlcpy(nm.name, name, sizeof(nm.name));
	trace_line('N', &nm, sizeof(nm));
}

void trace_init(void)
{
	head = tail = lost = cost_sum = cost_max = 0;
	enabled = hv.bi->cfg.trace;
	if (!enabled)
		return;
	ring = mem_alloc_pages((TRACE_RING * sizeof(*ring) + 4095) / 4096);
	struct trace_header h = {
		.magic = TRACE_MAGIC, .version = TRACE_VERSION, .record_size = sizeof(struct trace_record),
		.tsc_hz = hv.tsc_hz, .start_tsc = cpu_rdtsc(), .nguests = (uint32_t)hv.nguests,
		.ring_records = TRACE_RING,
	};
	trace_line('H', &h, sizeof(h));
	for (int i = 0; i < hv.nguests; i++)
		trace_name_line(TRACE_NAME_GUEST, (uint16_t)i, hv.guests[i].cfg->name);
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++)
		if (exit_reason_name(r))
			trace_name_line(TRACE_NAME_REASON, (uint16_t)r, exit_reason_name(r));
	log_printf("hv: trace on: %u-record ring, drained to port 0xe9 as @T lines (tools/hvtrace)\n",
		   TRACE_RING);
}

/* Fills in what the detail word holds for this exit (read before the handler runs). */
static void trace_detail(struct vcpu *v, unsigned reason, uint64_t qual, struct trace_record *r)
{
	switch (reason) {
	case EXIT_REASON_IO_INSTRUCTION:
		r->detail_kind = TRACE_DETAIL_PORT;
		r->detail = (qual >> 16 & 0xffff) | ((qual & 7) + 1) << 16 | (qual >> 3 & 1) << 24;
		break;
	case EXIT_REASON_RDMSR:
	case EXIT_REASON_WRMSR:
		r->detail_kind = TRACE_DETAIL_MSR;
		r->detail = (uint32_t)v->regs.rcx;
		break;
	case EXIT_REASON_CPUID:
		r->detail_kind = TRACE_DETAIL_LEAF;
		r->detail = (uint32_t)v->regs.rax | (uint64_t)(uint32_t)v->regs.rcx << 32;
		break;
	case EXIT_REASON_EPT_VIOLATION:
	case EXIT_REASON_EPT_MISCONFIG:
		r->detail_kind = TRACE_DETAIL_GPA;
		r->detail = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
		break;
	case EXIT_REASON_VMCALL:
		r->detail_kind = TRACE_DETAIL_HCALL;
		r->detail = v->regs.rax;
		break;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		r->detail_kind = TRACE_DETAIL_VECTOR;
		r->detail = vmcs_read32(VM_EXIT_INTR_INFO) & 0xff;
		break;
	}
}

void trace_exit(struct vcpu *v, uint32_t raw_reason, uint64_t qual)
{
	uint64_t t0 = cpu_rdtsc();

	if (!enabled)
		return;
	if (head - tail == TRACE_RING) {
		lost++;
		v->trace_pending = false;
		return;
	}
	struct trace_record *r = &ring[head % TRACE_RING];
	*r = (struct trace_record){
		.tsc_exit = v->exit_tsc, .qual = qual, .rip = vmcs_readnat(GUEST_RIP),
		.reason = raw_reason, .guest = (uint8_t)v->guest->id, .vcpu = 0,
	};
	trace_detail(v, raw_reason & 0xffff, qual, r);
	v->trace_seq = head++;
	v->trace_pending = true;
	uint64_t cost = cpu_rdtsc() - t0;
	cost_sum += cost;
	cost_max = MAX(cost_max, cost);
}

void trace_resume(struct vcpu *v)
{
	if (!v->trace_pending)
		return;
	v->trace_pending = false;
	if (v->trace_seq >= tail)               /* not drained (as unresumed) meanwhile */
		ring[v->trace_seq % TRACE_RING].tsc_resume = cpu_rdtsc();
}

void trace_forget(struct vcpu *v)
{
	if (!v->trace_pending)
		return;
	v->trace_pending = false;
	if (v->trace_seq >= tail)
		ring[v->trace_seq % TRACE_RING].resume_kind = TRACE_FINAL;
}

/* Returns true if the record at tail may go out now. */
static bool trace_ready(bool pressed)
{
	const struct trace_record *r = &ring[tail % TRACE_RING];

	return r->tsc_resume || r->resume_kind == TRACE_FINAL || pressed;
}

void trace_drain(unsigned max)
{
	if (!enabled)
		return;
	bool pressed = head - tail >= TRACE_RING / 2;
	while (max && head != tail && trace_ready(pressed)) {
		struct trace_record batch[TRACE_PER_LINE];
		unsigned n = 0;
		while (n < TRACE_PER_LINE && n < max && head != tail && trace_ready(pressed)) {
			struct trace_record *r = &batch[n++];
			*r = ring[tail++ % TRACE_RING];
			r->resume_kind = r->tsc_resume ? TRACE_RESUMED :
					 r->resume_kind == TRACE_FINAL ? TRACE_NOT_RESUMED : TRACE_DRAINED_EARLY;
		}
		trace_line('R', batch, n * sizeof(batch[0]));
		max -= n;
	}
}

void trace_poll(void)
{
	if (enabled && head - tail >= TRACE_RING / 2)
		trace_drain(256);
}

void trace_finish(void)
{
	if (!enabled)
		return;
	for (int i = 0; i < hv.nguests; i++)
		trace_forget(&hv.guests[i].vcpu);
	trace_drain(UINT32_MAX);
	struct trace_lost l = { .lost = lost, .written = head };
	trace_line('L', &l, sizeof(l));
	struct trace_end e = { .written = head, .lost = lost, .cost_tsc_sum = cost_sum,
			       .cost_tsc_max = cost_max, .end_tsc = cpu_rdtsc() };
	trace_line('E', &e, sizeof(e));
	log_printf("hv: trace: %lu records, %lu lost; tracer cost %lu ticks per exit on average, "
		   "%lu at most\n", head, lost, head ? cost_sum / head : 0, cost_max);
}
