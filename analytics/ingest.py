"""Reading an event export (CSV or CSV.gz) into a dataset's events table.

DuckDB reads the file itself. The steps, each a set-based query:

1. *Look* at the first bytes: refuse empty and binary files, detect gzip (by its magic bytes, so
   that a gzip file named .csv is read too) and the encoding (UTF-16 by its byte-order mark, else
   UTF-8 when the start decodes as UTF-8, else Windows-1252 when it holds a byte of 0x80-0x9F, else
   Latin-1; see :func:`detect_encoding`).
2. *Detect* the delimiter from the header line (the first line; see :func:`detect_delimiter`);
   fields are quoted with double quotes, as every common export does. A first line ``sep=;``, which
   Excel writes and hides, names the delimiter and is skipped (see :func:`excel_delimiter`).
3. *Parse* the file in one pass, every cell read as text (``read_csv`` with every column VARCHAR)
   and the mapped columns turned into canonical types, into a temporary table. The source text is
   not kept: at 10 million events a staged text copy beside the parsed rows pressed on the 2 GB
   memory limit (that ingest took 15.6-16.1 s under it and 14.3 s with 8 GB; this one takes
   14.3-14.6 s under 2 GB, side by side on a quiet machine). Lines with the wrong number of fields
   are refused through DuckDB's rejects table, with their line numbers. A row that cannot be used
   is refused with one reason (the first that applies, in the order of :data:`REASONS`).
4. *Refuse duplicates*: exact duplicates of an earlier usable row (every source column equal), as
   a repeated line would count the same money twice: rows whose hash of the source columns and
   whose every parsed column are equal (see :func:`_mark_duplicates`).
5. *Store* the usable rows as ``events_<id>``, each customer as a dense integer key listed in
   ``customers_<id>``, in one transaction with the dataset's catalogue row (see
   :mod:`analytics.workspace`): a failure leaves nothing behind.

Encodings read past the first bytes: a file whose first MiB is plain ASCII but that is not UTF-8 further
on (DuckDB puts those lines in its rejects table as 'INVALID ENCODING') is read again as Latin-1, and a
Latin-1 file that holds a byte of 0x80-0x9F (which DuckDB's Latin-1 refuses) as Windows-1252; the
report's encoding says which was used. A file whose first bytes already hold UTF-8 characters stays
UTF-8 (reading it as Latin-1 would garble those), and its lines that are not UTF-8 are refused with
their own reason. DuckDB reads no Windows-1252 (its 'encodings' extension is downloaded, and the
app may run offline): such a file is copied to a temporary UTF-8 file first (see :func:`_utf8_copy`,
removed whatever happens), in Python, 1 MiB at a time: the copy of a 105 MB file (1.87 million rows
with accents, euro signs and curly quotes) took 0.40-0.82 s on a busy two-CPU machine, on top of its
ingest (5-10 s there), and needs as much free temporary disk space as the file holds (TMPDIR). UTF-8
and Latin-1 files are not copied.

Rows in the report are numbered as a spreadsheet numbers them: the header is row 1, the first data
row row 2, the malformed lines included; an Excel ``sep=`` line above the header is not counted, as
Excel does not show it. A field with a line break inside quotes is one row (DuckDB
counts its rejected lines the same way), so a text editor's line numbers run ahead of them after it.
Reports stored before this numbering are renumbered when read (:func:`numbered_as_sheet`).

Numbers (revenue, satisfaction) are read with the file's decimal mark, a point (1,234.50) or a comma
(1.234,50): the one the mapping names, else the one that the first :data:`HEAD_ROWS` rows show, in the
same small read that looks at their timestamps. A cell that reads with one mark only (``12,50``,
``1.234,5``; ``12.5``, ``1,234.50``) is evidence for it, one that reads both ways (``1.500``, ``1,500``)
for neither; the revenue column decides, then satisfaction; without evidence a semicolon-separated file
takes the comma (European Excel writes both), any other the point (see :func:`choose_decimal_mark`).
Under either mark the reading is strict (:func:`_number`): the other mark is accepted only as a
thousands separator in groups of three, so a number is never read as another (``1.5`` under a comma
is refused, not 15). The report says which mark was used and why.

Timestamps: ISO 8601 (date-only, with a time, with an offset converted to UTC, the offset also after
a space) or the format of :data:`DATE_FORMATS` that reads most of a sample of the file's timestamps
(ISO first on ties), counting only plausible times (1990-01-01 to a day after now), so that 1/20/26 is
read with %m/%d/%y and not %m/%d/%Y as the year 26; US times with AM/PM are among the formats, and a column
of 9-10 or 12-13 digit whole numbers reads as Unix seconds or milliseconds (:data:`EPOCHS`). When the first :data:`HEAD_ROWS` rows all read as ISO 8601, the file is parsed
so at once, and the formats are compared only if a filled cell further down does not read (or none
is filled), the file then being parsed again if another format wins; otherwise they are compared
before the parse. A file that mixes a date-only and a date-and-time form of the same order (23/06/2025
and 14/02/2025 10:30) is read in both, the date-only form as midnight: the formats are then written
joined by " or " (``%d/%m/%Y %H:%M or %d/%m/%Y``), and tried in turn. A slash date that reads both
day-first and month-first on every row (no day above 12 anywhere) is refused with a request to name
the format, never guessed. Rows that do not read in the format most rows use are refused (mixed
formats), as are timestamps before 1990-01-01 and more than a day after the upload. A date format
given by the user must use % codes (``dd/mm/yyyy`` reads no date: it is refused with an example);
one typed without a time reads the same dates with a time after them too (:func:`with_times`).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import gzip
import os
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics.db import quote_ident
from analytics.errors import BadUpload, MappingError
from analytics.mapping import Mapping, check_mapping, suggest_mapping
from analytics.stagemap import UNMAPPED, StageMap

HEAD_BYTES = 1 << 20
# The largest file accepted, uncompressed, in MiB: big enough for 100 million events; set
# JOURNEY_LEDGER_MAX_FILE_MB to change it. The upload page has its own, smaller limit.
MAX_FILE_MB = int(os.environ.get("JOURNEY_LEDGER_MAX_FILE_MB", 16 * 1024))
# A gzip file that expands more than this many times in its first part is refused as a
# compression bomb; CSV exports compress 3 to 20 times.
MAX_GZIP_RATIO = 200
BOMB_PROBE_BYTES = 64 << 20
DATE_SAMPLE = 20_000  # timestamp cells on which the formats are tried
HEAD_ROWS = 1_000  # the first rows whose timestamps say whether the file is ISO 8601 before it is parsed
MIN_TIMESTAMP = "1990-01-01"
EXAMPLES = 5
REVENUE_TYPE = "DECIMAL(18,4)"

POINT, COMMA = ".", ","
# How the report writes each decimal mark, with an example number in its style.
DECIMAL_MARKS = {POINT: "a decimal point (1,234.50)", COMMA: "a decimal comma (1.234,50)"}


def revenue_fix(mark: str) -> str:
    """What to do about revenue cells that are not numbers, read with the decimal ``mark``: the other mark
    is named, as a wrong one refuses most rows."""
    if mark == COMMA:
        return ("write plain numbers such as 1234,50; if the file writes its numbers as 1,234.50, set the decimal "
                "mark to point (in the mapping, or --decimal-mark . on the command line)")
    return ("write plain numbers such as 1234.50; if the file writes its numbers as 1.234,50, set the decimal "
            "mark to comma (in the mapping, or --decimal-mark , on the command line)")


# (code, what the report says, how to fix it), in the order a row's reason is chosen; a revenue that is not
# a number is told of the mark it was read with (:func:`revenue_fix`; a report stored before marks: a point)
REASONS = (
    ("malformed", "wrong number of fields", "check the quoting and delimiters on those rows"),
    ("bad_encoding", "text not in the file's encoding (UTF-8)", "save the whole file as UTF-8 and upload it again"),
    ("missing_customer", "no customer id", "fill in who the customer is, or remove the rows"),
    ("bad_timestamp", "timestamp not readable", "write the dates like the other rows (ISO 8601 is safest)"),
    ("too_early", "timestamp before 1990-01-01", "correct the dates; events before 1990 are taken as errors"),
    ("in_future", "timestamp in the future", "correct the dates or the time zone"),
    ("missing_event", "no event", "fill in what happened, or map event to a constant"),
    ("bad_revenue", "revenue not a number", revenue_fix(POINT)),
    ("duplicate", "exact duplicate of an earlier row", "nothing, if the export repeats lines by mistake"),
)
REASON_LABEL = {code: label for code, label, _ in REASONS}
REASON_FIX = {code: fix for code, _, fix in REASONS}

# Non-ISO timestamp formats tried when ISO 8601 does not read. Day-first and month-first forms
# are paired so that an ambiguous column can be recognised and refused. Two-digit years (%y) are
# tried too: %Y reads '26' as the year 26, which only the plausible years of detect_date_format
# tell apart. The times: 24-hour, and 12-hour with AM/PM (1/3/2026 1:05:00 PM, as US exports write).
_TIMES = (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", "")
DATE_FORMATS = (
    *(day + time for time in _TIMES for day in ("%d/%m/%Y", "%m/%d/%Y")),
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    *(day + time for time in _TIMES for day in ("%d/%m/%y", "%m/%d/%y")),
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d",
)
SWAPPED = {day + time: f"%m/%d/%{year}{time}" for time in _TIMES for year in "Yy" for day in [f"%d/%m/%{year}"]}
SWAPPED.update({v: k for k, v in SWAPPED.items()})
ISO = "ISO 8601"
# Unix timestamps: whole numbers of seconds (9-10 digits: 1973-2286) or milliseconds (12-13 digits)
# since 1970-01-01 UTC, each as (the digits it reads, microseconds per unit). Typed as the date format
# by these names, or %s for seconds (which DuckDB's strptime does not know).
UNIX_SECONDS, UNIX_MILLISECONDS = "Unix seconds", "Unix milliseconds"
EPOCHS = {UNIX_SECONDS: ("[0-9]{9,10}", 1_000_000), UNIX_MILLISECONDS: ("[0-9]{12,13}", 1_000)}
EPOCH_NAMES = {"%s": UNIX_SECONDS, UNIX_SECONDS.lower(): UNIX_SECONDS, UNIX_MILLISECONDS.lower(): UNIX_MILLISECONDS}


def named_date_format(fmt: str) -> str:
    """A typed date format as the ingest names it: ``%s``, ``unix seconds`` (any case) become
    :data:`UNIX_SECONDS`, ``unix milliseconds`` :data:`UNIX_MILLISECONDS`; any other is itself."""
    return EPOCH_NAMES.get(" ".join(fmt.split()).lower(), fmt)
# Several formats tried in turn, written joined by this: the forms of one date order with and without a
# time (the date part of each form of DATE_FORMATS is what comes before its first space).
ONE_OF = " or "
FAMILIES = {day: tuple(f for f in DATE_FORMATS if f.split(" ")[0] == day)
            for day in dict.fromkeys(f.split(" ")[0] for f in DATE_FORMATS)}


def swapped(fmt: str) -> str | None:
    """The month-first reading of a day-first format (and back), also of formats joined by :data:`ONE_OF`;
    None for a format that has no such twin."""
    parts = fmt.split(ONE_OF)
    return ONE_OF.join(SWAPPED[f] for f in parts) if all(f in SWAPPED for f in parts) else None


TIME_CODES = ("%H", "%I", "%M", "%S", "%T", "%X", "%c", "%p", "%f", "%z", "%Z")


def with_times(fmt: str) -> str | None:
    """A date format typed without a time (``%d/%m/%Y``) widened to read the same dates with a time after
    them too (``%d/%m/%Y or %d/%m/%Y %H:%M:%S or %d/%m/%Y %H:%M``), a date alone as midnight; None for a
    format that has a time code or is already joined."""
    if ONE_OF in fmt or fmt in EPOCHS or any(code in fmt for code in TIME_CODES):
        return None
    return ONE_OF.join([fmt, f"{fmt} %H:%M:%S", f"{fmt} %H:%M"])


def date_format_problem(fmt: str) -> str | None:
    """What is wrong with a date format typed by the user, before anything is read: a format without a
    % code (``dd/mm/yyyy``, a natural try) reads no date at all, and every row would be refused as
    'timestamp not readable'. None when it may be right (DuckDB then says whether it is valid), and for
    Unix timestamps (:func:`named_date_format`)."""
    if named_date_format(fmt) in EPOCHS:
        return None
    if any("%" not in part for part in fmt.split(ONE_OF)):
        return (f"The date format {fmt!r} has no % codes, so it reads no date; write it with them, such as "
                "%d/%m/%Y for 23/06/2025, or %d/%m/%Y %H:%M for 23/06/2025 14:05 (Unix seconds for 1767398400).")
    return None


@dataclass(frozen=True)
class FileInfo:
    """What the first look at a file found."""

    path: Path
    label: str  # the file name shown to the user
    encoding: str  # as DuckDB's read_csv names it, or WINDOWS_1252 (read through a UTF-8 copy)
    delimiter: str
    quote: str
    escape: str
    columns: list[str]
    compression: str = "none"  # "gzip" when the file starts with gzip's magic bytes, whatever its name
    skip: int = 0  # lines before the header: 1 for Excel's "sep=;" line (see :func:`excel_delimiter`)
    # whether the first bytes hold UTF-8 characters beyond ASCII: the file is then UTF-8 for sure,
    # and a line further on that is not is refused rather than the whole file read as Latin-1
    utf8_seen: bool = False
    transcoded: Path | None = None  # the UTF-8 copy of a Windows-1252 file that DuckDB reads (see _utf8_copy)

    def read_csv_args(self) -> tuple[str, list]:
        """``read_csv`` named arguments (as SQL with ``?``) and their values: every column as text.

        Nothing is sniffed from the rows (``auto_detect = false``): the dialect and the columns
        come from :func:`inspect_file`, so odd rows are refused one by one instead of derailing
        the whole read. The compression too: DuckDB would go by the file's name, and read a gzip
        file named .csv as text.
        """
        args = (
            "auto_detect = false, encoding = ?, delim = ?, quote = ?, escape = ?, header = true, "
            "columns = ?, compression = ?, skip = ?"
        )
        if self.transcoded is not None:  # the UTF-8 copy, never compressed
            return args, [UTF_8, self.delimiter, self.quote, self.escape, {c: "VARCHAR" for c in self.columns}, "none",
                          self.skip]
        return args, [self.encoding, self.delimiter, self.quote, self.escape, {c: "VARCHAR" for c in self.columns},
                      self.compression, self.skip]


def _too_big(label: str, size: int) -> BadUpload:
    return BadUpload(
        f"{label} is {size / 2**20:,.1f} MB uncompressed, over the limit of {MAX_FILE_MB:,} MB; split it by date "
        "and upload the parts as separate datasets, or raise JOURNEY_LEDGER_MAX_FILE_MB."
    )


def _gzip_head(path: Path, label: str) -> bytes:
    """The first decompressed bytes of a gzip file, refusing compression bombs and oversized data.

    Decompresses at most :data:`BOMB_PROBE_BYTES`; a ratio above :data:`MAX_GZIP_RATIO` over that
    part, or an estimated size (ratio x file size) over the limit, is refused before DuckDB reads it.
    """
    size = path.stat().st_size
    inflater = zlib.decompressobj(wbits=31)
    out, consumed = bytearray(), 0
    try:
        with path.open("rb") as f:
            while len(out) < BOMB_PROBE_BYTES:
                chunk = f.read(1 << 16)
                if not chunk:
                    break
                consumed += len(chunk)
                out += inflater.decompress(chunk, BOMB_PROBE_BYTES - len(out))
                while inflater.unconsumed_tail and len(out) < BOMB_PROBE_BYTES:
                    out += inflater.decompress(inflater.unconsumed_tail, BOMB_PROBE_BYTES - len(out))
                if inflater.eof:
                    break
    except zlib.error:
        raise BadUpload(f"{label} looks compressed but is not a readable gzip file; upload the CSV itself.") from None
    ratio = len(out) / max(consumed, 1)
    if len(out) >= (8 << 20) and ratio > MAX_GZIP_RATIO:
        raise BadUpload(
            f"{label} expands more than {MAX_GZIP_RATIO} times when decompressed, which no real export does; "
            "it looks like a compression bomb and was not read."
        )
    estimated = len(out) if inflater.eof else int(ratio * size)
    if estimated > MAX_FILE_MB * 2**20:
        raise _too_big(label, estimated)
    return bytes(out[:HEAD_BYTES])


def _read_head(path: Path, label: str) -> tuple[bytes, bool]:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise BadUpload(f"The file {label} does not exist; check its name and folder.") from None
    if size == 0:
        raise BadUpload(f"{label} is empty; export the data again, with its header row and its rows.")
    with path.open("rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return _gzip_head(path, label), True
    if label.lower().endswith(".gz"):
        raise BadUpload(f"{label} ends in .gz but is not gzip-compressed; rename it to .csv or compress it with gzip.")
    if size > MAX_FILE_MB * 2**20:
        raise _too_big(label, size)
    with path.open("rb") as f:
        return f.read(HEAD_BYTES), False


UTF_8, LATIN_1, WINDOWS_1252 = "utf-8", "latin-1", "Windows-1252"
# Windows-1252 byte by byte; its five undefined bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) as in Latin-1
CP1252_TABLE = "".join(
    bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)
)
TRANSCODE_CHUNK = 1 << 20


def _cp1252(data: bytes) -> str:
    return codecs.charmap_decode(data, "strict", CP1252_TABLE)[0]


def detect_encoding(head: bytes, label: str) -> str:
    """The encoding of a file from its first bytes, as DuckDB's read_csv names it, or
    :data:`WINDOWS_1252` for a file that is not UTF-8 and holds a byte of 0x80-0x9F (€, an en dash,
    curly quotes: DuckDB's Latin-1 refuses them); refuses binary files."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if not head.strip(b"\xef\xbb\xbf \r\n\t"):
        raise BadUpload(f"{label} is empty; export the data again, with its header row and its rows.")
    if b"\x00" in head:
        raise BadUpload(
            f"{label} is not a text file (it holds binary data); export the events as CSV and upload that."
        )
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the end of the sample
            return "utf-8"
        return WINDOWS_1252 if any(0x80 <= b <= 0x9F for b in head) else LATIN_1


DELIMITERS = (",", ";", "\t", "|")


def _decode(head: bytes, encoding: str) -> str:
    if encoding == WINDOWS_1252:
        return _cp1252(head)
    return head.decode("utf-16" if encoding == "utf-16" else encoding, errors="replace").lstrip("\ufeff")


@contextmanager
def _utf8_copy(info: FileInfo, limit: int | None = None) -> Iterator[FileInfo]:
    """``info`` itself, or for a Windows-1252 file ``info`` reading a temporary UTF-8 copy of it
    (of its first ``limit`` bytes, cut after the last whole line, when given), which is removed on
    leaving, whatever happens. The copy is made 1 MiB at a time, so memory stays bounded."""
    if info.encoding != WINDOWS_1252 or info.transcoded is not None:
        yield info
        return
    fd, name = tempfile.mkstemp(prefix="journey-ledger-utf8-copy-", suffix=".csv")
    copy = Path(name)
    try:
        try:
            with os.fdopen(fd, "wb") as out, (gzip.open if info.compression == "gzip" else open)(info.path, "rb") as f:
                if limit is not None:
                    head = f.read(limit)
                    out.write(_cp1252(head if len(head) < limit else head[: head.rfind(b"\n") + 1] or head).encode())
                else:
                    while chunk := f.read(TRANSCODE_CHUNK):
                        out.write(_cp1252(chunk).encode())
        except (OSError, EOFError, zlib.error) as exc:
            raise BadUpload(
                f"{info.label} could not be converted from Windows-1252 to UTF-8 "
                f"({getattr(exc, 'strerror', None) or exc}); save it as UTF-8 CSV and upload it again."
            ) from None
        yield dataclasses.replace(info, transcoded=copy)
    finally:
        copy.unlink(missing_ok=True)


def header_columns(head: bytes, encoding: str, delimiter: str, skip: int = 0) -> list[str]:
    """The header's column names (the line after the ``skip`` first); blanks become ``column_N``,
    repeats get ``_2``, ``_3``.

    Names are compared ignoring case, as DuckDB does.
    """
    lines = _decode(head, encoding).splitlines()[skip:]
    try:
        names = next(csv.reader(lines[:1], delimiter=delimiter), [])
    except csv.Error:
        names = lines[0].split(delimiter) if lines else []
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        name = raw.strip() or f"column_{i}"
        base, n = name, 1
        while name.casefold() in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name.casefold())
        out.append(name)
    return out


