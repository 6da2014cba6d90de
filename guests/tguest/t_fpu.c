/*
 * fpu: the guest's SSE and x87 registers survive other guests running.
 * Loads a pattern derived from seed= into XMM0-XMM7 and the x87 control
 * word, then for seconds= keeps reading them back while the hv time-slices
 * it against other guests doing the same with other seeds.
 *
 *   test=fpu seed=N seconds=S
 */
#include "tguest.h"

static struct checks ck = { .prefix = "fpu" };
static uint32_t want[8][4] __attribute__((aligned(16)));
static uint32_t got[8][4] __attribute__((aligned(16)));

static void sse_enable(void)
{
	uint32_t cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 & ~(1u << 2)) | (1u << 1);          /* EM off, MP on */
	__asm__ volatile("mov %0, %%cr0" :: "r"(cr0));
	write_cr4(read_cr4() | (1u << 9) | (1u << 10)); /* OSFXSR, OSXMMEXCPT */
	__asm__ volatile("fninit");
}

static void xmm_load(void)
{
	__asm__ volatile("movdqa 0(%0), %%xmm0\n movdqa 16(%0), %%xmm1\n"
			 "movdqa 32(%0), %%xmm2\n movdqa 48(%0), %%xmm3\n"
			 "movdqa 64(%0), %%xmm4\n movdqa 80(%0), %%xmm5\n"
			 "movdqa 96(%0), %%xmm6\n movdqa 112(%0), %%xmm7\n" :: "r"(want) : "memory");
}

static void xmm_store(void)
{
	__asm__ volatile("movdqa %%xmm0, 0(%0)\n movdqa %%xmm1, 16(%0)\n"
			 "movdqa %%xmm2, 32(%0)\n movdqa %%xmm3, 48(%0)\n"
			 "movdqa %%xmm4, 64(%0)\n movdqa %%xmm5, 80(%0)\n"
			 "movdqa %%xmm6, 96(%0)\n movdqa %%xmm7, 112(%0)\n" :: "r"(got) : "memory");
}

void test_fpu(void)
{
	uint32_t seed = arg_u32("seed", 1), seconds = arg_u32("seconds", 2);
	uint16_t fcw = (uint16_t)(0x037f & ~((seed & 3) << 8)), fcw_now;
	uint32_t rounds = 0, bad = 0;

	sse_enable();
	for (unsigned r = 0; r < 8; r++)
		for (unsigned i = 0; i < 4; i++)
			want[r][i] = seed * 0x01010101u ^ (r << 24 | i << 16 | 0x5a5a);
	xmm_load();
	__asm__ volatile("fldcw %0" :: "m"(fcw));
	tg_printf("fpu: seed %u, checking XMM0-7 and the x87 control word for %u s\n", seed, seconds);
	uint64_t end = rdtsc() + tsc_from_us((uint64_t)seconds * 1000000);
	while (rdtsc() < end) {
		xmm_store();
		__asm__ volatile("fnstcw %0" : "=m"(fcw_now));
		for (unsigned r = 0; r < 8; r++)
			for (unsigned i = 0; i < 4; i++)
				bad += got[r][i] != want[r][i];
		bad += fcw_now != fcw;
		rounds++;
	}
	check(&ck, "state intact", bad == 0, "%u mismatches in %u rounds", bad, rounds);
	tg_printf("fpu: %u rounds\n", rounds);
	checks_finish(&ck);
}
