/*
 * Guest lifecycle: create each partition, stop it (containment: only that
 * guest), end it on its own request, restart it, and its console.
 */
#ifndef HV_GUEST_H
#define HV_GUEST_H

#include "hv.h"

/* Creates every partition of the config: EPT, devices, VMCS, start state. */
void guest_init_all(struct boot_info *bi);

/*
 * Stops g for the reason fmt gives: marks it stopped (or due for a
 * restart, per hv.cfg) and logs why. guest_stop, guest_exit and the
 * guest_halted_* calls change only g's state (and end its console line):
 * its CPU's scheduler closes the boot at its next scheduling point
 * (guest_close_boot), whoever stopped it.
 */
void guest_stop(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Stops g at a manager's request (HC_GUEST_CTL): hv.cfg's restart policy does not apply, the manager decides. */
void guest_stop_asked(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* g ended itself (port 0xF4) with status. */
void guest_exit(struct guest *g, int status);

/* g halted with interrupts off and nothing can wake it: it has ended for good. */
void guest_halted_for_good(struct guest *g);

/* g halted with its virtual interrupts masked or held off, and no device line: it has ended. */
void guest_halted_masked(struct guest *g);

/* The scheduler closes g's ended boot: its trace, its device lines masked, its statistics logged. */
void guest_close_boot(struct guest *g);

/* Reloads g's image and starts it again from its entry point. Returns 0 or -1. */
int guest_restart(struct guest *g);

/* Returns true if g has ended (exited, stopped for good, halted for good). */
bool guest_ended(const struct guest *g);

/* Appends c to g's console line; a full line goes to the hv log tagged [name]. */
void guest_con_putc(struct guest *g, char c);

/* Returns the host pointer for [gpa, gpa+len) if it lies in g's RAM, else NULL. */
void *guest_gpa_ptr(struct guest *g, uint64_t gpa, uint64_t len);

void guest_print_stats(const struct guest *g);

/*
 * Logs a refusal of something g tried ("write of port 0x64 refused"),
 * rate-limited per guest; suppressed lines are counted and the count is
 * printed with the next line that goes out.
 */
void guest_log_refusal(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