def detect_delimiter(head: bytes, encoding: str) -> str:
    """The delimiter of a file: the candidate that occurs most often in its header line.

    Read from the header rather than sniffed from the rows, so ragged or odd rows further down
    cannot mislead it; the rows are then checked against the header's field count.
    """
    lines = _decode(head, encoding).splitlines()
    header = lines[0] if lines else ""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def excel_delimiter(line: str) -> str | None:
    """The delimiter an Excel ``sep=;`` first line names (also quoted, ``"sep=;"``), else None.

    Excel writes that line to say which delimiter the file uses, and hides it when it opens the
    file: the header is row 1 there. The ingest skips it, uses its delimiter, and numbers the rows
    as Excel shows them, the header as row 1 (the ``sep=`` line is not counted).
    """
    text = line[1:-1] if len(line) >= 2 and line[0] == line[-1] == '"' else line
    if len(text) == 5 and text[:4].lower() == "sep=" and not (text[4].isalnum() or text[4] in "\"\r\n "):
        return text[4]
    return None


def inspect_file(path: str | Path, label: str | None = None) -> FileInfo:
    """Look at a file: refuse what cannot be an export, detect encoding, dialect and header."""
    path = Path(path)
    label = label or path.name
    head, gzipped = _read_head(path, label)
    encoding = detect_encoding(head, label)
    lines = _decode(head, encoding).splitlines()
    declared = excel_delimiter(lines[0]) if lines else None
    skip = 1 if declared else 0
    delimiter = declared or detect_delimiter(head, encoding)
    columns = header_columns(head, encoding, delimiter, skip)
    if len(columns) < 2:
        after = lines[skip + 1] if len(lines) > skip + 1 else ""
        if columns and any(d in after for d in DELIMITERS):
            # a title line ("Export generated ... by HubSpot") above a header that has its delimiters
            raise BadUpload(
                f"{label} has only one column in its first line ({columns[0]}), which looks like a title rather "
                "than the header; remove the lines above the header row (customer, timestamp, event...) so that "
                "the header is the first line, and upload it again."
            )
        raise BadUpload(
            f"{label} has only one column ({columns[0] if columns else 'none'}); an export needs at least a "
            "customer and a timestamp column, separated by commas, semicolons or tabs."
        )
    utf8_seen = encoding == UTF_8 and not head.removeprefix(b"\xef\xbb\xbf").isascii()
    return FileInfo(path, label, encoding, delimiter, '"', '"', columns, "gzip" if gzipped else "none",
                    skip=skip, utf8_seen=utf8_seen)


