"""tools/hvtrace (VM-exit trace decoder) on synthetic logs made with
tools/trace_encode.py. Pure host: no hv, no emulator. Run from the repo root:

    /usr/bin/python3 -m pytest -q tests/system/test_hvtrace.py

The main data set has 1000 records over 2 guests whose exit-to-resume spans
are chosen so every statistic is known by hand (nearest-rank percentiles:
p of n sorted values is the value at rank ceil(p/100 * n)):

  guest 0 alpha  io      400 spans 100*k, k=1..400  p50 20000 p95 38000 p99 39600
                 cpuid   200 spans  50*k, k=1..200  p50  5000 p95  9500 p99  9900
  guest 1 beta   wrmsr   300 spans 285 x 1000, 12 x 5000, 3 x 90000
                                                    p50  1000 p95  1000 p99  5000
                 vmcall  100 spans  30*k, k=1..100  p50  1500 p95  2850 p99  2970

The main data set is one CPU's (the format of a one-CPU run). The per-CPU
data set (cpu_stream) puts the same records on two CPUs, alpha on CPU 0 and
beta on CPU 1, drained as the hv's merge sends them: in TSC order within a
drain, each CPU's in sequence order, and one record of CPU 1 that waited for
its resume sent after younger records of CPU 0.
"""
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
HVTRACE = TOOLS / "hvtrace"
sys.path.insert(0, str(TOOLS))

import trace_encode as te  # noqa: E402
import tracefmt as tf  # noqa: E402

HZ = 2_000_000_000          # 2 GHz: 2000 ticks per microsecond
START = 1_000_000
STEP = 100_000              # ticks between consecutive exits
IO, CPUID, WRMSR, VMCALL, RDMSR, HLT, EXTINT, EPT = 30, 10, 32, 18, 31, 12, 1, 48

SPANS = {
    (0, IO): [100 * k for k in range(1, 401)],
    (0, CPUID): [50 * k for k in range(1, 201)],
    (1, WRMSR): [1000] * 285 + [5000] * 12 + [90000] * 3,
    (1, VMCALL): [30 * k for k in range(1, 101)],
}


