"""An unmodified Linux kernel as a guest beside the guest OS (issue 9,
docs/linux-guest.md): configs/linux.cfg under Bochs. Guest linux is Debian's
cloud kernel as packaged (tools/linux-guest fetches it once per build tree)
with a busybox initramfs whose /init (tools/linuxinit/init) reports what the
kernel found on its console, the virtual COM1, and writes its status to port
0xF4. Guest alpha is the guest OS as in configs/default.cfg, owning the real
COM1. About 2 minutes."""

import json
import os
import re
import subprocess

import hvtest
from hvtest import ROOT

LINUX_DIR = os.path.join(ROOT, "build", "linux")
NO_PCI = "PCI: Fatal: No config space access function found"


def linux_files():
    """Runs tools/linux-guest (the kernel download happens once, then it is kept);
    returns {ESP name: bytes} for the kernel and the initramfs."""
    p = subprocess.run([os.path.join(ROOT, "tools/linux-guest")], capture_output=True, text=True)
    assert p.returncode == 0, "tools/linux-guest failed:\n" + p.stdout + p.stderr
    files = {}
    for name in ("vmlinuz", "initrd.img"):
        with open(os.path.join(LINUX_DIR, name), "rb") as f:
            files[name] = f.read()
    return files


def config_value(text, section, key):
    """The value of key in [section] of an hv.cfg text, without its quotes."""
    inside = False
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith("["):
            inside = line == "[%s]" % section
        elif inside and line.split("=")[0].strip() == key:
            return line.split("=", 1)[1].strip().strip('"')
    return None


def report(run):
    """{key: value} of guest linux's /init report ("linux-guest: KEY VALUE"), and its IRQ lines."""
    found, irqs = {}, {}
    for line in run.console("linux"):
        if not line.startswith("linux-guest: "):
            continue
        key, _, value = line[len("linux-guest: "):].partition(" ")
        if key == "irq":
            number, count, chip, name = (value.split(" ", 3) + [""])[:4]
            irqs[int(number)] = (int(count), chip, name)
        else:
            found[key] = value
    return found, irqs


def test_debian_kernel_boots_to_init_beside_the_guest_os(tmp_path):
    files = linux_files()
    with open(os.path.join(ROOT, "configs/linux.cfg")) as f:
        cfg = f.read()
    run = hvtest.boot(tmp_path, cfg, files=files)
    with open(os.path.join(LINUX_DIR, "kernel.txt")) as f:
        release = f.read().split()[2]

    # The boot stage loaded the bzImage through the boot protocol.
    assert re.search(r"hv: guest linux: loaded bzImage \\guests\\vmlinuz \(boot protocol 2\.\d+, "
                     r"\d+ KiB\) at 0x[0-9A-F]+, initrd \\guests\\initrd\.img", run.com1), run.com1[-3000:]

    # Linux reached /init and ran the script: its lines on the virtual COM1, tagged [linux].
    found, irqs = report(run)
    assert found.get("init", "").startswith("started tsc "), run
    assert found["uname"] == release, found
    assert found["cmdline"] == config_value(cfg, "guest linux", "cmdline"), found
    assert found["cpus"] == "1", found
    assert found["hypervisor-flag"] == "yes", found          # CPUID.1:ECX[31]
    assert found["dmesg-warnings"] == "0", found
    # Linux in its normal configuration: the MADT of the hv's ACPI tables names the
    # virtual IOAPIC, and the kernel's timer (the PIT on pin 2, the override) and its
    # console UART interrupt through it and the virtual local APIC.
    assert irqs[0][0] > 0 and irqs[0][1:] == ("IO-APIC", "2-edge timer"), irqs
    assert irqs[4][0] > 0 and irqs[4][1:] == ("IO-APIC", "4-edge ttyS0"), irqs
    m = re.search(r"hv: guest linux APIC: (\d+) xAPIC/IOAPIC accesses emulated", run.log)
    assert m and int(m.group(1)) > 0, run.log[-3000:]
    assert found["done"].startswith("status 0 "), found
    # With `quiet`, nothing but the script reaches the console: no kernel warning or error
    # but Linux's words for a machine without PCI (pci=off: the guest owns no PCI device).
    others = [l for l in run.console("linux") if not l.startswith("linux-guest: ")]
    assert [re.sub(r"^\[ *\d+\.\d+\] ", "", l) for l in others] == [NO_PCI], others
    # /init wrote its status to port 0xF4; the hv ended the guest with it.
    assert "hv: guest linux exited with status 0" in run.log, run
    assert not re.search(r"hv: guest linux (stopped|halted)", run.log), run

    # alpha's own checks beside it, as in test_main_job.
    alpha = run.console("alpha")
    assert any(l.startswith("os: sched=rr alloc=bitmap") and "under the hv" in l for l in alpha), alpha
    # Its 100 Hz timer kept time while Linux booted beside it: 2 s of uptime, a tick per 10 ms.
    m = next(re.match(r"ticks (\d+) \(100 Hz, uptime (\d+) ms\)", l) for l in alpha if l.startswith("ticks "))
    assert m and int(m.group(2)) >= 2000 and abs(int(m.group(1)) * 10 - int(m.group(2))) <= 20, m
    assert "hv: IRQ 4 routed to guest alpha (edge-triggered)" in run.log
    uart = next(l for l in alpha if l.startswith("irqs "))
    assert int(re.search(r"uart (\d+)", uart).group(1)) > 0, uart
    assert "os: exit with status 0" in run.com1             # alpha's console is the real COM1
    assert "hv: guest alpha exited with status 0" in run.log
    exits = run.exits("alpha")
    assert exits.get("preemption-timer", 0) > 50, exits
    assert exits.get("io", 0) > 0, exits
    assert run.status == 0, run

    # The trace report has a section for the Linux guest, record for record the hv's counts.
    log = os.path.join(run.out, "e9.log")
    hvtrace = os.path.join(ROOT, "tools/hvtrace")
    text = subprocess.run([hvtrace, "report", log], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^guest \d+ linux: \d+ exit\(s\)", text, re.M), text
    rows = json.loads(subprocess.run([hvtrace, "report", "--json", log], check=True,
                                     capture_output=True, text=True).stdout)
    for name in ("alpha", "linux"):
        traced = {r["reason"]: r["count"] for r in rows if r["guest"] == name}
        assert traced == run.exits(name), (name, traced, run.exits(name))