def _csv_error_message(exc: Exception, label: str) -> str:
    text = str(exc)
    if "unicode" in text.lower() or "encod" in text.lower():  # never DuckDB's words: 'File is not latin-1 encoded'
        return f"The text encoding of {label} could not be read; save it as UTF-8 CSV and upload it again."
    if "empty" in text.lower():
        return f"{label} is empty; export the data again, with its header row and its rows."
    first = text.splitlines()[0] if text else type(exc).__name__
    return f"{label} could not be read as CSV ({first[:160]}); save it as a comma-separated file and try again."


# ---- parsing expressions -------------------------------------------------------------------

def _text(col: str) -> str:
    return f"nullif(trim({quote_ident(col)}), '')"


# Taken out of a number cell before it is read: spaces (also the no-break ones of French thousands) and currency signs.
NOT_DIGITS = "[\\s\\x{00A0}\\x{202F}$€£¥]"


def _number(col: str, mark: str = POINT) -> str:
    """A number cell under the file's decimal mark, cleaned of currency signs and spaces; NULL when it
    is not a number written with that mark.

    The reading is strict, so that no number is read as another: with a decimal point, commas are
    accepted only as thousands separators in groups of three (1,234,567.89); with a decimal comma, dots
    are (1.234.567,89), and ``1.5`` is not a number (not 15).
    """
    raw = f"trim({quote_ident(col)})"
    bare = f"regexp_replace({raw}, '{NOT_DIGITS}', '', 'g')"
    if mark == COMMA:
        # Most cells are a plain number with at most a comma: cast at once; the others are cleaned.
        direct = f"CASE WHEN NOT contains({raw}, '.') THEN replace({raw}, ',', '.') END"
        cleaned = (
            f"CASE WHEN regexp_full_match({bare}, '[-+]?(\\d{{1,3}}(\\.\\d{{3}})+|\\d+)(,\\d*)?') "
            f"THEN replace(replace({bare}, '.', ''), ',', '.') "
            f"WHEN NOT contains({bare}, '.') THEN replace({bare}, ',', '.') END"
        )
        return f"coalesce(try_cast({direct} AS {REVENUE_TYPE}), try_cast({cleaned} AS {REVENUE_TYPE}))"
    unthousand = (
        f"CASE WHEN regexp_full_match({bare}, '[-+]?\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?') "
        f"THEN replace({bare}, ',', '') ELSE {bare} END"
    )
    # Most cells are plain numbers: cast them directly and clean only the rest (the regular
    # expressions cost more than the whole read). A cell that casts as it is has no currency sign,
    # comma or inner space, so cleaning it first would give the same number.
    return f"coalesce(try_cast({raw} AS {REVENUE_TYPE}), try_cast({unthousand} AS {REVENUE_TYPE}))"


