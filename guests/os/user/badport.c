/* badport: reads port 0x70 without a grant. IOPL is 0 and the port's bit in
 * the TSS bitmap is set, so the CPU raises #GP and the kernel kills us. */
#include "ulib.h"

int main(const char *args)
{
	u_printf("badport: reading port 0x70 without a grant\n");
	uint8_t v;
	__asm__ volatile("inb $0x70, %0" : "=a"(v));
	u_printf("badport: NOT KILLED, read %02x\n", v);
	return 1;
}
