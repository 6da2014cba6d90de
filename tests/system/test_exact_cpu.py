"""What a CPU gives, under the hv (issue 8, items 2 and 3), under Bochs
beside a 100 Hz heartbeat victim whose rate is checked.

Item 2: tguest `exact` (docs/test-guests.md): CR0.PG with a PAE PDPTE that
has a reserved bit, MOV CR3 of such a table with PAE paging on, and CR0.PG
cleared in 64-bit code each raise #GP in the guest (never a failed VM
entry) and leave paging as it was; leaving long mode from compatibility mode
works; CPUID (emulated by the hv) with EFLAGS.TF gives the single-step #DB
at the next instruction with DR6.BS.

Item 3: `test_fault = vmresume` spoils the guest state after the guest's
first hypercall, so VMRESUME fails; with `restart = yes` the guest boots
again on a cleared, rebuilt VMCS and its second boot runs to its normal end.
"""

import hvtest
from test_attack_priv import VICTIM, assert_victim_kept_its_rate, tguest


def test_refused_cr_writes_raise_gp_and_a_failed_vmresume_restarts_cleanly(tmp_path):
    run = hvtest.boot(tmp_path, "[hv]\ntrace = off\n"
                      + tguest("exact", "test=exact")
                      + tguest("vmr", "test=hypercall", "restart = yes\n    test_fault = vmresume", "8M")
                      + VICTIM)
    ex = run.console("exact")
    for check in ("pae reserved pdpte #GP", "pae valid pdpte paging on", "pae cr3 reserved pdpte #GP",
                  "pae paging off", "pg clear in 64-bit code #GP", "leave long mode from compatibility mode",
                  "cpuid single step #DB"):
        assert "exact: %s ok" % check in ex, (check, ex)
    assert "exact: 7 checks, 0 failed" in ex, ex
    assert "hv: guest exact exited with status 0" in run.log, run
    assert "hv: guest exact: VM entry failed" not in run.log

    # The failed VMRESUME stops boot 1; boot 2 launches on a cleared VMCS and ends normally.
    log = run.log.split("\n")
    failed = log.index("hv: guest vmr stopped: VM entry failed: invalid guest state")
    assert any(l.startswith("hv: guest vmr: VM entry failed: ") for l in log[:failed]), run
    restarted = log.index("hv: guest vmr restarted (boot 2)")
    assert failed < restarted
    assert "VM-instruction error" not in run.log, run
    vmr = run.console("vmr")
    # Boot 1 stopped at its first hypercall (HC_GUEST_INFO, before the test began).
    assert vmr.count('tguest: cmdline "test=hypercall"') == 2, vmr
    assert vmr.count("tguest: test hypercall") == 1, vmr
    assert vmr.count("hc: 10 checks, 0 failed") == 1, vmr
    assert "hv: guest vmr exited with status 0" in log[restarted:], run

    assert_victim_kept_its_rate(run)
    assert "hv: all guests ended; status 0" in run.log, run
