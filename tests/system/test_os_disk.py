"""Guest OS disk: ATA bus-master DMA on QEMU's PIIX3 IDE (interrupt-driven),
and the PIO fallback. The test builds the image and checks the kernel's
checksums and, after QEMU exits, the bytes it wrote."""
import random

from os_harness import OsVM, disk_pattern, fnv1a

MIB = 1 << 20


def make_image(path, size=8 * MIB, seed=7):
    data = random.Random(seed).randbytes(size)
    path.write_bytes(data)
    return data


def test_dma_read_write_1mib(tmp_path):
    img = tmp_path / "disk.img"
    data = make_image(img)
    with OsVM("sched=rr alloc=buddy", disk=str(img)) as vm:
        assert "bus-master DMA" in vm.boot()
        vm.send("run disk read 0 2048")
        m = vm.expect(r"disk: read 2048 sectors at lba 0 in \d+ ms: checksum fnv1a ([0-9a-f]{8})", timeout=30)
        assert int(m.group(1), 16) == fnv1a(data[:MIB])

        pattern = disk_pattern(4096, 2048, 7)
        vm.send("run disk write 4096 2048 7")
        m = vm.expect(r"disk: wrote 2048 sectors at lba 4096 in \d+ ms: checksum fnv1a ([0-9a-f]{8})", timeout=30)
        assert int(m.group(1), 16) == fnv1a(pattern)
        vm.send("run disk read 4096 2048")
        m = vm.expect(r"disk: read 2048 sectors at lba 4096 in \d+ ms: checksum fnv1a ([0-9a-f]{8})", timeout=30)
        assert int(m.group(1), 16) == fnv1a(pattern)

        out = vm.cmd("stats")
        assert "0 errors, 0 timeouts" in out
        irqs = int(out.split(" irqs, ")[0].rsplit(" ", 1)[1])
        assert irqs >= 2 * 16                  # one completion interrupt per 64 KiB command
        assert "(dma)" in vm.cmd("disk read 0")
        assert vm.exit(0) == 1
    after = img.read_bytes()
    assert after[4096 * 512:4096 * 512 + MIB] == pattern
    assert after[:4096 * 512] == data[:4096 * 512]
    assert after[4096 * 512 + MIB:] == data[4096 * 512 + MIB:]


def test_pio_fallback(tmp_path):
    img = tmp_path / "disk.img"
    data = make_image(img, size=2 * MIB, seed=8)
    with OsVM("disk=pio", disk=str(img)) as vm:
        assert "PIO" in vm.boot()
        vm.send("run disk read 0 256")
        m = vm.expect(r"disk: read 256 sectors at lba 0 in \d+ ms: checksum fnv1a ([0-9a-f]{8})", timeout=30)
        assert int(m.group(1), 16) == fnv1a(data[:256 * 512])
        vm.send("run disk write 1000 64 9")
        vm.expect(r"disk: wrote 64 sectors at lba 1000", timeout=30)
        assert vm.exit(0) == 1
    assert img.read_bytes()[1000 * 512:1064 * 512] == disk_pattern(1000, 64, 9)
