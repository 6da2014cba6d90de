"""The PC platform Linux expects, available to every guest (issue 9 item 3).

Under Bochs: tguest `pcplatform` (docs/test-guests.md) reads the PC hole
(zeros), writes there (dropped, logged, the guest goes on), finds no ACPI
RSDP, MP table or option ROM, talks to its virtual COM1 (output tagged in
the hv log, LSR/IIR, the THRE interrupt through its virtual 8259, loopback
with rep outsb/rep insb), uses string I/O in 32-bit and 64-bit code (a #PF
in the middle of rep insb reaches it as the CPU would raise it), then
resets itself through the 8042, its output port and 0xcf9: restart = yes
boots it again each time. Beside it a heartbeat victim owns the physical
COM1; it keeps its 100 Hz, the machine never resets (the firmware's boot
stage appears once), and none of the guest's COM1 traffic reaches the
physical port.
"""

import re

import hvtest
from hvtest import hvrun

PIT_LINE = re.compile(r"pit: IRQ0 (\d+) in (\d+\.\d+) s \(TSC\), rate (\d+\.\d) Hz")

CONFIG = """
    [guest plat]
    image   = \\guests\\tguest.elf
    cmdline = "test=pcplatform"
    memory  = 16M
    restart = yes

    [guest beat]
    image   = \\guests\\tguest.elf
    cmdline = "test=heartbeat hz=100 seconds=2 every=50"
    memory  = 16M
    devices = com1
    """


def test_pc_platform_and_guest_resets_beside_a_victim(tmp_path):
    run = hvtest.boot(tmp_path, CONFIG)
    assert run.status == 0, run
    assert "hv: all guests ended; status 0" in run.log, run
    con = run.console("plat")

    # Boot 1: every check passed.
    assert "pcplatform: boot 1" in con, run
    assert not any("FAIL" in l for l in con), con
    m = next((re.fullmatch(r"pcplatform: (\d+) checks, 0 failed", l) for l in con
              if re.fullmatch(r"pcplatform: (\d+) checks, 0 failed", l)), None)
    assert m and int(m.group(1)) >= 20, con
    for name in ("hole reads zeros", "writes to the hole dropped", "rep stosb into the hole",
                 "no acpi rsdp", "no mp table", "uart thre interrupt", "uart rep outsb then rep insb",
                 "64-bit rep insb page fault"):
        assert "pcplatform: %s ok" % name in con, (name, con)

    # What the guest wrote to its virtual COM1, with rep outsb and from 64-bit code is in its console.
    assert "pcplatform: hello from the virtual COM1" in con, con
    assert "pcplatform: rep outsb to the console" in con, con
    assert "pcplatform: rep outsb in 64-bit mode" in con, con

    # Writes to the PC hole: refused and logged, the guest went on.
    assert re.search(r"^hv: guest plat: write to the PC hole at GPA 0xe0000 dropped \(read-only, a ROM "
                     r"area\), 4 byte\(s\), rip 0x[0-9a-f]+", run.log, re.M), run

    # Three resets of three kinds, each restarting only this guest; boot 4 ends it.
    assert run.log.count("hv: guest plat stopped: reset by the guest (8042)") == 2, run
    assert run.log.count("hv: guest plat stopped: reset by the guest (0xcf9)") == 1, run
    for boot in (2, 3, 4):
        assert "hv: guest plat restarted (boot %d)" % boot in run.log, run
        assert "pcplatform: boot %d" % boot in con, con
    assert "pcplatform: boot 4 after 3 resets; exit 0" in con, con
    assert "hv: guest plat exited with status 0" in run.log, run

    # The machine was never reset: one boot stage; the guest's COM1 never reached the real port.
    stage = hvrun.boot_stage_lines(run.out)
    assert stage.count("hv: nanokernel boot stage") == 1, stage
    assert "hello from the virtual COM1" not in run.com1

    # The victim: 200 ticks at 100 +/- 2 Hz, ended by itself.
    m = next((PIT_LINE.search(l) for l in run.console("beat") if PIT_LINE.search(l)), None)
    assert m, run
    assert int(m.group(1)) == 200
    assert 98.0 <= float(m.group(3)) <= 102.0, m.group(0)
    assert "hv: guest beat exited with status 0" in run.log, run