def _score(col: str, mark: str = POINT) -> str:
    """A satisfaction cell as a number under the file's decimal mark (``4.5``, or ``4,5`` with a comma);
    NULL when it is not one."""
    text = _text(col)
    if mark == COMMA:
        return f"try_cast(CASE WHEN NOT contains({text}, '.') THEN replace({text}, ',', '.') END AS DOUBLE)"
    return f"try_cast({text} AS DOUBLE)"


def _customer(col: str) -> str:
    # Numeric ids exported through a spreadsheet come back as 17850.0: the same customer as 17850.
    # (only a cell with a '.' can have that form: the others skip the regular expression)
    raw = f"trim({quote_ident(col)})"
    return f"nullif(CASE WHEN contains({raw}, '.') THEN regexp_replace({raw}, '^(\\d+)\\.0+$', '\\1') ELSE {raw} END, '')"


def _source_expr(mapping: Mapping, canonical: str, params: list, mark: str = POINT) -> str | None:
    """SQL for one canonical column from the staged text, numbers under the decimal ``mark``;
    constants become parameters."""
    src = mapping.get(canonical)
    if src is None:
        return None
    if src.constant is not None:
        params.append(src.constant)
        return "?::VARCHAR"
    if canonical == "revenue":
        if src.product is not None:
            a, b = src.product
            return f"CAST({_number(a, mark)} * {_number(b, mark)} AS {REVENUE_TYPE})"
        return _number(src.column, mark)
    if canonical == "satisfaction":
        return _score(src.column, mark)
    if canonical == "customer_id":
        return _customer(src.column)
    return _text(src.column)


