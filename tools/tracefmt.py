"""VM-exit trace wire format, as in include/trace.h: one place for the struct
layouts, shared by tools/hvtrace (decoder) and tools/trace_encode.py (encoder).

A trace line is `@T <kind> <base64 payload>`; the payload is one packed,
little-endian C struct (H, N, L, E) or 1..8 records back to back (R).
"""
import base64
import binascii
import struct
from collections import namedtuple

TRACE_MAGIC = 0x45435254          # "TRCE"
TRACE_VERSION = 1
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

REASON_BASIC_MASK = 0xFFFF        # basic exit reason in 15:0
REASON_ENTRY_FAIL = 1 << 31       # VM-entry failure

# struct trace_header: magic, version, record_size, tsc_hz, start_tsc,
#                      nguests, ring_records
HEADER = struct.Struct("<IHHQQII")
# struct trace_name: kind, id, name[28]
NAME = struct.Struct("<HH28s")
# struct trace_record: tsc_exit, tsc_resume, qual, rip, detail, reason,
#                      guest, vcpu, detail_kind, resume_kind
RECORD = struct.Struct("<QQQQQIBBBB")
# struct trace_lost: lost, written
LOST = struct.Struct("<QQ")
# struct trace_end: written, lost, cost_tsc_sum, cost_tsc_max, end_tsc
END = struct.Struct("<QQQQQ")

assert (HEADER.size, NAME.size, RECORD.size, LOST.size, END.size) == \
    (32, 32, 48, 16, 40)

Header = namedtuple("Header", "magic version record_size tsc_hz start_tsc "
                    "nguests ring_records")
Name = namedtuple("Name", "kind id name")
Record = namedtuple("Record", "tsc_exit tsc_resume qual rip detail reason "
                    "guest vcpu detail_kind resume_kind")
Lost = namedtuple("Lost", "lost written")
End = namedtuple("End", "written lost cost_tsc_sum cost_tsc_max end_tsc")

# Line kind -> (struct, namedtuple).
KINDS = {
    "H": (HEADER, Header),
    "N": (NAME, Name),
    "R": (RECORD, Record),
    "L": (LOST, Lost),
    "E": (END, End),
}


class TraceFormatError(ValueError):
    """A trace line that cannot be decoded (bad kind, base64 or length)."""


# --- packing (encoder side) -------------------------------------------------

def pack(obj):
    """Packs one Header/Name/Record/Lost/End namedtuple into its wire bytes."""
    for st, cls in KINDS.values():
        if isinstance(obj, cls):
            if cls is Name:
                raw = obj.name.encode() if isinstance(obj.name, str) else obj.name
                if len(raw) > 28:
                    raise ValueError("name longer than 28 bytes: %r" % obj.name)
                return st.pack(obj.kind, obj.id, raw)
            return st.pack(*obj)
    raise TypeError("not a trace struct: %r" % (obj,))


def kind_of(obj):
    for kind, (_, cls) in KINDS.items():
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


def decode_payload(kind, payload):
    """Returns the list of namedtuples a payload of line kind `kind` holds.
    Raises TraceFormatError when the length does not fit the kind."""
    if kind not in KINDS:
        raise TraceFormatError("unknown line kind %r" % kind)
    st, cls = KINDS[kind]
    n = len(payload)
    if kind == "R":
        if n == 0 or n % st.size or n // st.size > MAX_RECORDS_PER_LINE:
            raise TraceFormatError(
                "R payload is %d bytes, not 1..%d records of %d bytes"
                % (n, MAX_RECORDS_PER_LINE, st.size))
        return [cls._make(t) for t in st.iter_unpack(payload)]
    if n != st.size:
        raise TraceFormatError("%s payload is %d bytes, expected %d"
                               % (kind, n, st.size))
    obj = cls._make(st.unpack(payload))
    if cls is Name:
        obj = obj._replace(name=name_text(obj.name))
    return [obj]


def parse_line(line):
    """Decodes the text of one trace line (starting with LINE_PREFIX, trailing
    whitespace allowed). Returns (kind, [objects]); raises TraceFormatError."""
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
    return kind, decode_payload(kind, payload)
