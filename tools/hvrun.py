"""Run the hv image under an emulator: backend choice, command lines, log streaming.

Used by tools/run (the `make run` front end) and by the system tests.
Backends:
  qemu   QEMU with KVM and nested VT-x (-enable-kvm -cpu host,+vmx, OVMF): fast.
  bochs  Bochs with its VT-x/EPT emulation and OVMF: runs anywhere, slower.
  tcg    QEMU without KVM: no VMX, so the hv stops in its CPU check. Only
         useful to see that check (tests use it).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

OVMF_BOCHS = "/usr/share/ovmf/OVMF.fd"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
VGABIOS = "/usr/share/vgabios/vgabios.bin"

# Lines that end a run, and the status a batch run then returns.
END_HV = re.compile(r"^hv: all guests ended; status (-?\d+)", re.M)
END_HALTED = re.compile(r"^hv: halted", re.M)
END_PANIC = re.compile(r"^hv: PANIC: (.*)$", re.M)
END_BOOT_FAILED = re.compile(r"^hv: boot stage failed", re.M)

STATUS_BOOT_FAILED = 2
STATUS_PANIC = 3
STATUS_EMULATOR_DIED = 4
STATUS_TIMEOUT = 124


def detect_nested_vtx(cpuinfo=None, kvm_path="/dev/kvm",
                      nested_path="/sys/module/kvm_intel/parameters/nested"):
    """Returns (usable, reason): whether QEMU/KVM can run VT-x guests here, and why not."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as f:
                cpuinfo = f.read()
        except OSError:
            cpuinfo = ""
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    if "vmx" not in flags:
        return False, "no vmx flag in /proc/cpuinfo"
    if not os.path.exists(kvm_path):
        return False, "no %s" % kvm_path
    if not os.access(kvm_path, os.R_OK | os.W_OK):
        return False, "no read/write access to %s" % kvm_path
    try:
        with open(nested_path) as f:
            nested = f.read().strip()
    except OSError:
        return False, "kvm_intel is not loaded (%s missing)" % nested_path
    if nested not in ("Y", "y", "1"):
        return False, "kvm_intel nested=%s (load it with nested=1)" % nested
    return True, "KVM with nested VT-x"


def choose_backend(requested="auto", detect=detect_nested_vtx):
    """Returns (backend, message) for a requested backend name."""
    if requested in ("bochs", "qemu", "tcg"):
        return requested, "backend %s (requested)" % requested
    ok, why = detect()
    if ok:
        return "qemu", "backend qemu: %s" % why
    return "bochs", "backend bochs: nested VT-x is missing (%s)" % why


def bochs_config(out, esp, cpus=1, megs=512, ips=200000000, ata1=None):
    """Returns the text of a bochsrc for the image esp, logs under out.
    ata1: a disk image for the secondary IDE channel's master (ports 0x170,
    IRQ 15); by default out/ata1.img if that file exists, else no channel."""
    if ata1 is None and os.path.exists(os.path.join(out, "ata1.img")):
        ata1 = os.path.join(out, "ata1.img")
    secondary = ["ata1: enabled=1, ioaddr1=0x170, ioaddr2=0x370, irq=15",
                 "ata1-master: type=disk, path=%s, mode=flat" % ata1] if ata1 else []
    return "\n".join([
        "megs: %d" % megs,
        "cpu: model=corei7_haswell_4770, count=%d, ips=%d" % (cpus, ips),
        "romimage: file=%s, address=0xffe00000" % OVMF_BOCHS,
        "vgaromimage: file=%s" % VGABIOS,
        'display_library: rfb, options="timeout=0"',
        "com1: enabled=1, mode=file, dev=%s" % os.path.join(out, "com1.txt"),
        "port_e9_hack: enabled=1",
        "log: %s" % os.path.join(out, "bochs.log"),
        "debug: action=ignore",
        "info: action=ignore",
        "error: action=report",
        "panic: action=report",
        "pci: enabled=1, chipset=i440fx",
        "ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14",
        "ata0-master: type=disk, path=%s, mode=flat" % esp,
    ] + secondary + [
        "boot: disk",
        "clock: sync=none",
        "sound: driver=dummy",
        "",
    ])


def bochs_command(out):
    return ["bochs", "-q", "-f", os.path.join(out, "bochsrc"),
            "-rc", os.path.join(out, "dbg.rc")]