def run(*args, check=None):
    p = subprocess.run([str(HVTRACE), *map(str, args)], cwd=ROOT, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
    return p


def stream(nguests=2, names=("alpha", "beta"), **kw):
    t = te.TraceStream(tsc_hz=HZ, start_tsc=START, nguests=nguests, **kw)
    for i, n in enumerate(names):
        t.guest_name(i, n)
    t.reason_names()
    return t


def main_records():
    """The 1000 records, in TSC order, guests and spans shuffled."""
    items = [(g, r, s) for (g, r), spans in SPANS.items() for s in spans]
    random.Random(7).shuffle(items)
    recs = []
    for i, (g, r, s) in enumerate(items):
        exit_ = START + (i + 1) * STEP
        recs.append(te.record(exit_, exit_ + s, r, g, rip=0x1000 + i))
    return recs


def main_stream(end=True):
    t = stream()
    t.raw("hv: 2 guests configured")
    recs = main_records()
    for i, r in enumerate(recs):
        t.record(r)
        if i % 250 == 249:
            t.drop(2 if i < 999 else 4)     # 2+2+2+4 = 10 lost
            t.lost()
            t.raw("hv: guest alpha: console line %d" % i)
    if end:
        t.end(cost_tsc_sum=50500, cost_tsc_max=400, end_tsc=START + 1001 * STEP)
    return t


@pytest.fixture(scope="module")
def main_log(tmp_path_factory):
    return main_stream().write(tmp_path_factory.mktemp("hvtrace") / "e9.log")


def write(tmp_path, t, name="e9.log"):
    """Writes a TraceStream or plain text to tmp_path/name; returns the path."""
    path = tmp_path / name
    path.write_text(t if isinstance(t, str) else t.text())
    return path


def report_json(log, *extra):
    return json.loads(run("report", log, "--json", *extra, check=0).stdout)


def row(rows, guest, reason):
    (r,) = [r for r in rows if r["guest"] == guest and r["reason"] == reason]
    return r


# --- wire format ------------------------------------------------------------

def test_struct_formats_match_include_trace_h_field_by_field():
    """Version 2's layouts are include/trace.h's; version 1's (still read) are
    prefixes of them."""
    ctype = {"uint8_t": "B", "uint16_t": "H", "uint32_t": "I", "uint64_t": "Q"}
    text = (ROOT / "include" / "trace.h").read_text()
    for cname, st in [("trace_header", tf.HEADER), ("trace_name", tf.NAME),
                      ("trace_record", tf.RECORD), ("trace_lost", tf.LOST),
                      ("trace_end", tf.END)]:
        body = re.search(r"struct %s \{(.*?)\}" % cname, text, re.S).group(1)
        fmt = "<"
        for typ, _, arr in re.findall(r"^\s*(\w+)\s+(\w+)(?:\[(\d+)\])?;", body, re.M):
            fmt += arr + "s" if typ == "char" else ctype[typ]
        assert fmt == st.format, cname
    assert re.search(r"TRACE_MAGIC\s+0x%08xu" % tf.TRACE_MAGIC, text)
    assert re.search(r"TRACE_VERSION\s+%du" % tf.TRACE_VERSION, text)
    for v1, v2 in [(tf.HEADER_V1, tf.HEADER), (tf.RECORD_V1, tf.RECORD),
                   (tf.LOST_V1, tf.LOST), (tf.END_V1, tf.END)]:
        assert v2.format.startswith(v1.format) and v1.size < v2.size
    assert (tf.record_size(1), tf.record_size(2)) == (48, 56)


def test_encoder_round_trips_every_line_kind_through_tracefmt():
    objs = [te.header(HZ, START, 3, 512, ncpus=4), te.name(tf.NAME_GUEST, 2, "g" * 28),
            te.lost(5, 99, cpu=3), te.end(99, 5, 1234, 56, 7890, cpu=2)]
    for o in objs:
        kind, got = tf.parse_line(te.line(o))
        assert kind == tf.kind_of(o) and got == [o]
    recs = [te.record(i, i + 10, IO, 0, detail=i, seq=100 + i, cpu=i % 3) for i in range(8)]
    assert tf.parse_line(te.record_line(recs)) == ("R", recs)


def test_version_1_lines_decode_with_cpu_0_and_no_sequence_number():
    h = te.header(HZ, START, 2, 512, version=1)
    kind, (got,) = tf.parse_line(te.line(h, version=1))
    assert got == h._replace(ncpus=1) and got.record_size == 48
    recs = [te.record(i, i + 10, IO, 1, detail=i, seq=7, cpu=1) for i in range(3)]
    line = te.record_line(recs, version=1)
    assert tf.parse_line(line, 1) == ("R", [r._replace(seq=None, cpu=0) for r in recs])
    with pytest.raises(tf.TraceFormatError):            # 3 x 48 bytes is no v2 line
        tf.parse_line(line, 2)
    kind, (e,) = tf.parse_line(te.line(te.end(9, 1, 90, 20, 5, cpu=1), version=1), 1)
    assert e == te.end(9, 1, 90, 20, 5, cpu=0)


def test_encoder_packs_at_most_eight_records_per_r_line():
    t = stream()
    for i in range(20):
        t.record(START + i, START + i + 1, HLT, 0)
    rlines = [l for l in t.text().splitlines() if l.startswith("@T R")]
    assert [len(tf.parse_line(l)[1]) for l in rlines] == [8, 8, 4]
    with pytest.raises(ValueError):
        te.record_line([te.record(1, 2, HLT, 0)] * 9)


def test_hvtrace_is_an_executable_python3_script():
    assert os.access(HVTRACE, os.X_OK)
    assert HVTRACE.read_text().startswith("#!/usr/bin/env python3\n")


# --- report -----------------------------------------------------------------

def test_report_json_gives_exact_count_total_mean_min_percentiles_max(main_log):
    rows = report_json(main_log)
    expect = {
        ("alpha", "io"): (400, 8020000, 20050, 100, 20000, 38000, 39600, 40000),
        ("alpha", "cpuid"): (200, 1005000, 5025, 50, 5000, 9500, 9900, 10000),
        ("beta", "wrmsr"): (300, 615000, 2050, 1000, 1000, 1000, 5000, 90000),
        ("beta", "vmcall"): (100, 151500, 1515, 30, 1500, 2850, 2970, 3000),
    }
    assert len(rows) == 4
    for (g, r), (n, total, mean, mn, p50, p95, p99, mx) in expect.items():
        o = row(rows, g, r)
        got = tuple(o[k] for k in ("count", "total_ticks", "mean_ticks", "min_ticks",
                                   "p50_ticks", "p95_ticks", "p99_ticks", "max_ticks"))
        assert got == (n, total, mean, mn, p50, p95, p99, mx), (g, r)


def test_report_json_gives_microseconds_from_tsc_hz_and_share_of_guest(main_log):
    rows = report_json(main_log)
    io = row(rows, "alpha", "io")
    assert io["p50_us"] == pytest.approx(10.0)
    assert io["total_us"] == pytest.approx(4010.0)
    assert io["share"] == pytest.approx(400 / 6)
    assert row(rows, "beta", "wrmsr")["share"] == pytest.approx(75.0)
    assert row(rows, "beta", "vmcall")["guest_index"] == 1
    assert row(rows, "beta", "vmcall")["reason_id"] == VMCALL


def test_report_json_is_a_list_of_objects_sorted_by_guest_then_total(main_log):
    rows = report_json(main_log)
    assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
    assert [(r["guest"], r["reason"]) for r in rows] == [
        ("alpha", "io"), ("alpha", "cpuid"), ("beta", "wrmsr"), ("beta", "vmcall")]


def test_report_text_has_one_table_per_guest_sorted_by_total_time(main_log):
    out = run("report", main_log, check=0).stdout
    a = out.index("guest 0 alpha: 600 exit(s)")
    b = out.index("guest 1 beta: 400 exit(s)")
    assert a < out.index("  io ") < out.index("  cpuid ") < b
    assert b < out.index("  wrmsr ") < out.index("  vmcall ")
    assert len(re.findall(r"^  total ", out, re.M)) == 2
    assert "total: 1000 exit(s) in 2 guest(s), 9791500 ticks" in out


def test_report_text_shows_ticks_row_and_microseconds_row(main_log):
    lines = run("report", main_log, check=0).stdout.splitlines()
    i = next(i for i, l in enumerate(lines) if l.split()[:1] == ["io"])
    assert lines[i].split() == ["io", "400", "66.7%", "8020000", "20050", "100",
                                "20000", "38000", "39600", "40000", "ticks"]
    assert lines[i + 1].split() == ["4010.000", "10.025", "0.050", "10.000",
                                    "19.000", "19.800", "20.000", "us"]


def test_report_gives_written_lost_and_tracer_cost_from_end_line(main_log):
    out = run("report", main_log, check=0).stdout
    assert "records: 1000 written, 10 lost (1.0%)" in out
    # cost per exit = cost_tsc_sum / written = 50500 / 1000 (the hv stops the
    # clock only for records it appends)
    assert "tracer cost: mean 50.5 ticks per exit, max 400 (0.025 us, 0.200 us)" in out


def test_report_without_end_line_says_unfinished_and_uses_last_lost_line(tmp_path):
    log = write(tmp_path, main_stream(end=False))
    out = run("report", log, check=0).stdout
    assert "trace unfinished: no E line" in out
    assert re.search(r"records \(last L line, line \d+\): 1000 written, 10 lost \(1.0%\)",
                     out)
    assert "tracer cost: unknown" in out
    assert row(report_json(log), "alpha", "io")["p99_ticks"] == 39600


def test_report_counts_records_with_vm_entry_failure_bit_31(tmp_path):
    t = stream()
    t.record(START + 10, START + 20, 33 | tf.REASON_ENTRY_FAIL, 0)
    t.record(START + 30, START + 40, 33 | tf.REASON_ENTRY_FAIL, 1)
    t.record(START + 50, START + 60, HLT, 1)
    out = run("report", write(tmp_path, t), check=0).stdout
    assert "VM-entry failures (reason bit 31): 2" in out
    assert "guest 0 alpha: 1 exit(s) (1 VM-entry failure(s))" in out
    rows = report_json(tmp_path / "e9.log")
    # the flag bits do not split the reason: basic reason 33 is one row
    assert row(rows, "beta", "entry-fail-guest-state")["entry_failures"] == 1


def test_report_counts_unresumed_records_but_excludes_them_from_spans(tmp_path):
    t = stream()
    t.record(START + 100, START + 300, HLT, 0)
    t.record(START + 400, START + 500, HLT, 0)
    t.record(START + 600, 0, HLT, 0)
    t.end(cost_tsc_sum=3, cost_tsc_max=1, end_tsc=START + 700)
    log = write(tmp_path, t)
    (o,) = report_json(log)
    assert (o["count"], o["resumed"], o["not_resumed"]) == (3, 2, 1)
    assert (o["total_ticks"], o["max_ticks"], o["mean_ticks"]) == (300, 200, 150)
    out = run("report", log, check=0).stdout
    assert "1 not resumed, excluded from times" in out
    assert "not resumed (tsc_resume 0): 1" in out


def test_report_guest_filter_keeps_only_that_guest(main_log):
    rows = report_json(main_log, "--guest", "beta")
    assert {r["guest"] for r in rows} == {"beta"} and len(rows) == 2
    out = run("report", main_log, "--guest", "beta", check=0).stdout
    assert "alpha" not in out and "guest 1 beta" in out


def test_report_guest_filter_accepts_the_guest_index(main_log):
    assert report_json(main_log, "--guest", "1") == report_json(main_log, "--guest", "beta")


def test_report_reason_filter_keeps_share_of_all_guest_exits(main_log):
    rows = report_json(main_log, "--reason", "vmcall")
    assert [(r["guest"], r["reason"]) for r in rows] == [("beta", "vmcall")]
    assert rows[0]["share"] == pytest.approx(25.0)


def test_report_guest_and_reason_filters_combine(main_log):
    assert report_json(main_log, "--guest", "alpha", "--reason", "wrmsr") == []
    (o,) = report_json(main_log, "--guest", "alpha", "--reason", "cpuid")
    assert o["p95_ticks"] == 9500


def test_report_unknown_guest_name_is_an_error_listing_known_guests(main_log):
    p = run("report", main_log, "--guest", "gamma", check=2)
    assert "no guest named 'gamma'" in p.stderr and "alpha" in p.stderr


def test_report_names_reasons_without_n_line_by_number(tmp_path):
    t = te.TraceStream(tsc_hz=HZ, start_tsc=START, nguests=1)
    t.record(START + 1, START + 5, 99, 0)
    (o,) = report_json(write(tmp_path, t))
    assert (o["guest"], o["reason"]) == ("guest0", "reason-99")


def test_report_without_header_fails_with_status_2(tmp_path):
    p = run("report", write(tmp_path, "hv: no trace here\n"), check=2)
    assert "no trace header" in p.stderr


# --- timeline ---------------------------------------------------------------

DETAILS = [
    (IO, tf.DETAIL_PORT, te.io_detail(0x3f8, 1, False), "port 0x3f8 out 1"),
    (IO, tf.DETAIL_PORT, te.io_detail(0x64, 1, True), "port 0x64 in 1"),
    (IO, tf.DETAIL_PORT, te.io_detail(0xcfc, 4, True), "port 0xcfc in 4"),
    (RDMSR, tf.DETAIL_MSR, 0xC0000080, "msr 0xc0000080"),
    (CPUID, tf.DETAIL_LEAF, te.leaf_detail(7, 1), "leaf 0x7 subleaf 0x1"),
    (EPT, tf.DETAIL_GPA, 0xFEE00000, "gpa 0xfee00000"),
    (VMCALL, tf.DETAIL_HCALL, 3, "hypercall 3"),
    (EXTINT, tf.DETAIL_VECTOR, 0x20, "vector 0x20"),
    (HLT, tf.DETAIL_NONE, 0, ""),
]


@pytest.mark.parametrize("reason,kind,detail,text", DETAILS,
                         ids=[d[3] or "none" for d in DETAILS])
def test_timeline_decodes_detail_by_detail_kind(tmp_path, reason, kind, detail, text):
    t = stream()
    t.record(START + 4000, START + 4600, reason, 1, rip=0xFFFFFFFF81001234,
             detail_kind=kind, detail=detail)
    lines = run("timeline", write(tmp_path, t), check=0).stdout.splitlines()
    assert lines[0].split() == ["time_us", "guest", "reason", "span", "rip", "detail"]
    name = {IO: "io", RDMSR: "rdmsr", CPUID: "cpuid", EPT: "ept-violation",
            VMCALL: "vmcall", EXTINT: "external-interrupt", HLT: "hlt"}[reason]
    assert lines[1].split() == ["2.000", "beta", name, "600", "0xffffffff81001234"] \
        + text.split()


def test_timeline_is_in_tsc_order_and_limit_keeps_the_first_n(tmp_path):
    t = stream()
    t.record(START + 3000, START + 3100, HLT, 1)        # written out of order
    t.record(START + 1000, START + 1100, CPUID, 0)
    t.record(START + 2000, START + 2100, IO, 0)
    log = write(tmp_path, t)
    lines = run("timeline", log, check=0).stdout.splitlines()[1:]
    assert [l.split()[:3] for l in lines] == [
        ["0.500", "alpha", "cpuid"], ["1.000", "alpha", "io"], ["1.500", "beta", "hlt"]]
    lines = run("timeline", log, "--limit", "2", check=0).stdout.splitlines()[1:]
    assert [l.split()[2] for l in lines] == ["cpuid", "io"]


def test_timeline_guest_filter_and_unresumed_span_shown_as_dash(tmp_path):
    t = stream()
    t.record(START + 1000, START + 1100, CPUID, 0)
    t.record(START + 2000, 0, HLT, 1)
    lines = run("timeline", write(tmp_path, t), "--guest", "beta",
                check=0).stdout.splitlines()
    assert len(lines) == 2 and lines[1].split()[:4] == ["1.000", "beta", "hlt", "-"]


def test_timeline_of_main_data_has_one_line_per_record(main_log):
    lines = run("timeline", main_log, check=0).stdout.splitlines()
    assert len(lines) == 1001
    times = [float(l.split()[0]) for l in lines[1:]]
    assert times == sorted(times) and times[0] == 50.0


# --- chrome -----------------------------------------------------------------

@pytest.fixture(scope="module")
def chrome(main_log, tmp_path_factory):
    out = tmp_path_factory.mktemp("chrome") / "out.json"
    run("chrome", main_log, "-o", out, check=0)
    return json.loads(out.read_text())


def test_chrome_output_has_trace_events_with_one_x_event_per_record(chrome):
    ev = chrome["traceEvents"]
    xs = [e for e in ev if e["ph"] == "X"]
    assert len(xs) == 1000
    # one CPU: process 1 ("cpu 0"); a thread per guest, tid guest + 1 (never 0)
    assert all(e["pid"] == 1 and e["tid"] in (1, 2) for e in xs)
    assert {e["name"] for e in xs} == {"io", "cpuid", "wrmsr", "vmcall"}
    assert all(set(e["args"]) >= {"rip", "qual", "detail"} for e in xs)


def test_chrome_x_events_have_ts_and_dur_in_microseconds(chrome):
    xs = [e for e in chrome["traceEvents"] if e["ph"] == "X"]
    recs = main_records()
    for e, r in zip(xs, recs):
        assert e["ts"] == pytest.approx((r.tsc_exit - START) / 2000)
        assert e["dur"] == pytest.approx((r.tsc_resume - r.tsc_exit) / 2000)
        assert e["args"]["rip"] == "0x%x" % r.rip
    assert xs[0]["ts"] == pytest.approx(50.0)


def test_chrome_metadata_names_each_guest_thread_under_its_cpu(chrome):
    meta = [e for e in chrome["traceEvents"] if e["ph"] == "M"]
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in meta if e["name"] == "thread_name"}
    assert names == {(1, 1): "alpha", (1, 2): "beta"}
    procs = {e["pid"]: e["args"]["name"] for e in meta if e["name"] == "process_name"}
    assert procs == {1: "cpu 0"}


