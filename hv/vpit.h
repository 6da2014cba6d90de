/*
 * Virtual 8254 PIT, one per guest: counters 0-2 at 0x40-0x42, control word
 * at 0x43, and the PC's port 0x61 bits for counter 2 (gate = bit 0, speaker
 * data = bit 1, refresh toggle = bit 4, OUT2 = bit 5). The PIT input clock is
 * 1193182 Hz, derived here from the TSC: every count, OUT level and IRQ0
 * edge is a function of (now_tsc - start_tsc), computed with 64-bit integer
 * arithmetic only, so there is no drift however long the guest runs.
 *
 * Driving it from the hv:
 *   - port exit: vpit_write / vpit_read with the exit's TSC
 *   - before every VM entry of this guest:
 *         if (vpit_irq0_pending(t, now)) vpic_pulse_irq(pic, 0);
 *     (the 8259 latches one edge; more than one pending edge means ticks
 *     were missed, as on a PC whose IRQ0 was held off too long), and arm
 *     the VMX preemption timer for no later than vpit_next_irq0(t, now)
 *     while the guest runs or halts.
 */
#ifndef HV_VPIT_H
#define HV_VPIT_H

#include <stdbool.h>
#include <stdint.h>

#define VPIT_HZ        1193182u
#define VPIT_PORT_CH0  0x40
#define VPIT_PORT_CH2  0x42
#define VPIT_PORT_CTRL 0x43
#define VPIT_PORT_61   0x61

/*
 * The shortest IRQ0 period in the periodic modes (2, 3): 119 input clocks,
 * 99.7 us, about 10 kHz. A shorter programmed count keeps its counter
 * values but raises IRQ0 only at this rate (see vpit.c).
 */
#define VPIT_MIN_IRQ0_CLOCKS 119u

struct vpit_channel {
	uint8_t mode;           /* 0..5 (6, 7 are stored as 2, 3) */
	uint8_t rw;             /* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;               /* stored and reported; counting is binary */
	bool loaded;            /* a count was written since the control word */
	bool running;           /* the counting element is counting */
	bool gate;
	bool null_count;        /* status bit 6: count written, not yet loaded */
	uint32_t reload;        /* 1..0x10000 (a written 0 is 0x10000) */
	uint64_t start_tsc;     /* TSC at which counting (re)started */
	uint64_t base_ticks;    /* ticks counted before start_tsc (gate pauses) */
	uint8_t write_lsb;      /* first byte of an LSB-then-MSB count */
	bool write_msb_next;
	bool read_msb_next;
	uint16_t latch;         /* counter latch value */
	uint8_t latch_left;     /* bytes of latch still to read (0 = none) */
	bool latch_msb_next;
	bool status_latched;
	uint8_t status;
	uint64_t edges_done;    /* channel 0: IRQ0 edges reported this epoch */
};

struct vpit {
	struct vpit_channel ch[3];
	uint64_t tsc_hz;
	uint64_t boot_tsc;      /* for the port 0x61 refresh toggle */
	uint8_t port61;         /* bits 0-3 as written */
};

/* Resets the PIT; tsc_hz must be at least 1 (in practice >= 1 MHz). */
void vpit_init(struct vpit *t, uint64_t tsc_hz, uint64_t now_tsc);

/* Returns true for 0x40-0x43 and 0x61. */
bool vpit_handles_port(uint16_t port);

/* Guest OUT to a PIT port at time now_tsc. Other ports are ignored. */
void vpit_write(struct vpit *t, uint16_t port, uint8_t val, uint64_t now_tsc);

/* Guest IN from a PIT port at time now_tsc. Returns 0xff for other ports. */
uint8_t vpit_read(struct vpit *t, uint16_t port, uint64_t now_tsc);

/* Returns the number of IRQ0 rising edges due since the last call. */
unsigned vpit_irq0_pending(struct vpit *t, uint64_t now_tsc);

/* Returns the TSC of the first IRQ0 edge after now_tsc, UINT64_MAX if none. */
uint64_t vpit_next_irq0(const struct vpit *t, uint64_t now_tsc);

/* Returns the current OUT level (0/1) of channel ch (0..2). */
int vpit_out(const struct vpit *t, int ch, uint64_t now_tsc);

#endif
