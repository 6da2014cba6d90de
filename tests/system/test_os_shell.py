"""Guest OS: the shell on COM1 answers every command (typed over the serial port)."""
import random
import re

import hvtest
from os_harness import OsVM, fnv1a


def make_disk(path, size=4 << 20, seed=1):
    data = random.Random(seed).randbytes(size)
    path.write_bytes(data)
    return data


def test_shell_commands(tmp_path):
    disk = tmp_path / "disk.img"
    image = make_disk(disk)
    e9 = tmp_path / "e9.log"
    with OsVM("sched=rr alloc=bitmap e9=1", disk=str(disk), e9_log=str(e9)) as vm:
        log = vm.boot()
        assert "sched=rr alloc=bitmap" in log

        out = vm.cmd("help")
        for c in ("ps", "mem", "ports", "irqs", "run", "kill", "disk", "stats", "guest", "exit", "halt"):
            assert re.search(r"^  %s " % c, out, re.M), c

        assert re.search(r"^1\s+0\s+shell\s+kernel", vm.cmd("ps"), re.M)

        out = vm.cmd("mem")
        assert "allocator: bitmap" in out
        assert int(re.search(r"(\d+) free", out).group(1)) > 10000

        out = vm.cmd("ports")
        assert "03f8-03ff   kernel (console uart)" in out
        assert "01f0-01f7   kernel (ide0)" in out

        out = vm.cmd("irqs")
        assert int(re.search(r"^0\s+(\d+)\s+kernel \(timer\)", out, re.M).group(1)) > 0
        assert re.search(r"^4\s+\d+\s+kernel \(console uart\)", out, re.M)

        # disk read LBA: hex dump of the first bytes and checksum of the sector.
        out = vm.cmd("disk read 3")
        sector = image[3 * 512:4 * 512]
        assert "0000: " + " ".join("%02x" % b for b in sector[:16]) in out
        assert "checksum fnv1a %08x" % fnv1a(sector) in out

        out = vm.cmd("run")
        for prog in ("hog", "rt", "prodcons", "portuser", "badport", "fault", "disk"):
            assert re.search(r"^  %s " % prog, out, re.M), prog
        assert "no program" in vm.cmd("run nosuch")

        pid = re.search(r"started pid (\d+)", vm.cmd("run hog 60")).group(1)
        vm.expect(r"hog %s: running" % pid)
        assert re.search(r"^%s\s+0\s+hog\s" % pid, vm.cmd("ps"), re.M)
        assert "pid %s (hog) killed: by the shell" % pid in vm.cmd("kill " + pid)
        assert not re.search(r"^%s\s+0\s+hog\s" % pid, vm.cmd("ps"), re.M)
        assert "no process" in vm.cmd("kill " + pid)
        assert "kernel thread" in vm.cmd("kill 1")

        out = vm.cmd("stats")
        for key in ("ticks", "context switches", "syscalls", "irqs"):
            assert re.search(r"^%s \d+" % key, out, re.M), key
        assert "not running under the nanokernel hv" in out
        # Idle most of the time: the kernel halted (sti; hlt) instead of spinning.
        assert int(re.search(r"^idle halts (\d+)", out, re.M).group(1)) > 0

        assert "guest: not running under the nanokernel hv" in vm.cmd("guest status beta")
        assert "unknown command" in vm.cmd("frobnicate")
        # isa-debug-exit: QEMU's exit code is status * 2 + 1.
        assert vm.exit(5) == 11
    # e9=1 mirrors the console to port 0xe9.
    mirrored = e9.read_text(errors="replace")
    assert "os: shell ready" in mirrored and "allocator: bitmap" in mirrored


def test_halt_and_console_com2():
    """console=com2 moves the shell to COM2 (COM1 then shows nothing)."""
    import os
    import socket
    import tempfile
    import time
    tmp = tempfile.mkdtemp(prefix="ostest-")
    path2 = os.path.join(tmp, "com2.sock")
    # COM1 stays the harness socket; COM2 is a second unix socket we serve.
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path2)
    srv.listen(1)
    srv.settimeout(20)
    vm = OsVM("console=com2", extra=["-serial", "unix:%s" % path2])
    try:
        conn, _ = srv.accept()
        conn.settimeout(1)
        buf = b""
        deadline = time.time() + 20
        while b"os> " not in buf and time.time() < deadline:
            try:
                buf += conn.recv(4096)
            except socket.timeout:
                pass
        assert b"os> " in buf
        conn.sendall(b"halt\r")
        assert vm.proc.wait(15) == 1
        assert "os> " not in vm.out
        conn.close()
    finally:
        vm.close()
        srv.close()


def test_kernel_fault_dumps_registers_and_halts():
    """A fault in ring 0 is a kernel bug: full register dump, then halt
    (panicexit=N also ends QEMU with status N, so the test need not wait)."""
    with OsVM("panicexit=9") as vm:
        vm.boot()
        vm.send("panic")
        vm.expect(r"KERNEL PANIC: page fault in the kernel \(current pid 1 shell\)")
        for reg in ("rip", "rsp", "cr2 0000000000000000", "rax", "r15", "cr3"):
            vm.expect(reg)
        assert vm.proc.wait(15) == 19


MANAGED = """
[guest alpha]
image   = \\guests\\os.elf
cmdline = "sched=rr alloc=buddy hz=100 console=none -- guest status beta; guest restart beta; sleep 1500; guest status beta; guest stop alpha; guest status nosuch; guest frob beta; exit 0"
memory  = 32M
manages = beta

[guest beta]
image   = \\guests\\os.elf
cmdline = "sched=rr alloc=buddy hz=100 console=none -- sleep 3000; exit 0"
memory  = 32M
"""


def test_shell_guest_command_restarts_the_guest_it_manages(tmp_path):
    """The shell's `guest` command under the hv (HC_GUEST_CTL): alpha
    (hv.cfg `manages = beta`) asks beta's state, restarts it, sees its
    second boot; a guest it does not manage (itself), one that does not
    exist and a bad verb each get their answer; beta's second boot runs to
    its end."""
    run = hvtest.boot(tmp_path, MANAGED, timeout=900)
    assert run.status == 0, run
    alpha = run.console("alpha")
    text = "\n".join(alpha)
    assert re.search(r"^guest beta: boot 1, (running|halted)$", text, re.M), alpha
    assert "guest beta: restart asked" in alpha, alpha
    assert re.search(r"^guest beta: boot 2, (running|halted)$", text, re.M), alpha
    assert "guest alpha: not ours to manage (hv.cfg: manages)" in alpha, alpha
    assert "guest nosuch: no such guest" in alpha, alpha
    assert "usage: guest stop|restart|status NAME" in alpha, alpha
    assert "hv: guest beta stopped: restart asked by guest alpha" in run.log, run
    assert "hv: guest beta restarted (boot 2)" in run.log, run
    assert run.console("beta").count("os: exit with status 0") == 1, run
    assert "hv: guest beta exited with status 0" in run.log, run