def test_chrome_without_output_option_writes_json_to_stdout(tmp_path):
    t = stream()
    t.record(START + 2000, START + 3000, IO, 0, detail_kind=tf.DETAIL_PORT,
             detail=te.io_detail(0x3f8, 1, False))
    doc = json.loads(run("chrome", write(tmp_path, t), check=0).stdout)
    (x,) = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert (x["ts"], x["dur"], x["args"]["detail"]) == (1.0, 0.5, "port 0x3f8 out 1")


# --- check ------------------------------------------------------------------

def check_errors(p):
    return [l for l in p.stdout.splitlines() if ": error: " in l]


def line_of(log, needle):
    for no, l in enumerate(Path(log).read_text().splitlines(), 1):
        if needle in l:
            return no
    raise AssertionError(needle)


def test_check_accepts_a_valid_stream(main_log):
    p = run("check", main_log, check=0)
    assert "ok: 1000 record(s), 2 guest(s), 0 not resumed" in p.stdout
    assert check_errors(p) == []


def test_check_counts_unresumed_records_without_error(tmp_path):
    t = stream()
    t.record(START + 10, 0, HLT, 0)
    t.end()
    p = run("check", write(tmp_path, t), check=0)
    assert "1 not resumed" in p.stdout


def test_check_rejects_bad_magic_naming_the_header_line(tmp_path):
    t = te.TraceStream().raw("hv: start").header(HZ, START, 1, magic=0x12345678)
    log = write(tmp_path, t)
    p = run("check", log, check=1)
    assert "%s:2: error: bad magic 0x12345678" % log in p.stdout


