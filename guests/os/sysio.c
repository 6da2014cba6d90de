/* sysio.c: I/O system calls: port grants, IRQ attachment, console, disk. */
#include "ata.h"
#include "console.h"
#include "errno.h"
#include "irq.h"
#include "klib.h"
#include "mem.h"
#include "ports.h"
#include "proc.h"
#include "sysfn.h"
#include "vm.h"

#define SYSIO_WRITE_MAX 4096

SYSFN(sys_port_grant)
{
	if (a0 > 0xffff || a1 > 0xffff)
		return -EINVAL;
	return ports_grant(p, (uint16_t)a0, (uint16_t)a1);
}

SYSFN(sys_port_release)
{
	if (a0 > 0xffff || a1 > 0xffff)
		return -EINVAL;
	return ports_release(p, (uint16_t)a0, (uint16_t)a1);
}

SYSFN(sys_irq_attach)
{
	return irq_attach(p, (unsigned)a0);
}

SYSFN(sys_irq_detach)
{
	return irq_detach(p, (unsigned)a0);
}

SYSFN(sys_write)
{
	char buf[256];
	uint64_t n = a1 > SYSIO_WRITE_MAX ? SYSIO_WRITE_MAX : a1;
	for (uint64_t done = 0; done < n;) {
		uint64_t chunk = n - done > sizeof(buf) ? sizeof(buf) : n - done;
		if (vm_copy_in(p->root, buf, a0 + done, chunk) < 0)
			return -EFAULT;
		console_write(buf, chunk);
		done += chunk;
	}
	return (int64_t)n;
}

SYSFN(sys_read)
{
	uint8_t c;
	uint64_t n = 0;
	if (!a1)
		return 0;
	while (!console_getc(&c))
		proc_block_on(&console_readers);
	do {
		if (vm_copy_out(p->root, a0 + n, &c, 1) < 0)
			return -EFAULT;
		n++;
	} while (n < a1 && console_getc(&c));
	return (int64_t)n;
}

/* Describes user buffer [uva, uva + len) as physical segments (one per
 * page). Returns the count, or -EFAULT if a page is missing (or read-only
 * when the device writes into it). */
static int sysio_segs(struct proc *p, uint64_t uva, uint64_t len, bool to_mem, struct ata_seg *segs)
{
	int n = 0;
	while (len) {
		uint64_t pa = vm_translate(p->root, uva, to_mem);
		if (!pa || n >= ATA_MAX_SEGS)
			return -EFAULT;
		uint64_t chunk = PAGE_SIZE - (uva & (PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		segs[n++] = (struct ata_seg){ pa, (uint32_t)chunk };
		uva += chunk, len -= chunk;
	}
	return n;
}

/* Moves count sectors between the disk at lba and user memory at uva, in
 * commands of up to ATA_MAX_SECTORS, DMA straight into the caller's pages. */
static int64_t sysio_disk(struct proc *p, uint64_t lba, uint64_t count, uint64_t uva, bool write)
{
	struct ata_seg segs[ATA_MAX_SEGS];
	if (uva & 1)
		return -EINVAL;
	while (count) {
		unsigned n = count > ATA_MAX_SECTORS ? ATA_MAX_SECTORS : (unsigned)count;
		int nsegs = sysio_segs(p, uva, (uint64_t)n * ATA_SECTOR, !write, segs);
		if (nsegs < 0)
			return nsegs;
		int r = ata_rw(lba, n, segs, (unsigned)nsegs, write);
		if (r < 0)
			return r;
		if (p->killed)
			return -EIO;
		lba += n, count -= n, uva += (uint64_t)n * ATA_SECTOR;
	}
	return 0;
}

SYSFN(sys_disk_read)
{
	return sysio_disk(p, a0, a1, a2, false);
}

SYSFN(sys_disk_write)
{
	return sysio_disk(p, a0, a1, a2, true);
}
