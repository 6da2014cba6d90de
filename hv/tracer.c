/*
 * VM-exit trace writer: one ring of records per CPU.
 *
 *   CPU 0 (exit path)            CPU 1 (exit path)
 *     trace_exit -> head            trace_exit -> head
 *   +--------------------+        +--------------------+
 *   | ring 0             |        | ring 1             |
 *   +--------------------+        +--------------------+
 *          tail \                      / tail
 *      trace_drain, on any CPU, under the log's lock: takes the ready record
 *      with the lowest tsc_exit of all rings' tails, again and again, and
 *      writes them out 8 to an "@T R" line on port 0xE9
 *
 * A ring is indexed by 64-bit sequence numbers (slot = seq % ring_records):
 * head is the next record to write, tail the next to drain. Only its own
 * CPU writes a ring's head, its records, its drop count and its cost (the
 * exit path takes no lock and never waits); only a drain, under the log's
 * lock (log_debugcon_take: the trace and the log share port 0xE9 and stay
 * in order on it), moves a tail. A full ring drops the new record and
 * counts it.
 *
 * A record's resume TSC is known only when its guest is next entered
 * (trace_resume, on the guest's CPU). Draining a ring stops at its oldest
 * record still waiting for it, unless that ring is half full: then that
 * record goes out with resume 0 ("not resumed yet") rather than hold up the
 * rest. Each ring waits only for its own guests: records of one drain are
 * in TSC order across CPUs, records of two drains need not be (a CPU's
 * waiting record may be older than what the other CPUs sent meanwhile);
 * within a CPU they always are, by sequence number.
 *
 * Lines go to port 0xE9 only, base64-encoded, each "@T <kind> <payload>",
 * so they travel with the hv log and the decoder (tools/hvtrace) picks them
 * out.
 */
#include "tracer.h"
#include "trace.h"
#include "cpu.h"
#include "log.h"
#include "mem.h"
#include "percpu.h"
#include "vmcs.h"

#define TRACE_RING_MAX    16384u          /* records per CPU, at most (one CPU: 896 KiB) */
#define TRACE_RING_MIN    256u
#define TRACE_RING_BYTES  (1u << 20)      /* every CPU's ring together, at most */
#define TRACE_PER_LINE    8u
#define TRACE_FINAL       0xffu           /* in the ring only: no resume will come */

#define LOAD(x)           __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v)       __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* One CPU's ring: its CPU appends; a drain (under the log's lock) takes from the tail. */
struct trace_cpu {
	struct trace_record *ring;      /* NULL: no guest placed on this CPU */
	uint64_t size;                  /* records it holds: ring_records, 0 without a ring (always full) */
	uint64_t mask;                  /* size - 1 */
	uint64_t half;                  /* size / 2: this full, it is drained resumed or not; UINT64_MAX: no ring */
	uint64_t head;                  /* written by its CPU only (release: the record first) */
	uint64_t lost;                  /* its CPU only */
	uint64_t cost_sum, cost_max;    /* its CPU only */
	bool poll_due;                  /* its CPU only: half full after its last exit (trace_poll) */
	uint64_t tail __attribute__((aligned(64)));  /* the drain's, on a line of its own */
	uint64_t lost_sent;             /* lost as of its last L line (the drain's) */
} __attribute__((aligned(64)));

static struct trace_cpu tcpu[HV_MAX_CPUS];
static unsigned ncpus;                    /* CPUs 0..ncpus-1 have an L and E line at the end */
static uint64_t ring_records;             /* per CPU, a power of two */
/* By guest id: the slot of its last record and the ring it is in (its CPU's), for resume and end. */
static struct trace_last {
	struct trace_record *slot;
	struct trace_cpu *ring;
} guest_last[CFG_MAX_GUESTS];
static bool enabled;

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static struct trace_record *trace_slot(struct trace_cpu *t, uint64_t seq)
{
	return &t->ring[seq & t->mask];
}

/*
 * The fields another CPU may write while a drain reads the record. Slots are
 * 56 bytes apart from a page boundary, so tsc_resume is 8-byte aligned: one
 * access, never torn.
 */
static volatile uint64_t *trace_resume_field(struct trace_record *r)
{
	return (volatile uint64_t *)(void *)((char *)r + offsetof(struct trace_record, tsc_resume));
}

static volatile uint8_t *trace_kind_field(struct trace_record *r)
{
	return (volatile uint8_t *)r + offsetof(struct trace_record, resume_kind);
}

/* Writes "@T <kind> <base64 of p[0..n)>\n" to the debug port (its lock held). */
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
	log_debugcon_write(buf, o);
}

static void trace_name_line(uint16_t kind, uint16_t id, const char *name)
{
	struct trace_name nm = { .kind = kind, .id = id };

	lib_strlcpy(nm.name, name, sizeof(nm.name));
	trace_line('N', &nm, sizeof(nm));
}

