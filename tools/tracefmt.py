"""VM-exit trace wire format, as in include/trace.h: one place for the struct
layouts, shared by tools/hvtrace (decoder) and tools/trace_encode.py (encoder).

A trace line is `@T <kind> <base64 payload>`; the payload is one packed,
little-endian C struct (H, N, L, E) or 1..8 records back to back (R).

Version 2 (per-CPU rings) is what the hv writes. Version 1 (one CPU, before
the hv ran on several) is still decoded: its record is the first 48 bytes
of version 2's, so a version-1 record reads as one of CPU 0 without a
sequence number (seq None); its header has no ncpus (1), its L and E lines
no CPU (0). The H line's length says which layout it has; the R, L and E
lines are read with the layout of the stream's H line (parse_line's
`version`).
"""
import base64
import binascii
import struct
from collections import namedtuple

TRACE_MAGIC = 0x45435254          # "TRCE"
TRACE_VERSION = 2
VERSIONS = (1, 2)                 # what the decoder reads
LINE_PREFIX = "@T "
MAX_RECORDS_PER_LINE = 8

NAME_GUEST = 1                    # enum trace_name_kind
NAME_REASON = 2

DETAIL_NONE = 0                   # enum trace_detail
DETAIL_PORT = 1
DETAIL_MSR = 2
DETAIL_LEAF = 3
DETAIL_GPA = 4
DETAIL_HCALL = 5
DETAIL_VECTOR = 6

RESUMED = 0                       # enum trace_resume_kind
NOT_RESUMED = 1
DRAINED_EARLY = 2

REASON_BASIC_MASK = 0xFFFF        # basic exit reason in 15:0
REASON_ENTRY_FAIL = 1 << 31       # VM-entry failure

# Version 2 (include/trace.h).
# struct trace_header: magic, version, record_size, tsc_hz, start_tsc,
#                      nguests, ring_records, ncpus, reserved
HEADER = struct.Struct("<IHHQQIIII")
# struct trace_name: kind, id, name[28]
NAME = struct.Struct("<HH28s")
# struct trace_record: tsc_exit, tsc_resume, qual, rip, detail, reason,
#                      guest, vcpu, detail_kind, resume_kind, seq, cpu, reserved
RECORD = struct.Struct("<QQQQQIBBBBIHH")
# struct trace_lost: lost, written, cpu, reserved
LOST = struct.Struct("<QQII")
# struct trace_end: written, lost, cost_tsc_sum, cost_tsc_max, end_tsc, cpu, reserved
END = struct.Struct("<QQQQQII")

assert (HEADER.size, NAME.size, RECORD.size, LOST.size, END.size) == \
    (40, 32, 56, 24, 48)

# Version 1: each a prefix of version 2's fields.
HEADER_V1 = struct.Struct("<IHHQQII")
RECORD_V1 = struct.Struct("<QQQQQIBBBB")
LOST_V1 = struct.Struct("<QQ")
END_V1 = struct.Struct("<QQQQQ")

Header = namedtuple("Header", "magic version record_size tsc_hz start_tsc "
                    "nguests ring_records ncpus reserved", defaults=(1, 0))
Name = namedtuple("Name", "kind id name")
Record = namedtuple("Record", "tsc_exit tsc_resume qual rip detail reason "
                    "guest vcpu detail_kind resume_kind seq cpu reserved",
                    defaults=(0, 0, 0))
Lost = namedtuple("Lost", "lost written cpu reserved", defaults=(0, 0))
End = namedtuple("End", "written lost cost_tsc_sum cost_tsc_max end_tsc cpu "
                 "reserved", defaults=(0, 0))

# Line kind -> (struct by version, namedtuple, what version 1 lacks).
KINDS = {
    "H": ({1: HEADER_V1, 2: HEADER}, Header, {"ncpus": 1, "reserved": 0}),
    "N": ({1: NAME, 2: NAME}, Name, {}),
    "R": ({1: RECORD_V1, 2: RECORD}, Record, {"seq": None, "cpu": 0, "reserved": 0}),
    "L": ({1: LOST_V1, 2: LOST}, Lost, {"cpu": 0, "reserved": 0}),
    "E": ({1: END_V1, 2: END}, End, {"cpu": 0, "reserved": 0}),
}


