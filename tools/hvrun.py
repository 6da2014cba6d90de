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
import unicodedata

OVMF_BOCHS = "/usr/share/ovmf/OVMF.fd"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
VGABIOS = "/usr/share/vgabios/vgabios.bin"

# The hv's own lines that end a run (on its channel, port 0xE9, only), and the
# status a batch run then returns.
END_HV = re.compile(r"hv: all guests ended; status (-?\d+)$")
END_HALTED = "hv: halted"
END_PANIC = re.compile(r"hv: PANIC: ")
# The boot stage's (on the firmware console, com1): its failure, and its last
# line before it hands the machine over to the hv.
END_BOOT_FAILED = re.compile(r"hv: boot stage failed")
BOOT_HANDOVER = re.compile(r"hv: TSC .*; exiting boot services$")

STATUS_BOOT_FAILED = 2
STATUS_PANIC = 3
STATUS_EMULATOR_DIED = 4
STATUS_TIMEOUT = 124


KVM_DEV = "/dev/kvm"
KVM_NESTED = "/sys/module/kvm_intel/parameters/nested"
RELOAD_KVM = "sudo modprobe -r kvm_intel && sudo modprobe kvm_intel nested=1"
KEEP_NESTED = 'echo "options kvm_intel nested=1" | sudo tee /etc/modprobe.d/kvm-nested.conf'


def read_cpuinfo():
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


def cpuinfo_field(cpuinfo, name):
    """Returns the words of the first "name : ..." line of /proc/cpuinfo text."""
    for line in cpuinfo.split("\n"):
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.split()
    return []


def read_param(path):
    """Returns a module parameter's value (stripped), or None if the file is missing."""
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def no_vmx_fix(cpuinfo):
    """Returns the fix for a missing vmx flag, from the CPU's vendor and other flags."""
    flags = cpuinfo_field(cpuinfo, "flags")
    if "svm" in flags or cpuinfo_field(cpuinfo, "vendor_id") == ["AuthenticAMD"]:
        return ("this is an AMD CPU: the hv needs Intel VT-x (it has no AMD-V support); "
                "use the Bochs backend (tools/run --backend bochs)")
    if "hypervisor" in flags:
        return ("the CPU or the outer hypervisor does not expose VT-x: enable nested "
                "virtualisation in the outer hypervisor (docs/nested-kvm.md)")
    return ("the CPU does not expose VT-x: enable Intel Virtualization Technology (VT-x) "
            "in the firmware setup (docs/nested-kvm.md)")


def nested_vtx_checks(cpuinfo=None, kvm_path=KVM_DEV, nested_path=KVM_NESTED, access=os.access):
    """Returns what QEMU with KVM needs to run VT-x code, in order: a list of
    (ok, text, fix): text says what the host has (ok) or lacks, fix how to get it."""
    if cpuinfo is None:
        cpuinfo = read_cpuinfo()
    flags = set(cpuinfo_field(cpuinfo, "flags"))
    vmx_flags = set(cpuinfo_field(cpuinfo, "vmx flags"))
    params = os.path.dirname(nested_path)
    checks = []
    if "vmx" in flags:
        checks.append((True, "vmx flag in /proc/cpuinfo", None))
    else:
        checks.append((False, "no vmx flag in /proc/cpuinfo", no_vmx_fix(cpuinfo)))
    for feature in ("ept", "unrestricted_guest"):       # listed by kernels since 5.8
        if vmx_flags and feature not in vmx_flags:
            checks.append((False, "no %s in the vmx flags of /proc/cpuinfo" % feature,
                           "the CPU (too old) or the outer hypervisor does not offer it: enable "
                           "it in the outer hypervisor, or use the Bochs backend"))
    if not os.path.exists(kvm_path):
        checks.append((False, "no %s" % kvm_path, "sudo modprobe kvm_intel nested=1"))
    elif not access(kvm_path, os.R_OK | os.W_OK):
        checks.append((False, "no read/write access to %s" % kvm_path,
                       "sudo usermod -aG kvm $USER, then log out and in again"))
    else:
        checks.append((True, "read/write access to %s" % kvm_path, None))
    nested = read_param(nested_path)
    if nested is None:
        checks.append((False, "kvm_intel is not loaded (%s missing)" % nested_path,
                       "sudo modprobe kvm_intel nested=1"))
    elif nested not in ("Y", "y", "1"):
        checks.append((False, "kvm_intel nested=%s (load it with nested=1)" % nested,
                       "%s (stop running VMs first); to keep it: %s" % (RELOAD_KVM, KEEP_NESTED)))
    else:
        checks.append((True, "kvm_intel nested=%s" % nested, None))
        for name in ("ept", "unrestricted_guest"):
            value = read_param(os.path.join(params, name))
            if value is not None and value not in ("Y", "y", "1"):
                checks.append((False, "kvm_intel %s=%s" % (name, value),
                               "sudo modprobe -r kvm_intel && sudo modprobe kvm_intel nested=1 "
                               "%s=1" % name))
    if "vmx" not in flags:      # KVM cannot give what the CPU lacks
        checks = checks[:1] + [(ok, text, fix and "once the vmx flag is there: " + fix)
                               for ok, text, fix in checks[1:]]
    return checks