def test_check_rejects_wrong_version_and_record_size(tmp_path):
    log = write(tmp_path, te.TraceStream().header(HZ, START, 1, version=3))
    errs = check_errors(run("check", log, check=1))
    assert any("version 3, expected 2 (or 1)" in e for e in errs)
    log = write(tmp_path, te.TraceStream().header(HZ, START, 1, record_size=48))
    errs = check_errors(run("check", log, check=1))
    assert any("record_size 48, expected 56" in e for e in errs)
    p = run("report", log, check=2)
    assert "not a trace header of version 1 or 2" in p.stderr


def test_check_rejects_record_for_unknown_guest(tmp_path):
    t = stream()
    t.record(START + 10, START + 20, HLT, 1)
    t.record(START + 30, START + 40, HLT, 2)          # nguests is 2
    log = write(tmp_path, t)
    (e,) = check_errors(run("check", log, check=1))
    assert e.startswith("%s:%d: error: record for guest 2" % (log, line_of(log, "@T R")))


def test_check_rejects_resume_before_exit(tmp_path):
    t = stream(per_line=1)
    t.record(START + 10, START + 20, HLT, 0)
    t.record(START + 30, START + 25, HLT, 0)
    log = write(tmp_path, t)
    (e,) = check_errors(run("check", log, check=1))
    last_r = max(no for no, l in enumerate(log.read_text().splitlines(), 1)
                 if l.startswith("@T R"))
    assert e.startswith("%s:%d: error:" % (log, last_r)) and "tsc_resume" in e


