"""Encoder for the VM-exit trace wire format (include/trace.h).

Builds a valid `@T` line stream from Python objects, the way the hv writes
it: an H line, N lines for the guest and exit-reason names, R lines with up
to 8 records each, L lines, an E line per CPU. Used by
tests/system/test_hvtrace.py to make synthetic logs, and handy to
cross-check the hv's writer:

    import trace_encode as te
    t = te.TraceStream(tsc_hz=2_000_000_000, start_tsc=1000, nguests=1)
    t.guest_name(0, "linux")
    t.reason_names()                      # every name in include/exit_reasons.h
    t.record(tsc_exit=2000, tsc_resume=2500, reason=30, guest=0,
             detail_kind=te.DETAIL_PORT, detail=te.io_detail(0x3f8, 1, False))
    t.end(cost_tsc_sum=40, cost_tsc_max=40, end_tsc=9000)
    text = t.text()                       # log text, one line each

Fields not given default to 0 (cpu too); a record's seq defaults to its
CPU's next sequence number, as the hv numbers them; the written/lost totals
of L and E lines default to what the stream has recorded so far for their
CPU. `TraceStream(version=1)` writes the single-CPU format of version 1
(no seq, no CPU fields; header without ncpus).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

from tracefmt import (  # noqa: E402  (re-exported for callers)
    TRACE_MAGIC, TRACE_VERSION, RECORD, MAX_RECORDS_PER_LINE,
    NAME_GUEST, NAME_REASON, REASON_ENTRY_FAIL,
    DETAIL_NONE, DETAIL_PORT, DETAIL_MSR, DETAIL_LEAF, DETAIL_GPA,
    DETAIL_HCALL, DETAIL_VECTOR,
    Header, Name, Record, Lost, End, pack, kind_of, format_line,
)
from tracefmt import record_size as version_record_size  # noqa: E402

EXIT_REASONS_H = os.path.join(os.path.dirname(os.path.realpath(__file__)),
                              "..", "include", "exit_reasons.h")


def exit_reason_names(path=EXIT_REASONS_H):
    """{basic reason: name} from the X-macro list in include/exit_reasons.h."""
    with open(path) as f:
        text = f.read()
    return {int(num): name for num, name in
            re.findall(r'X\(\s*(\d+)\s*,\s*\w+\s*,\s*"([^"]+)"\s*\)', text)}


def io_detail(port, size, is_in):
    """Detail word of an I/O exit: port | size << 16 | in << 24."""
    return (port & 0xFFFF) | (size & 0xFF) << 16 | (1 if is_in else 0) << 24


def leaf_detail(leaf, subleaf=0):
    """Detail word of a CPUID exit: leaf | subleaf << 32."""
    return (leaf & 0xFFFFFFFF) | (subleaf & 0xFFFFFFFF) << 32


def header(tsc_hz, start_tsc, nguests, ring_records=1024, ncpus=1, magic=TRACE_MAGIC,
           version=TRACE_VERSION, record_size=None):
    if record_size is None:
        record_size = version_record_size(version) or RECORD.size
    return Header(magic, version, record_size, tsc_hz, start_tsc, nguests,
                  ring_records, ncpus, 0)


def name(kind, id, text):
    return Name(kind, id, text)


def record(tsc_exit, tsc_resume, reason, guest, qual=0, rip=0, detail=0,
           vcpu=0, detail_kind=DETAIL_NONE, resume_kind=0, seq=None, cpu=0):
    return Record(tsc_exit, tsc_resume, qual, rip, detail, reason, guest,
                  vcpu, detail_kind, resume_kind, seq, cpu, 0)


def lost(lost, written, cpu=0):
    return Lost(lost, written, cpu, 0)


def end(written, lost, cost_tsc_sum, cost_tsc_max, end_tsc, cpu=0):
    return End(written, lost, cost_tsc_sum, cost_tsc_max, end_tsc, cpu, 0)


def line(obj, version=TRACE_VERSION):
    """The trace line for one struct (a Record gets an R line of its own)."""
    return format_line(kind_of(obj), pack(obj, version))


def record_line(records, version=TRACE_VERSION):
    """One R line holding 1..8 records."""
    records = list(records)
    if not 1 <= len(records) <= MAX_RECORDS_PER_LINE:
        raise ValueError("an R line holds 1..%d records, not %d"
                         % (MAX_RECORDS_PER_LINE, len(records)))
    return format_line("R", b"".join(pack(r, version) for r in records))


class TraceStream:
    """Accumulates trace lines (and, if wanted, ordinary log lines) in order.

    Records are buffered and written as R lines of up to `per_line` records
    when the buffer fills or any other line is added (flush()). Records of
    every CPU share the buffer, as the hv's merge puts them in one line.
    Lines are packed in the layout of `version` (the header's too)."""

    def __init__(self, tsc_hz=None, start_tsc=0, nguests=1, ring_records=1024,
                 per_line=MAX_RECORDS_PER_LINE, version=TRACE_VERSION, **header_kw):
        if not 1 <= per_line <= MAX_RECORDS_PER_LINE:
            raise ValueError("per_line must be 1..%d" % MAX_RECORDS_PER_LINE)
        self.lines = []
        self.pending = []
        self.per_line = per_line
        self.version = version
        self.written_by = {}            # cpu -> records written
        self.dropped_by = {}            # cpu -> records dropped
        if tsc_hz is not None:
            self.header(tsc_hz, start_tsc, nguests, ring_records, **header_kw)

    @property
    def written(self):
        return sum(self.written_by.values())

    @property
    def dropped(self):
        return sum(self.dropped_by.values())

    # Lines of every kind.
    def raw(self, text):
        """Any line as is: a log line, junk, a hand-made broken trace line."""
        self.flush()
        self.lines.append(text)
        return self

    def header(self, tsc_hz, start_tsc, nguests, ring_records=1024, **kw):
        kw.setdefault("version", self.version)
        return self.raw(line(header(tsc_hz, start_tsc, nguests, ring_records, **kw),
                             self.version))

    def guest_name(self, index, text):
        return self.raw(line(name(NAME_GUEST, index, text), self.version))

    def reason_name(self, reason, text):
        return self.raw(line(name(NAME_REASON, reason, text), self.version))

    def reason_names(self, names=None):
        """N lines for every reason in `names` ({id: name}; default: the hv's
        table in include/exit_reasons.h)."""
        for rid, text in sorted((names or exit_reason_names()).items()):
            self.reason_name(rid, text)
        return self

    def record(self, *args, **kw):
        """Appends one record (arguments as for record()); a seq of None
        becomes its CPU's next sequence number."""
        rec = args[0] if args and isinstance(args[0], Record) else record(*args, **kw)
        n = self.written_by.get(rec.cpu, 0)
        if rec.seq is None:
            rec = rec._replace(seq=n & 0xFFFFFFFF)
        self.pending.append(rec)
        self.written_by[rec.cpu] = n + 1
        if len(self.pending) == self.per_line:
            self.flush()
        return self

    def records(self, recs):
        for r in recs:
            self.record(r)
        return self

    def drop(self, n=1, cpu=0):
        """Counts records cpu's ring dropped (they appear only in L/E totals)."""
        self.dropped_by[cpu] = self.dropped_by.get(cpu, 0) + n
        return self

    def flush(self):
        if self.pending:
            pending, self.pending = self.pending, []
            self.lines.append(record_line(pending, self.version))
        return self

    def lost(self, lost=None, written=None, cpu=0):
        """cpu's L line: its totals so far unless given."""
        return self.raw(line(Lost(self.dropped_by.get(cpu, 0) if lost is None else lost,
                                  self.written_by.get(cpu, 0) if written is None else written,
                                  cpu, 0), self.version))

    def end(self, cost_tsc_sum=0, cost_tsc_max=0, end_tsc=0, written=None,
            lost=None, cpu=0):
        """cpu's E line: its totals so far unless given."""
        return self.raw(line(End(self.written_by.get(cpu, 0) if written is None else written,
                                 self.dropped_by.get(cpu, 0) if lost is None else lost,
                                 cost_tsc_sum, cost_tsc_max, end_tsc, cpu, 0), self.version))

    def text(self):
        self.flush()
        return "".join(l + "\n" for l in self.lines)

    def write(self, path):
        with open(path, "w") as f:
            f.write(self.text())
        return path
