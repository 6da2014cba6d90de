"""The physical interrupt layer under Bochs (issue 11 item 2). OVMF on
Bochs' i440fx publishes no MADT, but the IOAPIC at 0xfec00000 answers, so
the default (irq_backend = auto) is the IOAPIC with the local APICs;
irq_backend = pic keeps the 8259 pair and the PIT. Under both, a guest's
disk completes its DMA by its routed IRQ 14, and a heartbeat guest's
100 Hz PIT keeps time through the hv's idle wake-ups (the LAPIC's
TSC-deadline timer, or the PIT)."""

import re

import pytest

import hvtest
from os_harness import assert_disk_read_of_esp

CONFIG = """
[hv]
irq_backend = %s

[guest disk]
image   = \\guests\\os.elf
cmdline = "sched=rr alloc=buddy hz=100 console=none -- disk read 0; run disk read 2048 2048; sleep 1000; stats; exit 0"
memory  = 32M
devices = ide0

[guest beat]
image   = \\guests\\tguest.elf
cmdline = "test=heartbeat hz=100 seconds=2 every=50"
memory  = 16M
"""

PIT_LINE = re.compile(r"pit: IRQ0 (\d+) in (\d+)\.(\d+) s \(TSC\), rate (\d+)\.(\d) Hz")
WAKEUPS = re.compile(r"hv: CPU 0 wake-up timer \(([^)]*)\): (\d+) interrupts, (\d+) before their deadline; "
                     r"the others late by (\d+) TSC ticks on average \((\d+) ns\), (\d+) at most \((\d+) ns\)")


def trace_vectors(run):
    """Returns {vector: count} of the external-interrupt exits in the run's trace."""
    counts = {}
    for _, _, v in hvtest.trace_extints(run):
        counts[v] = counts.get(v, 0) + 1
    return counts


@pytest.mark.parametrize("backend", ["auto", "pic"])
def test_device_lines_and_idle_wakeups_through_each_backend(tmp_path, backend):
    run = hvtest.boot(tmp_path, CONFIG % backend)
    assert run.status == 0, run
    log = run.log
    if backend == "auto":
        assert "hv: physical interrupts: IOAPIC + local APIC (irq_backend = auto: an IOAPIC answers)" in log, run
        assert re.search(r"hv: IOAPIC ID \d+ at 0xfec00000: version 0x11, 24 pins, GSIs 0-23 "
                         r"\(the architectural address: no MADT\)\n", log), run
        assert "hv: 8259 pair masked whole; each CPU's idle wake-up: its local APIC timer" in log, run
        assert "hv: CPU 0 local APIC: xAPIC at 0xfee00000, APIC ID 0; wake-up timer: TSC-deadline" in log, run
        assert re.search(r"hv: IRQ 14 routed to guest disk \(edge-triggered\): IOAPIC \d+ pin 14 \(GSI 14\), "
                         r"vector 0x2e, active high, to APIC ID 0\n", log), run
        name, timer = "IOAPIC + local APIC", "LAPIC TSC-deadline"
    else:
        assert "hv: physical interrupts: 8259 pair (irq_backend = pic)" in log, run
        assert "GSIs 0-23 (the architectural address: no MADT): not used" in log, run
        assert "hv: CPU 0 local APIC: xAPIC at 0xfee00000, APIC ID 0; wake-up timer: the PIT " \
               "(the LAPIC in virtual wire mode)" in log, run
        assert "hv: IRQ 14 routed to guest disk (edge-triggered): 8259 IR14, vector 0x2e\n" in log, run
        name, timer = "8259 pair", "PIT"

    # The disk guest's DMA completes by its routed IRQ 14: the data is the disk's.
    con = assert_disk_read_of_esp(run, "disk")
    guest_irqs = int(re.search(r"(\d+) irqs", next(l for l in con if l.startswith("disk: ") and " irqs" in l))
                     .group(1))
    m = re.search(r"hv: guest disk: physical IRQ 14 arrived (\d+) times \(%s\)" % re.escape(name), log)
    assert m, run
    assert int(m.group(1)) >= guest_irqs >= 3, (m.group(0), guest_irqs)

    # The heartbeat guest's clock keeps time: 100 +/- 2 Hz against the TSC, every tick taken.
    beat = next(PIT_LINE.search(l) for l in run.console("beat") if PIT_LINE.search(l))
    assert int(beat.group(1)) == 200, beat.group(0)
    assert 98.0 <= float("%s.%s" % beat.group(4, 5)) <= 102.0, beat.group(0)

    # CPU 0's wake-ups: by its own timer, on time.
    w = WAKEUPS.search(log)
    assert w and w.group(1) == timer, run
    taken, early, avg_ns, max_ns = int(w.group(2)), int(w.group(3)), int(w.group(5)), int(w.group(7))
    assert taken >= 100, w.group(0)
    if backend == "auto":
        assert early == 0, w.group(0)              # a TSC deadline never fires before its time
    assert avg_ns < 50000 and max_ns < 1000000, w.group(0)

    # The trace names the disk's line by its vector whatever the backend; the PIT's
    # IRQ 0 never reaches the hv through the IOAPIC.
    vectors = trace_vectors(run)
    if backend == "auto":
        assert 0x20 not in vectors, vectors
    else:
        assert 0xf0 not in vectors, vectors
