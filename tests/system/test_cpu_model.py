"""The guest CPU model under Bochs (issue 8, "One CPU model"): two tguest
`cpumodel` guests side by side check from inside that what CPUID shows
works and what it hides #GPs (CR4 bits, MSRs), that OSXSAVE tracks their
own CR4, that TSC writes move only their own TSC, and that each keeps its
own TSC_AUX while the other runs (docs/test-guests.md, docs/architecture.md
"The guest CPU model")."""

import re

import hvtest

GUEST = """
[guest %s]
image   = \\guests\\tguest.elf
cmdline = "test=cpumodel aux=%s spin_ms=300"
memory  = 8M
lapic   = %s
"""

CHECKS = ["cpuid leaf 1 hidden features", "cpuid empty leaves", "cpuid above max repeats the highest leaf",
          "osxsave tracks cr4", "cr4 bits follow cpuid", "xsave size follows xcr0", "msrs follow cpuid",
          "tsc write forwards", "tsc write backwards", "pat reserved type #GP", "sysenter non-canonical #GP",
          "misc_enable writable bits only", "debugctl btf only", "mtrr consistent", "tsc_aux rdtscp",
          "tsc_aux kept while others run"]


def test_two_guests_see_one_consistent_cpu_model_and_keep_their_own_tsc_aux(tmp_path):
    run = hvtest.boot(tmp_path, "[hv]\ntimeslice_us = 5000\ntrace = off\n" +
                      GUEST % ("one", "0x11", "on") + GUEST % ("two", "0x22", "off"))
    for name, aux in (("one", "0x11"), ("two", "0x22")):
        con = run.console(name)
        for check in CHECKS:
            assert "cpumodel: %s ok" % check in con, (check, con)
        assert not any("FAIL" in l for l in con), con
        m = re.search(r"cpumodel: info tsc_aux %s over 300 ms: (\d+) reads, 0 wrong" % aux, "\n".join(con))
        assert m and int(m.group(1)) > 1000, con
        assert any(re.match(r"cpumodel: \d+ checks, 0 failed$", l) for l in con), con
        assert "hv: guest %s exited with status 0" % name in run.log, run
    # The hv's outline of the model, and the refusals it logged for the #GPs the guests expected.
    assert re.search(r"hv: guest CPU model: max leaf 0x[0-9a-f]+/0x80000008, .*RDTSCP yes", run.log), run
    # APIC_BASE: only the guest with lapic = off has none (the other's CPUID shows its APIC).
    assert "hv: guest two: read of MSR 0x1b refused (#GP)" in run.log, run
    assert "hv: guest one: read of MSR 0x1b refused (#GP)" not in run.log, run
    # The two guests' 300 ms spins overlapped: both kept their TSC_AUX across the switches.
    assert run.exits("one").get("preemption-timer", 0) >= 10, run.exits("one")
    assert run.status == 0, run
