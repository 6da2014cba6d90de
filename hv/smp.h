/*
 * Several CPUs: placing guests, starting the application processors,
 * ending the hv when every CPU's guests have ended (hv/smp.c).
 */
#ifndef HV_SMP_H
#define HV_SMP_H

#include "hv.h"

/*
 * Where each guest of c runs, given the machine's ncpus CPUs and whether
 * APs can be started: placed[i] = its `cpu`, or 0 when that CPU cannot be
 * used (why says the reason). Returns how many guests were moved to CPU 0.
 */
unsigned smp_place(const struct hv_config *c, unsigned ncpus, bool can_start_aps,
		   int placed[CFG_MAX_GUESTS], char *why, size_t whylen);

/*
 * On the BSP once every guest is built: places the guests (g->cpu), starts
 * the APs that have guests (each waits for smp_go_all) and hands them their
 * guests' VMCSs.
 */
void smp_init(void);

/* An AP, once the BSP says go: adopts its guests' VMCSs and enters its run loop. */
void smp_ap_run(void) __attribute__((noreturn));

/* Lets the started APs enter their run loops. */
void smp_go_all(void);

/*
 * This CPU's guests have all ended: park it, or end the hv if it was the
 * last CPU running and no request waits. Returns when a manager's request
 * (HC_GUEST_CTL) for one of its guests arrives.
 */
void smp_cpu_done(void);

/* A parked CPU takes a request: it counts as running again. Nothing if it was not parked. */
void smp_cpu_back(void);

/*
 * A panic starts: the first CPU to call this stops every other CPU with an
 * NMI IPI and returns its own index for the message; a CPU that calls it
 * after another halts at once.
 */
int smp_panic_begin(void);

/*
 * The hv ends (hv_shutdown, on the last CPU to finish): every other CPU,
 * parked, is stopped with an NMI IPI and halts with interrupts off.
 */
void smp_shutdown_begin(void);

/* Returns true once a CPU has panicked or the hv ends: an NMI then means "stop here". */
bool smp_panicking(void);

#endif
