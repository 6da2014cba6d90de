"""Guests on their own CPUs (issue 11) under Bochs with `cpu: count=2`: a
real-time guest on CPU 1 beside CPU hogs on CPU 0, two guests per CPU, and
a guest on CPU 1 stopped and restarted while CPU 0's guest runs on. The
run gives Bochs as many CPUs as the config uses (tests/system/hvtest.py)."""

import json
import os
import re
import subprocess

import pytest

import hvtest
from hvtest import ROOT
from os_harness import assert_disk_read_of_esp
from test_partitions import config, guest, pit_rate, restart_policy_run

OS = """
[guest %s]
image   = \\guests\\os.elf
cmdline = "%s"
memory  = 32M
cpu     = %d
"""


def test_realtime_guest_on_cpu_1_misses_no_deadline_beside_hogs_on_cpu_0(tmp_path):
    """The 70% earliest-deadline-first task set runs 10 s of guest time on
    CPU 1 while alpha's CPU hog runs on CPU 0. On one shared CPU beta would
    get half of it and miss deadlines (make run showed 41 in 2 s); on its
    own CPU it misses none, and the hog gets a whole CPU. beta runs at
    hz=1000: the guest OS charges CPU time in whole ticks, so at hz=100
    every job of the set costs at least a tick and the set is 100% of the
    CPU at tick granularity (docs/benchmarks.md, "Several CPUs")."""
    run = hvtest.boot(tmp_path, "[hv]\ntimeslice_us = 10000\n" +
                      OS % ("alpha", "sched=rr alloc=bitmap hz=100 console=none -- "
                            "run hog 10; sleep 10500; ps; exit 0", 0) +
                      OS % ("beta", "sched=edf alloc=buddy hz=1000 console=none -- "
                            "run rt 10; sleep 10500; ps; exit 0", 1), timeout=900)
    assert run.status == 0, run
    assert "hv: CPU 1 (APIC ID 1) started" in run.log, run
    assert "hv: guest alpha: CPU share 100.0% (10000 us of every 10000 us) of CPU 0" in run.log, run
    assert "hv: guest beta: CPU share 100.0% (10000 us of every 10000 us) of CPU 1" in run.log, run
    beta = run.console("beta")
    tasks = [tuple(int(x) for x in m.groups()) for m in
             (re.search(r"rt task \d+: period (\d+) ms wcet (\d+) ms: (\d+) jobs, (\d+) deadline misses", l)
              for l in beta) if m]
    assert len(tasks) == 3, beta
    for period, wcet, jobs, misses in tasks:
        assert misses == 0, (period, wcet, jobs, misses, beta)
        assert jobs >= 0.95 * 10000 / period, (period, jobs)
    done = next(re.search(r"rt: done: (\d+) jobs, (\d+) deadline misses", l) for l in beta
                if l.startswith("rt: done"))
    assert int(done.group(2)) == 0, beta
    assert "os: exit with status 0" in beta, beta
    # The hog had the whole of CPU 0: its CPU time is (nearly) all of its wall time.
    hog = next(re.search(r"hog \d+: done, (\d+) units, cpu (\d+) ms of (\d+) ms", l)
               for l in run.console("alpha") if re.search(r"hog \d+: done", l))
    units, cpu_ms, wall_ms = (int(x) for x in hog.groups())
    assert wall_ms >= 10000 and cpu_ms >= 0.9 * wall_ms, hog.group(0)
    for name in ("alpha", "beta"):
        assert "hv: guest %s exited with status 0" % name in run.log, run
    assert "hv: CPU 0: 1 guest(s), " in run.log, run
    assert "hv: CPU 1: 1 guest(s), " in run.log, run


