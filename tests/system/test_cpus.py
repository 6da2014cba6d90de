"""Several CPUs, the foundation (issue 11, items 3 and 7): under Bochs with
`cpu: count=2` the boot stage learns the CPUs from UEFI's MP Services (OVMF
under Bochs has no ACPI tables), the hv logs them, a guest placed on CPU 1
runs on CPU 0 until the application processors run guests, and a config
naming a CPU the machine lacks is refused at its line. Two Bochs boots.
Under QEMU (TCG: no VT-x, but the boot stage runs up to its CPU check) the
MADT's interrupt controllers are read from the firmware's real tables."""

import hvtest

TWO_ON_TWO_CPUS = """\
[guest a]
image   = \\guests\\hello.elf
memory  = 16M
share   = 60%

[guest b]
image   = \\guests\\hello.elf
memory  = 16M
cpu     = 1
share   = 60%
"""


def test_two_cpus_from_mp_services_and_a_guest_on_cpu_1_runs_on_cpu_0(tmp_path):
    run = hvtest.boot(tmp_path, TWO_ON_TWO_CPUS)       # cpu = 1: the run gives Bochs 2 CPUs
    with open(tmp_path / "bochsrc") as f:
        assert "count=2," in f.read()
    assert "hv: CPUs: 2 (APIC IDs 0, 1; BSP 0) from MP Services" in run.com1, run.com1
    assert "hv: CPUs: 2 (APIC IDs 0, 1; BSP 0) from MP Services" in run.log, run
    assert ("hv: no ACPI MADT: LAPIC and IOAPIC at their architectural addresses "
            "(0xfee00000, 0xfec00000), the 8259 pair") in run.log, run
    line = ("hv: guest b: cpu = 1 (hv.cfg line 9), but the hv does not start "
            "application processors yet: it runs on CPU 0")
    assert run.log.split("\n").count(line) == 1, run
    assert "hv: guest a: cpu =" not in run.log, run     # a is on CPU 0: nothing to say
    # 60% on each CPU is fine; both on CPU 0 ask for 120% of it, and the hv says so.
    assert ("hv: the shares of the guests, all on CPU 0, ask for 120.0% of it: "
            "not every share is guaranteed") in run.log, run
    for g in ("a", "b"):
        assert "hv: guest %s exited with status 0" % g in run.log, run
        assert "hello: hypercall version 0x10000" in run.console(g), run
    assert run.status == 0, run


def test_a_cpu_the_machine_lacks_is_refused_naming_the_line(tmp_path):
    config = TWO_ON_TWO_CPUS.replace("cpu     = 1", "cpu     = 2")
    run = hvtest.boot(tmp_path, config, cpus=2)
    assert run.status == hvtest.hvrun.STATUS_BOOT_FAILED, run
    assert "hv: CPUs: 2 (APIC IDs 0, 1; BSP 0) from MP Services" in run.com1, run.com1
    assert "hv: hv.cfg:9: error: cpu 2: this machine has 2 CPUs (0..1)" in run.com1, run.com1
    assert "hv: boot stage failed, returning to the firmware" in run.com1, run.com1
    assert run.log == "" or "hv: nanokernel started" not in run.log, run


def test_qemu_publishes_a_madt_the_boot_stage_reads(tmp_path):
    """QEMU's pc machine, -smp 2: MP Services give the CPUs, the MADT one
    IOAPIC and QEMU's five interrupt source overrides; cpu = 2 is refused
    before the CPU check (which TCG, without VT-x, fails)."""
    config = TWO_ON_TWO_CPUS.replace("cpu     = 1", "cpu     = 2")
    run = hvtest.boot(tmp_path, config, backend="tcg", timeout=180, cpus=2)
    assert run.status == hvtest.hvrun.STATUS_BOOT_FAILED, run.com1[-3000:]
    assert "hv: CPUs: 2 (APIC IDs 0, 1; BSP 0) from MP Services" in run.com1, run.com1[-3000:]
    assert ("hv: MADT: local APICs at 0xfee00000, 1 I/O APIC(s), 5 interrupt source "
            "override(s), 8259 pair present (PCAT_COMPAT)") in run.com1, run.com1[-3000:]
    assert "hv: IOAPIC ID 0 at 0xfec00000, GSIs from 0" in run.com1, run.com1[-3000:]
    assert "hv: hv.cfg:9: error: cpu 2: this machine has 2 CPUs (0..1)" in run.com1, run.com1[-3000:]