def test_check_rejects_tsc_going_backwards_within_a_guest(tmp_path):
    t = stream(ncpus=2)
    t.record(START + 100, START + 110, HLT, 0, cpu=0)
    t.record(START + 50, START + 60, HLT, 1, cpu=1)    # other guest, other CPU: fine
    t.record(START + 90, START + 95, HLT, 0, cpu=0)    # guest 0 (and its CPU) go back
    errs = check_errors(run("check", write(tmp_path, t), check=1))
    assert len(errs) == 2
    assert any("cpu 0: TSC goes backwards" in e for e in errs)
    assert any("guest 0: TSC goes backwards" in e for e in errs)


def test_check_rejects_tsc_going_backwards_within_a_cpu(tmp_path):
    t = stream()
    t.record(START + 100, START + 110, HLT, 0)
    t.record(START + 50, START + 60, HLT, 1)           # same CPU, earlier exit
    log = write(tmp_path, t)
    (e,) = check_errors(run("check", log, check=1))
    assert e.startswith("%s:%d: error: cpu 0: TSC goes backwards, tsc_exit %d after %d"
                        % (log, line_of(log, "@T R"), START + 50, START + 100))


def test_check_rejects_truncated_last_line_with_its_line_number(tmp_path):
    text = main_stream().text()
    cut = text[:-30]                                    # E line cut, no newline
    log = write(tmp_path, cut)
    n = len(cut.splitlines())
    p = run("check", log, check=1)
    (e,) = check_errors(p)
    assert e.startswith("%s:%d: error:" % (log, n)) and "cut short" in e


def test_check_rejects_bad_base64(tmp_path):
    t = stream()
    t.raw("@T R not*base64!")
    log = write(tmp_path, t)
    (e,) = check_errors(run("check", log, check=1))
    assert e.startswith("%s:%d: error: bad base64" % (log, line_of(log, "not*base64")))


