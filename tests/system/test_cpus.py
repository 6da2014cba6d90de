"""Several CPUs, the foundation (issue 11, items 3 and 7): under Bochs with
`cpu: count=2` the boot stage learns the CPUs from UEFI's MP Services (OVMF
under Bochs has no ACPI tables), the hv logs them, a guest placed on CPU 1
runs on CPU 1 (the hv starts that application processor with INIT-SIPI-SIPI),
each CPU with its own share period, and a config naming a CPU the machine
lacks is refused at its line. Two Bochs boots.
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


def test_two_cpus_from_mp_services_and_a_guest_on_cpu_1_runs_there(tmp_path):
    run = hvtest.boot(tmp_path, TWO_ON_TWO_CPUS)       # cpu = 1: the run gives Bochs 2 CPUs
    with open(tmp_path / "bochsrc") as f:
        assert "count=2," in f.read()
    assert "hv: CPUs: 2 (APIC IDs 0, 1; BSP 0) from MP Services" in run.com1, run.com1
    assert "hv: CPUs: 2 (APIC IDs 0, 1; BSP 0) from MP Services" in run.log, run
    assert ("hv: no ACPI MADT: LAPIC and IOAPIC at their architectural addresses "
            "(0xfee00000, 0xfec00000), the 8259 pair") in run.log, run
    assert "hv: CPU 1 (APIC ID 1) started" in run.log, run
    assert "cannot be used" not in run.log and "runs on CPU 0 instead" not in run.log, run
    # 60% on each CPU is fine: each CPU has its own period.
    assert "hv: guest a: CPU share 60.0% (6000 us of every 10000 us) of CPU 0" in run.log, run
    assert "hv: guest b: CPU share 60.0% (6000 us of every 10000 us) of CPU 1" in run.log, run
    assert "not every share is guaranteed" not in run.log, run
    for g in ("a", "b"):
        assert "hv: guest %s exited with status 0" % g in run.log, run
        assert "hello: hypercall version 0x10001" in run.console(g), run
    assert "hv: CPU 0: 1 guest(s), " in run.log, run
    assert "hv: CPU 1: 1 guest(s), " in run.log, run
    assert " on 2 CPUs, idle (halted) " in run.log, run
    assert run.status == 0, run


def test_two_guests_on_cpu_1_share_it_and_cpu_0_parks(tmp_path):
    """Both on CPU 1 (40% and 60% of it): CPU 0 has no guest and parks at
    once; the two are time-sliced on CPU 1 with its period."""
    config = TWO_ON_TWO_CPUS.replace("share   = 60%\n\n[guest b]", "share   = 40%\ncpu     = 1\n\n[guest b]")
    run = hvtest.boot(tmp_path, config)
    assert "hv: CPU 1 (APIC ID 1) started" in run.log, run
    assert "not every share is guaranteed" not in run.log, run
    assert "hv: CPU 0: every guest on it has ended; it waits for the others" in run.log, run
    assert "hv: guest a: CPU share 40.0% (4000 us of every 10000 us) of CPU 1" in run.log, run
    assert "hv: guest b: CPU share 60.0% (6000 us of every 10000 us) of CPU 1" in run.log, run
    for g in ("a", "b"):
        assert "hv: guest %s exited with status 0" % g in run.log, run
        assert "hello: hypercall version 0x10001" in run.console(g), run
    assert "hv: CPU 0: 0 guest(s), 0 exits, " in run.log, run
    assert "hv: CPU 1: 2 guest(s), " in run.log, run
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
