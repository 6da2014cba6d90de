/*
 * The VM-exit trace with several CPUs (issue 11 item 4), on the host: one
 * ring per CPU, records carrying their CPU and its sequence number, the
 * drain merging the rings in TSC order, drops and the tracer's cost per
 * CPU. The CPUs take turns (percpu_host_cpu); what reaches port 0xE9 is
 * decoded here from its "@T" lines, as tools/hvtrace would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hvhost.h"
#include "log.h"
#include "percpu.h"
#include "trace.h"
#include "tracer.h"
#include "../fuzz/trace_b64.h"

/* Guest a on CPU 0, b and c on CPU 1. */
#define CFG "[hv]\ntrace = on\n" \
	    "[guest a]\nimage = \\a.elf\nmemory = 4M\n" \
	    "[guest b]\nimage = \\b.elf\nmemory = 4M\ncpu = 1\n" \
	    "[guest c]\nimage = \\c.elf\nmemory = 4M\ncpu = 1\n"
#define RING 8192u                    /* per CPU with two rings (1 MiB in all) */

static int boot(void **state)
{
	(void)state;
	host_cpus = 2;
	host_boot(CFG);
	assert_int_equal(pcpu_count, 2);
	percpu_host_cpu = 0;
	return 0;
}

static int teardown(void **state)
{
	pcpu_count = 1;
	percpu_host_cpu = 0;
	return host_cmocka_teardown(state);
}

/* ---- reading port 0xE9 back ------------------------------------------ */

#define MAX_RECS 8400u

struct seen {
	struct trace_header h;
	unsigned nh;
	struct trace_record r[MAX_RECS];
	unsigned nr, rlines;
	struct trace_lost l[8];
	unsigned nl;
	struct trace_end e[8];
	unsigned ne;
};

static struct seen seen;

/* Decodes a trace line's base64 payload into out; returns its bytes. */
static size_t unb64(const char *s, size_t n, uint8_t *out)
{
	long got = trace_unb64(s, n, out);

	assert_true(got >= 0);
	return (size_t)got;
}

/* Parses every "@T" line on port 0xE9 since the last fake_log_clear into seen. */
static struct seen *parse_e9(void)
{
	uint8_t buf[1024];

	memset(&seen, 0, sizeof(seen));
	fake.e9[fake.e9_len] = 0;
	for (char *line = fake.e9; *line;) {
		char *end = strchr(line, '\n');
		assert_non_null(end);
		if (!strncmp(line, "@T ", 3)) {
			size_t n = unb64(line + 5, (size_t)(end - line - 5), buf);
			switch (line[3]) {
			case 'H':
				assert_int_equal(n, sizeof(seen.h));
				memcpy(&seen.h, buf, n);
				seen.nh++;
				break;
			case 'R':
				assert_int_equal(n % sizeof(struct trace_record), 0);
				assert_true(n && n <= 8 * sizeof(struct trace_record));
				assert_true(seen.nr + n / sizeof(struct trace_record) <= MAX_RECS);
				memcpy(&seen.r[seen.nr], buf, n);
				seen.nr += (unsigned)(n / sizeof(struct trace_record));
				seen.rlines++;
				break;
			case 'L':
				assert_int_equal(n, sizeof(struct trace_lost));
				memcpy(&seen.l[seen.nl++], buf, n);
				break;
			case 'E':
				assert_int_equal(n, sizeof(struct trace_end));
				memcpy(&seen.e[seen.ne++], buf, n);
				break;
			}
		}
		line = end + 1;
	}
	return &seen;
}

/* ---- driving exits ---------------------------------------------------- */

/* Guest g's CPU (as placed in CFG). */
static unsigned cpu_of(int g)
{
	return g ? 1 : 0;
}

/* Guest g exits at TSC tsc on its CPU: the record trace_exit appends. */
static void exit_at(int g, uint64_t tsc)
{
	struct vcpu *v;

	percpu_host_cpu = cpu_of(g);
	v = host_vcpu(g);
	v->exit_tsc = tsc;
	fake_vmcs_set(GUEST_RIP, 0x1000 + tsc);
	trace_exit(v, EXIT_REASON_HLT, 0);
}

/* Guest g resumes at TSC tsc, on its CPU. */
static void resume_at(int g, uint64_t tsc)
{
	percpu_host_cpu = cpu_of(g);
	fake.tsc = tsc - fake.tsc_step;          /* cpu_rdtsc adds the step first */
	trace_resume(&hv.guests[g].vcpu);
}

static void drain_on(unsigned cpu, unsigned max)
{
	percpu_host_cpu = cpu;
	trace_drain(max);
}