def _timestamp_expr(col: str, fmt: str) -> str:
    raw = _text(col)
    if fmt == ISO:
        # Without an offset a plain TIMESTAMP cast reads the same instant at half the cost of the
        # time-zone aware one, which converts "+02:00", "Z" or a zone name to UTC. An offset after a
        # space ("2026-01-03 10:15:30 +0200", Ruby's way of writing a time) is joined to the time
        # first: DuckDB reads it only without the space. Only a cell that starts with a year-month-day
        # is cast: DuckDB also reads 03/01/26 as a time zone aware timestamp (the year 3, January 26).
        offset_joined = f"regexp_replace({raw}, ' ([+-][0-9]{{2}}:?[0-9]{{2}})$', '\\1')"
        return (f"CASE WHEN regexp_full_match({raw}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}([ T][0-9:.]*)?') "
                f"THEN try_cast({raw} AS TIMESTAMP) WHEN regexp_matches({raw}, '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                f"THEN try_cast({offset_joined} AS TIMESTAMPTZ)::TIMESTAMP END")
    if fmt in EPOCHS:
        digits, micros = EPOCHS[fmt]
        return f"CASE WHEN regexp_full_match({raw}, '{digits}') THEN make_timestamp({raw}::BIGINT * {micros}) END"
    literals = [f"'{f.replace(chr(39), chr(39) * 2)}'" for f in fmt.split(ONE_OF)]
    if len(literals) == 1:
        return f"try_strptime({raw}, {literals[0]})::TIMESTAMP"
    return f"try_strptime({raw}, [{', '.join(literals)}])::TIMESTAMP"  # the first that reads the cell


def detect_date_format(cur: duckdb.DuckDBPyConnection, source: str, params: list, col: str, label: str) -> tuple[str, str | None]:
    """Choose how to read the timestamp column: ISO 8601 or one of :data:`DATE_FORMATS`.

    ``source`` is a table expression of this package (the file's ``read_csv``, never user text)
    whose ``?`` take ``params``. Counts how many of a sample of the non-empty cells each candidate
    reads as a plausible time (from 1990-01-01 to a day after now, the bounds of the refusal reasons:
    %Y reads '1/20/26' as the year 26, %y as 2026), and takes the one that reads most (then the one
    that reads most at all; ISO first on ties). Unix seconds and milliseconds are candidates too. The forms of one date order that
    each read some cells (with and without a time, see :data:`FAMILIES`) are also tried together,
    and win when they read more than any one of them: a date written without its time is then read
    as midnight instead of refused. Returns ``(format, note)``; refuses a column that no candidate
    reads and a day/month column that reads both ways.
    """
    text = _text(col)
    # The formats are tried on a sample (repeatable) of the filled cells: rows that do not read in
    # the chosen format are refused one by one afterwards, with their row numbers.
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE date_sample AS SELECT {text} AS {quote_ident(col)} FROM {source} "
        f"WHERE {text} IS NOT NULL USING SAMPLE reservoir({DATE_SAMPLE} ROWS) REPEATABLE (42)",
        params,
    )
    candidates = (ISO, *DATE_FORMATS, *EPOCHS)

    def counted(formats) -> dict[str, tuple[int, int]]:
        """(cells read as a plausible time, cells read) of each format on the sample."""
        counts = ", ".join(
            f"count(*) FILTER (WHERE {e} >= TIMESTAMP '{MIN_TIMESTAMP}' AND {e} <= now()::TIMESTAMP + INTERVAL 1 DAY), count({e})"
            for e in (_timestamp_expr(col, f) for f in formats))
        got = cur.execute(f"SELECT {counts} FROM date_sample").fetchone()
        return {f: (got[2 * i], got[2 * i + 1]) for i, f in enumerate(formats)}

    sampled = cur.execute("SELECT count(*) FROM date_sample").fetchone()[0]
    reads = counted(candidates)
    together = [ONE_OF.join(found) for forms in FAMILIES.values() if len(found := [f for f in forms if reads[f][1]]) > 1]
    extra = list(dict.fromkeys(f for t in together for f in (t, swapped(t)) if f and f not in reads))
    if extra:
        reads.update(counted(extra))
        candidates = (*candidates, *together)  # after the single forms: they win ties
    if sampled == 0:  # the sample holds filled cells only: none were filled
        raise BadUpload(f"The timestamp column {col} of {label} is empty on every row; map the column that holds the dates.")
    best = max(candidates, key=lambda f: reads[f])  # max keeps the first of equals: ISO wins ties
    if reads[best][1] == 0:
        example = cur.execute(f"SELECT {text} FROM {source} WHERE {text} IS NOT NULL LIMIT 1", params).fetchone()[0]
        raise BadUpload(
            f"The timestamp column {col} of {label} holds no date Journey Ledger can read (for example "
            f"{example!r}); map the column that holds the dates, or give their format (such as %d/%m/%Y)."
        )
    twin = swapped(best)
    if twin is not None and reads.get(twin) == reads[best]:
        example = cur.execute(
            f"SELECT {text} FROM {source} WHERE {_timestamp_expr(col, best)} IS NOT NULL LIMIT 1", params
        ).fetchone()[0]
        raise MappingError(
            f"The dates in column {col} of {label}, such as {example!r}, read both as day/month and as "
            f"month/day; say which with the date format {best!r} or {twin!r}."
        )
    note = None if best == ISO else f"timestamps read with the format {best}"
    if best in EPOCHS:
        note = f"timestamps read as {best} (since 1970-01-01, UTC)"
    if ONE_OF in best:
        note = f"timestamps read with the formats {best}, a date without a time as midnight"
    return best, note


# ---- the ingest ----------------------------------------------------------------------------

# How the file is read: the parse keeps DuckDB's rejects (lines with the wrong number of fields);
# the reads of a sample (the timestamps' format) skip the same lines.
KEEP_REJECTS = "store_rejects = true, rejects_table = 'ingest_rejects', rejects_scan = 'ingest_scans', rejects_limit = 0"
SKIP_REJECTS = "ignore_errors = true"


def _source_columns(info: FileInfo) -> str:
    """Every column of the file, quoted, in the file's order: what the parse hashes (the
    duplicates are compared on that hash)."""
    return ", ".join(quote_ident(c) for c in info.columns)


def _read_csv(info: FileInfo, options: str) -> tuple[str, list]:
    """``read_csv(...)`` of the file, every column as text, and the values of its ``?``."""
    args, values = info.read_csv_args()
    return f"read_csv(?, {args}, {options})", [str(info.transcoded or info.path), *values]


def refused_where(reason: dict, more: bool = True) -> str:
    """Where a reason of the ingest report's ``refused`` list was met: 'row 4', 'rows 2, 3, 4, 5, 6, ...'
    ('...' only when more rows than the examples were refused, and only with ``more``)."""
    examples = reason["examples"]
    etc = ", ..." if more and reason["rows"] > len(examples) else ""
    return f"{'row' if len(examples) == 1 else 'rows'} {', '.join(map(str, examples))}{etc}"


ROWS_NUMBERED = "as in a spreadsheet"


def numbered_as_sheet(report: dict) -> dict:
    """``report`` with its refused rows numbered as a spreadsheet numbers them (the header is row 1).

    Reports stored before that numbering counted data rows from 1 (``"where": "row"``) and malformed
    lines by their line, the header line 1 (``"where": "line"``): the first are one behind, the second
    already right (the field is dropped: every row is numbered alike now). Each reason's words are today's.
    The stored JSON is left as it is; this is how it is read.
    """
    if report.get("rows_numbered") == ROWS_NUMBERED:
        return report
    refused = [
        {**{k: v for k, v in r.items() if k != "where"},
         "examples": [e + 1 for e in r["examples"]] if r.get("where") == "row" else r["examples"],
         "label": REASON_LABEL.get(r["reason"], r["label"]), "fix": REASON_FIX.get(r["reason"], r["fix"])}
        for r in report.get("refused", [])
    ]
    return {**report, "refused": refused, "rows_numbered": ROWS_NUMBERED}


def _fallback_encoding(info: FileInfo, exc: Exception) -> str | None:
    """The encoding to read the file in again after DuckDB's error ``exc``: Latin-1 for a UTF-8 file
    that is not, Windows-1252 for a Latin-1 file with a byte DuckDB's Latin-1 refuses (0x80-0x9F); None
    when the error is not about the encoding."""
    text = str(exc).lower()
    if info.encoding == UTF_8 and "unicode" in text:
        return LATIN_1
    if info.encoding == LATIN_1 and info.transcoded is None and "latin-1" in text and "encod" in text:
        return WINDOWS_1252
    return None


def preview_rows(cur: duckdb.DuckDBPyConnection, info: FileInfo, rows: int = 5):
    """The file's first ``rows`` data rows as text (a pandas DataFrame), read as the ingest reads them.

    Lines with the wrong number of fields are skipped, as the ingest skips them (and refuses and counts
    them): read strictly, one such line near the top failed the whole preview, because DuckDB reads
    ahead of the rows asked for. A Windows-1252 file is previewed from a UTF-8 copy of its first MiB.
    A failure is the file's: a :class:`BadUpload` sentence.
    """
    if info.encoding == WINDOWS_1252 and info.transcoded is None:
        with _utf8_copy(info, limit=HEAD_BYTES) as copy:
            return preview_rows(cur, copy, rows)
    source, params = _read_csv(info, SKIP_REJECTS)
    try:
        return cur.execute(f"SELECT * FROM {source} LIMIT {int(rows)}", params).df()
    except duckdb.Error as exc:
        if fallback := _fallback_encoding(info, exc):  # as the ingest does
            return preview_rows(cur, dataclasses.replace(info, encoding=fallback), rows)
        raise BadUpload(_csv_error_message(exc, info.label)) from None


