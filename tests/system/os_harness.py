"""QEMU harness for the guest OS (guests/os): boots build/guests/os/os.elf
natively under QEMU TCG and drives its shell over COM1.

COM1 is a unix socket QEMU serves with wait=on, so no output is lost before
we connect. Every read has a timeout, every run has a hard time limit
(a watchdog kills QEMU by its PID), and close() always kills QEMU.
"""
import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL = os.path.join(ROOT, "build", "guests", "os", "os.elf")
QEMU = "qemu-system-x86_64"
PROMPT = "os> "


def ensure_built():
    """Builds the kernel with make (cheap when up to date)."""
    subprocess.run(["make", "-s", "build/guests/os/os.elf"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def fnv1a(data, h=0x811C9DC5):
    """FNV-1a 32-bit, the checksum the kernel and its programs print."""
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def assert_disk_read_of_esp(run, guest, lba=2048, count=2048):
    """Asserts guest's console has `disk read LBA COUNT`'s line with the
    checksum of those sectors of the run's disk (the ESP image)."""
    con = run.console(guest)
    with open(os.path.join(run.out, "esp.img"), "rb") as f:
        f.seek(lba * 512)
        want = fnv1a(f.read(count * 512))
    line = r"disk: read %d sectors at lba %d in \d+ ms: checksum fnv1a %08x$" % (count, lba, want)
    assert any(re.match(line, l) for l in con), con
    return con


def disk_pattern(lba, count, seed):
    """The bytes `disk write LBA COUNT SEED` writes (see guests/os/user/disk.c)."""
    first = lba * 128
    return struct.pack("<%dI" % (count * 128),
                       *[((first + i) * 2654435761 + seed) & 0xFFFFFFFF
                         for i in range(count * 128)])


class OsVM:
    """One QEMU run of the guest OS. Use as a context manager."""

    def __init__(self, cmdline="", disk=None, mem=64, extra=(), hard_limit=120, e9_log=None):
        ensure_built()
        self.tmp = tempfile.mkdtemp(prefix="ostest-")
        self.sock_path = os.path.join(self.tmp, "com1.sock")
        args = [QEMU, "-machine", "pc", "-m", str(mem), "-kernel", KERNEL,
                "-append", cmdline, "-display", "none", "-monitor", "none",
                "-serial", "unix:%s,server=on,wait=on" % self.sock_path,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot"]
        if disk:
            args += ["-drive", "file=%s,if=ide,format=raw,index=0" % disk]
        if e9_log:
            args += ["-debugcon", "file:%s" % e9_log, "-global", "isa-debugcon.iobase=0xe9"]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.watchdog = threading.Timer(hard_limit, self._kill)
        self.watchdog.daemon = True
        self.watchdog.start()
        self.out = ""
        self.pos = 0
        self.sock = self._connect()

    def _connect(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("qemu exited early: %s" % self.proc.stdout.read().decode(errors="replace"))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock_path)
                return s
            except OSError:
                s.close()
                time.sleep(0.05)
        self._kill()
        raise TimeoutError("could not connect to QEMU's serial socket")

    def _kill(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _read_some(self, timeout):
        self.sock.settimeout(max(timeout, 0.01))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            data = b""
        if not data:
            time.sleep(min(timeout, 0.05))
            return False
        self.out += data.decode(errors="replace").replace("\r\n", "\n")
        return True

    def expect(self, pattern, timeout=10):
        """Waits for regex pattern in the output after the last match; returns
        the match and moves past it. Raises TimeoutError with the output.
        Output arrives in pieces: end a pattern whose last group is open-ended
        (\\d+, .*) with \\n, or it may match half a line."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while True:
            m = rx.search(self.out, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.time()
            if left <= 0 or (self.proc.poll() is not None and not self._read_some(0.05)):
                raise TimeoutError("no %r within %ss; output so far:\n%s" % (pattern, timeout, self.out[-4000:]))
            self._read_some(min(left, 0.5))

    def send(self, line):
        """Types line and Enter on the serial console."""
        self.sock.sendall(line.encode() + b"\r")

    def cmd(self, line, timeout=10):
        """Runs a shell command; returns its output up to the next prompt."""
        self.send(line)
        self.expect(re.escape(line) + r"\n", timeout)
        start = self.pos
        m = self.expect(re.escape(PROMPT), timeout)
        return self.out[start:m.start()]

    def boot(self, timeout=20):
        """Waits for the first shell prompt; returns the boot log."""
        self.expect(re.escape(PROMPT), timeout)
        return self.out

    def exit(self, status=0, timeout=15):
        """Runs `exit STATUS`; returns QEMU's exit code (status*2+1 with isa-debug-exit)."""
        self.send("exit %d" % status)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill()
            raise

    def close(self):
        self.watchdog.cancel()
        self._kill()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
