/*
 * Fuzz target: the VM-exit trace's writer and its merge (hv/tracer.c, with
 * hv/log.c, which owns port 0xE9). The input places 1..8 guests on CPUs
 * 0..3 and is then a stream of what the hv does: an exit of a guest (on its
 * CPU, at a later TSC), its resume, its end (trace_forget, from any CPU),
 * a burst of exits and resumes (to fill a ring), a drain on any CPU with a
 * bound, a poll on any CPU; trace_finish at the end. The harness decodes
 * every "@T" line the hv writes, as tools/hvtrace does, and checks it
 * against an oracle of what was appended:
 *
 * - one H line, first: version 2, 56-byte records, ncpus = highest cpu + 1;
 * - every record comes out exactly once, of its guest's CPU, in its CPU's
 *   append order (seq 0, 1, 2, ... with no gap), with the guest, TSC, RIP
 *   and detail word of its exit;
 * - its resume: the TSC of the guest's next resume if that came before the
 *   record went out; else NOT_RESUMED if the guest ended; else
 *   DRAINED_EARLY, only from a ring at least half full when the drain began;
 * - one drain's records are in TSC order across CPUs;
 * - a drain stops only at its bound or when no ring's oldest record may go;
 *   a poll drains exactly when its own CPU's ring was half full after that
 *   CPU's last exit (a drain elsewhere since may have emptied it);
 * - a record is dropped only by a full ring, and every ring takes records
 *   until full;
 * - an L line after a drain for each CPU whose drops grew, with its
 *   totals; at the end an L and an E line per CPU, E's written, lost and
 *   cost (one TSC tick per record here) those of that CPU alone.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "trace_b64.h"
#include "hv.h"
#include "smp.h"
#include "cpu.h"
#include "log.h"
#include "mem.h"
#include "percpu.h"
#include "trace.h"
#include "tracer.h"
#include "vmcs.h"

#define NCPUS      4u
#define MAX_OPS    400u
#define MAX_BURST  17000u                /* enough to fill the largest ring, 16384 */
#define MAX_RECS   65536u                /* per CPU: the oracle's room (more exits are not made) */

/* ---- what tracer.c and log.c need of the machine ---------------------- */

struct hv hv;
static struct boot_info bi;
static uint64_t now;                     /* the TSC: each RDTSC reads one tick later */
static uint64_t cur_rip, cur_gpa, cur_intr;
static char e9[8u << 20];                /* one drain's lines: emptied after each check */
static size_t e9_len;
static uint8_t arena[2u << 20] __attribute__((aligned(4096)));
static size_t arena_used;

uint64_t cpu_rdtsc(void) { return ++now; }
void cpu_pause(void) { }
void outb(uint16_t port, uint8_t v) { (void)port; (void)v; }
uint8_t inb(uint16_t port) { (void)port; return 0x60; }
void cpu_wrmsr(uint32_t msr, uint64_t v) { (void)msr; (void)v; }

void cpu_outsb(uint16_t port, const char *s, size_t n)
{
	FUZZ_CHECK(port == 0xe9, "port 0x%x", port);
	FUZZ_CHECK(e9_len + n < sizeof(e9), "port 0xe9 output over %zu bytes", sizeof(e9));
	memcpy(e9 + e9_len, s, n);
	e9_len += n;
}

/* hv/smp.c's part of a panic: the target has no other CPUs to stop. */
int smp_panic_begin(void) { return 0; }

void cpu_halt_forever(void)
{
	e9[e9_len] = 0;
	fprintf(stderr, "the hv halted (a panic); its log:\n%s\n", e9);
	abort();
}

void *mem_alloc_pages(unsigned npages)
{
	size_t bytes = (size_t)npages * 4096;

	FUZZ_CHECK(arena_used + bytes <= sizeof(arena), "rings of %zu bytes", arena_used + bytes);
	void *p = arena + arena_used;
	arena_used += bytes;
	memset(p, 0, bytes);
	return p;
}

int vmcs_read_try(uint32_t field, uint64_t *v)
{
	*v = field == GUEST_RIP ? cur_rip : field == GUEST_PHYSICAL_ADDRESS ? cur_gpa :
	     field == VM_EXIT_INTR_INFO ? cur_intr : 0;
	return 0;
}

void vmcs_fail(uint32_t field, int write)
{
	fprintf(stderr, "vmcs_fail 0x%x %d\n", field, write);
	abort();
}

/* ---- the oracle ------------------------------------------------------- */

