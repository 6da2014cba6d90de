/* fault div|pf|gp|ud: faults on purpose; the kernel must kill only us. */
#include "ulib.h"

int main(const char *args)
{
	char w[8] = "";
	const char *p = args;
	u_word(&p, w, sizeof(w));
	u_printf("fault %d: doing %s\n", u_getpid(), w);
	if (!strcmp(w, "div")) {
		volatile int zero = 0, x = 1;
		x = x / zero;
	} else if (!strcmp(w, "pf")) {
		/* The kernel image at 1 MiB is mapped, but supervisor-only. */
		volatile uint64_t *k = (volatile uint64_t *)0x100000;
		(void)*k;
	} else if (!strcmp(w, "gp")) {
		__asm__ volatile("hlt");          /* privileged in ring 3 */
	} else if (!strcmp(w, "ud")) {
		__asm__ volatile("ud2");
	} else {
		u_printf("usage: fault div|pf|gp|ud\n");
		return 2;
	}
	u_printf("fault: survived %s (BUG)\n", w);
	return 1;
}
