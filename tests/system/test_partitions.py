"""Partitions side by side under Bochs: scheduling, the virtual platform,
containment and restart (issue 3). Each boot runs tguest instances (see
docs/test-guests.md) chosen on their command lines."""

import re

import hvtest


def guest(name, cmdline, extra="", memory="16M"):
    return """
    [guest %s]
    image   = \\guests\\tguest.elf
    cmdline = "%s"
    memory  = %s
    %s
    """ % (name, cmdline, memory, extra)


def config(*guests, slice_us=10000, trace="on", vmcheck="off"):
    return "[hv]\ntimeslice_us = %d\ntrace = %s\nvmcheck = %s\n" % (slice_us, trace, vmcheck) + "".join(guests)


PIT_LINE = re.compile(r"pit: IRQ0 (\d+) in (\d+)\.(\d+) s \(TSC\), rate (\d+)\.(\d) Hz")


def pit_rate(run, name):
    """Returns (irqs, seconds, rate) from a heartbeat guest's summary line."""
    for line in run.console(name):
        m = PIT_LINE.search(line)
        if m:
            return int(m.group(1)), float("%s.%s" % m.group(2, 3)), float("%s.%s" % m.group(4, 5))
    raise AssertionError("no pit summary from %s:\n%r" % (name, run))


def test_two_guests_heartbeats_interleave_and_each_pit_runs_at_100hz(tmp_path):
    run = hvtest.boot(tmp_path, config(
        guest("alpha", "test=heartbeat hz=100 seconds=3 every=20"),
        guest("beta", "test=heartbeat hz=100 seconds=3 every=20")))
    assert run.status == 0, run
    beats = [l for l in run.log.splitlines() if re.match(r"\[(alpha|beta)\] heartbeat (alpha|beta) \d+$", l)]
    assert len(beats) == 2 * 15, beats
    owners = [b.split()[0] for b in beats]
    switches = sum(1 for a, b in zip(owners, owners[1:]) if a != b)
    # Both progress at once: the two guests' lines alternate, not one block after the other.
    assert switches >= 10, owners
    for name in ("alpha", "beta"):
        irqs, secs, rate = pit_rate(run, name)
        assert irqs == 300
        # 100 +/- 2 IRQ0 per emulated second, measured in the guest against the TSC.
        assert 98.0 <= rate <= 102.0, (name, irqs, secs, rate)
        assert "heartbeat done" in run.console(name)
    # Both guests halt between ticks: most of the time the CPU is halted too.
    m = re.search(r"hv: ran (\d+) ms, CPU idle \(halted\) (\d+) ms", run.log)
    assert m and int(m.group(2)) * 2 > int(m.group(1)), m and m.group(0)


def test_guest_spinning_with_interrupts_off_does_not_stop_the_others(tmp_path):
    run = hvtest.boot(tmp_path, config(
        guest("spinner", "test=spin seconds=4"),
        guest("beat", "test=heartbeat hz=100 seconds=2 every=50")))
    assert run.status == 0, run
    log = run.log.splitlines()
    spin_start = log.index("[spinner] spin: cli, spinning for 4 s")
    beat_done = log.index("[beat] heartbeat done")
    spin_done = next(i for i, l in enumerate(log) if l.startswith("[spinner] spin done after"))
    # The heartbeat ran its whole course while the spinner held IF=0.
    assert spin_start < beat_done < spin_done, run
    irqs, secs, rate = pit_rate(run, "beat")
    assert 98.0 <= rate <= 102.0, (irqs, secs, rate)
    assert run.exits("spinner").get("preemption-timer", 0) >= 100, run.exits("spinner")


def test_write_outside_ram_stops_only_that_guest(tmp_path):
    run = hvtest.boot(tmp_path, config(
        guest("wild", "test=wild addr=0x40000000 op=write"),
        guest("beat", "test=heartbeat hz=100 seconds=2 every=50")))
    assert "hv: guest wild: EPT violation at GPA 0x40000000 (write)" in run.log, run
    assert "hv: guest wild stopped: EPT violation at GPA 0x40000000 (write)" in run.log, run
    assert "rip " in run.log                        # the register dump
    assert "[beat] heartbeat done" in run.log, run
    assert "hv: guest beat exited with status 0" in run.log, run
    assert "restarted" not in run.log
    assert run.status == 1, run                    # a guest was stopped


def restart_policy_run(tmp_path, wild_extra=""):
    """wild (restart = yes) faults at every boot beside a heartbeat: it is
    stopped, booted again 3 times from a freshly loaded image (its banner
    each time), then stays stopped; the heartbeat runs its course."""
    run = hvtest.boot(tmp_path, config(
        guest("wild", "test=wild addr=0x40000000 op=exec", extra="restart = yes\n" + wild_extra),
        guest("beat", "test=heartbeat hz=100 seconds=2 every=50")))
    assert "hv: guest wild stopped: EPT violation at GPA 0x40000000 (instruction fetch)" in run.log, run
    for boot in (2, 3, 4):
        assert "hv: guest wild restarted (boot %d)" % boot in run.log, run
    assert run.console("wild").count("tguest: test wild") == 4, run
    assert "hv: guest wild: restart limit (3) reached, stays stopped" in run.log, run
    assert "[beat] heartbeat done" in run.log, run
    return run


def test_restart_policy_boots_a_stopped_guest_again(tmp_path):
    restart_policy_run(tmp_path)