def qemu_command(out, esp, kvm=True, megs=1024):
    """Returns the QEMU command line (KVM with nested VT-x, or TCG). The
    machine is "pc" (i440fx, PIIX3): the platform the Bochs backend has, so
    the ESP disk sits behind the PIIX IDE bus master that ide0 guests use."""
    cmd = ["qemu-system-x86_64", "-machine", "pc", "-m", str(megs),
           "-drive", "if=pflash,format=raw,readonly=on,file=%s" % OVMF_CODE,
           "-drive", "if=pflash,format=raw,file=%s" % os.path.join(out, "OVMF_VARS.fd"),
           "-drive", "format=raw,file=%s" % esp,
           "-display", "none", "-no-reboot",
           "-serial", "file:%s" % os.path.join(out, "com1.txt"),
           "-debugcon", "file:%s" % os.path.join(out, "e9.log"),
           "-global", "isa-debugcon.iobase=0xe9",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if kvm:
        cmd[1:1] = ["-enable-kvm", "-cpu", "host,+vmx"]
    return cmd


def prepare(backend, out, esp):
    """Writes what the backend needs into out; returns (command, stdout file)."""
    os.makedirs(out, exist_ok=True)
    for name in ("com1.txt", "e9.log", "bochs.log"):
        path = os.path.join(out, name)
        if os.path.exists(path):
            os.unlink(path)
    disk = os.path.join(out, "esp.img")
    if os.path.abspath(esp) != os.path.abspath(disk):
        shutil.copyfile(esp, disk)        # a private copy: Bochs locks its image
    if os.path.exists(disk + ".lock"):
        os.unlink(disk + ".lock")
    if backend == "bochs":
        with open(os.path.join(out, "bochsrc"), "w") as f:
            f.write(bochs_config(out, disk))
        with open(os.path.join(out, "dbg.rc"), "w") as f:
            f.write("c\n")
        return bochs_command(out), os.path.join(out, "e9.log")
    shutil.copyfile(OVMF_VARS, os.path.join(out, "OVMF_VARS.fd"))
    return qemu_command(out, disk, kvm=(backend == "qemu")), os.path.join(out, "emulator.out")


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").replace("\r", "")
    except OSError:
        return ""


# Bochs writes its own messages to stdout, where port 0xE9 output also goes.
BOCHS_NOISE = re.compile(r"^(\d{11}[a-zA-Z]\[|={20,}|\s+(Bochs x86 Emulator|Built from|Timestamp:)"
                         r"|Bochs is exiting|\[ *\] |\(null\): |Next at t=|\(\d\) \[|<bochs:)")


def complete_lines(text):
    """Returns the lines of text that are finished (a last line without its newline is not)."""
    lines = text.split("\n")
    return lines[:-1]


TRACE_PREFIX = "@T "


def hv_log(out):
    """Returns the hv's log so far (complete lines): the e9 channel, without
    Bochs' own lines and without the trace's @T lines (tools/hvtrace reads those)."""
    return "\n".join(l for l in complete_lines(read_text(os.path.join(out, "e9.log")))
                     if not BOCHS_NOISE.match(l) and not l.startswith(TRACE_PREFIX))


def boot_stage_lines(out):
    """Returns the boot stage's lines ("hv: ...") from com1, where the firmware console goes."""
    return [l for l in complete_lines(read_text(os.path.join(out, "com1.txt")))
            if l.startswith("hv:")]


def end_status(text):
    """Returns the batch status if text shows the run has ended, else None."""
    m = END_HV.search(text)
    if m and END_HALTED.search(text):
        return int(m.group(1))
    if END_PANIC.search(text):
        return STATUS_PANIC
    if END_BOOT_FAILED.search(text):
        return STATUS_BOOT_FAILED
    return None


def stop(proc):
    """Stops the emulator we started, by its PID (never by name)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(backend, esp, out, timeout=300, stream=None):
    """Boots esp under backend; returns the batch status. Logs stay in out.

    stream, if given, is called with each new line of output as it appears.
    """
    out = os.path.abspath(out)
    esp = os.path.abspath(esp)
    cmd, stdout_path = prepare(backend, out, esp)
    with open(os.path.join(out, "command.txt"), "w") as f:
        f.write(" ".join(cmd) + "\n")
    with open(stdout_path, "wb") as so:
        proc = subprocess.Popen(cmd, stdout=so, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=out)
    shown_boot = shown_hv = 0
    status = None
    deadline = time.monotonic() + timeout
    try:
        while status is None:
            time.sleep(0.25)
            boot = boot_stage_lines(out)
            log = hv_log(out).splitlines()
            if stream:
                # The boot stage speaks on the firmware console until the hv's log starts.
                if not shown_hv:
                    for line in boot[shown_boot:]:
                        stream(line)
                    shown_boot = len(boot)
                for line in log[shown_hv:]:
                    stream(line)
                shown_hv = len(log)
            status = end_status("\n".join(boot + [""] + log))
            if status is None and proc.poll() is not None:
                time.sleep(0.5)
                status = end_status("\n".join(boot_stage_lines(out) + [""]) + hv_log(out))
                if status is None:
                    status = STATUS_EMULATOR_DIED
            elif status is None and time.monotonic() > deadline:
                status = STATUS_TIMEOUT
                if stream:
                    stream("run: time limit of %d s reached, stopping the emulator" % timeout)
    finally:
        stop(proc)
    with open(os.path.join(out, "status"), "w") as f:
        f.write("%d\n" % status)
    return status


GUEST_LINE = re.compile(r"^\[([a-z0-9_-]+)\] ?(.*)$")
GUEST_DECL = re.compile(r"^hv: guest ([a-z0-9_-]+): \d+ MiB RAM at host")


class Columns:
    """Formats the streamed log with each guest's console in its own column,
    side by side; hv lines run across the full width."""

    def __init__(self, width, print_fn=print):
        self.width = width
        self.guests = []
        self.print = print_fn

    def __call__(self, line):
        m = GUEST_DECL.match(line)
        if m and m.group(1) not in self.guests:
            self.guests.append(m.group(1))
        m = GUEST_LINE.match(line)
        if not m or m.group(1) not in self.guests:
            self.print(line[:self.width] if line.startswith("hv:   ") else line)
            return
        n = max(len(self.guests), 1)
        cw = self.width // n
        i = self.guests.index(m.group(1))
        text = m.group(2).expandtabs(4)
        head = m.group(1)[:8] + "| "
        room = max(cw - len(head) - 1, 8)
        for k in range(0, max(len(text), 1), room):     # long lines wrap inside the column
            self.print((" " * (cw * i) + head + text[k:k + room]).rstrip())


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(description="Boot the hv image under QEMU/KVM or Bochs.")
    p.add_argument("--backend", default="auto", choices=["auto", "qemu", "bochs", "tcg"])
    p.add_argument("--esp", default="build/esp.img", help="ESP image to boot")
    p.add_argument("--config", help="hv.cfg to use: builds a new ESP with it (in --out)")
    p.add_argument("--out", default="build/run", help="folder for logs and the image copy")
    p.add_argument("--timeout", type=int, default=600, help="seconds before the run is stopped")
    p.add_argument("--batch", action="store_true",
                   help="print nothing while running; exit with the hv's status")
    p.add_argument("--layout", choices=["auto", "columns", "lines"], default="auto",
                   help="guest consoles side by side in columns, or as tagged lines "
                        "(auto: columns on a terminal at least 100 wide)")
    args = p.parse_args(argv)

    backend, why = choose_backend(args.backend)
    esp = args.esp
    if args.config:
        os.makedirs(args.out, exist_ok=True)
        esp = os.path.join(args.out, "esp-built.img")
        guests = sorted(os.path.join("build/guests", f) for f in os.listdir("build/guests")
                        if f.endswith(".elf"))
        if os.path.exists("build/guests/os/os.elf"):
            guests.append("build/guests/os/os.elf")
        subprocess.run(["tools/mkesp", esp, args.config] + guests, check=True)
    print("run: " + why, flush=True)
    print("run: logs in %s/ (e9.log: hv log and guest consoles, com1.txt: firmware and serial)"
          % args.out, flush=True)
    width = shutil.get_terminal_size((80, 24)).columns
    columns = args.layout == "columns" or (args.layout == "auto" and sys.stdout.isatty()
                                           and width >= 100)
    if args.batch:
        stream = None
    elif columns:
        stream = Columns(width, lambda line: print(line, flush=True))
    else:
        stream = lambda line: print(line, flush=True)  # noqa: E731
    status = run(backend, esp, args.out, args.timeout, stream)
    print("run: finished with status %d" % status, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
