"""CPU time under attack (issue 7, item 2): the scenarios that
tests/system/test_attack_cpu.py asserts on and `make bench` (tools/bench)
prints figures of, and the parser of their figures.

Each scenario is one boot of tguest instances on one CPU with equal
shares: its attacker(s), a CPU-bound victim `work` (iterations of a fixed
loop counted for 2 s of TSC time) and a heartbeat victim `beat` (100 Hz
for 2 s). The baseline's attacker is a plain CPU spinner: what a fair
neighbour takes. Attacks last 2.5 s, past the victims' 2 s windows.
"""

import re


class Scenario:
    """One boot: attackers as (guest name, command line, extra hv.cfg lines)."""

    def __init__(self, name, what, attackers):
        self.name, self.what, self.attackers = name, what, attackers


SCENARIOS = [
    Scenario("baseline", "a plain CPU spinner (interrupts off, 3 s): the fair baseline",
             [("spin", "test=spin seconds=3", "")]),
    # Three attackers that halt for good at once; in one boot, as each
    # leaves the victims the whole CPU when the hv contains it.
    Scenario("halted", "PIT at count 2 (596 kHz) then sti; hlt with IRQ 0 masked, or taken "
             "once and never acknowledged; and the same PIT with cli; hlt",
             [("masked", "test=pitstorm mode=masked", ""),
              ("unacked", "test=pitstorm mode=unacked", ""),
              ("clihlt", "test=clihlt", "")]),
    # Never ends by itself: the watchdog stops it.
    Scenario("pitstorm", "PIT at count 2, every IRQ 0 acknowledged at once, sti; hlt "
             "(stopped by time_limit_ms = 2500)",
             [("storm", "test=pitstorm mode=acked", "time_limit_ms = 2500")]),
    Scenario("comstorm", "owns COM1: THR-empty interrupt, one character each, for 2.5 s",
             [("com", "test=comstorm ms=2500", "devices = com1")]),
    Scenario("spam-e9", "64-byte console lines on port 0xE9 as fast as it can, for 2.5 s",
             [("spam", "test=spam mode=e9 ms=2500", "")]),
    Scenario("spam-hc", "HC_CONSOLE of 4096 bytes (64-byte lines) as fast as it can, for 2.5 s",
             [("spam", "test=spam mode=hc ms=2500", "")]),
    Scenario("spam-hc-1", "HC_CONSOLE of 4096 one-byte lines as fast as it can, for 2.5 s",
             [("spam", "test=spam mode=hc line=1 ms=2500", "")]),
]
BY_NAME = {s.name: s for s in SCENARIOS}

WORK = "test=work seconds=2"
BEAT = "test=heartbeat hz=100 seconds=2 every=100"

# The goals: the CPU-bound victim keeps 90% of its throughput beside
# the baseline's spinner, the heartbeat keeps 100 Hz within 2%.
GOAL_WORK_RATIO = 0.90
GOAL_BEAT_HZ = (98.0, 102.0)


def guest(name, cmdline, extra=""):
    return ("\n[guest %s]\nimage   = \\guests\\tguest.elf\ncmdline = \"%s\"\nmemory  = 16M\n%s\n"
            % (name, cmdline, extra))


def config(name):
    """Returns the hv.cfg text of a scenario: its attackers, then the two victims.
    The per-exit trace is off: its channel is not what is measured here."""
    s = BY_NAME[name]
    return ("# CPU time under attack: %s\n[hv]\ntrace = off\n" % name
            + "".join(guest(*a) for a in s.attackers) + guest("work", WORK) + guest("beat", BEAT))


WORK_LINE = re.compile(r"^\[work\] work: (\d+) iterations in (\d+\.\d+) s \(TSC\), (\d+) per s$")
BEAT_LINE = re.compile(r"^\[beat\] pit: IRQ0 (\d+) in (\d+\.\d+) s \(TSC\), rate (\d+\.\d) Hz$")
EXITS_LINE = re.compile(r"^hv: guest (\S+) exits: (\d+) total; ran (\d+) us; (\d+) virtual interrupts "
                        r"injected, (\d+) timer ticks lost \((\d+) beyond the backlog\)$")
CPU_LINE = re.compile(r"^hv: guest (\S+) CPU: (\d+) us in the guest, (\d+) us in the hv on its "
                      r"behalf; share (\d+\.\d)%$")
DROP_LINE = re.compile(r"^hv: guest (\S+): (\d+) console bytes dropped, (\d+) refusal lines "
                       r"suppressed$")
RAN_LINE = re.compile(r"^hv: ran (\d+) ms, CPU idle \(halted\) (\d+) ms$")
END_LINE = re.compile(r"^hv: all guests ended; status (-?\d+)$")


class Figures:
    """What one scenario's hv log says. Missing figures are None; per-guest
    figures are dicts by guest name (from each guest's last summary)."""

    def __init__(self, log):
        lines = log.split("\n") if isinstance(log, str) else list(log)
        self.work = self.work_seconds = self.work_rate = None
        self.beat_irqs = self.beat_seconds = self.beat_hz = None
        self.injected, self.ticks_lost, self.guest_us, self.hv_us = {}, {}, {}, {}
        self.dropped, self.suppressed = {}, {}
        self.ran_ms = self.idle_ms = self.status = None
        for line in lines:
            self._read(line)

    def _read(self, line):
        m = WORK_LINE.match(line)
        if m:
            self.work, self.work_seconds, self.work_rate = int(m.group(1)), float(m.group(2)), int(m.group(3))
        m = BEAT_LINE.match(line)
        if m:
            self.beat_irqs, self.beat_seconds, self.beat_hz = int(m.group(1)), float(m.group(2)), float(m.group(3))
        m = EXITS_LINE.match(line)
        if m:
            self.injected[m.group(1)], self.ticks_lost[m.group(1)] = int(m.group(4)), int(m.group(5))
        m = CPU_LINE.match(line)
        if m:
            self.guest_us[m.group(1)], self.hv_us[m.group(1)] = int(m.group(2)), int(m.group(3))
        m = DROP_LINE.match(line)
        if m:
            self.dropped[m.group(1)], self.suppressed[m.group(1)] = int(m.group(2)), int(m.group(3))
        m = RAN_LINE.match(line)
        if m:
            self.ran_ms, self.idle_ms = int(m.group(1)), int(m.group(2))
        m = END_LINE.match(line)
        if m:
            self.status = int(m.group(1))

    def work_ratio(self, baseline):
        """The work victim's iterations as a fraction of the baseline's, or None."""
        if self.work is None or not baseline.work:
            return None
        return self.work / baseline.work

    def goals_met(self, baseline):
        """Whether both victims met the issue's goals in this run."""
        ratio = self.work_ratio(baseline)
        return (ratio is not None and ratio >= GOAL_WORK_RATIO and self.beat_hz is not None
                and GOAL_BEAT_HZ[0] <= self.beat_hz <= GOAL_BEAT_HZ[1])
