/* portuser: asks for the CMOS/RTC ports 0x70-0x71, reads the clock through
 * them (allowed by its TSS I/O bitmap), checks that a kernel port is
 * refused, and releases the grant. */
#include "ulib.h"

static uint8_t pu_cmos(uint8_t reg)
{
	uint8_t v;
	__asm__ volatile("outb %0, $0x70" : : "a"(reg));
	__asm__ volatile("inb $0x71, %0" : "=a"(v));
	return v;
}

int main(const char *args)
{
	int64_t r = u_port_grant(0x70, 0x71);
	if (r < 0) {
		u_printf("portuser: grant of 0x70-0x71 refused (%ld)\n", r);
		return 1;
	}
	u_printf("portuser: granted 0x70-0x71, RTC %02x:%02x:%02x\n", pu_cmos(4), pu_cmos(2), pu_cmos(0));
	r = u_port_grant(0x20, 0x21);
	u_printf("portuser: grant of the PIC ports 0x20-0x21: %s (%ld)\n", r < 0 ? "refused" : "GRANTED", r);
	u_sleep(1000);                    /* hold the grant a while: "ports" shows it */
	u_port_release(0x70, 0x71);
	u_printf("portuser: released 0x70-0x71\n");
	return 0;
}
