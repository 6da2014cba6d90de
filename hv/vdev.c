/*
 * The table of a guest's virtual devices. The walking skeleton has none
 * beyond the fixed console and exit ports (hv/exit_io.c); the PIC, PIT,
 * CMOS and PCI configuration space join here.
 */
#include "vdev.h"

static const struct vdev_port vdev_ports[] = {
	{ 0, 0, NULL },
};

void vdev_init(struct guest *g)
{
}

vdev_io_fn vdev_lookup(struct guest *g, uint16_t port)
{
	for (unsigned i = 0; i < ARRAY_SIZE(vdev_ports); i++)
		if (vdev_ports[i].fn && port >= vdev_ports[i].first && port <= vdev_ports[i].last)
			return vdev_ports[i].fn;
	return NULL;
}
