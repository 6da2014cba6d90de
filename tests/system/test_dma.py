"""DMA under the hv: a guest that owns ide0 programs the PIIX bus master
with guest-physical addresses; the hv checks and translates its PRD table
(shadow table with host addresses) and the transfer lands in that guest's
pages. Disk: Bochs' ata0 master, which is the run's copy of the ESP image."""

import os
import re
import struct

import hvtest


def fnv1a(data):
    h = 0x811c9dc5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xffffffff
    return h


def pattern(lba, count, seed):
    """The disk program's write pattern (guests/os/user/disk.c)."""
    return b"".join(struct.pack("<I", ((lba * 128 + i) * 2654435761 + seed) & 0xffffffff)
                    for i in range(count * 128))


OS_DISK = """
[hv]
trace = off

[guest disk]
image   = \\guests\\os.elf
cmdline = "sched=rr alloc=buddy hz=100 console=none -- disk read 0; run disk read 2048 2048; sleep 3000; run disk write 40000 256 7; sleep 1500; run disk read 40000 256; sleep 1500; stats; exit 0"
memory  = 32M
devices = ide0
"""


def test_guest_os_reads_and_writes_its_disk_by_dma_through_the_shadow_prd(tmp_path):
    image = os.path.join(str(tmp_path), "esp.img")
    run = hvtest.boot(tmp_path, OS_DISK)
    con = run.console("disk")
    assert run.status == 0, run
    assert "ata: master drive, 65536 sectors, bus-master DMA" in con, con
    with open(image, "rb") as f:
        disk = f.read()
    # One sector by the shell, then 1 MiB by a process into its own (scattered) pages.
    assert "disk: lba 0 (dma) checksum fnv1a %08x" % fnv1a(disk[:512]) in con, con
    want = fnv1a(disk[2048 * 512:4096 * 512])
    assert any(re.match(r"disk: read 2048 sectors at lba 2048 in \d+ ms: checksum fnv1a %08x$" % want, l)
               for l in con), con
    # The write reached the disk image exactly, and reads back the same.
    pat = pattern(40000, 256, 7)
    assert disk[40000 * 512:40256 * 512] == pat
    assert any(l.endswith("checksum fnv1a %08x" % fnv1a(pat)) and "wrote 256 sectors" in l for l in con)
    assert any(l.endswith("checksum fnv1a %08x" % fnv1a(pat)) and "read 256 sectors" in l for l in con)
    m = re.search(r"hv: guest disk DMA: (\d+) transfers started, 0 refused", run.log)
    assert m and int(m.group(1)) >= 3, run
    irqs = next(l for l in con if l.startswith("disk: ") and " irqs" in l)
    assert int(re.search(r"(\d+) irqs", irqs).group(1)) >= 3, irqs     # completion by routed IRQ 14


def test_dma_outside_the_guest_ram_is_refused_and_nothing_else_is_harmed(tmp_path):
    """tguest dma evil=1 points a PRD entry at 0x40000000 (outside its RAM):
    the hv refuses to start the transfer; the guest sees the error bit, its
    RAM is untouched, and the other guest runs on. (The guest's own check
    that a DMA read after a software reset of the drive works again fails
    under Bochs: the drive recovers from the abandoned command; the bus
    master then reports completion without data. That is the device's
    recovery, not the hv's confinement, and is not asserted here.)"""
    run = hvtest.boot(tmp_path, """
        [hv]
        trace = off

        [guest evil]
        image   = \\guests\\tguest.elf
        cmdline = "test=dma lba=100 write=1 evil=1"
        memory  = 8M
        devices = ide0
        ports   = 0xc000-0xc03f

        [guest beat]
        image   = \\guests\\tguest.elf
        cmdline = "test=heartbeat hz=100 seconds=2 every=50"
        memory  = 8M
    """)
    con = run.console("evil")
    for line in ("dma: read lba 100 matches pio ok", "dma: write lba 100 ok",
                 "dma: refused outside ram ok", "dma: guest ram untouched ok"):
        assert line in con, (line, con)
    assert re.search(r"hv: guest evil: DMA refused: PRD table at GPA 0x[0-9a-f]+, entry 0: "
                     r"buffer outside the guest's RAM", run.log), run
    assert re.search(r"hv: guest evil DMA: \d+ transfers started, 1 refused", run.log), run
    # Granting the bus master's ports in hv.cfg does not let them bypass the check.
    assert re.search(r"hv: guest evil: ports 0x[0-9a-f]+-0x[0-9a-f]+ are the IDE bus master: "
                     r"trapped, not passed through", run.log), run
    assert "[beat] heartbeat done" in run.log
    assert "hv: guest beat exited with status 0" in run.log, run
