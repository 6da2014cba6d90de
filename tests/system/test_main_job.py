"""The main job (`make run` with configs/default.cfg) under Bochs: two
instances of the guest OS, with different policies, side by side."""

import os
import re

import hvtest
from hvtest import ROOT


def test_two_guest_os_instances_run_side_by_side_with_their_own_policies(tmp_path):
    with open(os.path.join(ROOT, "configs/default.cfg")) as f:
        run = hvtest.boot(tmp_path, f.read())
    assert run.status == 0, run
    alpha, beta = run.console("alpha"), run.console("beta")
    assert any("sched=rr alloc=bitmap" in l for l in alpha), alpha[:10]
    assert any("sched=edf alloc=buddy" in l for l in beta), beta[:10]
    assert any(l.startswith("os: sched=rr alloc=bitmap") and "under the hv" in l for l in alpha), alpha
    assert any(l.startswith("os: sched=edf alloc=buddy") and "under the hv" in l for l in beta), beta
    assert "allocator: bitmap" in alpha and "allocator: buddy" in beta
    # Both kernels ran their processes at once: their lines interleave in the hv log.
    tags = [l[1:l.index("]")] for l in run.log.splitlines() if re.match(r"\[(alpha|beta)\] ", l)]
    assert sum(1 for a, b in zip(tags, tags[1:]) if a != b) >= 20
    # A fault in one process of beta killed only that process.
    assert any(re.search(r"pid \d+ \(fault\) killed: general protection", l) for l in beta), beta
    assert "os> exit 0" in beta                     # beta's kernel went on to the end
    # Each guest read its own exit statistics through the hypercall.
    assert any(l.startswith('hv: guest 0 of 2 "alpha"') for l in alpha), alpha
    assert any(l.startswith('hv: guest 1 of 2 "beta"') for l in beta), beta
    # alpha owns COM1: its ports are passed through and IRQ 4 is routed to its virtual PIC.
    assert "hv: IRQ 4 routed to guest alpha (edge-triggered)" in run.log
    uart = next(l for l in alpha if l.startswith("irqs "))
    assert int(re.search(r"uart (\d+)", uart).group(1)) > 0, uart
    assert "os: exit with status 0" in run.com1        # alpha's console is the real serial port
    assert "refused" not in "\n".join(l for l in run.log.splitlines() if "port 0x3f" in l)
    for name in ("alpha", "beta"):
        assert "hv: guest %s exited with status 0" % name in run.log
        exits = run.exits(name)
        assert exits.get("preemption-timer", 0) > 50, exits
        assert exits.get("io", 0) > 0, exits
