/* memhog [CHUNK]: takes pages CHUNK (default 256) at a time until the kernel
 * says no, touches every page, gives them all back. Exhaustion must be an
 * error code for us and nothing worse for anyone else. */
#include "ulib.h"

int main(const char *args)
{
	uint64_t chunk = klib_strtoul(args, NULL, 10), got = 0, base = 0;
	int64_t va, err;
	if (!chunk)
		chunk = 256;
	for (;;) {
		va = u_page_alloc(chunk);
		if (va < 0) {
			if (chunk > 1) {
				chunk = 1;          /* take the last scraps one by one */
				continue;
			}
			err = va;
			break;
		}
		if (!base)
			base = (uint64_t)va;
		got += chunk;
	}
	for (uint64_t i = 0; i < got; i++)
		((volatile uint8_t *)base)[i * 4096] = (uint8_t)i;
	u_printf("memhog: got %lu pages (%lu KiB) before error %ld\n", got, got * 4, err);
	for (uint64_t done = 0; done < got;) {
		uint64_t n = got - done > 4096 ? 4096 : got - done;
		if (u_page_free(base + done * 4096, n) < 0)
			u_printf("memhog: free failed\n");
		done += n;
	}
	u_printf("memhog: freed all %lu pages\n", got);
	return 0;
}