def detect_nested_vtx(cpuinfo=None, kvm_path=KVM_DEV, nested_path=KVM_NESTED, access=os.access):
    """Returns (usable, reason): whether QEMU/KVM can run VT-x guests here, and why not."""
    for ok, text, fix in nested_vtx_checks(cpuinfo, kvm_path, nested_path, access):
        if not ok:
            return False, text
    return True, "KVM with nested VT-x"


def choose_backend(requested="auto", detect=detect_nested_vtx):
    """Returns (backend, message) for a requested backend name."""
    if requested in ("bochs", "qemu", "tcg"):
        return requested, "backend %s (requested)" % requested
    ok, why = detect()
    if ok:
        return "qemu", "backend qemu: %s" % why
    return "bochs", "backend bochs: nested VT-x is missing (%s)" % why


# What each backend needs besides VT-x: (kind, name, Debian packages).
COMMON_NEEDS = [("program", "mformat", "mtools")]          # tools/mkesp builds the ESP image
QEMU_NEEDS = [("program", "qemu-system-x86_64", "qemu-system-x86"),
              ("file", OVMF_CODE, "ovmf"), ("file", OVMF_VARS, "ovmf")]
BOCHS_NEEDS = [("program", "bochs", "bochs bochsbios"),
               ("file", OVMF_BOCHS, "ovmf"), ("file", VGABIOS, "vgabios")]


def need_checks(needs, which, exists):
    """Returns (ok, text, fix) for each program or file in needs."""
    checks = []
    for kind, name, pkgs in needs:
        where = which(name) if kind == "program" else (name if exists(name) else None)
        if where:
            checks.append((True, "%s (%s)" % (name, where) if kind == "program" else name, None))
        else:
            checks.append((False, "no %s" % name, "sudo apt-get install %s" % pkgs))
    return checks