/* Gives a ring to CPU 0 and each CPU a guest is placed on; sets ncpus and ring_records. */
static void trace_alloc_rings(void)
{
	bool used[HV_MAX_CPUS] = { [0] = true };
	unsigned nrings = 0;

	ncpus = 1;
	for (int i = 0; i < hv.nguests; i++) {
		unsigned c = (unsigned)hv.guests[i].cfg->cpu;
		if (c < HV_MAX_CPUS) {
			used[c] = true;
			ncpus = MAX(ncpus, c + 1);
		}
	}
	for (unsigned c = 0; c < ncpus; c++)
		nrings += used[c];
	for (unsigned c = 0; c < HV_MAX_CPUS; c++)
		tcpu[c].half = UINT64_MAX;
	ring_records = TRACE_RING_MAX;
	while (ring_records > TRACE_RING_MIN && nrings * ring_records * sizeof(struct trace_record) >
	       TRACE_RING_BYTES)
		ring_records /= 2;
	for (unsigned c = 0; c < ncpus; c++)
		if (used[c]) {
			tcpu[c].ring = mem_alloc_pages((ring_records * sizeof(struct trace_record) + 4095) / 4096);
			tcpu[c].size = ring_records;
			tcpu[c].mask = ring_records - 1;
			tcpu[c].half = ring_records / 2;
		}
}

void trace_init(void)
{
	memset(tcpu, 0, sizeof(tcpu));
	memset(guest_last, 0, sizeof(guest_last));
	ncpus = 0;
	enabled = hv.bi->cfg.trace;
	if (!enabled)
		return;
	trace_alloc_rings();
	struct trace_header h = {
		.magic = TRACE_MAGIC, .version = TRACE_VERSION, .record_size = sizeof(struct trace_record),
		.tsc_hz = hv.tsc_hz, .start_tsc = cpu_rdtsc(), .nguests = (uint32_t)hv.nguests,
		.ring_records = (uint32_t)ring_records, .ncpus = ncpus,
	};
	log_debugcon_take();
	trace_line('H', &h, sizeof(h));
	for (int i = 0; i < hv.nguests; i++)
		trace_name_line(TRACE_NAME_GUEST, (uint16_t)i, hv.guests[i].cfg->name);
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++)
		if (exit_reason_name(r))
			trace_name_line(TRACE_NAME_REASON, (uint16_t)r, exit_reason_name(r));
	log_debugcon_give();
	log_printf("hv: trace on: %lu-record ring per CPU (%u CPU(s)), drained to port 0xe9 as @T "
		   "lines (tools/hvtrace)\n", ring_records, ncpus);
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
	unsigned cpu = this_cpu();
	struct trace_cpu *t = &tcpu[cpu];
	uint64_t seq = t->head, used = seq - __atomic_load_n(&t->tail, __ATOMIC_ACQUIRE);
	t->poll_due = used + 1 >= t->half;
	if (used >= t->size) {                  /* full, or no ring */
		STORE(t->lost, t->lost + 1);
		v->trace_pending = false;
		return;
	}
	/* Field by field: no zeroing of the whole record first (the exit path's cost). */
	struct trace_record *r = trace_slot(t, seq);
	unsigned g = (unsigned)v->guest->id;
	r->tsc_exit = v->exit_tsc;
	r->tsc_resume = 0;
	r->qual = qual;
	r->rip = vmcs_readnat(GUEST_RIP);
	r->detail = 0;
	r->reason = raw_reason;
	r->guest = (uint8_t)g;
	r->vcpu = 0;
	r->detail_kind = TRACE_DETAIL_NONE;
	r->resume_kind = TRACE_RESUMED;
	r->seq = (uint32_t)seq;
	r->cpu = (uint16_t)cpu;
	r->reserved = 0;
	trace_detail(v, raw_reason & 0xffff, qual, r);
	__atomic_store_n(&t->head, seq + 1, __ATOMIC_RELEASE);
	v->trace_seq = seq;
	v->trace_pending = true;
	guest_last[g].slot = r;
	guest_last[g].ring = t;
	uint64_t cost = cpu_rdtsc() - t0;
	t->cost_sum += cost;
	t->cost_max = MAX(t->cost_max, cost);
}

/* The record v's last exit left, if it is still in its ring (not drained meanwhile), else NULL. */
static struct trace_record *trace_pending_record(struct vcpu *v)
{
	if (!v->trace_pending)
		return NULL;
	v->trace_pending = false;
	const struct trace_last *l = &guest_last[(unsigned)v->guest->id];
	return v->trace_seq >= LOAD(l->ring->tail) ? l->slot : NULL;
}

void trace_resume(struct vcpu *v)
{
	struct trace_record *r = trace_pending_record(v);

	if (r)
		*trace_resume_field(r) = cpu_rdtsc();
}

void trace_forget(struct vcpu *v)
{
	struct trace_record *r = trace_pending_record(v);

	if (r)
		*trace_kind_field(r) = TRACE_FINAL;
}

