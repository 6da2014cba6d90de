/*
 * Per-guest FPU/SSE/AVX and debug-register state. VMX switches neither:
 * without this, one guest would see and clobber another's XMM registers.
 */
#ifndef HV_XSTATE_H
#define HV_XSTATE_H

#include "hv.h"

/* Finds XSAVE support, enables it (CR4.OSXSAVE) and sizes the save area. */
void xstate_init(void);

/* An AP: the same CR4.OSFXSR/OSXSAVE and XCR0 as the BSP chose in xstate_init. */
void xstate_cpu_init(void);

/* Gives v its save area (xstate_reset puts the initial, power-on state in it). */
void xstate_setup(struct vcpu *v);

/* Resets v's saved state to the initial state (each boot). */
void xstate_reset(struct vcpu *v);

/* Saves the live FPU/vector, XCR0 and DR0-3/DR6 state into from (if any), loads to's. */
void xstate_switch(struct vcpu *from, struct vcpu *to);

/* Loads v's state into the CPU (first entry; no previous owner). */
void xstate_load(struct vcpu *v);

/* Returns true if XSETBV may be emulated (the host has XSAVE enabled). */
bool xstate_has_xsave(void);

/* Returns the XCR0 bits the CPU supports. */
uint64_t xstate_supported(void);

/* XCR0 components (SDM "XSAVE-Supported Features and State-Component Bitmaps"). */
#define XCR0_X87        (1ull << 0)
#define XCR0_SSE        (1ull << 1)
#define XCR0_AVX        (1ull << 2)
#define XCR0_BNDREGS    (1ull << 3)
#define XCR0_BNDCSR     (1ull << 4)
#define XCR0_OPMASK     (1ull << 5)
#define XCR0_ZMM_HI256  (1ull << 6)
#define XCR0_HI16_ZMM   (1ull << 7)
#define XCR0_PKRU       (1ull << 9)
#define XCR0_TILECFG    (1ull << 17)
#define XCR0_TILEDATA   (1ull << 18)

/*
 * The components the guest CPU model offers where the host has them:
 * x87, SSE, AVX, AVX-512 and PKRU. Not MPX (deprecated, and its BNDCFGS
 * would need switching) nor AMX (8 KiB of tile state per switch).
 */
#define XCR0_GUEST_ALLOWED (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_OPMASK | XCR0_ZMM_HI256 | \
			    XCR0_HI16_ZMM | XCR0_PKRU)

/* Returns the XCR0 bits a guest may set: supported and allowed. */
uint64_t xstate_guest_mask(void);

/* Returns true if val is an XCR0 value a CPU supporting only the bits of supported accepts. */
bool xstate_xcr0_valid(uint64_t val, uint64_t supported);

#endif