def qemu_version_of(path):
    try:
        p = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
        return p.stdout.split("\n")[0].strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def check_host(cpuinfo=None, kvm_path=KVM_DEV, nested_path=KVM_NESTED, access=os.access,
               which=shutil.which, exists=os.path.isfile, kernel=None, qemu_version=qemu_version_of):
    """Returns (status, lines): for each backend what the host has and lacks, with
    the fix for each missing thing, and the backend `make run` would choose.
    status is 0 if a backend that runs VT-x code (qemu with KVM, or bochs) works, else 1."""
    if cpuinfo is None:
        cpuinfo = read_cpuinfo()
    if kernel is None:
        kernel = os.uname().release
    qemu = which("qemu-system-x86_64")
    lines = ["host: CPU %s; Linux %s; QEMU %s" % (
        " ".join(cpuinfo_field(cpuinfo, "model name")) or "unknown", kernel,
        qemu_version(qemu) if qemu else "not installed")]
    common = need_checks(COMMON_NEEDS, which, exists)
    backends = [
        ("qemu", "QEMU with KVM and nested VT-x: fast", need_checks(QEMU_NEEDS, which, exists)
         + nested_vtx_checks(cpuinfo, kvm_path, nested_path, access)),
        ("bochs", "Bochs, VT-x emulated: slower, runs anywhere", need_checks(BOCHS_NEEDS, which, exists)),
        ("tcg", "QEMU without KVM: no VT-x, the hv stops at its CPU check; tests only",
         need_checks(QEMU_NEEDS, which, exists)),
    ]
    usable = {}
    for name, what, checks in [("all backends", "tools/mkesp builds the boot image", common)] + backends:
        usable[name] = all(ok for ok, _, _ in checks + common)
        lines.append("%s (%s): %s" % (name, what, "works" if usable[name] else "does not work"))
        for ok, text, fix in checks:
            lines.append("  %s %s" % ("have: " if ok else "lacks:", text))
            if fix:
                lines.append("         fix: %s" % fix)
    backend, why = choose_backend("auto", lambda: detect_nested_vtx(cpuinfo, kvm_path, nested_path, access))
    lines.append("make run would use: %s%s" % (why, "" if usable[backend] else
                                               " (it lacks what is listed above)"))
    vtx = [b for b in ("qemu", "bochs") if usable[b]]
    if vtx:
        lines.append("check-host: VT-x code can run here (%s)" % ", ".join(vtx))
        return 0, lines
    lines.append("check-host: no backend here can run VT-x code; apply a fix above "
                 "(Bochs needs no VT-x on the host)")
    return 1, lines


CPU_KEY = re.compile(r"^[ \t]*cpu[ \t]*=[ \t]*(0[xX][0-9a-fA-F]+|\d+)[ \t]*(?:#.*)?$", re.M)
CFG_MAX_CPUS = 64                                # include/hvcfg.h: cpu = 0..63


def config_cpus(config_text):
    """Returns how many CPUs a machine needs for hv.cfg text: the highest
    `cpu = N` of its guests + 1, or 1 if none names a CPU. A value hv.cfg
    refuses (not a number, over 63) counts for nothing: the boot stage
    reports it."""
    cpus = [int(n, 0) for n in CPU_KEY.findall(config_text or "")]
    return max([n for n in cpus if n < CFG_MAX_CPUS] + [0]) + 1


def esp_config(esp, run_tool=subprocess.run):
    """Returns the text of \\hv.cfg on the ESP image esp (mtools), or "" if it has none."""
    r = run_tool(["mtype", "-i", esp, "::/hv.cfg"], stdout=subprocess.PIPE,
                 stderr=subprocess.DEVNULL)
    return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else ""


def cpus_line(cpus, why):
    """The run's line naming the machine's CPUs."""
    return "run: %d CPU%s (%s)" % (cpus, "" if cpus == 1 else "s", why)


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


def qemu_command(out, esp, kvm=True, megs=1024, cpus=1):
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
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-smp", str(cpus)]
    if kvm:
        cmd[1:1] = ["-enable-kvm", "-cpu", "host,+vmx"]
    return cmd