def test_four_guests_on_two_cpus_two_per_cpu_all_finish_their_checks(tmp_path):
    run = hvtest.boot(tmp_path, config(
        guest("msr", "test=msr", extra="cpu = 0"),
        guest("cr", "test=cr", extra="cpu = 0"),
        guest("hc", "test=hypercall", memory="8M", extra="cpu = 1"),
        guest("cmos", "test=cmos", memory="8M", extra="cpu = 1"), vmcheck="on"))
    assert run.status == 0, run
    for name, cpu in (("msr", 0), ("cr", 0), ("hc", 1), ("cmos", 1)):
        assert "hv: guest %s exited with status 0" % name in run.log, run
        assert re.search(r"hv: guest %s: CPU share 50\.0%% .* of CPU %d\n" % (name, cpu), run.log), run
    # Every entry on either CPU passed the SDM's entry checks (host state is each CPU's own).
    assert "vmcheck before VM entry" not in run.log, run
    assert "msr: 15 checks, 0 failed" in run.console("msr"), run.console("msr")
    assert "hc: console ok" in run.console("hc") and "hc: 10 checks, 0 failed" in run.console("hc")
    assert "hv: CPU 0: 2 guest(s), " in run.log, run
    assert "hv: CPU 1: 2 guest(s), " in run.log, run
    # The trace's records, per CPU and per guest and reason, match the hv's aggregates exactly.
    log = os.path.join(run.out, "e9.log")
    check = subprocess.run([os.path.join(ROOT, "tools/hvtrace"), "check", log], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    rows = json.loads(subprocess.run([os.path.join(ROOT, "tools/hvtrace"), "report", log, "--json"],
                                     capture_output=True, text=True, check=True).stdout)
    for cpu in (0, 1):
        traced = sum(r["count"] for r in rows if r["cpu"] == cpu)
        m = re.search(r"hv: CPU %d: 2 guest\(s\), (\d+) exits, " % cpu, run.log)
        assert m and int(m.group(1)) == traced, (cpu, traced, m and m.group(0))
    # Each guest's records are all on its own CPU.
    for name, cpu in (("msr", 0), ("cr", 0), ("hc", 1), ("cmos", 1)):
        assert [r for r in rows if r["guest"] == name], rows
        assert all(r["cpu"] == cpu for r in rows if r["guest"] == name), rows


def test_guest_on_cpu_1_stopped_and_restarted_while_cpu_0_guest_runs_on(tmp_path):
    run = restart_policy_run(tmp_path, wild_extra="cpu = 1")
    # The heartbeat on CPU 0 ran its course at its rate, undisturbed.
    irqs, secs, rate = pit_rate(run, "beat")
    assert 99.0 <= rate <= 101.0, (irqs, secs, rate)
    assert "hv: guest beat exited with status 0" in run.log, run
    assert "hv: CPU 1: every guest on it has ended; it waits for the others" in run.log, run


@pytest.mark.parametrize("backend", ["auto", "pic"])
def test_device_interrupts_arrive_on_their_owners_cpu(tmp_path, backend):
    """The disk guest on CPU 1 reads with DMA while a hog keeps its CPU busy,
    so each IRQ 14 interrupts a guest: the trace's external-interrupt exits
    with IRQ 14's vector are all on CPU 1. With the IOAPIC the line is
    routed there; with the 8259 pair (CPU 0 only) CPU 0 takes it and posts
    it to CPU 1 by IPI: the trace shows the kicks arriving on CPU 1, and
    the disk's data is right either way."""
    run = hvtest.boot(tmp_path, """
[hv]
irq_backend = %s

[guest disk]
image   = \\guests\\os.elf
cmdline = "sched=rr alloc=buddy hz=100 console=none -- run hog 3; run disk read 2048 2048; sleep 3500; stats; exit 0"
memory  = 32M
devices = ide0
cpu     = 1

[guest spin]
image   = \\guests\\tguest.elf
cmdline = "test=heartbeat hz=100 seconds=3 every=100"
memory  = 16M
""" % backend, timeout=900)
    assert run.status == 0, run
    assert_disk_read_of_esp(run, "disk")
    rows = hvtest.trace_extints(run)
    irq14 = [r for r in rows if r[2] == 0x2e]
    if backend == "auto":
        assert "hv: IRQ 14 of guest disk now goes to CPU 1" in run.log, run
        assert irq14 and all(cpu == 1 for cpu, _, _ in irq14), rows
    else:
        # The 8259 reaches CPU 0 only: the line arrives there, the kick (0xf1) on CPU 1.
        kicks = [r for r in rows if r[2] == 0xf1]
        assert kicks and all(cpu == 1 for cpu, _, _ in kicks), rows
        assert all(cpu == 0 for cpu, _, _ in irq14), rows
    # No exit of the guest on CPU 0 was for the disk's line.
    assert not any(g == "spin" and v == 0x2e for _, g, v in rows), rows
    assert "hv: guest spin exited with status 0" in run.log, run


def test_a_manager_on_cpu_0_stops_and_restarts_a_guest_on_cpu_1(tmp_path):
    """mgr (hv.cfg `manages = beta`) on CPU 0 drives beta on CPU 1 through
    HC_GUEST_CTL: it waits for beta's first boot to end (CPU 1 parks),
    restarts it (the kick brings CPU 1 back), stops it while it runs,
    restarts it again; each step is carried out on CPU 1 (the log's cpu1:
    tag) and seen by mgr through HC_CTL_STATUS. beat, on CPU 0 beside mgr,
    is not mgr's to manage: the request is refused and beat's heartbeat
    runs its course at its rate."""
    run = hvtest.boot(tmp_path, config(
        guest("mgr", "test=control target=beta deny=beat first=exited", extra="manages = beta"),
        guest("beat", "test=heartbeat hz=100 seconds=3 every=50"),
        guest("beta", "test=heartbeat hz=100 seconds=1 every=50", extra="cpu = 1")), timeout=900)
    assert run.status == 0, run
    assert "[mgr] control: 10 checks, 0 failed" in run.log, run
    with open(os.path.join(run.out, "e9.log"), errors="replace") as f:
        raw = f.read()
    steps = ["cpu1: hv: guest beta exited with status 0",
             "cpu1: hv: CPU 1: every guest on it has ended; it waits for the others",
             "cpu0: hv: guest mgr asks to restart guest beta (CPU 1)",
             "cpu1: hv: CPU 1: a manager's request for a guest on it: it runs again",
             "cpu1: hv: guest beta: restart asked by guest mgr",
             "cpu1: hv: guest beta restarted (boot 2)",
             "cpu0: hv: guest mgr asks to stop guest beta (CPU 1)",
             "cpu1: hv: guest beta stopped: stop asked by guest mgr",
             "cpu0: hv: guest mgr asks to restart guest beta (CPU 1)",
             "cpu1: hv: guest beta restarted (boot 3)"]
    at = 0
    for s in steps:
        found = raw.find(s, at)
        assert found >= 0, (s, raw[at:at + 3000])
        at = found
    assert "hv: guest mgr: HC_GUEST_CTL on guest beat refused" in run.log, run
    assert run.console("beta").count("tguest: test heartbeat") == 3, run
    assert "hv: guest beta exited with status 0" in run.log.split("restarted (boot 3)")[1], run
    # beat, on mgr's CPU and not mgr's to manage, ran its course at its rate.
    irqs, secs, rate = pit_rate(run, "beat")
    assert 99.0 <= rate <= 101.0, (irqs, secs, rate)
    assert "hv: guest beat exited with status 0" in run.log, run
    assert "hv: guest beat stopped" not in run.log and "hv: guest beat restarted" not in run.log, run
