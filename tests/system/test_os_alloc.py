"""Guest OS memory: the kernel boots and works with both page allocators;
exhaustion is an error to the caller, and nothing leaks."""
import re

import pytest

from os_harness import OsVM


def free_pages(vm):
    return int(re.search(r"(\d+) free, \d+ used", vm.cmd("mem")).group(1))


@pytest.mark.parametrize("policy", ["bitmap", "buddy"])
def test_allocator_policy(policy):
    with OsVM("sched=rr alloc=%s" % policy) as vm:
        assert "alloc=%s" % policy in vm.boot()
        assert "allocator: %s" % policy in vm.cmd("mem")
        before = free_pages(vm)

        vm.send("run memhog")
        m = vm.expect(r"memhog: got (\d+) pages \(\d+ KiB\) before error (-?\d+)\n", timeout=30)
        assert int(m.group(2)) == -12                       # -ENOMEM, not a crash
        assert int(m.group(1)) > 0.9 * before
        vm.expect(r"memhog: freed all")
        vm.expect(r"pid \d+ \(memhog\) exited, status 0")
        assert "shell" in vm.cmd("ps")

        vm.send("run prodcons 2000")
        vm.expect(r"prodcons sem: .*match, in order", timeout=30)
        vm.expect(r"prodcons: done")
        vm.expect(r"pid \d+ \(prodcons\) exited, status 0")
        vm.cmd("ps")
        # Every page (process images, stacks, page tables, shared page) came back.
        assert free_pages(vm) == before
        assert "failures" in vm.cmd("mem")
