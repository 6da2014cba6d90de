"""The guest's local APIC and IOAPIC under Bochs (issue 10, items 2-4, 6, 7):
the tguest `lapic` test checks from inside ID, version, SVR, self-IPIs by
priority, TPR masking, EOI, the timer in its three modes at the programmed
rate, an NMI, the PIT through IOAPIC pin 2 and the x2APIC MSRs, through
the CPU's APIC virtualization and through decoded EPT violations; a guest with
`lapic = off` sees the bare 8259 platform (docs/architecture.md "The
virtual local APIC and IOAPIC")."""

import re

import hvtest

LAPIC = """
[guest %s]
image   = \\guests\\tguest.elf
cmdline = "test=lapic"
memory  = 8M
"""

CHECKS = ["cpuid shows the apic", "cpuid shows x2apic and tsc-deadline", "apic_base", "id", "version",
          "svr", "reserved register reads 0", "self-ipis pend with if=0", "self-ipis by priority",
          "isr set in handler, clear after eoi", "tpr masks", "tpr lowered delivers",
          "one-shot at the programmed time", "one-shot fires once",
          "periodic at the programmed rate", "tsc-deadline at the deadline", "nmi by self-ipi",
          "ioapic version", "pit through ioapic pin 2", "x2apic msrs #gp in xapic mode", "x2apic enable",
          "x2apic id and version", "x2apic reserved msr #gp", "x2apic self ipi", "x2apic to xapic #gp"]


def check_lapic_console(run, name):
    con = run.console(name)
    for c in CHECKS:
        assert "lapic: %s ok" % c in con, (c, con)
    assert not any("FAIL" in l for l in con), con
    assert any(re.match(r"lapic: \d+ checks, 0 failed$", l) for l in con), con
    # Leaf 0x15 is shown only where the host has it (Bochs' Haswell stops at 0xd).
    assert any(l.startswith("lapic: timer rate is cpuid 0x15's crystal ") for l in con), con
    assert "hv: guest %s exited with status 0" % name in run.log, run


def test_lapic_guest_and_a_bare_8259_guest(tmp_path):
    run = hvtest.boot(tmp_path, "[hv]\ntrace = off\n" + LAPIC % "apic" +
                      """
[guest bare]
image   = \\guests\\tguest.elf
cmdline = "test=lapic expect=off"
memory  = 4M
lapic   = off
""")
    check_lapic_console(run, "apic")
    # Bochs offers APIC virtualization: virtualized writes (EOI, ICR, LVTs, ...) end in APIC-write
    # exits; reads of what the page does not hold (PPR, the current count, 0x3c0) in APIC-access ones.
    assert "hv: LAPIC access: APIC-access page with APIC-register virtualization" in run.log, run
    exits = run.exits("apic")
    assert exits.get("apic-write", 0) > 100 and exits.get("apic-access", 0) >= 3, exits
    bare = run.console("bare")
    for c in ("cpuid shows no apic", "apic_base #gp"):
        assert "lapic: %s ok" % c in bare, (c, bare)
    assert "hv: guest bare exited with status 0" in run.log, run
    assert run.status == 0, run


def test_lapic_by_decoded_ept_violations(tmp_path):
    """[hv] lapic_access = decode: the path of CPUs without APIC virtualization,
    every xAPIC access an EPT violation the hv decodes; the same checks pass."""
    run = hvtest.boot(tmp_path, "[hv]\ntrace = off\nlapic_access = decode\n" + LAPIC % "apic")
    check_lapic_console(run, "apic")
    assert "hv: LAPIC access: EPT violations decoded (lapic_access = decode)" in run.log, run
    exits = run.exits("apic")
    assert exits.get("ept-violation", 0) > 50 and not exits.get("apic-write"), exits
    assert run.status == 0, run


TICK = re.compile(r"lapic: tick (\d+) in (\d+)\.(\d+) s \(TSC\), rate (\d+)\.(\d) Hz")


def test_guest_os_runs_unchanged_beside_a_lapic_timer_guest(tmp_path):
    """The guest OS (its 8259 through LINT0 in virtual wire mode, lapic on by
    default) beside a guest whose clock is its LAPIC timer, halting between
    ticks: both keep time, the OS ends its script as without a LAPIC."""
    run = hvtest.boot(tmp_path, """[hv]
trace = off

[guest os]
image   = \\guests\\os.elf
cmdline = "sched=rr alloc=buddy hz=100 console=none -- sleep 1500; stats; exit 0"
memory  = 32M

[guest tick]
image   = \\guests\\tguest.elf
cmdline = "test=lapic part=tick hz=250 seconds=2"
memory  = 8M
""")
    assert "hv: guest os exited with status 0" in run.log, run
    con = run.console("tick")
    m = next((TICK.search(l) for l in con if TICK.search(l)), None)
    assert m and int(m.group(1)) == 500, con
    assert 245.0 <= float("%s.%s" % m.group(4, 5)) <= 255.0, m.group(0)
    assert "lapic: tick rate ok" in con, con
    assert "hv: guest tick exited with status 0" in run.log, run
    # Its interrupts reached it as LAPIC vectors: injected, and halts woke for them.
    assert run.exits("tick").get("hlt", 0) >= 400, run.exits("tick")
    assert run.status == 0, run
