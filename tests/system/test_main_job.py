"""The main job (`make run` with configs/default.cfg) under Bochs: two
instances of the guest OS, with different policies, side by side."""

import json
import os
import re
import subprocess

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
    # Both kernels ran at once: each was up for 2 s of its own time, and the
    # whole run took less than the sum of the two (time-sliced, not in turn).
    uptimes = []
    for con in (alpha, beta):
        m = next(re.search(r"uptime (\d+) ms", l) for l in con if l.startswith("ticks "))
        uptimes.append(int(m.group(1)))
    elapsed = int(re.search(r"hv: ran (\d+) ms", run.log).group(1))
    assert min(uptimes) >= 2000, uptimes
    assert elapsed < sum(uptimes) * 3 // 4, (elapsed, uptimes)
    # A fault in one process of beta killed only that process.
    assert any(re.search(r"pid \d+ \(fault\) killed: general protection", l) for l in beta), beta
    assert "os> exit 0" in beta                     # beta's kernel went on to the end
    # alpha manages beta (hv.cfg manages): it asked beta's state on the other CPU.
    assert any(re.match(r"guest beta: boot 1, (running|halted)$", l) for l in alpha), alpha
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


def test_trace_of_the_main_job_decodes_and_matches_the_hv_counters(tmp_path):
    """The per-exit trace (on by default) leaves through port 0xE9 as @T
    lines; tools/hvtrace checks it and its per-guest, per-reason counts equal
    the hv's always-on aggregates, record for record."""
    with open(os.path.join(ROOT, "configs/default.cfg")) as f:
        run = hvtest.boot(tmp_path, f.read())
    assert run.status == 0, run
    log = os.path.join(run.out, "e9.log")
    hvtrace = os.path.join(ROOT, "tools/hvtrace")
    check = subprocess.run([hvtrace, "check", log], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    m = re.search(r"hv: trace: (\d+) records, 0 lost; tracer cost (\d+) ticks per exit", run.log)
    assert m, run
    rows = json.loads(subprocess.run([hvtrace, "report", "--json", log], check=True,
                                     capture_output=True, text=True).stdout)
    assert sum(r["count"] for r in rows) == int(m.group(1))
    for name in ("alpha", "beta"):
        traced = {r["reason"]: r["count"] for r in rows if r["guest"] == name}
        assert traced == run.exits(name), (name, traced, run.exits(name))
        assert all(r["p99_ticks"] >= r["p50_ticks"] for r in rows if r["guest"] == name
                   and r["p50_ticks"] is not None)
    chrome = tmp_path / "trace.json"
    subprocess.run([hvtrace, "chrome", log, "-o", str(chrome)], check=True)
    events = json.loads(chrome.read_text())["traceEvents"]
    assert sum(1 for e in events if e["ph"] == "X") > 1000
