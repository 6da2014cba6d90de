/* hog: CPU-bound loop for SECONDS (default 3) of wall time, printing its
 * progress and CPU share twice a second. Two hogs under sched=rr both make
 * progress; neither starves. */
#include "ulib.h"

int main(const char *args)
{
	const char *end;
	uint64_t secs = klib_strtoul(args, &end, 10);
	if (!secs)
		secs = 3;
	int pid = u_getpid();
	uint64_t start = u_time(), next = start + 500, units = 0, now;
	volatile uint64_t x = 1;
	u_printf("hog %d: running for %lu s\n", pid, secs);
	while ((now = u_time()) - start < secs * 1000) {
		for (int i = 0; i < 20000; i++)
			x = x * 31 + (uint64_t)i;
		units++;
		if (now >= next) {
			u_printf("hog %d: %lu units, cpu %lu ms\n", pid, units, u_cputime());
			next += 500;
		}
	}
	u_printf("hog %d: done, %lu units, cpu %lu ms of %lu ms\n", pid, units, u_cputime(), now - start);
	return 0;
}