def test_check_rejects_payload_of_wrong_length(tmp_path):
    t = stream()
    t.raw(tf.format_line("R", b"\0" * 47))
    t.raw(tf.format_line("R", b"\0" * 48 * 9))
    t.raw(tf.format_line("L", b"\0" * 17))
    errs = check_errors(run("check", write(tmp_path, t), check=1))
    assert len(errs) == 3 and all("payload is" in e for e in errs)


def test_check_requires_exactly_one_header_first(tmp_path):
    t = te.TraceStream()
    t.guest_name(0, "alpha")
    t.header(HZ, START, 1)
    t.header(HZ, START, 1)
    errs = check_errors(run("check", write(tmp_path, t), check=1))
    assert any(":1: error: first trace line is N" in e for e in errs)
    assert any(":3: error: another H line" in e for e in errs)
    p = run("check", write(tmp_path, "plain log\n", "none.log"), check=1)
    assert "no H line" in p.stdout


# --- robustness: junk, log lines, truncation --------------------------------

def test_junk_and_ordinary_log_lines_are_ignored(tmp_path, main_log):
    clean = Path(main_log).read_text().splitlines()
    noisy = []
    for i, l in enumerate(clean):
        noisy.append(l)
        if i % 7 == 0:
            noisy.append("00000123456i[BOCHS ] noise @T R AAAA")   # "@T" not first
            noisy.append("hv: guest alpha: exit io port 0x3f8")
            noisy.append("hv: trace on, drained as @T lines")
            noisy.append("")
            noisy.append(" @T H " + clean[0][5:])                 # indented: not a trace line
    log = write(tmp_path, "\n".join(noisy) + "\n", "noisy.log")
    assert report_json(log) == report_json(main_log)
    p = run("check", log, check=0)
    notes = [l for l in p.stdout.splitlines() if "not at the start of the line" in l]
    # the Bochs line and the indented one; not the log line mentioning "@T lines"
    assert len(notes) == 2 * len(range(0, len(clean), 7))


def test_crlf_line_endings_are_accepted(tmp_path, main_log):
    log = write(tmp_path, Path(main_log).read_text().replace("\n", "\r\n"), "crlf.log")
    assert report_json(log) == report_json(main_log)


def test_decoder_does_not_crash_on_truncated_log_and_reports_the_line(tmp_path):
    text = main_stream(end=False).text()
    rlines = [i for i, l in enumerate(text.splitlines(), 1) if l.startswith("@T R")]
    cut = "\n".join(text.splitlines()[:rlines[-1]])[:-17]   # last R line cut
    log = write(tmp_path, cut, "cut.log")
    p = run("report", log, check=0)
    assert "cut.log:%d: " % rlines[-1] in p.stderr and "line skipped" in p.stderr
    assert "trace unfinished" in p.stdout
    for cmd in ("timeline", "chrome"):
        run(cmd, log, check=0)


def test_non_utf8_bytes_in_log_lines_are_ignored(tmp_path, main_log):
    data = b"\xff\xfe bochs \x80\n" + Path(main_log).read_bytes()
    log = tmp_path / "bin.log"
    log.write_bytes(data)
    assert report_json(log) == report_json(main_log)


# --- several CPUs: per-CPU rings merged by the hv ---------------------------

HELD = 3                    # the drain in which CPU 1's ring waits for a resume


def cpu_drains(recs, size=50):
    """The records as the hv's merge sends them, one list per drain: each
    drain's records in TSC order; in drain HELD, CPU 1 (beta's) stops at its
    first record, which goes out with the rest of CPU 1's in the next drain."""
    drains = [recs[i:i + size] for i in range(0, len(recs), size)]
    held = next(i for i, r in enumerate(drains[HELD]) if r.cpu == 1)
    late = [r for r in drains[HELD][held:] if r.cpu == 1]
    drains[HELD] = [r for r in drains[HELD] if r not in late]
    drains[HELD + 1] = sorted(late + drains[HELD + 1], key=lambda r: r.tsc_exit)
    return drains


def cpu_stream(end=True):
    """main_records on two CPUs, alpha on 0, beta on 1; 4 + 6 records dropped;
    tracer cost 30100 + 20400 ticks, max 400 and 350 (sums as in main_stream)."""
    t = stream(ncpus=2)
    t.raw("cpu0: hv: 2 guests configured")
    recs = [r._replace(cpu=r.guest) for r in main_records()]
    for i, d in enumerate(cpu_drains(recs)):
        t.records(d)
        t.flush()
        if i % 5 == 4:
            t.drop(1, cpu=0).drop(1, cpu=1) if i < 19 else t.drop(1, cpu=0).drop(3, cpu=1)
            t.lost(cpu=0).lost(cpu=1)
            t.raw("cpu1: [beta] console line %d" % i)
    if end:
        t.end(cost_tsc_sum=30100, cost_tsc_max=400, end_tsc=START + 1001 * STEP, cpu=0)
        t.end(cost_tsc_sum=20400, cost_tsc_max=350, end_tsc=START + 1001 * STEP, cpu=1)
    return t


