/*
 * Per-guest FPU/SSE/AVX and debug-register state. VMX switches neither:
 * without this, one guest would see and clobber another's XMM registers.
 */
#ifndef HV_XSTATE_H
#define HV_XSTATE_H

#include "hv.h"

/* Finds XSAVE support, enables it (CR4.OSXSAVE) and sizes the save area. */
void xstate_init(void);

/* Gives v a save area holding the initial (power-on) state. */
void xstate_setup(struct vcpu *v);

/* Resets v's saved state to the initial state (guest restart). */
void xstate_reset(struct vcpu *v);

/* Saves the live FPU/vector, XCR0 and DR0-3/DR6 state into from, loads to's. */
void xstate_switch(struct vcpu *from, struct vcpu *to);

/* Loads v's state into the CPU (first entry; no previous owner). */
void xstate_load(struct vcpu *v);

/* Returns true if XSETBV may be emulated (the host has XSAVE enabled). */
bool xstate_has_xsave(void);

/* Returns the XCR0 bits the CPU supports. */
uint64_t xstate_supported(void);

#endif
