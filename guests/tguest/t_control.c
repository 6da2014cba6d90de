/*
 * control: a manager (hv.cfg `manages = TARGET`) stops and restarts
 * another guest through HC_GUEST_CTL, wherever that guest runs, and
 * follows each step with HC_CTL_STATUS. It also asks for a guest it does
 * not manage and for one that does not exist: both refused.
 *
 * Arguments: target=NAME (managed), deny=NAME (not managed, optional),
 * first=exited (wait for the target's first boot to end by itself before
 * restarting it: its CPU has parked by then) or first=running.
 */
#include "tguest.h"

static struct checks ck = { .prefix = "control" };
static char name_buf[16];

/* Every state seen is reported under this name; 20 s of TSC is the longest wait. */
#define CTL_WAIT_US 20000000u

static long ctl(unsigned op, const char *name)
{
	unsigned i;

	for (i = 0; i + 1 < sizeof(name_buf) && name[i]; i++)
		name_buf[i] = name[i];
	name_buf[i] = 0;
	return hypercall(HC_GUEST_CTL, op, (uint32_t)name_buf, 0);
}

static const char *state_name(unsigned s)
{
	static const char *const names[] = { "?", "running", "halted", "stopped", "exited", "ended" };

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* Waits until the target's boot number is boots and its state one of the mask's (bit per state). */
static int wait_for(const char *target, uint32_t boots, unsigned mask, long *last)
{
	uint64_t end = rdtsc() + tsc_from_us(CTL_WAIT_US);

	do {
		*last = ctl(HC_CTL_STATUS, target);
		if (*last < 0)
			return 0;
		if (HC_CTL_BOOTS(*last) == boots && (mask & (1u << HC_CTL_GSTATE(*last))))
			return 1;
		delay_us(1000);
		hypercall(HC_YIELD, 0, 0, 0);
	} while (rdtsc() < end);
	return 0;
}

#define LIVE ((1u << HC_GS_RUNNING) | (1u << HC_GS_HALTED))

/* Waits as wait_for does and reports the step with the last status seen. */
static void step(const char *what, const char *target, uint32_t boots, unsigned mask)
{
	long st = 0;
	int ok = wait_for(target, boots, mask, &st);

	check(&ck, what, ok, "%s: status %ld (boot %u, %s)", target, st, HC_CTL_BOOTS(st),
	      state_name(HC_CTL_GSTATE(st)));
	tg_printf("control: %s: %s boot %u %s\n", what, target, HC_CTL_BOOTS(st), state_name(HC_CTL_GSTATE(st)));
}

void test_control(void)
{
	const char *target = arg_str("target", "b"), *deny = arg_str("deny", "");
	int wait_exit = tg_streq(arg_str("first", "exited"), "exited");
	long rc;

	if (!tg_under_hv) {
		puts_e9("control: skipped (not under the hv)\n");
		guest_exit(0);
	}
	if (wait_exit)
		step("first boot ended", target, 1, 1u << HC_GS_EXITED);
	else
		step("first boot runs", target, 1, LIVE);

	rc = ctl(HC_CTL_RESTART, target);
	check(&ck, "restart call", rc == 0, "HC_CTL_RESTART returned %ld", rc);
	step("restarted", target, 2, LIVE);

	delay_us(100000);                        /* let it run a little */
	rc = ctl(HC_CTL_STOP, target);
	check(&ck, "stop call", rc == 0, "HC_CTL_STOP returned %ld", rc);
	step("stopped", target, 2, 1u << HC_GS_STOPPED);

	rc = ctl(HC_CTL_RESTART, target);
	check(&ck, "restart after stop", rc == 0, "HC_CTL_RESTART returned %ld", rc);
	step("restarted again", target, 3, LIVE);

	if (deny[0]) {
		rc = ctl(HC_CTL_STOP, deny);
		check(&ck, "not managed", rc == HC_EACCES, "stop of %s returned %ld, want %d", deny, rc,
		      HC_EACCES);
	}
	rc = ctl(HC_CTL_STATUS, "nosuchguest");
	check(&ck, "no such guest", rc == HC_ENOENT, "returned %ld, want %d", rc, HC_ENOENT);
	rc = ctl(9, target);
	check(&ck, "bad op", rc == HC_EINVAL, "op 9 returned %ld, want %d", rc, HC_EINVAL);
	checks_finish(&ck);
}