struct orec {
	uint64_t tsc_exit, rip, detail, resume;
	uint8_t guest, detail_kind;
	bool forgotten;
};

static struct {
	unsigned nguests, ncpus, ring;
	int cpu_of[CFG_MAX_GUESTS];
	struct orec *recs[NCPUS];        /* appended, in order; [sent .. appended) in the ring */
	unsigned appended[NCPUS], sent[NCPUS], lost[NCPUS], lost_in_l[NCPUS];
	int waiting[CFG_MAX_GUESTS];     /* index of the guest's record awaiting its resume, -1 */
	bool had_ring[NCPUS];
	bool poll_due[NCPUS];            /* its ring half full after its last exit */
	unsigned nh, ntrace, ne;         /* H lines, trace lines, E lines seen */
} o;

static struct orec rec_store[NCPUS][MAX_RECS];

static const uint32_t reasons[] = {
	EXIT_REASON_HLT, EXIT_REASON_IO_INSTRUCTION, EXIT_REASON_CPUID, EXIT_REASON_EPT_VIOLATION,
	EXIT_REASON_EXTERNAL_INTERRUPT,
};

/* ---- decoding port 0xE9 ----------------------------------------------- */

/* Decodes a trace line's base64 payload into out; returns its bytes. */
static size_t unb64(const char *s, size_t n, uint8_t *out)
{
	long got = trace_unb64(s, n, out);

	FUZZ_CHECK(got >= 0, "a trace line's payload is no base64: %.*s", (int)n, s);
	return (size_t)got;
}

/* Ring occupancy of each CPU when the drain whose output is being checked began. */
static unsigned occ_at_start[NCPUS];
static bool finishing;

static void check_record(const struct trace_record *r, uint64_t *last_tsc)
{
	FUZZ_CHECK(r->cpu < o.ncpus, "record of cpu %u, %u CPUs", r->cpu, o.ncpus);
	FUZZ_CHECK(r->guest < o.nguests, "record of guest %u, %u guests", r->guest, o.nguests);
	unsigned c = r->cpu, k = o.sent[c];
	FUZZ_CHECK(k < o.appended[c], "cpu %u: record %u sent, only %u appended", c, r->seq, o.appended[c]);
	FUZZ_CHECK(r->seq == (uint32_t)k, "cpu %u: record seq %u, expected %u (order or a gap)", c, r->seq, k);
	const struct orec *x = &o.recs[c][k];
	FUZZ_CHECK(r->guest == x->guest && (int)c == o.cpu_of[r->guest], "cpu %u seq %u: guest %u, expected %u",
		   c, k, r->guest, x->guest);
	FUZZ_CHECK(r->tsc_exit == x->tsc_exit && r->rip == x->rip, "cpu %u seq %u: tsc %lu rip 0x%lx", c, k,
		   (unsigned long)r->tsc_exit, (unsigned long)r->rip);
	FUZZ_CHECK(r->detail == x->detail && r->detail_kind == x->detail_kind, "cpu %u seq %u: detail 0x%lx kind %u",
		   c, k, (unsigned long)r->detail, r->detail_kind);
	FUZZ_CHECK(r->reserved == 0 && r->vcpu == 0, "reserved %u vcpu %u", r->reserved, r->vcpu);
	if (x->resume) {
		FUZZ_CHECK(r->tsc_resume == x->resume && r->resume_kind == TRACE_RESUMED,
			   "cpu %u seq %u: resume %lu kind %u, resumed at %lu", c, k,
			   (unsigned long)r->tsc_resume, r->resume_kind, (unsigned long)x->resume);
	} else if (x->forgotten) {
		FUZZ_CHECK(r->tsc_resume == 0 && r->resume_kind == TRACE_NOT_RESUMED, "cpu %u seq %u: kind %u, forgotten",
			   c, k, r->resume_kind);
	} else {
		FUZZ_CHECK(r->tsc_resume == 0 && r->resume_kind == TRACE_DRAINED_EARLY, "cpu %u seq %u: kind %u, waiting",
			   c, k, r->resume_kind);
		FUZZ_CHECK(!finishing && occ_at_start[c] >= o.ring / 2, "cpu %u: drained early from a ring of %u/%u%s",
			   c, occ_at_start[c], o.ring, finishing ? " at the end (every guest ended)" : "");
	}
	FUZZ_CHECK(r->tsc_exit >= *last_tsc, "one drain out of TSC order: %lu after %lu",
		   (unsigned long)r->tsc_exit, (unsigned long)*last_tsc);
	*last_tsc = r->tsc_exit;
	for (unsigned g = 0; g < o.nguests; g++)
		if (o.waiting[g] >= 0 && o.cpu_of[g] == (int)c && (unsigned)o.waiting[g] == k)
			o.waiting[g] = -1;      /* out: a later resume changes nothing */
	o.sent[c]++;
}

