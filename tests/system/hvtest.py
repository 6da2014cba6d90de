"""Helpers for system tests that boot the hv image: build an ESP with a
given hv.cfg, boot it under an emulator, return the status and the logs."""

import os
import re
import subprocess
import sys
import textwrap

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import hvrun  # noqa: E402

BOCHS_TIMEOUT = int(os.environ.get("HV_TEST_TIMEOUT", "400"))


class Run:
    """The outcome of one boot: status, hv log (e9), firmware console (com1)."""

    def __init__(self, out, status):
        self.out = out
        self.status = status
        self.log = hvrun.hv_log(out)
        self.com1 = hvrun.read_text(os.path.join(out, "com1.txt"))

    def console(self, guest):
        """Returns the lines guest printed on its 0xE9 console, without the tag."""
        tag = "[%s] " % guest
        return [l[len(tag):] for l in self.log.split("\n") if l.startswith(tag)]

    def exits(self, guest):
        """Returns {reason name: count} from the hv's per-guest exit summary (last one printed)."""
        counts, seen = {}, False
        for line in self.log.split("\n"):     # never splitlines(): a guest could start a line
            if line.startswith("hv: guest %s exits: " % guest):
                counts, seen = {}, True
            elif seen and line.startswith("hv:   "):
                parts = line.split()
                counts[parts[1]] = int(parts[2])
            else:
                seen = False
        return counts

    def __repr__(self):
        shown = "\n".join(hvrun.visible(l) for l in self.log[-6000:].split("\n"))
        return "Run(status=%r, out=%r)\n--- hv log ---\n%s" % (self.status, self.out, shown)


def guest_images():
    """Every guest image the build made: Multiboot ELFs and bzImages (boot = linux)."""
    imgs = sorted(os.path.join(ROOT, "build/guests", f)
                  for f in os.listdir(os.path.join(ROOT, "build/guests"))
                  if f.endswith((".elf", ".bzimage")))
    os_elf = os.path.join(ROOT, "build/guests/os/os.elf")
    if os.path.exists(os_elf):
        imgs.append(os_elf)
    return imgs


def boot(tmp_path, config, backend="bochs", timeout=BOCHS_TIMEOUT, ata1=None, files=None,
         cpus=None):
    """Boots the hv with config (hv.cfg text) under backend; returns a Run.
    ata1: bytes of a disk for the secondary IDE channel's master (Bochs),
    written to the run's ata1.img. files: {name: bytes} put on the ESP as
    \\guests\\name beside the guest images (Multiboot modules). cpus: the
    machine's CPU count; by default the highest cpu in config + 1."""
    out = str(tmp_path)
    extra = []
    for name, data in (files or {}).items():
        extra.append(os.path.join(out, name))
        with open(extra[-1], "wb") as f:
            f.write(data)
    if ata1 is not None:
        with open(os.path.join(out, "ata1.img"), "wb") as f:
            f.write(ata1)
    cfg = os.path.join(out, "hv.cfg")
    with open(cfg, "w") as f:
        f.write(textwrap.dedent(config))
    esp = os.path.join(out, "esp-built.img")
    subprocess.run([os.path.join(ROOT, "tools/mkesp"), esp, cfg] + guest_images() + extra,
                   check=True, cwd=ROOT,
                   env=dict(os.environ, EFI=os.path.join(ROOT, "build/BOOTX64.EFI")))
    status = hvrun.run(backend, esp, out, timeout, cpus=cpus)
    return Run(out, status)


def trace_extints(run):
    """Returns [(cpu, guest, vector)] of the external-interrupt exits in the
    run's trace (tools/hvtrace timeline; cpu 0 when the timeline has no
    cpu column)."""
    out = subprocess.run([os.path.join(ROOT, "tools/hvtrace"), "timeline", os.path.join(run.out, "e9.log")],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    head = out[0].split()
    rows = []
    for line in out[1:]:
        m = re.search(r"vector (0x[0-9a-f]+)", line)
        if m:
            cols = line.split()
            cpu = int(cols[head.index("cpu")]) if "cpu" in head else 0
            rows.append((cpu, cols[head.index("guest")], int(m.group(1), 16)))
    return rows