def prepare(backend, out, esp, cpus=1):
    """Writes what the backend needs into out, for a machine of cpus CPUs;
    returns (command, stdout file)."""
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
            f.write(bochs_config(out, disk, cpus=cpus))
        with open(os.path.join(out, "dbg.rc"), "w") as f:
            f.write("c\n")
        return bochs_command(out), os.path.join(out, "e9.log")
    shutil.copyfile(OVMF_VARS, os.path.join(out, "OVMF_VARS.fd"))
    return (qemu_command(out, disk, kvm=(backend == "qemu"), cpus=cpus),
            os.path.join(out, "emulator.out"))


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").replace("\r", "")
    except OSError:
        return ""


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def channel_lines(data):
    """Returns the finished lines of a channel's bytes (a last line without its
    newline is not finished). Lines end at b"\n" only, never at the other breaks
    str.splitlines() knows (\v, \f, \x1c-\x1e, \x85, U+2028, ...), which a guest
    could use to start a line of its own; each line is decoded alone, bytes that
    are not UTF-8 as \\xNN, and trailing carriage returns are dropped."""
    return [l.decode("utf-8", "backslashreplace").rstrip("\r") for l in data.split(b"\n")[:-1]]


# Bochs writes its own messages to stdout, where port 0xE9 output also goes.
BOCHS_NOISE = re.compile(r"^(\d{11}[a-zA-Z]\[|={20,}|\s+(Bochs x86 Emulator|Built from|Timestamp:)"
                         r"|Bochs is exiting|\[ *\] |\(null\): |Next at t=|\(\d\) \[|<bochs:)")


TRACE_PREFIX = "@T "
# While several CPUs run the hv, each of its log lines starts "cpuN: " (docs/tracing.md).
CPU_TAG = re.compile(r"cpu[0-9]+: ")


def hv_log_lines(e9):
    """Returns the lines of the hv's own channel (the bytes of e9.log): what the hv
    wrote on port 0xE9, without Bochs' own lines and the trace's @T lines
    (tools/hvtrace reads those). A guest's console lines are in it tagged "[name] "
    by the hv, so only the hv can write a line that starts with "hv:". The CPU tag
    of a log written on several CPUs is taken off (e9.log keeps it)."""
    return [CPU_TAG.sub("", l, count=1) for l in channel_lines(e9)
            if not BOCHS_NOISE.match(l) and not l.startswith(TRACE_PREFIX)]


def hv_log(out):
    """Returns the hv's log so far (complete lines, joined by \\n): see hv_log_lines."""
    return "\n".join(hv_log_lines(read_bytes(os.path.join(out, "e9.log"))))


def hv_started(log):
    """Whether the hv's log (lines) has begun: the hv has taken the machine over."""
    return any(l.startswith("hv: ") for l in log)


def boot_stage(com1, log):
    """Returns the boot stage's lines ("hv: ...") from com1 (bytes of the firmware
    console, read BEFORE the hv's log lines log were read). Until the hv has
    started, every such line is the boot stage's. Once it has, a guest may own
    COM1 and write anything there: only the lines up to the boot stage's handover
    line count (if com1 has none yet, it was read before the hv started)."""
    lines = [l for l in channel_lines(com1) if l.startswith("hv:")]
    if hv_started(log):
        for i, l in enumerate(lines):
            if BOOT_HANDOVER.match(l):
                return lines[:i + 1]
    return lines


def boot_stage_lines(out):
    """Returns the boot stage's lines of the run in out (see boot_stage)."""
    return snapshot(out)[0]


def snapshot(out):
    """Returns (boot stage lines, hv log lines) of the run in out. com1 is read
    first: if the hv's log, read after it, has not begun, no guest had run
    when com1 was read (both emulators write each byte at once, in order)."""
    com1 = read_bytes(os.path.join(out, "com1.txt"))
    log = hv_log_lines(read_bytes(os.path.join(out, "e9.log")))
    return boot_stage(com1, log), log


def end_status(log, boot=(), exited=False):
    """Returns the batch status if the run has ended, else None.

    log: the lines (or text) of the hv's own channel, hv_log_lines; only they can
    end a run the hv has started: its end line followed by "hv: halted" (or, once
    the emulator has exited, the end line alone: QEMU's isa-debug-exit stops it
    at the hv's status write, before "hv: halted"), or a panic. boot: the boot
    stage's lines (boot_stage); its failure ends a run the hv has not started.
    """
    if isinstance(log, str):
        log = log.split("\n")
    for i, line in enumerate(log):
        if END_PANIC.match(line):
            return STATUS_PANIC
        m = END_HV.match(line)
        if m and (exited or END_HALTED in log[i + 1:]):
            return int(m.group(1))
    if not hv_started(log) and any(END_BOOT_FAILED.match(l) for l in boot):
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


