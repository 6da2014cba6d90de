"""Guest OS scheduling: round-robin preemption and EDF deadlines (PIT ticks)."""
import re

import pytest

from os_harness import OsVM


def test_rr_two_hogs_both_progress():
    with OsVM("sched=rr alloc=bitmap") as vm:
        vm.boot()
        a = re.search(r"started pid (\d+)", vm.cmd("run hog 3")).group(1)
        b = re.search(r"started pid (\d+)", vm.cmd("run hog 3")).group(1)
        done = {}
        for _ in range(2):
            m = vm.expect(r"hog (\d+): done, (\d+) units, cpu (\d+) ms of (\d+) ms", timeout=30)
            done[m.group(1)] = (int(m.group(3)), int(m.group(4)))
        assert set(done) == {a, b}
        for pid, (cpu, wall) in done.items():
            # Two CPU-bound processes share one CPU: each gets about half.
            assert cpu >= 0.35 * wall, (pid, cpu, wall)
        # Both printed progress while the other was still running.
        first_done = vm.out.index("done,")
        for pid in (a, b):
            assert vm.out.count("hog %s: " % pid, 0, first_done) >= 4
        out = vm.cmd("stats")
        assert int(re.search(r"context switches (\d+)", out).group(1)) > 100


@pytest.fixture(scope="module")
def edf_vm():
    vm = OsVM("sched=edf alloc=buddy", hard_limit=150)
    vm.boot()
    yield vm
    vm.close()


def test_edf_70_percent_no_misses(edf_vm):
    vm = edf_vm
    vm.send("run rt 10")
    vm.expect(r"rt: 70% task set for 10 s")
    tasks = []
    for _ in range(3):
        m = vm.expect(r"rt task \d+: period (\d+) ms wcet (\d+) ms: (\d+) jobs, (\d+) deadline misses", timeout=40)
        tasks.append(tuple(int(x) for x in m.groups()))
    m = vm.expect(r"rt: done: (\d+) jobs, (\d+) deadline misses", timeout=10)
    assert int(m.group(2)) == 0, vm.out
    assert sum(t[1] / t[0] for t in tasks) == pytest.approx(0.7)
    for period, wcet, jobs, misses in tasks:
        assert misses == 0
        # 10 s of guest time measured in PIT ticks: about 10000/period jobs.
        assert jobs >= 0.95 * 10000 / period, (period, jobs)
    # The shell still answers (it is a background task under EDF).
    assert "shell" in vm.cmd("ps")


def test_edf_overload_counts_misses(edf_vm):
    """The miss counter works: a 120% set must miss deadlines."""
    vm = edf_vm
    vm.send("run rt 2 120")
    m = vm.expect(r"rt: done: (\d+) jobs, (\d+) deadline misses", timeout=30)
    assert int(m.group(2)) > 0


def test_edf_background_hog_gets_the_slack(edf_vm):
    vm = edf_vm
    vm.send("run hog 2")
    m = vm.expect(r"hog \d+: done, \d+ units, cpu (\d+) ms of (\d+) ms", timeout=30)
    assert int(m.group(1)) >= 0.5 * int(m.group(2))