static void assert_record(const struct trace_record *r, uint64_t tsc_exit, uint64_t tsc_resume,
			  unsigned guest, unsigned cpu, uint32_t seq, unsigned resume_kind)
{
	assert_int_equal(r->tsc_exit, tsc_exit);
	assert_int_equal(r->tsc_resume, tsc_resume);
	assert_int_equal(r->guest, guest);
	assert_int_equal(r->cpu, cpu);
	assert_int_equal(r->seq, seq);
	assert_int_equal(r->resume_kind, resume_kind);
	assert_int_equal(r->rip, 0x1000 + tsc_exit);
	assert_int_equal(r->reason, EXIT_REASON_HLT);
	assert_int_equal(r->reserved, 0);
}

/* ---- the tests -------------------------------------------------------- */

/* The header says version 2, 56-byte records, two CPUs with a ring of RING each. */
static void test_header_is_version_2_with_a_ring_per_cpu(void **state)
{
	struct seen *s = parse_e9();

	(void)state;
	assert_int_equal(s->nh, 1);
	assert_int_equal(s->h.magic, TRACE_MAGIC);
	assert_int_equal(s->h.version, 2);
	assert_int_equal(s->h.record_size, 56);
	assert_int_equal(s->h.nguests, 3);
	assert_int_equal(s->h.ncpus, 2);
	assert_int_equal(s->h.ring_records, RING);
	assert_true(fake_log_has("hv: trace on: 8192-record ring per CPU (2 CPU(s))"));
}

/* CPU 1's records were appended first, CPU 0's after: the drain sends them in TSC order. */
static void test_drain_merges_the_cpus_rings_in_tsc_order(void **state)
{
	(void)state;
	fake_log_clear();
	for (uint64_t t = 200; t <= 400; t += 200) {
		exit_at(1, t);
		resume_at(1, t + 50);
	}
	for (uint64_t t = 100; t <= 500; t += 200) {
		exit_at(0, t);
		resume_at(0, t + 50);
	}
	drain_on(0, UINT32_MAX);
	struct seen *s = parse_e9();
	assert_int_equal(s->nr, 5);
	assert_int_equal(s->rlines, 1);
	assert_record(&s->r[0], 100, 150, 0, 0, 0, TRACE_RESUMED);
	assert_record(&s->r[1], 200, 250, 1, 1, 0, TRACE_RESUMED);
	assert_record(&s->r[2], 300, 350, 0, 0, 1, TRACE_RESUMED);
	assert_record(&s->r[3], 400, 450, 1, 1, 1, TRACE_RESUMED);
	assert_record(&s->r[4], 500, 550, 0, 0, 2, TRACE_RESUMED);
	assert_int_equal(s->nl, 0);                 /* nothing dropped: no L line */
}

/*
 * A record waiting for its guest's resume holds up its own CPU's ring only:
 * CPU 0's younger records go out; CPU 1's goes in the next drain, after them.
 */
