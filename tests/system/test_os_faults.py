"""Guest OS isolation: faults and unauthorised port access kill only the
offending process; the shell and other processes go on."""
import re

from os_harness import OsVM

FAULTS = {
    "div": "divide error",
    "pf": "page fault",
    "gp": "general protection",
    "ud": "invalid opcode",
}


def test_faults_kill_only_the_process():
    # A second serial port (COM2, to nowhere) gives irquser a device to own.
    with OsVM("sched=rr alloc=buddy", extra=["-serial", "null"]) as vm:
        vm.boot()
        hog = re.search(r"started pid (\d+)", vm.cmd("run hog 60")).group(1)
        for kind, name in FAULTS.items():
            pid = re.search(r"started pid (\d+)", vm.cmd("run fault " + kind)).group(1)
            vm.expect(r"\[os\] pid %s \(fault\) killed: %s" % (pid, name))
            ps = vm.cmd("ps")
            assert not re.search(r"^%s\s" % pid, ps, re.M)
            assert re.search(r"^%s\s+0\s+hog\s" % hog, ps, re.M), ps
        assert "survived" not in vm.out

        # A process without a grant touching a port: #GP, killed; shell answers.
        pid = re.search(r"started pid (\d+)", vm.cmd("run badport")).group(1)
        vm.expect(r"\[os\] pid %s \(badport\) killed: general protection" % pid)
        assert "NOT KILLED" not in vm.out
        assert re.search(r"^%s\s+0\s+hog\s" % hog, vm.cmd("ps"), re.M)

        # With a grant the same port works; kernel ports are refused.
        pid = re.search(r"started pid (\d+)", vm.cmd("run portuser")).group(1)
        vm.expect(r"portuser: granted 0x70-0x71, RTC [0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}")
        vm.expect(r"grant of the PIC ports 0x20-0x21: refused")
        assert "0070-0071   pid %s (portuser)" % pid in vm.cmd("ports")   # held for 1 s
        vm.expect(r"pid %s \(portuser\) exited, status 0" % pid)
        assert "portuser" not in vm.cmd("ports")

        # An IRQ arrives as a message to the attached process.
        vm.send("run irquser")
        vm.expect(r"irquser: message from -1: irq 3", timeout=10)
        assert re.search(r"^3\s+\d+", vm.cmd("irqs"), re.M)

        vm.cmd("kill " + hog)
        assert vm.exit(0) == 1
