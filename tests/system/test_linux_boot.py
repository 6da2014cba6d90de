"""The Linux boot path (issue 9, docs/linux-guest.md) without Linux: a fake
bzImage (guests/linuxstub, a real setup header in front of a flat 32-bit
stub) booted with `boot = linux` beside a tguest heartbeat under Bochs. The
stub reports what the 32-bit boot protocol handed it; the test checks that
against the layout hv/linuxload.h documents and the files on the ESP.
And the boot stage's refusals of a bad bzImage and a missing initrd, which
QEMU's TCG reaches in seconds (the guests are loaded before the CPU check)."""

import os
import re

import hvtest

GUESTS = os.path.join(hvtest.ROOT, "build", "guests")
INITRD = os.path.join(GUESTS, "hello.elf")       # any file on the ESP will do
STUB_LOAD = 0x100000                             # the stub's pref_address
PIT_LINE = re.compile(r"pit: IRQ0 (\d+) in (\d+)\.(\d+) s \(TSC\), rate (\d+)\.(\d) Hz")

LINUX = """
[guest linux]
boot    = linux
image   = \\guests\\linuxstub.bzimage
initrd  = \\guests\\hello.elf
cmdline = "console=ttyS0,115200 quiet linux-stub=yes"
memory  = %s
"""

BEAT = """
[guest beat]
image   = \\guests\\tguest.elf
cmdline = "test=heartbeat seconds=2"
memory  = 16M
"""


def stub_lines(run):
    """The stub's report: its console lines without the 'linux-stub: ' prefix."""
    return [l[len("linux-stub: "):] for l in run.console("linux") if l.startswith("linux-stub: ")]


def test_fake_bzimage_gets_the_32bit_boot_protocol_state_beside_a_heartbeat(tmp_path):
    ram = 16 << 20
    run = hvtest.boot(tmp_path, "[hv]\ntrace = off\n" + LINUX % "16M" + BEAT)
    lines = stub_lines(run)
    assert "done" in lines, run
    size = os.path.getsize(INITRD)
    with open(INITRD, "rb") as f:
        initrd_sum = sum(f.read()) & 0xffffffff
    initrd_at = (ram - size) & ~0xfff
    # ESI is the zero page; its cmd_line_ptr leads to hv.cfg's command line.
    assert lines[0] == "esi=00007000 cmdline=console=ttyS0,115200 quiet linux-stub=yes", lines
    # __BOOT_CS/__BOOT_DS from a GDT in guest RAM; EBX = EBP = EDI = 0; IF and PG off;
    # entered at code32_start, the load address.
    assert lines[1] == ("cs=0010 ds=0018 es=0018 ss=0018 gdt=00006000/001f "
                        "ebx|ebp|edi=00000000 if=0 pg=0 eip=%08x" % STUB_LOAD), lines
    assert lines[2] == "gdt[2]=00cf9b000000ffff gdt[3]=00cf93000000ffff", lines
    assert lines[3] == "loader=ff loadflags=81 code32_start=%08x heap_end_ptr=de00" % STUB_LOAD
    # The initrd at the top of RAM, page-aligned, every byte as on the ESP.
    assert lines[4] == "initrd=%08x size=%08x sum=%08x" % (initrd_at, size, initrd_sum), lines
    # e820: exactly the guest's RAM, the PC hole reserved.
    assert lines[5:9] == [
        "e820 entries=03",
        "e820 0000000000000000 000000000009fc00 00000001",
        "e820 000000000009fc00 0000000000060400 00000002",
        "e820 0000000000100000 %016x 00000001" % (ram - 0x100000),
    ], lines
    assert "hv: guest linux exited with status 0" in run.log, run
    # The boot stage's line (UEFI's Print writes hex in capitals).
    assert re.search(r"hv: guest linux: loaded bzImage \\guests\\linuxstub\.bzimage \(boot "
                     r"protocol 2\.15, 6 KiB\) at 0x100000, initrd \\guests\\hello\.elf "
                     r"\(\d+ KiB\) at 0x%X, zero page 0x7000, 16 MiB RAM" % initrd_at,
                     run.com1), run.com1[-3000:]
    # The heartbeat beside it: 200 ticks at 100 +/- 2 Hz, ended by itself.
    m = next((PIT_LINE.search(l) for l in run.console("beat") if PIT_LINE.search(l)), None)
    assert m, run
    assert int(m.group(1)) == 200
    assert 98.0 <= float("%s.%s" % m.group(4, 5)) <= 102.0, m.group(0)
    assert "hv: guest beat exited with status 0" in run.log, run
    assert run.status == 0, run


def test_restart_reloads_the_kernel_and_initrd_from_the_pristine_copies(tmp_path):
    """The stub spoils its initrd, command line and e820 map, then faults; each of the
    three restarts must hand it the same zero page and initrd as the first boot."""
    section = (LINUX % "16M").replace("linux-stub=yes", "linux-stub=restart") + "restart = yes\n"
    run = hvtest.boot(tmp_path, "[hv]\ntrace = off\n" + section)
    with open(INITRD, "rb") as f:
        data = f.read()
    initrd = "initrd=%08x size=%08x sum=%08x" % (((16 << 20) - len(data)) & ~0xfff, len(data),
                                                 sum(data) & 0xffffffff)
    lines = stub_lines(run)
    assert lines.count("esi=00007000 cmdline=console=ttyS0,115200 quiet linux-stub=restart") == 4, run
    assert lines.count(initrd) == 4, lines
    assert lines.count("e820 0000000000100000 0000000000f00000 00000001") == 4, lines
    assert lines.count("scribbling and faulting") == 4, lines
    for boot in (2, 3, 4):
        assert "hv: guest linux restarted (boot %d)" % boot in run.log, run
    assert "hv: guest linux: restart limit (3) reached, stays stopped" in run.log, run
    assert re.search(r"hv: guest linux stopped: EPT violation at GPA 0x40000000", run.log), run
    assert run.status == 1, run


def boot_stage_refusal(tmp_path, linux_section):
    """Boots (QEMU TCG) a config whose [guest linux] section starts at line 2;
    returns the boot stage's hv.cfg error line."""
    run = hvtest.boot(tmp_path, "# line 1\n" + linux_section.lstrip("\n") + BEAT,
                      backend="tcg", timeout=180)
    assert run.status == hvtest.hvrun.STATUS_BOOT_FAILED, run.com1[-3000:]
    stage = hvtest.hvrun.boot_stage_lines(run.out)
    assert "hv: boot stage failed, returning to the firmware" in stage, stage
    # Refused before the CPU check (TCG has no VT-x) and before anything was taken over.
    assert not any(l.startswith("hv: cannot start") for l in stage), stage
    assert "nanokernel started" not in run.log
    return next((l for l in stage if l.startswith("hv: hv.cfg:")), "")


def test_boot_stage_refuses_an_image_that_is_not_a_bzimage_naming_the_line(tmp_path):
    section = (LINUX % "16M").replace("linuxstub.bzimage", "tguest.elf")
    line = boot_stage_refusal(tmp_path, section)
    assert line == ("hv: hv.cfg:4: error: guest linux: image \\guests\\tguest.elf: "
                    "not a bzImage (no boot flag 0xaa55 at 0x1fe)"), line


def test_boot_stage_refuses_a_missing_initrd_naming_the_line(tmp_path):
    section = (LINUX % "16M").replace("hello.elf", "no-such.img")
    line = boot_stage_refusal(tmp_path, section)
    assert line == ("hv: hv.cfg:5: error: guest linux: cannot read initrd \\guests\\no-such.img "
                    "from the boot volume"), line
