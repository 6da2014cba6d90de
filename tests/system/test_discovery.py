"""Discovery (issue 10, item 5) under Bochs and natively under QEMU TCG:
Multiboot modules from hv.cfg's module lines (their strings and bytes,
pristine again after a restart), QEMU's fw_cfg (signature, CPU count, RAM
size), and with acpi = on the ACPI tables the hv builds: the RSDP found by
the BIOS-area scan (in the EBDA), the MADT and the FADT, and an ACPI
power-off through the PM1a control block (docs/test-guests.md "modules",
"acpi"; docs/architecture.md "Discovery")."""

import os
import re

import pytest

import hvtest
from test_tguest_native import QEMU, boot as native_boot

MOD1 = bytes((i * 7 + 3) & 0xff for i in range(5000))
MOD2 = b"hello, module\n"

CONFIG = """
[hv]
trace = off

[guest mods]
image   = \\guests\\tguest.elf
cmdline = "test=modules count=2 scribble=1"
memory  = 8M
restart = yes
module  = \\guests\\mod1.bin "alpha=1 beta # not a comment"
module  = /guests/mod2.txt

[guest tables]
image   = \\guests\\tguest.elf
cmdline = "test=acpi poweroff=1"
memory  = 16M
acpi    = on
"""


def fnv1a(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def module_lines(lines):
    """{index: (bytes, fnv, string)} of every 'modules: N start ...' line, per boot."""
    boots, cur = [], None
    for l in lines:
        if l == "modules: count 2":
            cur = {}
            boots.append(cur)
        m = re.fullmatch(r'modules: (\d) start 0x([0-9a-f]+) end 0x([0-9a-f]+) bytes (\d+) '
                         r'fnv 0x([0-9a-f]{8}) string "(.*)"', l)
        if m and cur is not None:
            cur[int(m.group(1))] = (int(m.group(4)), int(m.group(5), 16), m.group(6))
    return boots


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return hvtest.boot(tmp_path_factory.mktemp("discovery"), CONFIG,
                       files={"mod1.bin": MOD1, "mod2.txt": MOD2})


def test_modules_reach_the_guest_and_come_back_pristine_after_each_restart(run):
    con = run.console("mods")
    boots = module_lines(con)
    # Boot 1 and its 3 restarts each saw both modules whole, though each boot scribbled over them.
    assert len(boots) == 4, run
    for b in boots:
        assert b[0] == (len(MOD1), fnv1a(MOD1), "\\guests\\mod1.bin alpha=1 beta # not a comment"), con
        assert b[1] == (len(MOD2), fnv1a(MOD2), "\\guests\\mod2.txt"), con
    assert con.count("modules: scribbled over 2 modules, triple fault") == 4, con
    for check in ("count", "in ram", "page aligned", "apart", "fw_cfg signature", "fw_cfg id",
                  "fw_cfg cpus", "fw_cfg ram", "fw_cfg no dma, no files"):
        assert con.count("modules: %s ok" % check) == 4, (check, con)
    assert "modules: fw_cfg id 0x1 cpus 1 max_cpus 1 ram 8388608 files 0" in con, con
    assert not any("FAIL" in l for l in con), con
    assert "hv: guest mods restarted (boot 4)" in run.log, run
    assert "hv: guest mods: restart limit (3) reached, stays stopped" in run.log, run
    # The boot stage said where the modules went.
    assert re.search(r"hv: guest mods: module \\guests\\mod1\.bin alpha=1 beta # not a comment "
                     r"\(5000 bytes\) at 0x[0-9a-f]+", run.com1), run.com1[-3000:]


def test_acpi_tables_found_by_the_bios_area_scan_and_power_off(run):
    con = run.console("tables")
    assert re.search(r"acpi: rsdp at 0x9fc00 \(ebda\) rev 2 oem NANOHV", "\n".join(con)), con
    for l in ["acpi: madt lapic 0xfee00000 flags 0x1",
              "acpi: madt lapic uid 0 id 0 flags 0x1",
              "acpi: madt ioapic id 0 addr 0xfec00000 gsi 0",
              "acpi: madt iso irq 0 gsi 2 flags 0x0",
              "acpi: madt iso irq 9 gsi 9 flags 0xd",
              "acpi: madt nmi uid 0xff flags 0x0 lint 1",
              "acpi: fadt sci 9 smi_cmd 0x0 pm1a_evt 0x600 pm1a_cnt 0x604 pm_tmr 0x0 century 0x32 "
              "boot_arch 0xd flags 0x475",
              "acpi: fadt reset space 1 port 0xcf9 value 0x6",
              "acpi: dsdt s5 slp_typ 5",
              "acpi: powering off (PM1a_CNT 0x604 = 0x3400)"]:
        assert l in con, (l, con)
    # Every table sits in the top page of the guest's 16 MiB.
    for m in re.finditer(r"acpi: table (\w{4}) at 0x([0-9a-f]+)", "\n".join(con)):
        assert 0xfff000 <= int(m.group(2), 16) < 0x1000000, (m.group(0), con)
    assert not any("FAIL" in l for l in con), con
    assert "hv: guest tables powered itself off (ACPI S5)" in run.log, run
    assert "hv: guest tables exited with status 0" in run.log, run


def test_the_run_ends_with_the_stopped_guest_s_status(run):
    # mods ends stopped (its last triple fault), tables powered off: the hv's status is 1.
    assert run.status == 1, run


@pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 not installed")
def test_native_qemu_modules_from_initrd_and_fw_cfg(tmp_path):
    m1, m2 = tmp_path / "m1.bin", tmp_path / "m2.txt"
    m1.write_bytes(MOD1)
    m2.write_bytes(MOD2)
    r = native_boot("test=modules count=2", mem="64",
                    extra=["-initrd", "%s alpha=1 beta,%s" % (m1, m2)])
    assert r.status == 0, r
    boots = module_lines(r.lines)
    assert len(boots) == 1, r
    assert boots[0][0] == (len(MOD1), fnv1a(MOD1), "%s alpha=1 beta" % m1), r
    assert boots[0][1] == (len(MOD2), fnv1a(MOD2), str(m2)), r
    m = r.line(r"modules: fw_cfg id 0x[0-9a-f]+ cpus 1 max_cpus 1 ram (\d+) files \d+")
    assert int(m.group(1)) == 64 << 20, r
    r.line(r"modules: \d+ checks, 0 failed")


@pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 not installed")
def test_native_qemu_acpi_scan_and_power_off():
    r = native_boot("test=acpi poweroff=1", mem="64")
    # QEMU powers itself off: no isa-debug-exit status, exit code 0, no failure line.
    assert r.rc == 0 and r.status is None and not r.timed_out, r
    assert "acpi: madt ioapic id 0 addr 0xfec00000 gsi 0" in r.lines, r
    assert "acpi: madt iso irq 0 gsi 2 flags 0x0" in r.lines, r
    r.line(r"acpi: powering off \(PM1a_CNT 0x604 = 0x[0-9a-f]+\)")
    assert not any("FAIL" in l for l in r.lines), r
