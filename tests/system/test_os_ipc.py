"""Guest OS IPC: producer/consumer moves 10,000 items in order over
synchronous messages and over semaphores (shared page)."""
import struct

from os_harness import OsVM, fnv1a


def expected_checksum(n):
    data = b"".join(struct.pack("<Q", (i * 2654435761 + 12345) & 0xFFFFFFFF) for i in range(n))
    return fnv1a(data)


def test_prodcons_10000_in_order():
    want = "%08x" % expected_checksum(10000)
    with OsVM("sched=rr alloc=bitmap") as vm:
        vm.boot()
        vm.send("run prodcons")
        for mode in ("msg", "sem"):
            m = vm.expect(r"prodcons %s consumer: (\d+) items, checksum ([0-9a-f]{8}), (in order|OUT OF ORDER)" % mode,
                          timeout=60)
            assert m.group(1) == "10000" and m.group(2) == want and m.group(3) == "in order"
            m = vm.expect(r"prodcons %s: producer checksum ([0-9a-f]{8}), consumer ([0-9a-f]{8}): (.*)\n" % mode)
            assert m.group(1) == want and m.group(2) == want and m.group(3) == "match, in order"
        vm.expect(r"prodcons: done")
        out = vm.cmd("stats")
        assert "ipc: 100" in out            # 10,000+ messages went through the kernel
