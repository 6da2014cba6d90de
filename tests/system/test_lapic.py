"""The guest's local APIC and IOAPIC under Bochs (issue 10, items 2-4, 6, 7):
the tguest `lapic` test checks from inside ID, version, SVR, self-IPIs by
priority, TPR masking, EOI, the timer in its three modes at the programmed
rate, an NMI, the PIT through IOAPIC pin 2 and the x2APIC MSRs, every xAPIC
and IOAPIC access an EPT violation the hv decodes; a guest with
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
    assert re.search(r"hv: LAPIC access: EPT violations decoded \(", run.log), run
    bare = run.console("bare")
    for c in ("cpuid shows no apic", "apic_base #gp"):
        assert "lapic: %s ok" % c in bare, (c, bare)
    assert "hv: guest bare exited with status 0" in run.log, run
    assert run.exits("apic").get("ept-violation", 0) > 50, run.exits("apic")
    assert run.status == 0, run