def run(backend, esp, out, timeout=300, stream=None, cpus=None):
    """Boots esp under backend; returns the batch status. Logs stay in out.

    stream, if given, is called with each new line of output as it appears.
    cpus: the machine's CPU count; by default what the ESP's hv.cfg uses
    (config_cpus).
    """
    out = os.path.abspath(out)
    esp = os.path.abspath(esp)
    if cpus is None:
        cpus = config_cpus(esp_config(esp))
    cmd, stdout_path = prepare(backend, out, esp, cpus)
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
            exited = proc.poll() is not None
            if exited:
                time.sleep(0.5)             # let the last bytes reach the files
            boot, log = snapshot(out)
            if stream:
                # The boot stage speaks on the firmware console until the hv's log starts.
                for line in boot[shown_boot:]:
                    stream(line)
                for line in log[shown_hv:]:
                    stream(line)
            shown_boot, shown_hv = max(shown_boot, len(boot)), len(log)
            status = end_status(log, boot, exited)
            if status is None and exited:
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


# Characters a terminal acts on or that hide or reorder text: controls (C0, DEL,
# C1), format characters (bidi overrides, zero-width), line and paragraph
# separators, surrogates.
HIDDEN_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Cs")


def visible(text, tabsize=0):
    """Returns text with every character a terminal could act on written out in
    Python's escape form: ESC as \\x1b, U+0085 as \\x85, U+2028 as \\u2028. With
    tabsize, a tab becomes spaces to the next multiple of tabsize columns."""
    out = []
    col = 0
    for c in text:
        if c == "\t" and tabsize:
            c = " " * (tabsize - col % tabsize)
        elif unicodedata.category(c) not in HIDDEN_CATEGORIES:
            pass
        elif ord(c) < 0x100:
            c = "\\x%02x" % ord(c)
        elif ord(c) < 0x10000:
            c = "\\u%04x" % ord(c)
        else:
            c = "\\U%08x" % ord(c)
        out.append(c)
        col += len(c)
    return "".join(out)


class Lines:
    """Formats the streamed log one line per line, as the channels have it
    (guest consoles tagged [name]), with control characters made visible."""

    def __init__(self, print_fn=print):
        self.print = print_fn

    def __call__(self, line):
        self.print(visible(line, 8))


GUEST_LINE = re.compile(r"^\[([a-z0-9_-]+)\] ?(.*)$")
GUEST_DECL = re.compile(r"^hv: guest ([a-z0-9_-]+): \d+ MiB RAM at host")


class Columns:
    """Formats the streamed log with each guest's console in its own column,
    side by side; hv lines run across the full width. Control characters are
    made visible."""

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
            line = visible(line, 8)
            self.print(line[:self.width] if line.startswith("hv:   ") else line)
            return
        n = max(len(self.guests), 1)
        cw = self.width // n
        i = self.guests.index(m.group(1))
        text = visible(m.group(2), 4)
        head = m.group(1)[:8] + "| "
        room = max(cw - len(head) - 1, 8)
        for k in range(0, max(len(text), 1), room):     # long lines wrap inside the column
            self.print((" " * (cw * i) + head + text[k:k + room]).rstrip())


LINUX_GUEST = "tools/linux-guest"
LINUX_DIR = "build/linux"
LINUX_NAMES = ("vmlinuz", "initrd.img")         # what tools/linux-guest makes there
CONFIG_FILE = re.compile(r"^\s*(?:image|initrd|module)\s*=\s*\\guests\\([^\s#]+)", re.M)