@pytest.fixture(scope="module")
def cpu_log(tmp_path_factory):
    return cpu_stream().write(tmp_path_factory.mktemp("hvtrace_cpus") / "e9.log")


def test_cpu_stream_sends_a_record_of_cpu_1_after_younger_ones_of_cpu_0(cpu_log):
    """What the merge does across drains, and what the checks must accept."""
    recs = [r for l in Path(cpu_log).read_text().splitlines() if l.startswith("@T R")
            for r in tf.parse_line(l)[1]]
    assert len(recs) == 1000
    assert any(a.cpu == 0 and b.cpu == 1 and b.tsc_exit < a.tsc_exit
               for a, b in zip(recs, recs[1:]))
    for c in (0, 1):
        mine = [r for r in recs if r.cpu == c]
        assert [r.seq for r in mine] == list(range(len(mine)))
        assert [r.tsc_exit for r in mine] == sorted(r.tsc_exit for r in mine)


def test_check_accepts_the_per_cpu_stream(cpu_log):
    p = run("check", cpu_log, check=0)
    assert "ok: 1000 record(s), 2 guest(s), 0 not resumed, 2 CPU(s)" in p.stdout
    assert check_errors(p) == [] and ": note: " not in p.stdout


def test_report_json_of_two_cpus_has_the_one_cpu_figures_and_each_row_its_cpu(cpu_log, main_log):
    rows = report_json(cpu_log)
    assert {(r["guest"], r["cpu"]) for r in rows} == {("alpha", 0), ("beta", 1)}
    one = report_json(main_log)
    assert {r["cpu"] for r in one} == {0}

    def nocpu(rs):
        return [{k: v for k, v in r.items() if k != "cpu"} for r in rs]
    assert nocpu(rows) == nocpu(one)


def test_report_text_names_each_guest_cpu_and_a_per_cpu_section_that_sums(cpu_log):
    out = run("report", cpu_log, check=0).stdout
    assert out.startswith("trace %s: 2 guest(s) on 2 CPU(s), TSC 2.000 GHz" % cpu_log)
    assert "guest 0 alpha: 600 exit(s) on cpu 0\n" in out
    assert "guest 1 beta: 400 exit(s) on cpu 1\n" in out
    lines = out.splitlines()
    i = lines.index(next(l for l in lines if l.startswith("per CPU")))
    assert lines[i + 1].split() == ["cpu", "guests", "exits", "share", "total", "p50", "p99",
                                    "written", "lost", "cost/exit", "cost", "max"]
    assert lines[i + 2].split() == ["0", "alpha", "600", "60.0%", "9025000", "10000", "39400",
                                    "600", "4", "(0.7%)", "50.2", "400"]
    assert lines[i + 3].split() == ["1", "beta", "400", "40.0%", "766500", "1000", "5000",
                                    "400", "6", "(1.5%)", "51.0", "350"]
    assert lines[i + 4].split() == ["all", "1000", "100.0%", "9791500", "3850", "39300",
                                    "1000", "10", "(1.0%)", "50.5", "400"]
    assert "records: 1000 written, 10 lost (1.0%) over 2 CPU(s)" in out
    assert "tracer cost: mean 50.5 ticks per exit, max 400 (0.025 us, 0.200 us)" in out


def test_report_cpu_filter_keeps_only_that_cpu(cpu_log):
    rows = report_json(cpu_log, "--cpu", "1")
    assert {r["guest"] for r in rows} == {"beta"} and len(rows) == 2
    assert report_json(cpu_log, "--cpu", "cpu0") == report_json(cpu_log, "--guest", "alpha")


def test_report_without_end_lines_sums_the_last_l_line_of_each_cpu(tmp_path):
    out = run("report", write(tmp_path, cpu_stream(end=False)), check=0).stdout
    assert "trace unfinished: no E line" in out
    assert "records (last L line of each of 2 CPUs): 1000 written, 10 lost (1.0%)" in out


def test_timeline_of_two_cpus_has_a_cpu_column_and_is_in_tsc_order(cpu_log):
    lines = run("timeline", cpu_log, check=0).stdout.splitlines()
    assert lines[0].split() == ["time_us", "cpu", "guest", "reason", "span", "rip", "detail"]
    rows = [l.split() for l in lines[1:]]
    assert len(rows) == 1000
    assert [float(r[0]) for r in rows] == sorted(float(r[0]) for r in rows)
    assert all((r[1], r[2]) in (("0", "alpha"), ("1", "beta")) for r in rows)


def test_chrome_of_two_cpus_has_a_process_per_cpu_with_its_guests(cpu_log, tmp_path):
    out = tmp_path / "cpus.json"
    p = run("chrome", cpu_log, "-o", out, check=0)
    assert "1000 event(s) for 2 guest(s) on 2 CPU(s)" in p.stderr
    ev = json.loads(out.read_text())["traceEvents"]
    meta = [e for e in ev if e["ph"] == "M"]
    assert {e["pid"]: e["args"]["name"] for e in meta if e["name"] == "process_name"} == \
        {1: "cpu 0", 2: "cpu 1"}
    assert {(e["pid"], e["tid"]): e["args"]["name"] for e in meta
            if e["name"] == "thread_name"} == {(1, 1): "alpha", (2, 258): "beta"}
    xs = [e for e in ev if e["ph"] == "X"]
    assert sum(1 for e in xs if (e["pid"], e["tid"]) == (1, 1)) == 600
    assert sum(1 for e in xs if (e["pid"], e["tid"]) == (2, 258)) == 400