static void test_a_waiting_record_holds_only_its_cpus_ring(void **state)
{
	(void)state;
	fake_log_clear();
	exit_at(1, 150);                            /* b halts: no resume yet */
	for (uint64_t t = 100; t <= 300; t += 100) {
		exit_at(0, t);
		resume_at(0, t + 10);
	}
	exit_at(2, 250);                            /* c, on CPU 1 too, behind b's record */
	resume_at(2, 260);
	drain_on(1, UINT32_MAX);
	struct seen *s = parse_e9();
	assert_int_equal(s->nr, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_record(&s->r[i], 100 * (i + 1), 100 * (i + 1) + 10, 0, 0, i, TRACE_RESUMED);
	resume_at(1, 400);
	fake_log_clear();
	drain_on(0, UINT32_MAX);
	s = parse_e9();
	assert_int_equal(s->nr, 2);
	assert_record(&s->r[0], 150, 400, 1, 1, 0, TRACE_RESUMED);
	assert_record(&s->r[1], 250, 260, 2, 1, 1, TRACE_RESUMED);
}

/*
 * CPU 1's ring half full: its oldest record goes out unresumed ("drained
 * early") rather than hold up the rest; CPU 0's waiting record still waits.
 * trace_poll drains only for its own CPU's ring.
 */
static void test_a_half_full_ring_is_drained_early_and_polled_by_its_cpu(void **state)
{
	(void)state;
	exit_at(0, 5);                              /* a halts */
	exit_at(1, 10);                             /* b halts */
	for (uint64_t i = 0; i < RING / 2; i++) {
		exit_at(2, 20 + 2 * i);
		resume_at(2, 21 + 2 * i);
	}
	fake_log_clear();
	percpu_host_cpu = 0;
	trace_poll();                               /* CPU 0's ring holds one record */
	assert_int_equal(parse_e9()->nr, 0);
	percpu_host_cpu = 1;
	trace_poll();                               /* CPU 1's is half full: 256 go out */
	struct seen *s = parse_e9();
	assert_int_equal(s->nr, 256);
	assert_record(&s->r[0], 10, 0, 1, 1, 0, TRACE_DRAINED_EARLY);
	assert_record(&s->r[1], 20, 21, 2, 1, 1, TRACE_RESUMED);
	for (unsigned i = 1; i < s->nr; i++)
		assert_int_equal(s->r[i].cpu, 1);
	resume_at(1, 9000000);                      /* too late: its record is out */
	fake_log_clear();
	drain_on(0, UINT32_MAX);
	s = parse_e9();
	assert_int_equal(s->nr, RING / 2 + 1 - 256); /* the rest of CPU 1's; a's still waits */
	for (unsigned i = 0; i < s->nr; i++)
		assert_int_equal(s->r[i].guest, 2);
}

/* A guest's record is forgotten in its CPU's ring, whichever CPU says so (the end does it on CPU 0). */
static void test_forget_marks_the_record_in_the_guests_cpu_ring(void **state)
{
	(void)state;
	exit_at(1, 77);
	percpu_host_cpu = 0;
	trace_forget(&hv.guests[1].vcpu);
	fake_log_clear();
	drain_on(0, UINT32_MAX);
	struct seen *s = parse_e9();
	assert_int_equal(s->nr, 1);
	assert_record(&s->r[0], 77, 0, 1, 1, 0, TRACE_NOT_RESUMED);
}

/*
 * A full ring drops on its CPU only; the drops and the tracer's cost are
 * counted per CPU: an L line for the CPU that dropped, then at the end an L
 * and an E line for each CPU, and the summed and per-CPU summary lines.
 */
static void test_drops_and_cost_are_per_cpu(void **state)
{
	(void)state;
	for (uint64_t i = 0; i < RING + 3; i++) {
		exit_at(1, 100 + 2 * i);
		resume_at(1, 101 + 2 * i);
	}
	for (uint64_t i = 0; i < 5; i++) {
		exit_at(0, 50000 + 2 * i);
		resume_at(0, 50001 + 2 * i);
	}
	fake_log_clear();
	drain_on(0, UINT32_MAX);
	struct seen *s = parse_e9();
	assert_int_equal(s->nr, RING + 5);
	assert_int_equal(s->nl, 1);
	assert_int_equal(s->l[0].cpu, 1);
	assert_int_equal(s->l[0].lost, 3);
	assert_int_equal(s->l[0].written, RING);
	uint32_t next[2] = { 0, 0 };
	for (unsigned i = 0; i < s->nr; i++) {
		assert_int_equal(s->r[i].seq, next[s->r[i].cpu]++);
		assert_true(i == 0 || s->r[i].tsc_exit > s->r[i - 1].tsc_exit);
	}
	fake_log_clear();
	percpu_host_cpu = 0;
	trace_finish();
	s = parse_e9();
	assert_int_equal(s->nr, 0);
	assert_int_equal(s->nl, 2);
	assert_int_equal(s->ne, 2);
	for (unsigned c = 0; c < 2; c++) {
		assert_int_equal(s->l[c].cpu, c);
		assert_int_equal(s->e[c].cpu, c);
		assert_int_equal(s->e[c].written, c ? RING : 5);
		assert_int_equal(s->e[c].lost, c ? 3 : 0);
		assert_int_equal(s->e[c].cost_tsc_sum, s->e[c].written);   /* one TSC step each */
		assert_int_equal(s->e[c].cost_tsc_max, 1);
		assert_int_equal(s->e[c].reserved, 0);
	}
	assert_true(fake_log_has("cpu0: hv: trace: 8197 records, 3 lost; tracer cost 1 ticks per exit"));
	assert_true(fake_log_has("cpu0: hv: trace: cpu 0: 5 records, 0 lost;"));
	assert_true(fake_log_has("cpu0: hv: trace: cpu 1: 8192 records, 3 lost;"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, boot, teardown)
		T(test_header_is_version_2_with_a_ring_per_cpu),
		T(test_drain_merges_the_cpus_rings_in_tsc_order),
		T(test_a_waiting_record_holds_only_its_cpus_ring),
		T(test_a_half_full_ring_is_drained_early_and_polled_by_its_cpu),
		T(test_forget_marks_the_record_in_the_guests_cpu_ring),
		T(test_drops_and_cost_are_per_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