def test_halted_guest_with_only_a_device_line_is_stopped_at_its_time_limit(tmp_path):
    """sti; hlt with its timer masked and a device line (IRQ 5) nothing
    asserts: it could still wake, so it has not ended, and the idle CPU's
    wake-up is armed for its time limit. Before, nothing was armed: the hv
    halted until the run's timeout."""
    run = hvtest.boot(tmp_path, config(
        guest("lines", "test=pitstorm mode=masked", extra="irqs = 5\ntime_limit_ms = 300")),
        timeout=120)
    assert "hv: guest lines stopped: time limit of 300 ms reached" in run.log, run
    assert "nothing can wake it" not in run.log, run
    assert run.status == 1, run                    # a guest was stopped
    m = re.search(r"hv: ran (\d+) ms, CPU idle \(halted\) (\d+) ms", run.log)
    # Stopped at its limit, not later; halted meanwhile.
    assert m and int(m.group(1)) < 500 and int(m.group(2)) > 250, m and m.group(0)


def test_four_guests_run_the_platform_checks_to_completion(tmp_path):
    """Four guests in one hv.cfg: MSRs, control registers and long mode, the
    hypercalls and CMOS, each checked from inside a guest."""
    run = hvtest.boot(tmp_path, config(
        guest("msr", "test=msr"),
        guest("cr", "test=cr"),
        guest("hc", "test=hypercall", memory="8M"),
        guest("cmos", "test=cmos", memory="8M"), vmcheck="on"))
    for name in ("msr", "cr", "hc", "cmos"):
        assert "hv: guest %s exited with status 0" % name in run.log, run
    # [hv] vmcheck = on: every entry of the run (long mode included) passed the SDM's entry checks.
    assert "vmcheck before VM entry" not in run.log, run
    assert run.status == 0, run
    assert "msr: 15 checks, 0 failed" in run.console("msr")
    assert "msr: feature_control write #GP ok" in run.console("msr"), run.console("msr")
    cr = run.console("cr")
    for line in ("cr: vmxe hidden ok", "cr: vmxe write #GP ok", "cr: long mode ok", "cr: efer.lma ok"):
        assert line in cr, cr
    hc = run.console("hc")
    assert "hc: console ok" in hc and "hc: 10 checks, 0 failed" in hc, hc
    assert any(l.startswith("hc: info name=hc id=2 nguests=4 ram=8388608") for l in hc), hc
    assert "cmos: 5 checks, 0 failed" in run.console("cmos")


def test_pci_filter_pit_channel2_triple_fault_and_privileged_instructions(tmp_path):
    run = hvtest.boot(tmp_path, config(
        guest("insn", "test=insn", memory="8M"),
        guest("nodev", "test=pci expect=none", memory="8M"),
        guest("disk", "test=pci expect=ide", extra="devices = ide0", memory="8M"),
        guest("cal", "test=calibrate", memory="8M"),
        guest("tf", "test=triple", memory="8M"), trace="off"))
    assert "pci: visible 0 function(s)" in run.console("nodev"), run
    assert "@T " not in hvtest.hvrun.read_text(run.out + "/e9.log")     # trace = off
    assert "hv: guest nodev exited with status 0" in run.log
    disk = run.console("disk")
    assert any(l.startswith("pci: 00:01.1 8086:7010 class 0101") for l in disk), disk
    assert any(l.startswith("pci: 00:01.0 8086:7000 class 0601") for l in disk), disk  # its function 0
    assert "pci: bar write dropped ok" in disk and "pci: bus master visible ok" in disk, disk
    assert "hv: guest disk exited with status 0" in run.log
    assert "calibrate: pit2 matches the hv ok" in run.console("cal"), run
    assert "hv: guest tf: triple fault" in run.log, run
    assert "hv: guest tf stopped: triple fault" in run.log
    assert "triple: survived" not in run.console("tf")
    insn = run.console("insn")
    for line in ("insn: vmxon #UD ok", "insn: vmptrst #UD ok", "insn: invd runs ok",
                 "insn: xsetbv x87|sse accepted ok", "insn: xsetbv xcr0=0 #GP ok",
                 "insn: xsetbv xcr1 #GP ok", "insn: xgetbv reads back ok"):
        assert line in insn, (line, insn)
    assert "hv: guest insn exited with status 0" in run.log
    assert run.status == 1


def test_guests_keep_their_own_fpu_and_sse_registers(tmp_path):
    """Two guests fill XMM0-7 and the x87 control word with different
    patterns and check them while the hv time-slices them: neither sees the
    other's registers (the hv switches FPU/vector state, which VMX does not)."""
    run = hvtest.boot(tmp_path, config(
        guest("one", "test=fpu seed=1 seconds=2", memory="8M"),
        guest("two", "test=fpu seed=2 seconds=2", memory="8M"), slice_us=2000))
    for name in ("one", "two"):
        assert "fpu: state intact ok" in run.console(name), run
        assert run.exits(name).get("preemption-timer", 0) >= 50, run.exits(name)
    assert run.status == 0, run


def test_virtual_8259_behaves_like_the_chip(tmp_path):
    """The pic checks measure IRQ 0 over windows of a few PIT periods, so they
    run alone: another guest's slice inside a window would skew the rate."""
    run = hvtest.boot(tmp_path, config(guest("pic", "test=pic")))
    con = run.console("pic")
    assert "pic: 14 checks, 0 failed" in con, run
    for check in ("isr in service", "specific eoi", "masked irq0 blocked", "unmask delivers pending"):
        assert "pic: %s ok" % check in con, con
    assert run.status == 0, run


def test_boot_stage_rejects_a_bad_config_naming_the_line(tmp_path):
    run = hvtest.boot(tmp_path, config(
        guest("a", "test=heartbeat", extra="ports = 0x3f8-0x3ff"),
        guest("b", "test=heartbeat", extra="ports = 0x3f8")))
    assert run.status == hvtest.hvrun.STATUS_BOOT_FAILED, run.com1[-2000:]
    assert re.search(r"hv: hv\.cfg:\d+: error: port 0x3f8 already given to guest a", run.com1), \
        run.com1[-2000:]