@dataclass
class Staged:
    """A file read and parsed into temporary tables on one cursor, ready to be stored."""

    info: FileInfo
    mapping: Mapping
    report: dict


def stage(cur: duckdb.DuckDBPyConnection, info: FileInfo, mapping: Mapping | None, stage_map: StageMap) -> Staged:
    """Read, parse and validate a file into the temporary table ``parsed`` on cursor ``cur``.

    ``parsed`` holds one row per line read, in the file's order: its ``rowid + 1`` is the row's
    number. Nothing in the workspace is touched; the caller stores ``parsed`` or drops the cursor.
    Any error of DuckDB's on the way is the file's: it becomes a :class:`BadUpload` sentence.
    """
    try:
        return _stage(cur, info, mapping, stage_map)
    except duckdb.Error as exc:
        raise BadUpload(_csv_error_message(exc, info.label)) from None


def _parse(cur: duckdb.DuckDBPyConnection, info: FileInfo, mapping: Mapping, fmt: str, mark: str) -> None:
    """One pass over the file into the temp table ``parsed``: the canonical columns (timestamps in the
    format ``fmt``, numbers with the decimal ``mark``), the reason a row cannot be used (NULL when it can;
    duplicates are marked afterwards), a hash of the source columns, and two flags for the report (a
    timestamp or a satisfaction filled but not read)."""
    params: list = []
    exprs = {c: _source_expr(mapping, c, params, mark) for c in ("customer_id", "event", "stage", "revenue", "segment", "channel", "satisfaction")}
    revenue_given = exprs["revenue"] is not None
    ts_col = mapping.get("timestamp").column
    revenue_filled = " AND ".join(f"{_text(c)} IS NOT NULL" for c in mapping.get("revenue").columns()) if revenue_given else "false"
    sat = mapping.get("satisfaction")
    sat_filled = f"{_text(sat.column)} IS NOT NULL" if sat is not None and sat.column else "false"
    source, source_params = _read_csv(info, KEEP_REJECTS)
    # Only the canonical columns are kept, not the source text: the hash stands for it when the
    # duplicates are compared (see _mark_duplicates).
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE parsed AS
        WITH typed AS (
            SELECT {exprs['customer_id']} AS customer_id,
                   {_timestamp_expr(ts_col, fmt)} AS ts,
                   {_text(ts_col)} IS NOT NULL AS ts_filled,
                   {exprs['event']} AS event,
                   {exprs['stage'] or 'NULL::VARCHAR'} AS stage,
                   {exprs['revenue'] or f'0::{REVENUE_TYPE}'} AS revenue_or_null,
                   {revenue_filled} AS revenue_filled,
                   {exprs['segment'] or 'NULL::VARCHAR'} AS segment,
                   {exprs['channel'] or 'NULL::VARCHAR'} AS channel,
                   {exprs['satisfaction'] or 'NULL::DOUBLE'} AS satisfaction,
                   {sat_filled} AS satisfaction_filled,
                   hash({_source_columns(info)}) AS row_hash
            FROM {source}
        )
        SELECT customer_id, ts, event, stage,
               coalesce(revenue_or_null, 0)::{REVENUE_TYPE} AS revenue,
               segment, channel, satisfaction,
               CASE
                   WHEN customer_id IS NULL THEN 'missing_customer'
                   WHEN ts IS NULL THEN 'bad_timestamp'
                   WHEN ts < TIMESTAMP '{MIN_TIMESTAMP}' THEN 'too_early'
                   WHEN ts > now()::TIMESTAMP + INTERVAL 1 DAY THEN 'in_future'
                   WHEN event IS NULL THEN 'missing_event'
                   WHEN revenue_or_null IS NULL AND revenue_filled THEN 'bad_revenue'
               END AS reason,
               ts_filled AND ts IS NULL AS ts_unread,
               satisfaction_filled AND satisfaction IS NULL AS satisfaction_unread,
               row_hash
        FROM typed
        """,
        [*params, *source_params],
    )


def _mark_duplicates(cur: duckdb.DuckDBPyConnection) -> None:
    """Refuse the exact duplicates of an earlier usable row (every source column equal).

    Two rows are duplicates when their hash of every source column is equal and so is every
    canonical column the parse made of them (customer, time, event, stage, revenue, segment,
    channel, satisfaction). Rows that differ in their text, even where it reads the same
    (``10`` and ``10.00``, an unmapped column), differ in their hash and are both kept. Only the
    rows whose hash repeats are compared, so most files need no comparison at all.

    A pair of rows is refused wrongly only when their texts differ in a way that parses the same
    and their 64-bit hashes collide, about one chance in 10**19 for each such pair. Comparing the
    source text instead meant reading the file a second time, numbering its rows on one thread:
    1.9 s of the 14 s that 10 million events took, since real exports have duplicates (the online
    retail export has over 5,000).
    """
    cur.execute(
        """
        UPDATE parsed SET reason = 'duplicate'
        WHERE rowid IN (
            SELECT rid FROM (
                SELECT rowid AS rid, row_number() OVER (
                    PARTITION BY row_hash, customer_id, ts, event, stage, revenue, segment, channel, satisfaction
                    ORDER BY rowid
                ) AS n
                FROM parsed
                WHERE reason IS NULL AND row_hash IN (
                    SELECT row_hash FROM parsed WHERE reason IS NULL GROUP BY row_hash HAVING count(*) > 1
                )
            )
            WHERE n > 1
        )
        """
    )


def _head_look(cur: duckdb.DuckDBPyConnection, info: FileInfo, ts_col: str | None,
               numbers: dict[str, list[str]]) -> tuple[bool, dict[str, tuple[int, int]]]:
    """What the first :data:`HEAD_ROWS` rows say, in one small read: whether every filled timestamp of
    ``ts_col`` reads as ISO 8601 (true when none is filled, or no ``ts_col``), and for each group of
    ``numbers`` (a name -> its columns) how many cells read only with a decimal comma and how many only
    with a decimal point (``12,50`` and ``12.5``; ``1.500`` reads both ways and counts for neither)."""
    cols = list(dict.fromkeys([*([ts_col] if ts_col else []), *(c for group in numbers.values() for c in group)]))
    if not cols:
        return True, {}
    counts = []
    if ts_col:
        counts += [f"count({_text(ts_col)})", f"count({_timestamp_expr(ts_col, ISO)})"]
    for group in numbers.values():
        point = [f"{_number(c, POINT)} IS NOT NULL" for c in group]
        comma = [f"{_number(c, COMMA)} IS NOT NULL" for c in group]
        counts += [f"count(*) FILTER ({c} AND NOT {p})" for c, p in zip(comma, point, strict=True)]
        counts += [f"count(*) FILTER ({p} AND NOT {c})" for c, p in zip(comma, point, strict=True)]
    source, params = _read_csv(info, SKIP_REJECTS)
    got = list(cur.execute(
        f"SELECT {', '.join(counts)} FROM (SELECT {', '.join(quote_ident(c) for c in cols)} FROM {source} LIMIT {HEAD_ROWS})",
        params,
    ).fetchone())
    iso = True
    if ts_col:
        filled, read = got[:2]
        iso, got = read == filled, got[2:]
    evidence = {}
    for name, group in numbers.items():
        n = len(group)
        evidence[name] = (sum(got[:n]), sum(got[n:2 * n]))
        got = got[2 * n:]
    return iso, evidence


def choose_decimal_mark(evidence: dict[str, tuple[int, int]], delimiter: str) -> tuple[str, str]:
    """The decimal mark of a file and why: ``(mark, why)`` from the ``(comma, point)`` cell counts of each
    number column of :func:`_head_look` (revenue first), the mark that more of the first group with any
    evidence read only with. Without evidence: a comma in a semicolon-separated file (the way European
    Excel writes both), else a point.

    >>> choose_decimal_mark({"revenue": (0, 0), "satisfaction": (2, 0)}, ",")
    (',', 'satisfaction')
    >>> choose_decimal_mark({"revenue": (0, 0)}, ";")
    (',', 'semicolon')
    """
    for name, (comma, point) in evidence.items():
        if comma != point:
            return (COMMA if comma > point else POINT), name
    return (COMMA, "semicolon") if delimiter == ";" else (POINT, "default")


def decimal_mark_text(report: dict) -> str | None:
    """How the report says which decimal mark the numbers were read with ('numbers read with a decimal
    comma (1.234,50), as the revenue column writes them'); None for a report stored before it was said."""
    mark = report.get("decimal_mark")
    if mark not in DECIMAL_MARKS:
        return None
    why = report.get("decimal_mark_from")
    because = {
        "chosen": ", as chosen in the mapping",
        "semicolon": ", the convention of semicolon-separated files",
        "default": "",
    }.get(why, f", as the {why} column writes them")
    return f"numbers read with {DECIMAL_MARKS[mark]}{because}"


def _reads_more(cur: duckdb.DuckDBPyConnection, info: FileInfo, ts_col: str, fmt: str, wider: str) -> bool:
    """Whether the format ``wider`` reads a cell of the timestamp column that ``fmt`` does not."""
    source, params = _read_csv(info, SKIP_REJECTS)
    return cur.execute(
        f"SELECT count(*) > 0 FROM {source} WHERE {_timestamp_expr(ts_col, fmt)} IS NULL "
        f"AND {_timestamp_expr(ts_col, wider)} IS NOT NULL", params).fetchone()[0]


def _detect_date_format(cur: duckdb.DuckDBPyConnection, info: FileInfo, ts_col: str, label: str, notes: list[str]) -> str:
    """:func:`detect_date_format` on the file; its note, if any, goes to ``notes``."""
    fmt, note = detect_date_format(cur, *_read_csv(info, SKIP_REJECTS), ts_col, label)
    if note:
        notes.append(note)
    return fmt


def _stage(cur: duckdb.DuckDBPyConnection, info: FileInfo, mapping: Mapping | None, stage_map: StageMap) -> Staged:
    label = info.label
    mapping = mapping or suggest_mapping(info.columns)
    check_mapping(mapping, info.columns, label)
    ts_col = mapping.get("timestamp").column
    if ts_col is None:
        raise MappingError("The timestamp must come from a column of the file, not a constant.")
    notes: list[str] = []
    fmt = mapping.date_format and named_date_format(mapping.date_format)
    if fmt and date_format_problem(fmt):
        raise MappingError(date_format_problem(fmt))
    if fmt:
        try:
            cur.execute(f"SELECT {_timestamp_expr(ts_col, fmt)} FROM (SELECT NULL::VARCHAR AS {quote_ident(ts_col)})").fetchall()
        except duckdb.Error:
            raise MappingError(f"The date format {fmt!r} is not valid; write it like %d/%m/%Y %H:%M.") from None
    mark, mark_from = mapping.decimal_mark, "chosen"
    if mark is not None and mark not in DECIMAL_MARKS:
        raise MappingError(f"The decimal mark {mark!r} is not one Journey Ledger reads; choose '.' (1,234.50) or ',' (1.234,50).")
    revenue, sat = mapping.get("revenue"), mapping.get("satisfaction")
    numbers = {name: src.columns() for name, src in (("revenue", revenue), ("satisfaction", sat)) if src is not None and src.columns()}
    if info.encoding == WINDOWS_1252 and info.transcoded is None:
        with _utf8_copy(info) as copy:
            return dataclasses.replace(_stage(cur, copy, mapping, stage_map), info=info)
    assumed_iso = False
    try:
        if not fmt or mark is None:
            # One small read of the first rows. Most exports write ISO 8601: when the first rows all
            # read so, the file is parsed so, and only if a filled cell further down does not (or none
            # is filled) are the formats compared and the file parsed again; otherwise they are
            # compared first. The decimal mark is the one the first rows' numbers show, when they show one.
            head_iso, evidence = _head_look(cur, info, None if fmt else ts_col, {} if mark else numbers)
            if mark is None:
                mark, mark_from = choose_decimal_mark(evidence, info.delimiter)
            if not fmt:
                assumed_iso = head_iso
                fmt = ISO if assumed_iso else _detect_date_format(cur, info, ts_col, label, notes)
        _parse(cur, info, mapping, fmt, mark)
    except duckdb.Error as exc:
        if fallback := _fallback_encoding(info, exc):
            return _stage_again(cur, info, fallback, mapping, stage_map)
        raise BadUpload(_csv_error_message(exc, label)) from None
    # the refused lines (a file parsed twice has them twice in the rejects table), numbered from the header
    # as row 1 (DuckDB counts the lines skipped before it, an Excel "sep=" line, too): not in the encoding
    # (a UTF-8 file's lines that are not UTF-8) or with the wrong number of fields
    bad_encoding, malformed = cur.execute(
        "SELECT list(DISTINCT line ORDER BY line) FILTER (error_type = 'INVALID ENCODING'), "
        "list(DISTINCT line ORDER BY line) FILTER (error_type IS DISTINCT FROM 'INVALID ENCODING') FROM ingest_rejects"
    ).fetchone()
    bad_encoding = [line - info.skip for line in bad_encoding or []]
    malformed = [line - info.skip for line in malformed or []]
    if bad_encoding and info.encoding == UTF_8 and not info.utf8_seen:
        # plain ASCII at the start, another encoding further on (Montréal in Latin-1): read it all so
        return _stage_again(cur, info, LATIN_1, mapping, stage_map)
    malformed = sorted({*malformed, *bad_encoding})
    rows_staged, ts_read, ts_unread = cur.execute("SELECT count(*), count(ts), count(*) FILTER (ts_unread) FROM parsed").fetchone()
    if rows_staged == 0 and not malformed:
        raise BadUpload(f"{label} has a header but no rows; export it again with its data.")
    if rows_staged == 0:
        raise BadUpload(
            f"No row of {label} has the same number of fields as its header (row {malformed[0]} for one, "
            "the header being row 1); "
            "check the delimiter and quoting, and export it again."
        )
    if assumed_iso and (ts_unread or not ts_read):
        fmt = _detect_date_format(cur, info, ts_col, label, notes)
        if fmt != ISO:
            _parse(cur, info, mapping, fmt, mark)
    elif ts_unread and mapping.date_format and (wider := with_times(fmt)) and _reads_more(cur, info, ts_col, fmt, wider):
        # typed without a time for a file whose dates have one on some rows: those rows are read too
        _parse(cur, info, mapping, wider, mark)
        notes.append(f"some timestamps have a time after the date: read with the formats {wider}, "
                     "a date without a time as midnight")
        fmt = wider
    _mark_duplicates(cur)

    refused = []
    # parsed holds the rows DuckDB kept: after a malformed line (numbered from the header, as a
    # spreadsheet numbers its rows), their row ids run one behind the file
    skipped = [line - 1 for line in malformed]
    by_reason = dict(
        (code, (n, [file_row(r, skipped) + 1 for r in rows]))
        for code, n, rows in cur.execute(
            "SELECT reason, count(*), list(rowid + 1 ORDER BY rowid)[1:5] FROM parsed "
            "WHERE reason IS NOT NULL GROUP BY reason"
        ).fetchall()
    )
    bad_lines = set(bad_encoding)
    if wrong_fields := [line for line in malformed if line not in bad_lines]:
        by_reason["malformed"] = (len(wrong_fields), wrong_fields[:EXAMPLES])
    if bad_encoding:
        by_reason["bad_encoding"] = (len(bad_encoding), bad_encoding[:EXAMPLES])
    for code, label_text, fix in REASONS:
        if code in by_reason:
            n, rows = by_reason[code]
            if code == "bad_revenue":
                fix = revenue_fix(mark)
            refused.append({"reason": code, "label": label_text, "rows": n, "examples": list(rows), "fix": fix})
    rows_kept, first_event, last_event, event_names, satisfaction_unread, unread_rows = cur.execute(
        "SELECT count(*), min(ts), max(ts), list(DISTINCT event), count(*) FILTER (satisfaction_unread), "
        f"list(rowid + 1 ORDER BY rowid) FILTER (satisfaction_unread)[1:{EXAMPLES}] "
        "FROM parsed WHERE reason IS NULL"
    ).fetchone()
    events_seen = set(event_names or [])
    if rows_kept == 0:
        top = max(refused, key=lambda r: r["rows"])
        raise BadUpload(
            f"No row of {label} could be used: {top['rows']:,} {'row has' if top['rows'] == 1 else 'rows have'} "
            f"{top['label']} ({refused_where(top)}); {top['fix']}."
        )
    make_customer_keys(cur, "parsed WHERE reason IS NULL")
    stages_in_data = data_stages(cur, "parsed WHERE reason IS NULL") if mapping.get("stage") is not None else {}
    if satisfaction_unread:
        where = refused_where({"rows": satisfaction_unread, "examples": [file_row(r, skipped) + 1 for r in unread_rows]})
        them = "it as a number" if satisfaction_unread == 1 else "them as numbers"
        fix = (f"write {them} such as 4,5 (or, if the file writes 4.5, set the decimal mark to point)" if mark == COMMA
               else f"write {them} such as 4.5 (or, if the file writes 4,5, set the decimal mark to comma)")
        notes.append(
            (f"1 satisfaction value (column {sat.column}, {where}) is not a number and was left empty"
             if satisfaction_unread == 1 else
             f"{satisfaction_unread:,} satisfaction values (column {sat.column}, {where}) are not numbers and were left empty")
            + f"; {fix}"
        )
    report = {
        "file": label,
        "encoding": info.encoding,
        "delimiter": info.delimiter,
        "date_format": fmt,
        "decimal_mark": mark,
        "decimal_mark_from": mark_from,
        "mapping": mapping.describe(),
        "rows_read": rows_staged + len(malformed),
        "rows_kept": rows_kept,
        "rows_refused": sum(r["rows"] for r in refused),
        "refused": refused,
        "rows_numbered": ROWS_NUMBERED,
        "customers": cur.execute("SELECT count(*) FROM customer_keys").fetchone()[0],
        "first_event": first_event.isoformat(sep=" "),
        "last_event": last_event.isoformat(sep=" "),
        "event_types": len(events_seen),
        "duplicates": by_reason.get("duplicate", (0, []))[0],
        "unmapped": unmapped_events(cur, "parsed WHERE reason IS NULL", stage_map),
        "notes": notes,
        "warnings": stage_map.warnings_for(events_seen) + stage_map.warnings_against(events_seen, stages_in_data),
    }
    return Staged(info=info, mapping=mapping, report=report)


def _stage_again(cur: duckdb.DuckDBPyConnection, info: FileInfo, encoding: str, mapping: Mapping, stage_map: StageMap) -> Staged:
    """:func:`_stage` of the file read in ``encoding``, the first read's rejects forgotten."""
    cur.execute("DROP TABLE IF EXISTS ingest_rejects")
    cur.execute("DROP TABLE IF EXISTS ingest_scans")
    return _stage(cur, dataclasses.replace(info, encoding=encoding), mapping, stage_map)


def file_row(kept: int, skipped: list[int]) -> int:
    """The file's data row (from 1) of the ``kept``-th row DuckDB kept, when the data rows ``skipped``
    (sorted; a malformed line's row is its line number less the header's) were left out.

    >>> file_row(3, [2])
    4
    """
    row = kept
    for s in skipped:
        if s > row:
            break
        row += 1
    return row


def make_customer_keys(cur: duckdb.DuckDBPyConnection, source: str) -> None:
    """The temp table ``customer_keys`` (customer_id, customer_key): every customer of ``source`` (a
    table expression of this package, never user text) with a dense integer key, 1.. in id order:
    the key the stored events carry (see :mod:`analytics.workspace`)."""
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE customer_keys AS "
        "SELECT customer_id, (row_number() OVER (ORDER BY customer_id))::INTEGER AS customer_key "
        f"FROM (SELECT DISTINCT customer_id FROM {source})"
    )