/*
 * Checks the "@T" lines written since the last call (the start, one drain,
 * or the end), then forgets them. drained: a drain ran (its L lines follow
 * every drop so far).
 */
static unsigned check_output(bool drained)
{
	static uint8_t buf[1024];
	uint64_t last_tsc = 0;
	unsigned nrec = 0;
	size_t at = 0;

	while (at < e9_len) {
		char *line = e9 + at, *end = memchr(line, '\n', e9_len - at);
		FUZZ_CHECK(end, "an unfinished line on port 0xe9");
		at = (size_t)(end - e9) + 1;
		if (strncmp(line, "@T ", 3))
			continue;
		FUZZ_CHECK(line[4] == ' ', "trace line kind");
		size_t n = unb64(line + 5, (size_t)(end - line - 5), buf);
		o.ntrace++;
		switch (line[3]) {
		case 'H': {
			struct trace_header h;
			FUZZ_CHECK(n == sizeof(h) && o.nh++ == 0 && o.ntrace == 1, "H line, first");
			memcpy(&h, buf, n);
			FUZZ_CHECK(h.magic == TRACE_MAGIC && h.version == 2 && h.record_size == 56 &&
				   h.nguests == o.nguests && h.ncpus == o.ncpus && h.ring_records == o.ring,
				   "header: version %u size %u guests %u cpus %u ring %u", h.version, h.record_size,
				   h.nguests, h.ncpus, h.ring_records);
			break;
		}
		case 'N':
			FUZZ_CHECK(n == sizeof(struct trace_name), "N line of %zu bytes", n);
			break;
		case 'R':
			FUZZ_CHECK(n && n % 56 == 0 && n <= 8 * 56, "R line of %zu bytes", n);
			for (size_t i = 0; i < n; i += 56) {
				struct trace_record r;
				memcpy(&r, buf + i, sizeof(r));
				check_record(&r, &last_tsc);
				nrec++;
			}
			break;
		case 'L': {
			struct trace_lost l;
			FUZZ_CHECK(n == sizeof(l), "L line of %zu bytes", n);
			memcpy(&l, buf, n);
			FUZZ_CHECK(l.cpu < o.ncpus && l.lost == o.lost[l.cpu] && l.written == o.appended[l.cpu] &&
				   l.reserved == 0, "L cpu %u: lost %lu written %lu, expected %u %u", l.cpu,
				   (unsigned long)l.lost, (unsigned long)l.written, o.lost[l.cpu % NCPUS],
				   o.appended[l.cpu % NCPUS]);
			FUZZ_CHECK(finishing || l.lost != o.lost_in_l[l.cpu], "cpu %u: an L line without new drops", l.cpu);
			o.lost_in_l[l.cpu] = o.lost[l.cpu];
			break;
		}
		case 'E': {
			struct trace_end e;
			FUZZ_CHECK(finishing && n == sizeof(e), "E line");
			memcpy(&e, buf, n);
			FUZZ_CHECK(e.cpu == o.ne++ && e.written == o.appended[e.cpu] && e.lost == o.lost[e.cpu] &&
				   e.cost_tsc_sum == e.written && e.cost_tsc_max == (e.written ? 1 : 0) &&
				   e.end_tsc && e.reserved == 0,
				   "E cpu %u: written %lu lost %lu cost %lu/%lu", e.cpu, (unsigned long)e.written,
				   (unsigned long)e.lost, (unsigned long)e.cost_tsc_sum, (unsigned long)e.cost_tsc_max);
			break;
		}
		default:
			FUZZ_CHECK(0, "trace line kind %c", line[3]);
		}
	}
	if (drained)                             /* drops counted since the last L line are in one now */
		for (unsigned c = 0; c < o.ncpus; c++)
			FUZZ_CHECK(o.lost_in_l[c] == o.lost[c], "cpu %u: %u drops, last L line says %u", c,
				   o.lost[c], o.lost_in_l[c]);
	e9_len = 0;
	return nrec;
}

/* ---- the hv's actions -------------------------------------------------- */

static struct vcpu *vcpu_of(unsigned g) { return &hv.guests[g].vcpu; }