def cpu_check(tmp_path, build, status=1):
    """Runs check on a small two-CPU stream that build(t) fills in; returns (log, stdout)."""
    t = stream(ncpus=2)
    build(t)
    log = write(tmp_path, t)
    return log, run("check", log, check=status).stdout


def test_check_rejects_a_cpu_sequence_number_going_back(tmp_path):
    def build(t):
        t.record(START + 10, START + 20, HLT, 1, cpu=1, seq=4)
        t.record(START + 30, START + 40, HLT, 1, cpu=1, seq=3)
    log, out = cpu_check(tmp_path, build)
    assert "error: cpu 1: record 3 after record 4 (line %d): out of order" \
        % line_of(log, "@T R") in out


def test_check_notes_missing_sequence_numbers_as_lost_on_the_way(tmp_path):
    def build(t):
        t.record(START + 10, START + 20, HLT, 0, cpu=0, seq=0)
        t.record(START + 30, START + 40, HLT, 0, cpu=0, seq=1)
        t.record(START + 50, START + 60, HLT, 0, cpu=0, seq=4)
        t.end(cpu=0).end(cpu=1)
    log, out = cpu_check(tmp_path, build, status=0)
    assert "note: cpu 0: records 2..3 missing (2 lost between the hv and this log)" in out


def test_check_rejects_a_cpu_beyond_the_header_and_a_second_e_line(tmp_path):
    def build(t):
        t.record(START + 10, START + 20, HLT, 0, cpu=2)
        t.end(cpu=0).end(cpu=1).end(cpu=1).end(cpu=2)
    log, out = cpu_check(tmp_path, build)
    errs = [l.split(": error: ")[1] for l in out.splitlines() if ": error: " in l]
    assert errs == ["record of cpu 2, but the header says 2 CPU(s)",
                    "another E line of cpu 1 (the first is at line %d)" % (line_of(log, "@T E") + 1),
                    "E line of cpu 2, but the header says 2 CPU(s)"]


def test_check_notes_a_cpu_without_e_line_and_report_leaves_it_out(tmp_path):
    def build(t):
        t.record(START + 10, START + 20, HLT, 0, cpu=0)
        t.record(START + 30, START + 40, HLT, 1, cpu=1)
        t.end(cost_tsc_sum=70, cost_tsc_max=70, cpu=0)
    log, out = cpu_check(tmp_path, build, status=0)
    assert "note: no E line for cpu 1" in out
    rep = run("report", log, check=0).stdout
    assert "records: 1 written, 0 lost (0.0%) over 1 CPU(s)" in rep
    assert "note: no E line for cpu 1: its figures are not in these totals" in rep


def test_check_notes_a_guest_on_two_cpus(tmp_path):
    def build(t):
        t.record(START + 10, START + 20, HLT, 0, cpu=0)
        t.record(START + 30, START + 40, HLT, 0, cpu=1)
        t.end(cpu=0).end(cpu=1)
    log, out = cpu_check(tmp_path, build, status=0)
    assert "note: guest 0 alpha has records of 2 CPUs (0, 1): a guest runs on one" in out


def test_check_compares_each_cpu_e_line_with_its_records(tmp_path):
    def build(t):
        t.record(START + 10, START + 20, HLT, 0, cpu=0)
        t.end(cpu=0).end(cpu=1, written=3)
    log, out = cpu_check(tmp_path, build, status=0)
    assert "note: cpu 1: E line says 3 written, the log holds 0 record(s)" in out


# --- version 1: one CPU, before per-CPU rings -------------------------------

def test_version_1_stream_reads_as_the_same_data_on_cpu_0(tmp_path, main_log):
    """A log of the hv before per-CPU rings still decodes: same figures."""
    t = stream(version=1)
    t.raw("hv: 2 guests configured")
    for i, r in enumerate(main_records()):
        t.record(r)
        if i % 250 == 249:
            t.drop(2 if i < 999 else 4)
            t.lost()
    t.end(cost_tsc_sum=50500, cost_tsc_max=400, end_tsc=START + 1001 * STEP)
    log = write(tmp_path, t, "v1.log")
    assert "@T R" in log.read_text() and len(tf.parse_line(
        next(l for l in log.read_text().splitlines() if l.startswith("@T H")))[1][0]) == 9
    assert report_json(log) == report_json(main_log)
    assert run("report", log, check=0).stdout.replace("v1.log", "e9.log").splitlines()[1:] == \
        run("report", main_log, check=0).stdout.splitlines()[1:]
    p = run("check", log, check=0)
    assert "ok: 1000 record(s), 2 guest(s), 0 not resumed" in p.stdout
    assert "note: a version-1 stream (one CPU, records without seq): read as CPU 0" in p.stdout
