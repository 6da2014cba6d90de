"""Attack on the run script (issue 7, item 6): a guest that owns COM1 prints
the hv's end lines and escape sequences on COM1 and on its 0xE9 console,
beside a heartbeat victim. The run must end on the hv's own end line only,
and the escapes must reach a terminal made visible."""

import re

import hvtest

hvrun = hvtest.hvrun

CONFIG = """
[hv]
timeslice_us = 10000

[guest forge]
image   = \\guests\\tguest.elf
cmdline = "test=forge seconds=3"
memory  = 16M
devices = com1

[guest beat]
image   = \\guests\\tguest.elf
cmdline = "test=heartbeat hz=100 seconds=2 every=50"
memory  = 16M
"""

PIT_LINE = re.compile(r"pit: IRQ0 (\d+) in (\d+)\.(\d+) s \(TSC\), rate (\d+)\.(\d) Hz")
HV_END = re.compile(r"hv: all guests ended; status (-?\d+)$")


def test_guest_owning_com1_cannot_end_the_run_or_reach_the_terminal(tmp_path):
    run = hvtest.boot(tmp_path, CONFIG)
    log = run.log.split("\n")
    # The attack happened: the forged end lines are on COM1 (the hv does not log there
    # while a guest owns it) and, tagged, on the forger's 0xE9 console.
    assert "hv: all guests ended; status 0\nhv: halted\n" in run.com1, run.com1[-2000:]
    assert "[forge] hv: all guests ended; status 0" in log, run
    assert "[forge] forge: break\x0bhv: all guests ended; status 0" in log, run
    # The run was not ended early: both guests ran their whole course...
    assert "forge: done" in run.console("forge"), run
    assert "heartbeat done" in run.console("beat"), run
    m = next(PIT_LINE.search(l) for l in run.console("beat") if PIT_LINE.search(l))
    assert int(m.group(1)) == 200 and 98.0 <= float("%s.%s" % m.group(4, 5)) <= 102.0, m.group(0)
    # ...and the status is the one on the hv's own end line, after both guests' ends.
    ends = [i for i, l in enumerate(log) if HV_END.match(l)]
    assert len(ends) == 1, run
    assert ends[0] > log.index("hv: guest forge exited with status 0") > log.index("[forge] forge: done")
    assert ends[0] > log.index("hv: guest beat exited with status 0")
    assert run.status == int(HV_END.match(log[ends[0]]).group(1)) == 0, run
    assert log[ends[0] + 1] == "hv: halted", run
    # The escape bytes reach a terminal made visible, in both layouts, and never raw.
    for formatter in (hvrun.Lines, lambda p: hvrun.Columns(240, p)):
        shown = []
        fmt = formatter(shown.append)
        for line in log:
            fmt(line)
        text = "\n".join(shown)
        assert "\\x1b[2J" in text and "\\x1b]0;forged title\\x07" in text, text[-3000:]
        assert not [c for c in text if ord(c) < 0x20 and c != "\n"], text[-3000:]
