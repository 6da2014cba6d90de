/*
 * Virtual devices of a guest's platform, reached through trapped ports.
 */
#ifndef HV_VDEV_H
#define HV_VDEV_H

#include "hv.h"

/*
 * Handles one port access. For an IN, sets *val; for an OUT, *val holds
 * the value written. Returns true if the guest goes on, false if the
 * access stopped or ended it.
 */
typedef bool (*vdev_io_fn)(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val);

struct vdev_port {
	uint16_t first, last;
	vdev_io_fn fn;
};

/* hv/vdma_io.c: the PIIX bus-master ports of an owned IDE channel. */
bool vdma_io(struct guest *g, uint16_t port, bool in, unsigned size, uint32_t *val);
bool vdma_handles(struct guest *g, uint16_t port);
void vdma_init(struct guest *g);

/* Resets the guest's virtual devices to their power-on state. */
void vdev_init(struct guest *g);

/* Returns the handler of the virtual device at port, or NULL if none. */
vdev_io_fn vdev_lookup(struct guest *g, uint16_t port);

#endif
