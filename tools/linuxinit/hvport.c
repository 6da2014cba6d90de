/*
 * hvport: the test initramfs's link to the hv (tools/linux-guest), a static
 * x86-64 Linux program without libc (raw system calls, no start files).
 *
 *   hvport exit N   writes N to port 0xF4: the hv ends the guest with status N
 *                   (hv/exit_io.c); returns 1 if it is still running after
 *   hvport tsc      prints the time-stamp counter (RDTSC) in decimal
 *
 * Debian's kernel has no /dev/port (CONFIG_DEVPORT is not set), so the port
 * is opened with ioperm(2) (CONFIG_X86_IOPL_IOPERM, CAP_SYS_RAWIO: /init
 * runs as root). Without the hv (natively, under Bochs) the write reaches
 * nothing and the program returns 1; /init then powers off.
 */
#define SYS_write  1
#define SYS_ioperm 173
#define SYS_exit   60

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static void put(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	sys3(SYS_write, 1, (long)s, (long)n);
}

static unsigned long long rdtsc(void)
{
	unsigned int lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (unsigned long long)hi << 32 | lo;
}

/* Writes v in decimal and a newline. */
static void put_dec(unsigned long long v)
{
	char buf[24];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	buf[--i] = '\n';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(buf + i);
}

/* Returns the decimal number in s (0-255), or -1. */
static int parse_status(const char *s)
{
	int v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 25)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= 255 ? v : -1;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int run(int argc, char **argv)
{
	int status;

	if (argc == 2 && streq(argv[1], "tsc")) {
		put_dec(rdtsc());
		return 0;
	}
	if (argc == 3 && streq(argv[1], "exit") && (status = parse_status(argv[2])) >= 0) {
		if (sys3(SYS_ioperm, 0xf4, 1, 1) != 0) {
			put("hvport: ioperm(0xf4) failed\n");
			return 1;
		}
		__asm__ volatile("outb %b0, $0xf4" : : "a"(status));
		put("hvport: still running after the write to port 0xf4\n");
		return 1;
	}
	put("usage: hvport tsc | hvport exit STATUS (0-255)\n");
	return 2;
}

/* The entry: the kernel's initial stack holds argc, then argv (System V ABI "Process Initialization"). */
__attribute__((used)) static void hvport_main(long *sp)
{
	sys3(SYS_exit, run((int)sp[0], (char **)(sp + 1)), 0, 0);
}

__asm__(".globl _start\n"
	"_start:\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call hvport_main\n"
	"	hlt\n");
