"""Attack: the owner of ide0 attacks the PCI function (PIIX3 IDE) that it
shares with the owner of ide1, through configuration mechanism #1: the
command register's enables, the secondary channel's IDE timing register
(its decode enable), the header and BARs by unaligned 16/32-bit accesses
at 0xcfd-0xcff, the chipset registers 0x40-0x4b, a narrow write to 0xcf8.
The victim beside it owns ide1 (Bochs' ata1, a disk made for the run):
its view of the function, which for its channel's registers is the
physical register, and a sector of its disk read by PIO and by DMA must
be unchanged after the attack; the hv logs the denials, at most 8 lines per guest and then a
count."""

import re
import struct
import zlib

import hvtest

SECTORS = 4 * 16 * 63           # 4 cylinders of Bochs' autodetected geometry
LBA = 100

CONFIG = """
[hv]
trace = off

[guest attacker]
image   = \\guests\\tguest.elf
cmdline = "test=pciattack role=attacker delay_ms=300"
memory  = 8M
devices = ide0

[guest victim]
image   = \\guests\\tguest.elf
cmdline = "test=pciattack role=victim lba=%d wait_ms=1500"
memory  = 8M
devices = ide1
""" % LBA


def disk():
    """A disk whose every sector differs: 32-bit words (lba * 128 + i) * 2654435761."""
    return b"".join(struct.pack("<I", ((lba * 128 + i) * 2654435761) & 0xffffffff)
                    for lba in range(SECTORS) for i in range(128))


def test_ide0_owner_cannot_touch_the_shared_function_or_the_ide1_owners_channel(tmp_path):
    image = disk()
    run = hvtest.boot(tmp_path, CONFIG, ata1=image)
    att, vic = run.console("attacker"), run.console("victim")

    # The attacker sees its own view, consistent as the device would show it.
    for line in ("pciattack: own command copy reads back cleared ok",
                 "pciattack: other channel's idetim reads 0 ok",
                 "pciattack: header and bars unchanged ok",
                 "pciattack: own idetim takes a new timing ok",
                 "pciattack: sidetim shows only its own nibble ok",
                 "pciattack: narrow 0xcf8 write keeps the address latch ok",
                 "pciattack: own command copy reads back set ok",
                 "pciattack: 7 checks, 0 failed"):
        assert line in att, (line, att)
    bm = re.search(r"hv: PCI 00:01\.1 IDE controller 8086:7010, bus master at 0x([0-9a-f]+)", run.log)
    assert bm and "pciattack: bar4 0x%08x" % (int(bm.group(1), 16) | 1) in att, att   # it did not move

    # The victim's channel: decode still on, the same timing, its disk still reads by PIO and by DMA.
    crc = zlib.crc32(image[LBA * 512:(LBA + 1) * 512])
    want = "dma status 0x04 crc 0x%08x dma crc 0x%08x" % (crc, crc)
    before = next(l for l in vic if l.startswith("pciattack: victim before:"))
    after = next(l for l in vic if l.startswith("pciattack: victim after:"))
    assert before.endswith(want) and after.endswith(want), (want, vic)
    for line in ("pciattack: secondary decode enabled before ok", "pciattack: dma reads the sector before ok",
                 "pciattack: idetim unchanged ok", "pciattack: command unchanged ok",
                 "pciattack: sector reads the same ok", "pciattack: dma reads the sector after ok",
                 "pciattack: 6 checks, 0 failed"):
        assert line in vic, (line, vic)
    assert "hv: guest victim DMA: 2 transfers started, 0 refused" in run.log, run
    log = run.log.splitlines()
    assert log.index("[attacker] pciattack: attacker done") < log.index("[victim] " + after), run

    # The victim's IDETIM view is the physical register: the one firmware left.
    boot = re.search(r"hv: PCI IDE filter: model PIIX3, command 0x([0-9a-f]{4}), IDETIM 0x([0-9a-f]{4}) "
                     r"0x([0-9a-f]{4})", run.log)
    assert boot, run
    assert re.search(r"idetim 0x%s lba" % boot.group(3), after), (boot.group(0), after)

    # Denials logged: what was refused and why, at most 8 lines, then a count.
    for pattern in (r"PCI command emulated: its copy 0x0000, physical 0x0005 \(the other owner's enables kept\)",
                    r"PCI config write denied: 00:01\.1 offset 0x43 value 0x00 \(another channel's register\), "
                    r"1 of 1 byte\(s\) at port 0xcff",
                    r"PCI config write denied: 00:01\.1 offset 0x42 value 0x00 \(another channel's register\), "
                    r"2 of 2 byte\(s\) at port 0xcfe",
                    r"PCI config write denied: 00:01\.1 offset 0x0d value 0xff \(header\), "
                    r"4 of 4 byte\(s\) at port 0xcfd",
                    r"PCI config write denied: 00:01\.1 offset 0x11 value 0xf0 \(BAR\), "
                    r"4 of 4 byte\(s\) at port 0xcfd",
                    r"PCI config write denied: 00:01\.1 offset 0x22 value 0xff \(BAR\), "
                    r"2 of 2 byte\(s\) at port 0xcfe",
                    r"PCI config write denied: .*; further ones counted, not logged",
                    r"16 PCI configuration writes denied or emulated so far"):
        assert re.search(r"hv: guest attacker: " + pattern, run.log), (pattern, run)
    lines = [l for l in log if re.match(r"hv: guest attacker: PCI (config write|port write|command)", l)]
    assert len(lines) == 8, lines
    assert not [l for l in log if l.startswith("hv: guest victim: PCI")], run

    assert "hv: guest attacker exited with status 0" in run.log, run
    assert "hv: guest victim exited with status 0" in run.log, run
    assert run.status == 0, run
