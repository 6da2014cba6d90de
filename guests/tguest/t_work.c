/*
 * work: the CPU-bound victim of the CPU-time attack tests. It counts
 * iterations of a fixed loop (WORK_STEPS register-only steps: no memory
 * access, no exit) for `seconds` of TSC time, so its count is the CPU time
 * it got in that window. Under Bochs (clock sync=none) time is tied to
 * instruction counts: the same binaries and the same neighbours give the
 * same count.
 *
 *   test=work seconds=S      (default 2, 1..600)
 */
#include "tguest.h"

#define WORK_STEPS 1000u

/* One iteration: WORK_STEPS turns of a register-only loop. */
static inline void work_iteration(void)
{
	uint32_t n = WORK_STEPS;

	__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n) :: "cc");
}

void test_work(void)
{
	uint32_t seconds = arg_u32("seconds", 2);
	uint64_t n = 0, t0, end, elapsed;
	char sbuf[32];

	if (seconds < 1 || seconds > 600)
		tg_fail_exit(2, "work: FAIL seconds=%u out of range 1..600\n", seconds);
	tg_printf("work: counting iterations of %u steps for %u s\n", WORK_STEPS, seconds);
	t0 = rdtsc();
	end = t0 + (uint64_t)seconds * tg_tsc_hz;
	while (rdtsc() < end) {
		work_iteration();
		n++;
	}
	elapsed = rdtsc() - t0;
	tg_printf("work: %llu iterations in %s s (TSC), %llu per s\n", n,
		  fmt_fixed(sbuf, elapsed, tg_tsc_hz, 3), udiv64(n * tg_tsc_hz, elapsed, 0));
	guest_exit(0);
}
