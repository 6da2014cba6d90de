"""Guests on their own CPUs (issue 11) under Bochs with `cpu: count=2`: a
real-time guest on CPU 1 beside CPU hogs on CPU 0, two guests per CPU, and
a guest on CPU 1 stopped and restarted while CPU 0's guest runs on. The
run gives Bochs as many CPUs as the config uses (tests/system/hvtest.py)."""

import re

import hvtest
from test_partitions import config, guest, pit_rate

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
    get half of it and miss deadlines (make run shows 41 in 2 s); on its own
    CPU it misses none, and the hog gets a whole CPU."""
    run = hvtest.boot(tmp_path, "[hv]\ntimeslice_us = 10000\n" +
                      OS % ("alpha", "sched=rr alloc=bitmap hz=100 console=none -- "
                            "run hog 10; sleep 10500; ps; exit 0", 0) +
                      OS % ("beta", "sched=edf alloc=buddy hz=100 console=none -- "
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


def test_guest_on_cpu_1_stopped_and_restarted_while_cpu_0_guest_runs_on(tmp_path):
    run = hvtest.boot(tmp_path, config(
        guest("wild", "test=wild addr=0x40000000 op=exec", extra="restart = yes\ncpu = 1"),
        guest("beat", "test=heartbeat hz=100 seconds=2 every=50")))
    assert "hv: guest wild stopped: EPT violation at GPA 0x40000000 (instruction fetch)" in run.log, run
    for boot in (2, 3, 4):
        assert "hv: guest wild restarted (boot %d)" % boot in run.log, run
    assert run.console("wild").count("tguest: test wild") == 4, run
    assert "hv: guest wild: restart limit (3) reached, stays stopped" in run.log, run
    # The heartbeat on CPU 0 ran its course at its rate, undisturbed.
    assert "[beat] heartbeat done" in run.log, run
    irqs, secs, rate = pit_rate(run, "beat")
    assert 99.0 <= rate <= 101.0, (irqs, secs, rate)
    assert "hv: guest beat exited with status 0" in run.log, run
    assert "hv: CPU 1: every guest on it has ended; it waits for the others" in run.log, run