static void resume(unsigned g)
{
	uint64_t before = now;

	percpu_host_cpu = (unsigned)o.cpu_of[g];
	trace_resume(vcpu_of(g));
	FUZZ_CHECK(now == before + (o.waiting[g] >= 0), "guest %u: trace_resume read the TSC %lu times", g,
		   (unsigned long)(now - before));
	if (o.waiting[g] >= 0) {
		o.recs[o.cpu_of[g]][o.waiting[g]].resume = now;
		o.waiting[g] = -1;
	}
}

static void do_exit(unsigned g, uint32_t reason, uint64_t arg)
{
	unsigned c = (unsigned)o.cpu_of[g];
	struct vcpu *v = vcpu_of(g);
	struct orec x = { .guest = (uint8_t)g };
	uint64_t qual = 0;

	if (o.appended[c] == MAX_RECS)           /* the oracle is full: no more exits here */
		return;
	if (o.waiting[g] >= 0)                   /* it ran again: it was resumed first */
		resume(g);
	percpu_host_cpu = c;
	now += 1 + (arg & 0xff);
	v->exit_tsc = x.tsc_exit = now;
	cur_rip = x.rip = arg * 0x9e3779b97f4a7c15ull;
	v->regs.rax = arg ^ 0x1234;
	v->regs.rcx = arg >> 7;
	cur_gpa = arg << 12;
	cur_intr = 0x80000000u | (arg & 0xff);
	switch (reason) {
	case EXIT_REASON_IO_INSTRUCTION:
		qual = arg & 0xffff0009u;
		x.detail_kind = TRACE_DETAIL_PORT;
		x.detail = (qual >> 16 & 0xffff) | ((qual & 7) + 1) << 16 | (qual >> 3 & 1) << 24;
		break;
	case EXIT_REASON_CPUID:
		x.detail_kind = TRACE_DETAIL_LEAF;
		x.detail = (uint32_t)v->regs.rax | (uint64_t)(uint32_t)v->regs.rcx << 32;
		break;
	case EXIT_REASON_EPT_VIOLATION:
		x.detail_kind = TRACE_DETAIL_GPA;
		x.detail = cur_gpa;
		break;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		x.detail_kind = TRACE_DETAIL_VECTOR;
		x.detail = cur_intr & 0xff;
		break;
	}
	unsigned occ = o.appended[c] - o.sent[c];
	trace_exit(v, reason, qual);
	if (!v->trace_pending) {
		FUZZ_CHECK(occ == o.ring, "cpu %u: dropped a record with %u of %u in the ring", c, occ, o.ring);
		o.lost[c]++;
		o.poll_due[c] = true;
		return;
	}
	o.poll_due[c] = occ + 1 >= o.ring / 2;
	FUZZ_CHECK(occ < o.ring, "cpu %u: took a record into a full ring", c);
	o.recs[c][o.appended[c]] = x;
	o.waiting[g] = (int)o.appended[c]++;
}

static void forget(unsigned g, unsigned on)
{
	percpu_host_cpu = on;
	trace_forget(vcpu_of(g));
	if (o.waiting[g] >= 0) {
		o.recs[o.cpu_of[g]][o.waiting[g]].forgotten = true;
		o.waiting[g] = -1;
	}
}

static void note_occupancy(void)
{
	for (unsigned c = 0; c < o.ncpus; c++)
		occ_at_start[c] = o.appended[c] - o.sent[c];
}

/* May CPU c's oldest record in the ring go out now (as the drain that just ran saw it)? */
static bool oldest_may_go(unsigned c)
{
	const struct orec *x = &o.recs[c][o.sent[c]];

	return x->resume || x->forgotten || occ_at_start[c] >= o.ring / 2;
}

static void drain(unsigned on, unsigned max)
{
	note_occupancy();
	percpu_host_cpu = on;
	trace_drain(max);
	unsigned n = check_output(true);
	FUZZ_CHECK(n <= max, "drained %u of at most %u", n, max);
	if (n < max)
		for (unsigned c = 0; c < o.ncpus; c++)
			FUZZ_CHECK(o.sent[c] == o.appended[c] || !oldest_may_go(c),
				   "cpu %u: the drain stopped at %u of %u, its oldest may go", c, o.sent[c],
				   o.appended[c]);
}