def record_size(version):
    """Bytes of a record in a stream of this version (None if unknown)."""
    return {1: RECORD_V1.size, 2: RECORD.size}.get(version)


class TraceFormatError(ValueError):
    """A trace line that cannot be decoded (bad kind, base64 or length)."""


def _nfields(st):
    return len(st.unpack(bytes(st.size)))


def _layout(kind, version):
    structs, cls, _ = KINDS[kind]
    return structs.get(version, structs[TRACE_VERSION]), cls


# --- packing (encoder side) -------------------------------------------------

def pack(obj, version=TRACE_VERSION):
    """Packs one Header/Name/Record/Lost/End namedtuple into its wire bytes
    (version 1: the fields that version has)."""
    for kind, (structs, cls, _) in KINDS.items():
        if isinstance(obj, cls):
            st = structs.get(version, structs[TRACE_VERSION])
            if cls is Name:
                raw = obj.name.encode() if isinstance(obj.name, str) else obj.name
                if len(raw) > 28:
                    raise ValueError("name longer than 28 bytes: %r" % obj.name)
                return st.pack(obj.kind, obj.id, raw)
            fields = list(obj)[:_nfields(st)]
            return st.pack(*[0 if f is None else f for f in fields])
    raise TypeError("not a trace struct: %r" % (obj,))


def kind_of(obj):
    for kind, (_, cls, _) in KINDS.items():
        if isinstance(obj, cls):
            return kind
    raise TypeError("not a trace struct: %r" % (obj,))


def format_line(kind, payload):
    """Returns the text of one trace line (no newline)."""
    return "%s%s %s" % (LINE_PREFIX, kind, base64.b64encode(payload).decode("ascii"))


# --- unpacking (decoder side) -----------------------------------------------

def name_text(raw):
    """The C string in a NUL-padded char[28]."""
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")


def _make(kind, values):
    """The namedtuple of `kind` from a layout's values; fields the layout lacks
    (version 1) take their version-1 meaning."""
    _, cls, missing = KINDS[kind]
    return cls._make(values + tuple(missing[f] for f in cls._fields[len(values):]))


def decode_payload(kind, payload, version=TRACE_VERSION):
    """Returns the list of namedtuples a payload of line kind `kind` holds,
    read with the layout of `version` (H lines: by their length). Raises
    TraceFormatError when the length does not fit the kind."""
    if kind not in KINDS:
        raise TraceFormatError("unknown line kind %r" % kind)
    n = len(payload)
    if kind == "H":
        st = {HEADER.size: HEADER, HEADER_V1.size: HEADER_V1}.get(n)
        if st is None:
            raise TraceFormatError("H payload is %d bytes, expected %d (%d in version 1)"
                                   % (n, HEADER.size, HEADER_V1.size))
        return [_make(kind, st.unpack(payload))]
    st, cls = _layout(kind, version)
    if kind == "R":
        if n == 0 or n % st.size or n // st.size > MAX_RECORDS_PER_LINE:
            raise TraceFormatError(
                "R payload is %d bytes, not 1..%d records of %d bytes"
                % (n, MAX_RECORDS_PER_LINE, st.size))
        return [_make(kind, t) for t in st.iter_unpack(payload)]
    if n != st.size:
        raise TraceFormatError("%s payload is %d bytes, expected %d"
                               % (kind, n, st.size))
    obj = _make(kind, st.unpack(payload))
    if cls is Name:
        obj = obj._replace(name=name_text(obj.name))
    return [obj]


def parse_line(line, version=TRACE_VERSION):
    """Decodes the text of one trace line (starting with LINE_PREFIX, trailing
    whitespace allowed) with the layout of `version`, the stream's (from its H
    line). Returns (kind, [objects]); raises TraceFormatError."""
    body = line[len(LINE_PREFIX):].rstrip()
    kind, sep, text = body.partition(" ")
    if len(kind) != 1 or kind not in KINDS:
        raise TraceFormatError("unknown line kind %r" % kind)
    if not sep or not text:
        raise TraceFormatError("%s line without payload" % kind)
    try:
        payload = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise TraceFormatError("bad base64 (%s)" % e) from None
    return kind, decode_payload(kind, payload, version)
