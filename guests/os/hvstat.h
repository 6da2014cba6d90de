/* hvstat.h: detection of the nanokernel hv and its statistics hypercalls. */
#ifndef OS_HVSTAT_H
#define OS_HVSTAT_H

#include <stdbool.h>

/* Returns true if CPUID leaf 0x40000000 carries the hv's signature. */
bool hvstat_detect(void);
/* Prints this guest's exit statistics from the hv (HC_EXIT_STATS), or a line
 * saying we run without the hv. */
void hvstat_print(void);
/*
 * HC_GUEST_CTL: verb "stop", "restart" or "status" of the guest NAME
 * (hv.cfg must let this guest manage it). Prints the outcome; returns 0,
 * or -1 on a refusal or bad arguments.
 */
int hvstat_guest_ctl(const char *verb, const char *name);

#endif