static void poll_on(unsigned c)
{
	note_occupancy();
	percpu_host_cpu = c;
	trace_poll();
	bool due = c < o.ncpus && o.poll_due[c];
	unsigned n = check_output(due);
	if (due)                                 /* a drain of 256, all rings merged */
		FUZZ_CHECK(n <= 256 && (n >= 1 || occ_at_start[c] < o.ring / 2),
			   "cpu %u: poll after a half-full ring sent %u", c, n);
	else
		FUZZ_CHECK(n == 0, "cpu %u: poll of a ring not half full at its last exit sent %u", c, n);
}

/* ---- one input ---------------------------------------------------------- */

static void setup(struct fuzz_in *in)
{
	static struct cfg_guest cfgs[CFG_MAX_GUESTS];
	unsigned used = 0, nrings = 0;

	memset(&hv, 0, sizeof(hv));
	memset(&bi, 0, sizeof(bi));
	memset(&o, 0, sizeof(o));
	memset(cfgs, 0, sizeof(cfgs));
	e9_len = arena_used = 0;
	finishing = false;
	now = 1000;
	o.nguests = fuzz_u8(in) % CFG_MAX_GUESTS + 1;
	o.ncpus = 1;
	used = 1;
	for (unsigned g = 0; g < o.nguests; g++) {
		o.cpu_of[g] = fuzz_u8(in) % NCPUS;
		o.ncpus = o.ncpus > (unsigned)o.cpu_of[g] + 1 ? o.ncpus : (unsigned)o.cpu_of[g] + 1;
		used |= 1u << o.cpu_of[g];
		o.waiting[g] = -1;
		cfgs[g].cpu = o.cpu_of[g];
		lib_strlcpy(cfgs[g].name, "g", sizeof(cfgs[g].name));
		hv.guests[g].id = (int)g;
		hv.guests[g].cfg = &cfgs[g];
		hv.guests[g].vcpu.guest = &hv.guests[g];
	}
	for (unsigned c = 0; c < NCPUS; c++) {
		o.recs[c] = rec_store[c];
		o.had_ring[c] = used >> c & 1;
		nrings += o.had_ring[c];
	}
	o.ring = 16384;
	while (o.ring > 256 && nrings * o.ring * 56 > (1u << 20))
		o.ring /= 2;
	bi.cfg.trace = true;
	hv.bi = &bi;
	hv.nguests = (int)o.nguests;
	hv.tsc_hz = 1000000000;
	for (unsigned c = NCPUS; c-- > 0;)
		percpu_enter(c, c);
	pcpu_count = NCPUS;
	log_init(0);
	trace_init();
	check_output(false);
	FUZZ_CHECK(o.nh == 1, "no H line");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	setup(&in);
	for (unsigned op = 0; op < MAX_OPS && fuzz_more(&in); op++) {
		uint8_t b = fuzz_u8(&in);
		unsigned g = (b >> 4) % o.nguests;
		switch (b & 7) {
		case 0: case 1: case 2:
			do_exit(g, reasons[fuzz_u8(&in) % (sizeof(reasons) / sizeof(reasons[0]))], fuzz_u32(&in));
			break;
		case 3:
			resume(g);
			break;
		case 4:
			forget(g, (b >> 3 & 1) ? (unsigned)o.cpu_of[g] : 0);
			break;
		case 5: {                        /* a burst: the guest exits and resumes n times */
			unsigned n = (unsigned)(fuzz_u16(&in) % MAX_BURST);
			for (unsigned i = 0; i < n; i++)
				do_exit(g, EXIT_REASON_HLT, i);
			if (b & 8)
				resume(g);
			break;
		}
		case 6:
			drain((b >> 4) % NCPUS, (b & 8) ? UINT32_MAX : fuzz_u8(&in));
			break;
		case 7:
			poll_on((b >> 4) % NCPUS);
			break;
		}
	}
	finishing = true;
	percpu_host_cpu = 0;
	for (unsigned g = 0; g < o.nguests; g++)    /* trace_finish forgets every guest */
		if (o.waiting[g] >= 0) {
			o.recs[o.cpu_of[g]][o.waiting[g]].forgotten = true;
			o.waiting[g] = -1;
		}
	note_occupancy();
	trace_finish();
	check_output(true);
	for (unsigned c = 0; c < o.ncpus; c++)
		FUZZ_CHECK(o.sent[c] == o.appended[c], "cpu %u: %u of %u records out at the end", c, o.sent[c],
			   o.appended[c]);
	FUZZ_CHECK(o.ne == o.ncpus, "%u E lines for %u CPUs", o.ne, o.ncpus);
	return 0;
}