/*
 * Copies t's record at its tail to *out if it may go out now (resumed,
 * final, or all: the ring is pressed or this is the end), with its
 * resume_kind for the wire. Returns false, copying nothing, if it must wait.
 */
static bool trace_peek(struct trace_cpu *t, bool all, struct trace_record *out)
{
	struct trace_record *r = trace_slot(t, t->tail);
	uint64_t resume = *trace_resume_field(r);
	uint8_t kind = *trace_kind_field(r);

	if (!resume && kind != TRACE_FINAL && !all)
		return false;
	*out = *r;
	out->tsc_resume = resume;
	out->resume_kind = resume ? TRACE_RESUMED : kind == TRACE_FINAL ? TRACE_NOT_RESUMED :
			   TRACE_DRAINED_EARLY;
	return true;
}

/* Sends an L line for each CPU whose ring dropped records since its last one (or every CPU). */
static void trace_lost_lines(bool every)
{
	for (unsigned c = 0; c < ncpus; c++) {
		struct trace_cpu *t = &tcpu[c];
		uint64_t lost = LOAD(t->lost);
		if (lost == t->lost_sent && !every)
			continue;
		struct trace_lost l = { .lost = lost, .written = LOAD(t->head), .cpu = c };
		trace_line('L', &l, sizeof(l));
		t->lost_sent = lost;
	}
}

/*
 * The merge, with the debug port's lock held: up to max records, each time
 * the ready record with the lowest tsc_exit among the rings' tails. A ring
 * half full (or every ring, if all) sends its records whether resumed or not.
 */
static void trace_drain_locked(unsigned max, bool all)
{
	struct trace_record batch[TRACE_PER_LINE];
	uint64_t head[HV_MAX_CPUS];
	bool pressed[HV_MAX_CPUS];
	unsigned n = 0;

	for (unsigned c = 0; c < ncpus; c++) {
		head[c] = __atomic_load_n(&tcpu[c].head, __ATOMIC_ACQUIRE);
		pressed[c] = all || head[c] - tcpu[c].tail >= tcpu[c].half;
	}
	while (max) {
		struct trace_record r;
		int best = -1;
		for (unsigned c = 0; c < ncpus; c++) {
			struct trace_cpu *t = &tcpu[c];
			if (t->tail == head[c] || !trace_peek(t, pressed[c], &r))
				continue;
			if (best < 0 || r.tsc_exit < batch[n].tsc_exit) {
				best = (int)c;
				batch[n] = r;
			}
		}
		if (best < 0)
			break;
		__atomic_store_n(&tcpu[best].tail, tcpu[best].tail + 1, __ATOMIC_RELEASE);
		max--;
		if (++n == TRACE_PER_LINE) {
			trace_line('R', batch, sizeof(batch));
			n = 0;
		}
	}
	if (n)
		trace_line('R', batch, n * sizeof(batch[0]));
	trace_lost_lines(false);
}

void trace_drain(unsigned max)
{
	if (!enabled)
		return;
	log_debugcon_take();
	trace_drain_locked(max, false);
	log_debugcon_give();
}

void trace_poll(void)
{
	if (tcpu[this_cpu()].poll_due)          /* as trace_exit found it; never without a ring */
		trace_drain(256);
}

/* Logs one CPU's (or, cpu < 0, the summed) figures. */
static void trace_summary(int cpu, uint64_t written, uint64_t lost, uint64_t sum, uint64_t max)
{
	char who[16] = "";

	if (cpu >= 0)
		log_snprintf(who, sizeof(who), "cpu %d: ", cpu);
	log_printf("hv: trace: %s%lu records, %lu lost; tracer cost %lu ticks per exit on average, "
		   "%lu at most\n", who, written, lost, written ? sum / written : 0, max);
}

void trace_finish(void)
{
	uint64_t written = 0, lost = 0, sum = 0, max = 0, end_tsc;

	if (!enabled)
		return;
	for (int i = 0; i < hv.nguests; i++)
		trace_forget(&hv.guests[i].vcpu);
	log_debugcon_take();
	trace_drain_locked(UINT32_MAX, true);
	trace_lost_lines(true);
	end_tsc = cpu_rdtsc();
	for (unsigned c = 0; c < ncpus; c++) {
		struct trace_cpu *t = &tcpu[c];
		struct trace_end e = { .written = LOAD(t->head), .lost = LOAD(t->lost),
				       .cost_tsc_sum = LOAD(t->cost_sum), .cost_tsc_max = LOAD(t->cost_max),
				       .end_tsc = end_tsc, .cpu = c };
		trace_line('E', &e, sizeof(e));
		written += e.written, lost += e.lost, sum += e.cost_tsc_sum;
		max = MAX(max, e.cost_tsc_max);
	}
	log_debugcon_give();
	trace_summary(-1, written, lost, sum, max);
	for (unsigned c = 0; ncpus > 1 && c < ncpus; c++)
		trace_summary((int)c, tcpu[c].head, tcpu[c].lost, tcpu[c].cost_sum, tcpu[c].cost_max);
}
