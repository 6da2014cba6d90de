"""tguest test=dma booted natively (no hv) under QEMU TCG with an IDE disk.

The guest reads a sector by PIO and by PIIX bus-master DMA from the primary
master drive; the disk is a 1 MiB raw image this module writes with a known
pattern per sector, so the checksums and the hex dump the guest prints can
be checked against the file, and the write test against the file after
QEMU exits. evil=1 (a PRD entry outside RAM) only runs under the hv:
natively it must be skipped without any DMA. docs/test-guests.md "dma"."""

import os
import struct
import subprocess
import zlib

import pytest

from test_tguest_native import ELF, QEMU, ROOT, assert_in_order, boot

pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 not installed")

SECTOR = 512
SECTORS = 2048          # 1 MiB


@pytest.fixture(scope="module", autouse=True)
def tguest_elf():
    subprocess.run(["make", "-s", "build/guests/tguest.elf"], cwd=ROOT, check=True)
    assert os.path.exists(ELF)


def sector_content(lba):
    """Sector lba of the image: its number, a tag, then a pattern that differs per sector."""
    head = struct.pack("<I", lba) + b"LBA#"
    body = bytes((lba * 31 + i * 3 + (lba >> 8)) & 0xFF for i in range(SECTOR - len(head)))
    return head + body


def write_pattern(lba):
    """What write=1 puts in sector lba: byte i is i * 7 + lba (mod 256)."""
    return bytes((i * 7 + lba) & 0xFF for i in range(SECTOR))


@pytest.fixture
def disk(tmp_path):
    path = tmp_path / "disk.img"
    path.write_bytes(b"".join(sector_content(s) for s in range(SECTORS)))
    return path


def boot_dma(cmdline, disk=None, machine="pc", timeout=60):
    """Boots tguest with the disk as the primary master (the IDE controller
    needs QEMU's default devices); QEMU is killed on timeout."""
    extra = ["-drive", "file=%s,if=ide,format=raw,index=0" % disk] if disk is not None else []
    return boot(cmdline, timeout=timeout, machine=machine, nodefaults=False, extra=extra)


def read_lines(lba, data):
    return ["dma: pio checksum 0x%08x" % zlib.crc32(data),
            "dma: dma checksum 0x%08x" % zlib.crc32(data),
            "dma: sector %d: %s" % (lba, " ".join("%02x" % b for b in data[:16])),
            "dma: read lba %d transfer ok" % lba,
            "dma: read lba %d matches pio ok" % lba]


@pytest.mark.parametrize("lba", [None, 37, SECTORS - 1])
def test_dma_read_matches_pio_and_the_image(disk, lba):
    run = boot_dma("test=dma" + ("" if lba is None else " lba=%d" % lba), disk)
    lba = lba or 0
    assert run.status == 0, run
    assert "tguest: test dma" in run.lines, run
    m = run.line(r"dma: ide 00:([0-9a-f]{2})\.(\d) 8086:7010 bar4 0x([0-9a-f]{8}) command 0x[0-9a-f]{4}")
    bar4 = int(m.group(3), 16)
    assert bar4 & 1 and bar4 & ~3, run
    assert "dma: bus master 0x%04x status 0x" % (bar4 & ~3) in run.out, run
    assert_in_order(run, read_lines(lba, sector_content(lba)) + ["dma: 2 checks, 0 failed"])
    assert run.lines[-1] == "dma: 2 checks, 0 failed", run
    assert not any("FAIL" in l for l in run.lines), run
    assert disk.read_bytes() == b"".join(sector_content(s) for s in range(SECTORS)), "a read changed the image"


def test_dma_write_changes_exactly_that_sector(disk):
    lba = 9
    run = boot_dma("test=dma lba=%d write=1" % lba, disk)
    assert run.status == 0, run
    # The read comes first and still sees the original content.
    assert_in_order(run, read_lines(lba, sector_content(lba)) +
                    ["dma: write lba %d transfer ok" % lba, "dma: write lba %d ok" % lba,
                     "dma: 4 checks, 0 failed"])
    image = disk.read_bytes()
    assert len(image) == SECTORS * SECTOR
    assert image[lba * SECTOR:(lba + 1) * SECTOR] == write_pattern(lba)
    changed = [s for s in range(SECTORS) if image[s * SECTOR:(s + 1) * SECTOR] != sector_content(s)]
    assert changed == [lba], changed


def test_dma_evil_is_skipped_natively(disk):
    run = boot_dma("test=dma evil=1", disk)
    assert run.status == 0, run
    assert_in_order(run, read_lines(0, sector_content(0)) +
                    ["dma: evil skipped (not under the hv)", "dma: 2 checks, 0 failed"])
    # No DMA to the bogus address natively: the refusal part never runs.
    assert not any(l.startswith("dma: evil prd") or "refused" in l or "legit read" in l for l in run.lines), run
    assert disk.read_bytes() == b"".join(sector_content(s) for s in range(SECTORS))


def test_dma_without_an_ide_controller_exits_with_status_4(disk):
    # q35: the disk hangs off AHCI (class 01:06); no class 01:01 function on bus 0.
    run = boot_dma("test=dma", disk, machine="q35")
    assert run.status == 4, run
    assert_in_order(run, ["dma: no IDE controller (class 0101) on bus 0",
                          "dma: no bus master (BAR4 0x00000000)"])
    assert run.lines[-1] == "dma: no bus master (BAR4 0x00000000)", run


def test_dma_without_a_drive_fails_with_status_1():
    run = boot_dma("test=dma")
    assert run.status == 1, run
    run.line(r"dma: FAIL pio read lba 0: no drive 0 \(status 0x(00|ff)\)")