def linux_guest_files(config_text, given=(), run_tool=subprocess.run):
    """Returns the files of tools/linux-guest (Debian's kernel, the test
    initramfs) that config_text names as \\guests\\vmlinuz or \\guests\\initrd.img
    and given (paths from --file) does not supply, after running the tool
    (it fetches the kernel package on first use and says so). Raises
    SystemExit with the tool's status if it fails."""
    named = set(CONFIG_FILE.findall(config_text)) - {os.path.basename(f) for f in given}
    wanted = [n for n in LINUX_NAMES if n in named]
    if not wanted:
        return []
    print("run: the config boots Debian's kernel: %s (kernel and initramfs in %s/)"
          % (LINUX_GUEST, LINUX_DIR), flush=True)
    status = run_tool([LINUX_GUEST]).returncode
    if status:
        raise SystemExit(status)
    return [os.path.join(LINUX_DIR, n) for n in wanted]


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(prog="tools/run", description="Boot the hv image under QEMU/KVM or Bochs.")
    p.add_argument("--backend", default="auto", choices=["auto", "qemu", "bochs", "tcg"])
    p.add_argument("--esp", default="build/esp.img", help="ESP image to boot")
    p.add_argument("--config", help="hv.cfg to use: builds a new ESP with it (in --out)")
    p.add_argument("--file", action="append", default=[],
                   help="with --config: one more file for the ESP's \\guests\\ (e.g. another "
                        "kernel and its initramfs); repeatable")
    p.add_argument("--out", default="build/run", help="folder for logs and the image copy")
    p.add_argument("--timeout", type=int, default=600, help="seconds before the run is stopped")
    p.add_argument("--cpus", type=int, help="CPUs of the machine (default: the highest cpu "
                   "in hv.cfg + 1, so every guest's CPU exists)")
    p.add_argument("--batch", action="store_true",
                   help="print nothing while running; exit with the hv's status")
    p.add_argument("--layout", choices=["auto", "columns", "lines"], default="auto",
                   help="guest consoles side by side in columns, or as tagged lines "
                        "(auto: columns on a terminal at least 100 wide)")
    p.add_argument("--check-host", action="store_true",
                   help="say what this host has and lacks for each backend, with the fixes, "
                        "and which backend make run would use; exit 0 if one that runs "
                        "VT-x code works, else 1. Boots nothing")
    args = p.parse_args(argv)
    if args.check_host:
        status, lines = check_host()
        print("\n".join(lines), flush=True)
        return status

    backend, why = choose_backend(args.backend)
    esp = args.esp
    if args.config:
        os.makedirs(args.out, exist_ok=True)
        esp = os.path.join(args.out, "esp-built.img")
        guests = sorted(os.path.join("build/guests", f) for f in os.listdir("build/guests")
                        if f.endswith(".elf"))
        if os.path.exists("build/guests/os/os.elf"):
            guests.append("build/guests/os/os.elf")
        with open(args.config) as f:
            guests += linux_guest_files(f.read(), args.file) + args.file
        subprocess.run(["tools/mkesp", esp, args.config] + guests, check=True)
    print("run: " + why, flush=True)
    cpus = args.cpus
    if cpus is None:
        cpus = config_cpus(esp_config(esp))
        print(cpus_line(cpus, "the highest cpu in hv.cfg is %d" % (cpus - 1) if cpus > 1
                        else "hv.cfg places every guest on CPU 0"), flush=True)
    else:
        print(cpus_line(cpus, "--cpus"), flush=True)
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
        stream = Lines(lambda line: print(line, flush=True))
    status = run(backend, esp, args.out, args.timeout, stream, cpus)
    said = channel_lines(read_bytes(os.path.join(args.out, "emulator.out")))
    if status == STATUS_EMULATOR_DIED and backend != "bochs" and said:
        print("run: the emulator stopped by itself; it said (emulator.out):", flush=True)
        for line in said[-10:]:
            print("run:   " + visible(line, 8), flush=True)
    print("run: finished with status %d" % status, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
