"""tools/linux-bench's reading of what it measures, on the host: the Bochs
debugger script it writes, the breakpoint hits it reads back from Bochs'
output, /init's report, the time points in order, and the exits it counts
in a window of the hv's trace (a stream made with tools/trace_encode.py)."""

import importlib.machinery
import importlib.util
import os
import sys

from hvtest import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import trace_encode as te  # noqa: E402

HLT, CPUID, IO = 12, 10, 30


def load_tool():
    loader = importlib.machinery.SourceFileLoader("linux_bench", os.path.join(ROOT, "tools/linux-bench"))
    spec = importlib.util.spec_from_loader("linux_bench", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


# Bochs' own lines around two breakpoints, as its debugger prints them, among the hv's.
BOCHS_OUT = """hv: hv heap used 848 KiB; launching
(0) Breakpoint 2, 0xffffffff8304e59c in ?? ()
Next at t=2406743894
(0) [0x00000ee4e59c] 0010:ffffffff8304e59c (unk. ctxt): mov ecx, dword ptr ds:[rip-13328662] ; 8b0dea9e34ff
<bochs:3> [linux] linux-guest: init started tsc 2938759075
(0) Breakpoint 1, 0xffffffff8304ee41 in ?? ()
Next at t=2412519224
(0) [0x00000ee4ee41] 0010:ffffffff8304ee41 (unk. ctxt): call .-33437462  (0xffffffff8106b730) ; e8eac801fe
(0) Breakpoint 2, 0xffffffff8304e59c in ?? ()
Next at t=2500000000
(0) [0x00000ee4e59c] 0010:ffffffff8304e59c (unk. ctxt): mov ecx, dword ptr ds:[rip-13328662] ; 8b0dea9e34ff
Next at t=2600000000
hv: halted
""".split("\n")


def test_debugger_script_breaks_at_each_address_then_runs_to_the_end():
    tool = load_tool()
    assert tool.debugger_script([0x1000, 0xffffffff8304e59c]) == (
        "lb 0x1000\nlb 0xffffffff8304e59c\nc\nc\nc\nc\nd 1\nd 2\nc\n")
    assert tool.debugger_script([]) == "c\n"


def test_break_ticks_keeps_each_address_first_hit():
    tool = load_tool()
    assert tool.break_ticks(BOCHS_OUT) == {0xffffffff8304e59c: 2406743894, 0xffffffff8304ee41: 2412519224}


def test_report_and_points_in_time_order():
    tool = load_tool()
    lines = ["[linux] linux-guest: init started tsc 2938759075",
             "[linux] linux-guest: kallsyms start_kernel ffffffff8304ee41",
             "[linux] linux-guest: kallsyms x86_64_start_kernel ffffffff8304e59c",
             "[linux] linux-guest: kallsyms rest_init ffffffff81a07960",
             "[linux] linux-guest: cpus 1", "[linux] linux-guest: cpus 2"]
    found, symbols = tool.report_of(lines)
    assert found == {"init": "started tsc 2938759075", "cpus": "1"}
    assert symbols == {"start_kernel": 0xffffffff8304ee41, "x86_64_start_kernel": 0xffffffff8304e59c,
                       "rest_init": 0xffffffff81a07960}
    # rest_init was never hit: it has no point; /init's TSC ends the list.
    assert tool.points(BOCHS_OUT, found, symbols) == [
        ("x86_64_start_kernel", 2406743894), ("start_kernel", 2412519224), ("/init", 2938759075)]


def test_trace_window_counts_exits_from_start_up_to_end(tmp_path):
    tool = load_tool()
    t = te.TraceStream(tsc_hz=200_000_000, start_tsc=1000, nguests=1)
    t.guest_name(0, "linux")
    t.reason_names()
    t.raw("[linux] linux-guest: not a trace line")
    t.record(1500, 1600, CPUID, 0)          # before the window
    t.record(2000, 2700, IO, 0, detail_kind=te.DETAIL_PORT, detail=te.io_detail(0x61, 1, True))
    t.record(2800, 2900, IO, 0, detail_kind=te.DETAIL_PORT, detail=te.io_detail(0x20, 1, False))
    t.record(3000, 9000, HLT, 0)
    t.record(9999, 0, CPUID, 0)             # never resumed: counted, no time
    t.record(10000, 10500, IO, 0)           # at the window's end: outside
    path = str(tmp_path / "stdout.txt")
    t.write(path)
    header, rows = tool.trace_window(path, 2000, 10000)
    assert header.tsc_hz == 200_000_000 and header.start_tsc == 1000
    assert rows == {"io": [2, 800], "hlt": [1, 6000], "cpuid": [1, 0]}
