"""The walking skeleton under Bochs: boot through UEFI, VT-x on, one
Multiboot guest that prints, runs CPUID and HLT, and exits with status 0."""

import os
import subprocess

import hvtest
from hvtest import ROOT

HELLO = """
    [guest hello]
    image   = \\guests\\hello.elf
    cmdline = "hello from the test"
    memory  = 16M
    %s
"""


def test_hello_guest_prints_banner_and_exits_with_status_0(tmp_path):
    run = hvtest.boot(tmp_path, HELLO % "")
    con = run.console("hello")
    assert run.status == 0, run
    assert any("guest banner: Multiboot ok" in l and 'cmdline "hello from the test"' in l
               for l in con), run
    assert 'hello: cpuid hypervisor "NanoKernelHV"' in con, run
    assert "hello: cpuid vmx hidden, hypervisor bit set" in con, run
    assert "hello: resumed after hlt, woken by timer IRQ 0" in con, run
    assert "hello: hypercall version 0x10001" in con, run
    assert "hv: guest hello exited with status 0" in run.log, run
    exits = run.exits("hello")
    assert exits.get("cpuid", 0) >= 3, exits       # vendor, hypervisor leaf, leaf 1
    assert exits.get("hlt", 0) >= 1, exits
    assert exits.get("vmcall", 0) == 1, exits
    assert exits.get("io", 0) > 100, exits          # one exit per console byte, plus 0xF4


def test_failed_vm_entry_is_reported_by_name_and_stops_only_that_guest(tmp_path):
    run = hvtest.boot(tmp_path, HELLO % "test_fault = vmentry")
    assert "hv: guest hello: VM entry failed: entry-fail-guest-state (exit reason 33)" in run.log, run
    assert "hv: guest hello stopped: VM entry failed: invalid guest state" in run.log, run
    assert "rflags 00000000" in run.log, run       # the dump shows the corrupted field
    assert "hv: all guests ended; status 1" in run.log, run
    assert run.status == 1, run


def test_vmcheck_names_the_broken_rule_before_the_entry_fails(tmp_path):
    """[hv] vmcheck = on: the hv's own copy of the SDM's entry checks (hv/vmcheck.c)
    names the rule the corrupted field breaks, before the CPU refuses the entry."""
    run = hvtest.boot(tmp_path, "[hv]\nvmcheck = on\n" + HELLO % "test_fault = vmentry")
    line = ("hv: guest hello: vmcheck before VM entry: "
            "guest RFLAGS reserved bits not 0 or bit 1 not 1")
    assert line in run.log, run
    log = run.log.splitlines()
    assert log.index(line) < log.index("hv: guest hello stopped: VM entry failed: invalid guest state")
    assert run.status == 1, run


def test_failed_vmlaunch_names_the_vm_instruction_error(tmp_path):
    run = hvtest.boot(tmp_path, HELLO % "test_fault = vmcontrol")
    assert ("hv: guest hello: VM entry failed: VM-instruction error 7 "
            "(VM entry with invalid control field(s))") in run.log, run
    assert "hv: guest hello stopped: VM entry failed: VM entry with invalid control field(s)" in run.log
    assert "  cs sel 0008 base 00000000 limit ffffffff ar 0c09b" in run.log   # guest-state dump
    assert run.status == 1, run


def test_boot_stage_without_vmx_names_what_is_missing(tmp_path):
    """QEMU's TCG has no VMX: the boot stage must say so and return to the firmware."""
    run = hvtest.boot(tmp_path, HELLO % "", backend="tcg", timeout=180)
    assert run.status == hvtest.hvrun.STATUS_BOOT_FAILED, run.com1[-3000:]
    line = next((l for l in run.com1.splitlines() if l.startswith("hv: cannot start:")), "")
    # One line names what is missing and how to get it.
    assert line.startswith("hv: cannot start: CPU has no VT-x (VMX); "), run.com1[-3000:]
    assert "nested VT-x" in line and "Bochs backend" in line, line


def test_make_run_without_nested_vtx_uses_bochs_and_shows_guest_output(tmp_path):
    cfg = tmp_path / "hv.cfg"
    cfg.write_text(HELLO % "")
    out = tmp_path / "run"
    p = subprocess.run([os.path.join(ROOT, "tools/run"), "--config", str(cfg), "--out", str(out),
                        "--timeout", str(hvtest.BOCHS_TIMEOUT)],
                       cwd=ROOT, capture_output=True, text=True, timeout=hvtest.BOCHS_TIMEOUT + 60)
    ok, why = hvtest.hvrun.detect_nested_vtx()
    if ok:
        assert "run: backend qemu: KVM with nested VT-x" in p.stdout
    else:
        assert "run: backend bochs: nested VT-x is missing (%s)" % why in p.stdout, p.stdout
    assert "[hello] hello: done, exiting with status 0" in p.stdout, p.stdout
    assert "run: finished with status 0" in p.stdout
    assert p.returncode == 0