def unmapped_events(cur: duckdb.DuckDBPyConnection, source: str, stage_map: StageMap) -> list[dict]:
    """Events that no stage claims (shown as ``Unmapped``), with their row counts, most first.

    ``source`` is a table expression produced by this package (never user text). A stage given in
    the data counts when it names a stage of the map.
    """
    pairs = stage_map.event_stage_pairs()
    cur.execute("CREATE OR REPLACE TEMP TABLE map_events (event VARCHAR, stage VARCHAR)")
    if pairs:
        cur.executemany("INSERT INTO map_events VALUES (?, ?)", pairs)
    cur.execute("CREATE OR REPLACE TEMP TABLE map_stages (stage VARCHAR)")
    if stage_map.stages:
        cur.executemany("INSERT INTO map_stages VALUES (?)", [(s,) for s in stage_map.stage_names])
    rows = cur.execute(
        f"""
        SELECT e.event, count(*) AS rows
        FROM (SELECT event, stage FROM {source}) e
        WHERE e.stage IS NULL OR e.stage NOT IN (SELECT stage FROM map_stages)
        GROUP BY e.event
        HAVING e.event NOT IN (SELECT event FROM map_events)
        ORDER BY rows DESC, e.event
        """
    ).fetchall()
    return [{"event": e, "rows": n, "stage": UNMAPPED} for e, n in rows]


def data_stages(cur: duckdb.DuckDBPyConnection, source: str) -> dict[str, int]:
    """The stage names the data's own stage column gives, with their rows (``source`` is a table
    expression produced by this package, never user text)."""
    return dict(cur.execute(f"SELECT stage, count(*) FROM (SELECT stage FROM {source}) WHERE stage IS NOT NULL GROUP BY stage").fetchall())
