"""Read a OneRoster CSV zip once, streaming, and collect what is wrong with it, per rule.

One pass: the zip's directory first (sizes, names, flags), then ``manifest.csv``, then every data file in
an order where each file comes after the files it references, each read through ``csv.reader`` a block
of lines at a time (``_Lines``) and never loaded whole. What stays in memory is bounded: the sourcedIds
of the files other files reference (to resolve references and find duplicates), the self-references
that point forward in their own file until that file ends, one batch of ``BATCH_ROWS`` rows, and at most
``MAX_KEPT`` findings per rule (the rest are only counted).

Rows are judged a batch at a time. A batch with nothing wrong in it is passed by whole-list operations
(``_Validator._clean``); any other batch is judged row by row and cell by cell (``_Validator._judge``),
which finds exactly what it found when every row was judged that way
(``tests/conformance/test_csv_fast_path.py``).

Findings name the file, the line and the column; they show a cell's value only when the column is not
personal data and the value is a code (an enumeration, a date, a boolean, a status), never a name, an
email, a birth date, an identifier or a sourcedId.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import IO, Any

from edcert.conformance.oneroster_csv import _schema as schema
from edcert.conformance.oneroster_csv._schema import MANIFEST, Column, FileSpec, Kind, Version
from edcert.harness.session import RunState

MAX_KEPT = 20
DEFAULT_MAX_FILE_BYTES = 1 << 30
MAX_LINE_CHARS = 1 << 20
BOM = b"\xef\xbb\xbf"

RULE_KEYS = (
    "PKG-001", "PKG-002", "PKG-003", "PKG-004", "PKG-005", "PKG-006",
    "MAN-001", "MAN-002", "MAN-003", "MAN-004", "MAN-005", "MAN-006", "MAN-007",
    "ENC-001", "ENC-002", "CSV-001", "CSV-002", "HDR-001",
    "REC-001", "REC-002", "REC-003", "FMT-001", "FMT-002", "FMT-003", "FMT-004",
    "ID-001", "ID-002", "REF-001",
)
MANIFEST_RULES = ("MAN-002", "MAN-003", "MAN-004", "MAN-005", "MAN-006", "MAN-007")

_GUID = re.compile(r"[0-9A-Za-z./@_-]{1,255}")
_EXT = re.compile(r"ext:[A-Za-z0-9.\-_]+")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z")
_YEAR = re.compile(r"\d{4}")
_SURROGATE = re.compile("[\udc80-\udcff]")
_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_OTHER_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e")  # where str.splitlines cuts and readline does not
_OTHER_BREAKS_WIDE = (*_OTHER_BREAKS, "\x85", "\u2028", "\u2029")
_GUID_CHARS = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz./@_-"  # what _GUID allows
_HEX_DIGITS = b"0123456789abcdef"
BLOCK_BYTES = 1 << 16
BATCH_ROWS = 2048


def _compact(value: str) -> str | int:
    """A canonical lower-case UUID as its 128-bit number (48 bytes held instead of 88), anything else as is.

    One to one, and an int never equals a str: a set of these finds exactly the duplicates a set of the
    strings would. Used where ids are only compared with each other (a file nothing references), so a
    million-row file's duplicate check holds about 40 MB less.
    """
    if len(value) == 36 and _UUID_TEXT.fullmatch(value):
        return int(value.replace("-", ""), 16)
    return value


def _packed_uuids(values: list[str]) -> list[str | int] | None:
    """``[_compact(v) for v in values]`` when every value is a canonical lower-case UUID, else None.

    Checked with whole-string operations: every value 36 long, a dash at 8, 13, 18 and 23 of each and
    nowhere else, and only 0-9 a-f between them.
    """
    n = len(values)
    if set(map(len, values)) != {36}:
        return None
    joined = "".join(values)
    if any(joined[at::36] != "-" * n for at in (8, 13, 18, 23)):
        return None
    digits = joined.replace("-", "")
    if len(digits) != 32 * n or not digits.isascii() or digits.encode().translate(None, _HEX_DIGITS):
        return None
    packed = bytes.fromhex(digits)
    number = int.from_bytes
    return [number(packed[i:i + 16]) for i in range(0, 16 * n, 16)]


def _all_guids(items: list[str]) -> bool:
    """Whether ``_GUID`` matches every one of ``items`` (none of them empty), tested over them all at once."""
    if not items:
        return True
    joined = "\n".join(items)  # "\n" is not a sourcedId character: what is left after deleting those is n-1 of it
    return (joined.isascii() and len(joined.encode().translate(None, _GUID_CHARS)) == len(items) - 1
            and "" not in items and max(map(len, items)) <= 255)


def _sourced_ids(values: list[str], compact: bool) -> list[str | int] | None:
    """The keys the ids of a batch are held by (see ``_compact``), or None when one is not a valid sourcedId."""
    if compact and (packed := _packed_uuids(values)) is not None:
        return packed  # a canonical UUID is a valid sourcedId
    if not _all_guids(values):
        return None
    return [_compact(value) for value in values] if compact else list(values)
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError)


@dataclass(frozen=True)
class Finding:
    """One thing wrong, where it is: file, line (1-based, physical) and column (1-based)."""

    file: str
    text: str
    line: int | None = None
    column: int | None = None
    column_name: str | None = None

    def render(self) -> str:
        """``users.csv line 12, column 4 (givenName): what is wrong``."""
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        if self.column_name:
            where += f" ({self.column_name})"
        return f"{where}: {self.text}"


@dataclass
class RuleTally:
    """What one rule found: the first ``MAX_KEPT`` findings, how many in all, per file, and how much it examined."""

    kept: list[Finding] = field(default_factory=list)
    count: int = 0
    files: Counter[str] = field(default_factory=Counter)
    examined: int = 0
    undecided: bool = False


# what _judge and _clean count, in the order they return it, and the rule each count is examined for
_COUNTED = ("", "REC-003", "ID-002", "ID-001", "REF-001", "FMT-001", "FMT-002", "FMT-004", "FMT-003")
_BOOLS = frozenset(("true", "false"))


@dataclass
class _Plan:
    """What judging one data file's rows needs, worked out once from its header."""

    file: str
    stem: str
    mode: str | None
    width: int
    ids: set[str | int]
    id_at: int | None
    status_at: int | None
    modified_at: int | None
    columns: list[tuple[int, Column, Kind, bool, set[str | int] | None]]
    required_per_row: int
    self_refs: bool
    compact: bool
    fast: bool  # batches may be passed whole by _clean (not in delta files)
    deferred: list[tuple[int, int, str, str]] = field(default_factory=list)  # self-references not yet resolved
    allowed: dict[str, frozenset[str]] = field(default_factory=dict)  # each enumeration column's values


@dataclass
class _FileState:
    spec: FileSpec
    mode: str | None
    ids: set[str | int] = field(default_factory=set)  # ints only in files nothing references (see _compact)
    complete: bool = False
    has_ids: bool = False

    @property
    def resolvable(self) -> bool:
        """References into this file can be judged: it is a bulk snapshot read whole, with a sourcedId column."""
        return self.complete and self.has_ids and self.mode == "bulk"


class BundleReport:
    """Everything one read of a bundle found, per rule key (``HDR-001``...).

    Attributes:
        path: The zip.
        version: The OneRoster version it was judged against.
        max_file_bytes: The most edcert reads of one file.
        unreadable: Why the zip could not be opened at all (then only PKG-001 applies).
        manifest_found: Whether a manifest.csv was read.
        manifest_problem: Why not, when it was not.
        system_name: ``source.systemName`` from the manifest, when given.
    """

    def __init__(self, path: Path, version: Version, max_file_bytes: int) -> None:
        self.path = path
        self.version = version
        self.max_file_bytes = max_file_bytes
        self.rules: dict[str, RuleTally] = {key: RuleTally() for key in RULE_KEYS}
        self.unreadable: str | None = None
        self.manifest_found = False
        self.manifest_problem = ("the bundle has no manifest.csv", "MAN-001")  # (why, the rule that says so)
        self.system_name: str | None = None
        self.modes: dict[str, str] = {}
        self.rows_read: Counter[str] = Counter()

    def add(self, rule: str, file: str, text: str, line: int | None = None, column: int | None = None,
            column_name: str | None = None) -> None:
        """Count one finding of ``rule`` (kept in full while fewer than ``MAX_KEPT`` are)."""
        tally = self.rules[rule]
        tally.count += 1
        tally.files[file] += 1
        if len(tally.kept) < MAX_KEPT:
            tally.kept.append(Finding(file, text, line, column, column_name))

    def examine(self, rule: str, n: int = 1) -> None:
        """Note that ``rule`` judged ``n`` more things (a rule that judged nothing does not apply)."""
        self.rules[rule].examined += n


def validate_bundle(path: str | Path, version: Version, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
                    ) -> BundleReport:
    """Read the bundle once and collect its findings.

    Args:
        path: The zip file.
        version: ``1.1`` or ``1.2``: the header set and vocabularies to judge against.
        max_file_bytes: Files larger than this are read only up to it (PKG-006).
    """
    report = BundleReport(Path(path), version, max_file_bytes)
    with RunState.gc_paused():  # batches of rows outlive automatic collections, which would rescan them each time
        _Validator(report).run()
    return report


def clip(value: str, limit: int = 60) -> str:
    """A cell or name made safe to print on one line: escaped control characters, at most ``limit`` characters."""
    text = value.encode("unicode_escape", "backslashreplace").decode("ascii") if not value.isprintable() else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(column: Column, value: str) -> str:
    return " (value not shown: personal data)" if column.personal else f" '{clip(value, 40)}'"


def _real_day(m: re.Match[str]) -> bool:
    try:
        date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return False
    return True


@lru_cache(maxsize=4096)
def _is_date(value: str) -> bool:
    m = _DATE.fullmatch(value)
    return m is not None and _real_day(m)


@lru_cache(maxsize=4096)
def _is_datetime(value: str) -> bool:
    m = _DATETIME.fullmatch(value)
    return m is not None and _real_day(m) and int(m[4]) < 24 and int(m[5]) < 60 and int(m[6]) < 60


def _is_date_or_datetime(value: str) -> bool:
    return _is_date(value) or _is_datetime(value)


def _describe_bad_guid(value: str) -> str:
    if len(value) > 255:
        return f"is {len(value)} characters long (at most 255)"
    bad = next((ch for ch in value if not _GUID.fullmatch(ch)), " ")
    what = "a space" if bad == " " else f"'{clip(bad)}'" if bad.isprintable() else f"U+{ord(bad):04X}"
    return f"contains {what}; a sourcedId uses only 0-9 A-Z a-z . / @ _ -"


def _bare_quote(record: str) -> bool:
    """Whether a record has a quote inside a cell that does not start with one (csv.reader lets it pass)."""
    quoted = False
    at_start = True
    i = 0
    while i < len(record):
        ch = record[i]
        if quoted:
            if ch == '"':
                if record.startswith('"', i + 1):
                    i += 2
                    continue
                quoted = False
        elif ch == '"':
            if not at_start:
                return True
            quoted = True
        at_start = not quoted and ch in ",\r\n"
        i += 1
    return False


class _Capped(io.RawIOBase):
    """A read-only view of a zip member that stops after ``limit`` bytes, at the last line end before it."""

    def __init__(self, raw: IO[bytes], limit: int, trim: bool) -> None:
        super().__init__()
        self._raw = raw
        self._left = limit
        self._trim = trim

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        view = memoryview(buffer)
        chunk = self._raw.read(min(len(view), self._left))
        n = len(chunk)
        self._left -= n
        if self._left <= 0 and self._trim:
            # Cut at the last line end so the partial row at the cap is never judged.
            n = chunk.rfind(b"\n") + 1
            self._left = 0
        view[:n] = chunk[:n]
        return n


class _Lines:
    """The text lines of a file for csv.reader, cut as ``readline`` cuts them, with over-long lines skipped.

    Reads the file a block at a time and hands ``csv.reader`` one block's lines at a time, so the
    per-line work runs in C. A line is cut at ``\\r\\n``, ``\\r`` or ``\\n`` only (as ``newline=""``
    does) and keeps its line end. A line longer than ``MAX_LINE_CHARS`` characters (its line end
    included) is never handed on: it is skipped and reported when the reader reaches it.

    Attributes:
        given: Lines handed to the reader (``csv.reader.line_num`` counts the same lines).
        skipped: Over-long lines left out so far.
        marks: The handed lines that hold a quote or bytes that are not UTF-8, by their number among the
            handed lines: (the line, whether it holds such bytes). The reader's caller takes them.
    """

    def __init__(self, raw: io.BufferedReader[Any], on_overlong: _OverlongHook) -> None:
        self._raw = raw
        self._on_overlong = on_overlong
        self.given = 0
        self.skipped = 0
        self.marks: dict[int, tuple[str, bool]] = {}

    @property
    def count(self) -> int:
        """Physical lines read so far."""
        return self.given + self.skipped

    def __iter__(self) -> Iterator[str]:
        return chain.from_iterable(self._blocks())

    def take(self, upto: int) -> tuple[list[str], bool]:
        """The marks up to handed line ``upto``, forgotten once taken: (the lines with a quote, any bad bytes)."""
        marks = self.marks
        quoted: list[str] = []
        bad = False
        while marks:
            number = next(iter(marks))
            if number > upto:
                break
            line, undecodable = marks.pop(number)
            bad = bad or undecodable
            if '"' in line:
                quoted.append(line)
        return quoted, bad

    def _blocks(self) -> Iterator[list[str]]:
        decode = codecs.getincrementaldecoder("utf-8")("surrogateescape").decode
        read = self._raw.read1
        carry = ""  # the start of a line whose end has not been read yet
        dropping = False  # reading through an over-long line, up to its end
        while True:
            data = read(BLOCK_BYTES)
            final = not data
            text = carry + decode(data, final)
            ascii_only = text.isascii()
            quotes = '"' in text
            bad = not ascii_only and _SURROGATE.search(text) is not None
            lines = _split(text, ascii_only)
            carry = ""
            if dropping and lines:
                head = lines[0]
                ended = head.endswith("\n") or (head.endswith("\r") and (len(lines) > 1 or final))
                if not ended and not final:  # the line goes on ("\r" at the very end may be followed by "\n")
                    carry = "\r" if head.endswith("\r") else ""
                    continue
                del lines[0]
                dropping = False
                self._skip()
            if dropping and final:
                dropping = False
                self._skip()
            if not final and lines and not lines[-1].endswith("\n"):
                carry = lines.pop()  # unfinished, or a "\r" the next block may finish with "\n"
                size = len(carry)
                if size > MAX_LINE_CHARS or (size == MAX_LINE_CHARS and not carry.endswith("\r")):
                    dropping = True
                    carry = "\r" if carry.endswith("\r") else ""
            while lines:
                limit = MAX_LINE_CHARS
                at = None if max(map(len, lines)) < limit else next(
                    (i for i, line in enumerate(lines)
                     if len(line) > limit or (len(line) == limit and not line.endswith(("\n", "\r")))), None)
                if at is None:
                    yield self._hand(lines, quotes or bad)
                    break
                if at:
                    yield self._hand(lines[:at], quotes or bad)
                self._skip()
                lines = lines[at + 1:]
            if final:
                return

    def _hand(self, lines: list[str], marked: bool) -> list[str]:
        if marked:
            for number, line in enumerate(lines, self.given + 1):
                undecodable = not line.isascii() and _SURROGATE.search(line) is not None
                if undecodable or '"' in line:
                    self.marks[number] = (line, undecodable)
        self.given += len(lines)
        return lines

    def _skip(self) -> None:
        self.skipped += 1
        self._on_overlong(self.count)


def _split(text: str, ascii_only: bool) -> list[str]:
    """``text`` cut into lines where ``readline(newline="")`` cuts it: after \\r\\n, \\r or \\n only."""
    if any(mark in text for mark in (_OTHER_BREAKS if ascii_only else _OTHER_BREAKS_WIDE)):
        return _LINE.findall(text)  # str.splitlines would also cut at these
    return text.splitlines(True)


class _OverlongHook:
    def __init__(self, report: BundleReport, file: str) -> None:
        self.report = report
        self.file = file

    def __call__(self, line: int) -> None:
        self.report.add("CSV-001", self.file, f"the line is longer than {MAX_LINE_CHARS} characters (an unclosed "
                        "quote or not CSV at all); skipped", line)


class _Validator:
    def __init__(self, report: BundleReport) -> None:
        self.r = report
        self.version = report.version
        self.specs = schema.files(report.version)
        self.states: dict[str, _FileState] = {}
        self.members: dict[str, zipfile.ZipInfo] = {}  # canonical file name -> its member
        self.incomplete: set[str] = set()
        self._header_of: dict[str, dict[int, str]] = {}

    # -- the zip itself ---------------------------------------------------------------------------------

    def run(self) -> None:
        r = self.r
        r.examine("PKG-001")
        try:
            zf = zipfile.ZipFile(r.path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            reason = "it is not a zip file" if isinstance(exc, zipfile.BadZipFile) else f"{type(exc).__name__}: {exc}"
            r.unreadable = f"{clip(r.path.name)} cannot be opened as a zip archive ({clip(str(reason), 120)})"
            r.add("PKG-001", clip(r.path.name), f"cannot be opened as a zip archive: {clip(str(reason), 120)}")
            return
        with zf:
            self._directory(zf)
            self._manifest(zf)
            for spec in self.specs:
                if spec.name in self.members:
                    self._data_file(zf, spec)

    def _directory(self, zf: zipfile.ZipFile) -> None:
        r = self.r
        known = {MANIFEST: MANIFEST, **{name: name for name in schema.file_names(self.version)}}
        by_lower = {name.lower(): name for name in known}
        other = {name.lower() for v in schema.VERSIONS for name in schema.file_names(v)} - set(by_lower)
        seen: set[str] = set()
        for info in zf.infolist():
            name = info.filename
            shown = clip(name, 120)
            r.examine("PKG-002")
            r.examine("PKG-003")
            if info.flag_bits & 0x1:
                r.add("PKG-002", shown, "is encrypted; a OneRoster bundle is a plain zip every consumer can read")
            if "/" in name or "\\" in name or info.is_dir():
                r.add("PKG-003", shown, "sits in a folder; every file of the bundle belongs at the root of the zip")
                continue
            if name in seen:
                r.add("PKG-003", shown, "appears more than once in the zip")
                continue
            seen.add(name)
            r.examine("PKG-004")
            r.examine("PKG-005")
            canonical = known.get(name) or by_lower.get(name.lower())
            if canonical is None:
                hint = f" (a OneRoster {'1.2' if self.version == '1.1' else '1.1'} file)" if name.lower() in other \
                    else ""
                r.add("PKG-005", shown, f"is not a file of the OneRoster {self.version} CSV binding{hint}")
                continue
            if canonical != name:
                r.add("PKG-004", shown, f"must be named exactly '{canonical}' (file names are case-sensitive)")
            if canonical in self.members:
                r.add("PKG-003", shown, f"is a second copy of {canonical}")
                continue
            self.members[canonical] = info
            r.examine("PKG-006")
            if info.file_size > r.max_file_bytes:
                r.rules["PKG-006"].undecided = True
                cap = _size(r.max_file_bytes)
                r.add("PKG-006", canonical, f"declares {_size(info.file_size)}, more than the {cap} edcert reads of "
                      f"one file: at most its first {cap} were validated (raise the limit with --max-file-mb or "
                      "[oneroster_csv] max_file_bytes)")

    # -- streaming one member ---------------------------------------------------------------------------

    def _stream(self, zf: zipfile.ZipFile, name: str) -> Iterator[tuple[list[int], list[list[str]]]]:
        """Every record, in batches of (first lines, fields); records encoding, quoting and read problems.

        A run of blank lines comes as records with no fields, and only when a record follows it.
        """
        r = self.r
        info = self.members[name]
        if info.flag_bits & 0x1:
            self.incomplete.add(name)
            return
        truncated = info.file_size > r.max_file_bytes
        try:
            raw = zf.open(info)
        except _READ_ERRORS as exc:
            r.add("PKG-001", name, f"cannot be read from the zip ({type(exc).__name__}: {clip(str(exc), 120)})")
            self.incomplete.add(name)
            return
        for rule in ("ENC-001", "ENC-002", "CSV-001", "CSV-002"):
            r.examine(rule)
        with raw:
            buffered = io.BufferedReader(_Capped(raw, r.max_file_bytes, truncated), 1 << 16)
            try:
                if buffered.peek(3)[:3] == BOM:
                    buffered.read(3)
                    r.add("ENC-002", name, "starts with a byte-order mark (EF BB BF); OneRoster CSV is UTF-8 "
                          "without one, and consumers read it as part of the first column name", 1)
            except _READ_ERRORS as exc:
                self._damaged(name, 0, exc)
                return
            lines = _Lines(buffered, _OverlongHook(r, name))
            reader = csv.reader(lines, strict=True)
            marks = lines.marks
            starts: list[int] = []
            rows: list[list[str]] = []
            pending: tuple[int, str] | None = None
            blank_from, blanks = 0, 0  # a run of blank lines, judged only if a record follows it
            start = 1  # the line the next record starts on
            batch = 1  # the header comes alone: what follows it is judged knowing the column names
            while True:
                try:
                    for row in reader:
                        if not row or marks or blanks or pending is not None:  # the common case skips all this
                            quoted, bad = lines.take(reader.line_num)
                            if pending is not None:
                                r.add("CSV-001", name, pending[1], pending[0])
                                pending = None
                            if not row:
                                blank_from, blanks = (blank_from or start), blanks + 1
                                start = reader.line_num + lines.skipped + 1
                                continue
                            for k in range(blanks):
                                starts.append(blank_from + k)
                                rows.append([])
                            blank_from, blanks = 0, 0
                            if quoted and _bare_quote("".join(quoted)):
                                r.add("CSV-001", name, "has a quote inside a cell that is not quoted; RFC 4180 quotes "
                                      "such a cell and doubles its quotes (\"\")", start)
                            if bad:
                                self._bad_bytes(name, start, row)
                        starts.append(start)
                        rows.append(row)
                        start = reader.line_num + lines.skipped + 1
                        if len(rows) >= batch:
                            yield starts, rows
                            starts, rows, batch = [], [], BATCH_ROWS
                    break
                except csv.Error as exc:
                    _quoted, bad = lines.take(reader.line_num)
                    if pending is not None:
                        r.add("CSV-001", name, pending[1], pending[0])
                    pending = (start, f"is not valid RFC 4180 CSV ({exc}): check the quotes on this record")
                    if bad:
                        r.add("ENC-001", name, "holds bytes that are not valid UTF-8", start)
                    start = reader.line_num + lines.skipped + 1
                except _READ_ERRORS as exc:
                    self._damaged(name, lines.count, exc)
                    if rows:
                        yield starts, rows
                    return
            if rows:
                yield starts, rows
            if pending is not None and not (truncated and pending[1].find("unexpected end of data") >= 0):
                r.add("CSV-001", name, pending[1], pending[0])
        if truncated:
            self.incomplete.add(name)

    def _records(self, zf: zipfile.ZipFile, name: str) -> Iterator[tuple[int, list[str]]]:
        """(first line, fields) of every record, one at a time."""
        for starts, rows in self._stream(zf, name):
            yield from zip(starts, rows, strict=True)

    def _damaged(self, name: str, line: int, exc: BaseException) -> None:
        where = f"after line {line}" if line else "at its start"
        self.r.add("PKG-001", name, f"the compressed data is damaged {where} ({type(exc).__name__}: "
                   f"{clip(str(exc), 120)}); the rest of the file could not be read")
        self.incomplete.add(name)

    def _bad_bytes(self, name: str, line: int, row: list[str]) -> None:
        for i, value in enumerate(row):
            if not value.isascii() and _SURROGATE.search(value):
                header = self._header_of.get(name, {}).get(i)
                self.r.add("ENC-001", name, "holds bytes that are not valid UTF-8", line, i + 1,
                           None if header is None else clip(header, 40))

    # -- manifest.csv -------------------------------------------------------------------------------------

    def _manifest(self, zf: zipfile.ZipFile) -> None:
        r = self.r
        r.examine("MAN-001")
        if MANIFEST not in self.members:
            nested = next((i.filename for i in zf.infolist() if i.filename.rsplit("/", 1)[-1].lower() == MANIFEST
                           and "/" in i.filename), None)
            hint = f" (there is one inside a folder: {clip(nested, 80)})" if nested else ""
            r.add("MAN-001", clip(r.path.name), f"has no manifest.csv at the root of the zip{hint}")
            return
        r.manifest_found = True
        props: dict[str, tuple[str, int]] = {}
        header: list[str] | None = None
        width = 2
        for line, row in self._records(zf, MANIFEST):
            if header is None:
                header = row
                width = len(row)
                self._header_of[MANIFEST] = dict(enumerate(row))
                r.examine("MAN-002")
                if tuple(row) != schema.MANIFEST_HEADER:
                    r.add("MAN-002", MANIFEST, f"the header is '{clip(','.join(row), 80)}'; it must be exactly "
                          "'propertyName,value'", line)
                continue
            if len(row) != width:
                self._width(MANIFEST, line, row, width)
                continue
            if len(row) < 2:
                continue
            prop, value = row[0], row[1]
            r.examine("MAN-006")
            if not prop:
                r.add("MAN-006", MANIFEST, "the propertyName is empty", line, 1, "propertyName")
                continue
            if prop in props:
                r.add("MAN-006", MANIFEST, f"'{clip(prop)}' is listed again (first on line {props[prop][1]}); "
                      "each property appears once", line, 1, "propertyName")
                continue
            props[prop] = (value, line)
            if not value:
                r.add("MAN-006", MANIFEST, f"'{clip(prop)}' has an empty value", line, 2, "value")
        if header is None and MANIFEST in self.incomplete:
            r.manifest_found = False
            encrypted = bool(self.members[MANIFEST].flag_bits & 0x1)
            r.manifest_problem = ("manifest.csv could not be read", "PKG-002" if encrypted else "PKG-001")
            return
        if header is None:
            r.examine("MAN-002")
            r.add("MAN-002", MANIFEST, "is empty: it has no 'propertyName,value' header", 1)
        self._manifest_values(props)

    def _manifest_values(self, props: dict[str, tuple[str, int]]) -> None:
        r = self.r
        for rule, prop, wanted in (("MAN-003", "manifest.version", schema.MANIFEST_VERSION),
                                   ("MAN-004", "oneroster.version", self.version)):
            r.examine(rule)
            if prop not in props:
                r.add(rule, MANIFEST, f"has no {prop} row (expected '{prop},{wanted}')")
            elif props[prop][0] and props[prop][0] != wanted:
                r.add(rule, MANIFEST, f"{prop} is '{clip(props[prop][0])}', expected '{wanted}'", props[prop][1],
                      2, "value")
        source = props.get("source.systemName")
        if source and source[0]:
            r.system_name = source[0]
        wanted_props = {spec.manifest_property: spec for spec in self.specs}
        for prop, spec in wanted_props.items():
            r.examine("MAN-005")
            if prop not in props:
                r.add("MAN-005", MANIFEST, f"lists no {prop} row; every file of the binding is listed as bulk, "
                      "delta or absent")
                continue
            value, line = props[prop]
            if value and value not in schema.MODES:
                r.add("MAN-005", MANIFEST, f"{prop} is '{clip(value)}', expected bulk, delta or absent", line, 2,
                      "value")
            elif value:
                r.modes[spec.name] = value
        for prop, (_value, line) in props.items():
            if prop.startswith("file.") and prop not in wanted_props:
                r.add("MAN-005", MANIFEST, f"'{clip(prop)}' names no file of the OneRoster {self.version} CSV "
                      "binding", line, 1, "propertyName")
        for spec in self.specs:
            mode = r.modes.get(spec.name)
            if mode is None:
                continue
            r.examine("MAN-007")
            present = spec.name in self.members
            if mode in ("bulk", "delta") and not present:
                r.add("MAN-007", MANIFEST, f"{spec.manifest_property} says {mode} but the zip holds no {spec.name}",
                      props[spec.manifest_property][1])
            elif mode == "absent" and present:
                r.add("MAN-007", MANIFEST, f"{spec.manifest_property} says absent but the zip holds {spec.name}",
                      props[spec.manifest_property][1])

    def _width(self, name: str, line: int, row: list[str], width: int) -> None:
        if row:
            self.r.add("CSV-002", name, f"has {len(row)} fields, the header has {width} (an unquoted comma or a "
                       "missing field)", line)
        else:
            self.r.add("CSV-002", name, f"is a blank line; every record has the header's {width} fields", line)

    # -- data files -------------------------------------------------------------------------------------

    def _data_file(self, zf: zipfile.ZipFile, spec: FileSpec) -> None:
        r = self.r
        mode = r.modes.get(spec.name)
        state = _FileState(spec, mode if mode in ("bulk", "delta") else None)
        self.states[spec.stem] = state
        batches = self._stream(zf, spec.name)
        first = next(batches, None)
        r.examine("HDR-001")
        if first is None:
            if spec.name not in self.incomplete:
                r.add("HDR-001", spec.name, "is empty: it has no header row", 1)
                state.complete = True
            return
        line, header = first[0][0], first[1][0]
        self._header_of[spec.name] = dict(enumerate(header))
        self._check_header(spec, header, line)
        index: dict[str, int] = {}
        for i, name in enumerate(header):
            index.setdefault(name, i)
        state.has_ids = "sourcedId" in index
        self._rows(spec, state, index, len(header), chain([(first[0][1:], first[1][1:])], batches))
        state.complete = spec.name not in self.incomplete
        if spec.stem not in schema.reference_targets(self.version):
            state.ids = set()

    def _check_header(self, spec: FileSpec, header: list[str], line: int) -> None:
        r = self.r
        expected = spec.header
        for i, want in enumerate(expected):
            if i >= len(header):
                r.add("HDR-001", spec.name, f"column '{want}' is missing (the header has {len(header)} columns, "
                      f"the binding {len(expected)})", line, i + 1)
                continue
            got = header[i]
            if got != want:
                case = " (only the case differs; headers are case-sensitive)" if got.lower() == want.lower() else ""
                r.add("HDR-001", spec.name, f"the header says '{clip(got, 40)}' where the binding has '{want}'{case}",
                      line, i + 1)
        for i in range(len(expected), len(header)):
            got = header[i]
            if not (got.startswith(schema.METADATA_PREFIX) and len(got) > len(schema.METADATA_PREFIX)):
                r.add("HDR-001", spec.name, f"extra column '{clip(got, 40)}': extension columns go after the "
                      "binding's columns and are named metadata.<name>", line, i + 1)

    def _rows(self, spec: FileSpec, state: _FileState, index: dict[str, int], width: int,
              batches: Iterator[tuple[list[int], list[list[str]]]]) -> None:
        r = self.r
        plan = self._plan(spec, state, index, width)
        totals = [0] * len(_COUNTED)
        for starts, rows in batches:
            counts = self._clean(plan, starts, rows) if plan.fast else None
            if counts is None:
                counts = self._judge(plan, starts, rows)
            for i, n in enumerate(counts):
                totals[i] += n
        n_rows = totals[0]
        file, ids, deferred = plan.file, plan.ids, plan.deferred
        state.complete = file not in self.incomplete
        if plan.self_refs and state.complete:
            for line, column, name, item in deferred:
                if item not in ids:
                    r.add("REF-001", file, f"names a sourcedId that is not in {file}", line, column, name)
        elif deferred:
            totals[_COUNTED.index("REF-001")] -= len(deferred)
        r.rows_read[file] += n_rows
        for rule, n in zip(_COUNTED, totals, strict=True):
            if rule:
                r.examine(rule, n)
        if plan.mode == "bulk":
            r.examine("REC-001", n_rows)
        elif plan.mode == "delta":
            r.examine("REC-002", n_rows)

    def _plan(self, spec: FileSpec, state: _FileState, index: dict[str, int], width: int) -> _Plan:
        mode = state.mode
        # optional free-text columns have nothing to check: leave them out of the per-row loop
        checked = [(index[c.name], c) for c in spec.columns
                   if c.name in index and c.name not in ("status", "dateLastModified")
                   and (c.required or c.kind not in ("text", "list"))]
        targets = {c.target: self.states.get(c.target) for _, c in checked if c.target}
        resolvable = {t: (s is not None and s.resolvable) for t, s in targets.items() if t != spec.stem}
        self_refs = spec.stem in targets and mode == "bulk"
        # per column, what the loops need, looked up once: (position, column, kind, required, the ids a
        # reference must be among when they can be known)
        columns = [(at, c, c.kind, c.required,
                    self.states[c.target].ids if c.target and c.target != spec.stem and resolvable.get(c.target)
                    else None)
                   for at, c in checked]
        return _Plan(
            file=spec.name, stem=spec.stem, mode=mode, width=width, ids=state.ids, id_at=index.get("sourcedId"),
            status_at=index.get("status"), modified_at=index.get("dateLastModified"), columns=columns,
            required_per_row=sum(1 for _, c in checked if c.required), self_refs=self_refs,
            compact=spec.stem not in schema.reference_targets(self.version),  # its ids meet only each other
            fast=mode != "delta",
            allowed={c.name: frozenset(c.values) for _, c in checked if c.kind in ("enum", "enums")})

    @staticmethod
    def _clean(plan: _Plan, starts: list[int], rows: list[list[str]]) -> tuple[int, ...] | None:
        """The counts of a batch with nothing wrong in it (its ids added), or None: judge it row by row.

        Decides a column at a time with whole-list operations. Says "clean" only when the row-by-row
        judgement (``_judge``) would find nothing; anything else, even a case that turns out fine, goes to it.
        A reference into the file itself that is not resolved yet is deferred exactly as ``_judge`` defers it.
        """
        n = len(rows)
        if not n:
            return 0, 0, 0, 0, 0, 0, 0, 0, 0
        if len(lengths := set(map(len, rows))) != 1 or plan.width not in lengths:
            return None
        for at in (plan.status_at, plan.modified_at):  # a bulk file (or one of no stated mode) leaves them blank
            if at is not None and any([row[at] for row in rows]):
                return None
        n_ids = n_sourced = n_refs = n_enums = n_dates = n_bools = 0
        keys: list[str | int] | None = None
        own: list[tuple[int, Column]] = []  # references into this same file
        for at, col, kind, required, target_ids in plan.columns:
            values = [row[at] for row in rows]
            if "" in values:
                if required:
                    return None
                values = [value for value in values if value]
                if not values:
                    continue
            if kind == "text" or kind == "list":
                continue
            if kind == "id":
                keys = _sourced_ids(values, plan.compact)
                if keys is None or not plan.ids.isdisjoint(keys):
                    return None
                n_ids += len(keys)
                n_sourced += len(keys)
                continue
            items = ",".join(values).split(",") if kind in ("refs", "enums") else values
            if kind == "ref" or kind == "refs":
                if not _all_guids(items):  # an empty item fails it too
                    return None
                n_ids += len(items)
                if target_ids is not None:
                    if not target_ids.issuperset(items):
                        return None
                    n_refs += len(items)
                elif plan.self_refs and col.target == plan.stem:
                    own.append((at, col))
                    n_refs += len(items)
            elif kind == "enum" or kind == "enums":
                if not plan.allowed[col.name].issuperset(items):
                    return None
                n_enums += len(items)
            elif kind == "date" or kind == "year" or kind == "date_or_datetime":
                test = _YEAR.fullmatch if kind == "year" else _is_date if kind == "date" else _is_date_or_datetime
                if not all(map(test, set(values))):
                    return None
                n_dates += len(values)
            elif kind == "bool":
                if not _BOOLS.issuperset(values):
                    return None
                n_bools += len(values)
        if keys is not None:
            ids = plan.ids
            before = len(ids)
            ids.update(keys)
            if len(ids) - before != len(keys):  # an id repeats within the batch: none of them was there before
                ids.difference_update(keys)
                return None
        if own:
            _defer(plan, own, starts, rows, keys or [])
        return n, n * plan.required_per_row, n_sourced, n_ids, n_refs, n_enums, n_dates, n_bools, 0

    def _judge(self, plan: _Plan, starts: list[int], rows: list[list[str]]) -> tuple[int, ...]:
        """Judge a batch row by row, cell by cell, in file order; the counts of what was examined."""
        add = self.r.add
        file, mode, ids, width, columns = plan.file, plan.mode, plan.ids, plan.width, plan.columns
        id_at, status_at, modified_at = plan.id_at, plan.status_at, plan.modified_at
        required_per_row, compact, self_refs, deferred = plan.required_per_row, plan.compact, plan.self_refs, \
            plan.deferred
        stem = plan.stem
        guid = _GUID.fullmatch
        n_rows = n_required = n_sourced = n_ids = n_refs = n_enums = n_dates = n_bools = n_datetimes = 0
        for line, row in zip(starts, rows, strict=True):
            if len(row) != width:
                self._width(file, line, row, width)
                if id_at is not None and id_at < len(row) and row[id_at]:
                    ids.add(_compact(row[id_at]) if compact else row[id_at])
                continue
            n_rows += 1
            status = row[status_at] if status_at is not None else ""
            modified = row[modified_at] if modified_at is not None else ""
            if mode == "bulk":
                if status:
                    add("REC-001", file, f"status is '{clip(status, 40)}'; a bulk file leaves it blank",
                        line, status_at + 1 if status_at is not None else None, "status")
                if modified:
                    add("REC-001", file, "dateLastModified is filled in; a bulk file leaves it blank", line,
                        modified_at + 1 if modified_at is not None else None, "dateLastModified")
            elif mode == "delta":
                if status_at is not None:
                    if not status:
                        add("REC-002", file, "status is blank; every row of a delta file says active or "
                            "tobedeleted", line, status_at + 1, "status")
                    elif status not in schema.STATUSES:
                        add("REC-002", file, f"status is '{clip(status, 40)}', expected active or tobedeleted",
                            line, status_at + 1, "status")
                if modified_at is not None and not modified:
                    add("REC-002", file, "dateLastModified is blank; every row of a delta file has one", line,
                        modified_at + 1, "dateLastModified")
            if modified and mode != "bulk" and modified_at is not None:
                n_datetimes += 1
                if not _is_datetime(modified):
                    add("FMT-003", file, f"dateLastModified is '{clip(modified, 40)}', expected a UTC date-time "
                        "YYYY-MM-DDTHH:MM:SS.sssZ", line, modified_at + 1, "dateLastModified")
            deleted = mode == "delta" and status == "tobedeleted"
            n_required += required_per_row  # every required cell is examined, blank or not
            for at, col, kind, required, target_ids in columns:
                value = row[at]
                if not value:
                    if required and (not deleted or kind == "id"):
                        add("REC-003", file, f"{col.name} is blank; the binding requires it", line, at + 1, col.name)
                    continue
                if kind == "text" or kind == "list":
                    continue
                if kind == "id":
                    n_ids += 1
                    n_sourced += 1
                    if not guid(value):
                        add("ID-001", file, f"the sourcedId {_describe_bad_guid(value)}", line, at + 1, col.name)
                    key = _compact(value) if compact else value
                    if key in ids:
                        add("ID-002", file, "repeats a sourcedId already used on an earlier line of this file",
                            line, at + 1, col.name)
                    else:
                        ids.add(key)
                elif kind == "ref" or kind == "refs":
                    items = value.split(",") if kind == "refs" else (value,)
                    for item in items:
                        n_ids += 1
                        if not item:
                            add("ID-001", file, "the list holds an empty item (two commas, or one at an end)", line,
                                at + 1, col.name)
                            continue
                        if not guid(item):
                            add("ID-001", file, f"a referenced sourcedId {_describe_bad_guid(item)}", line, at + 1,
                                col.name)
                        if target_ids is not None:
                            n_refs += 1
                            if item not in target_ids:
                                add("REF-001", file, f"names a sourcedId that is not in {col.target}.csv", line,
                                    at + 1, col.name)
                        elif self_refs and col.target == stem:
                            n_refs += 1
                            if item not in ids:
                                deferred.append((line, at + 1, col.name, item))
                elif kind == "enum" or kind == "enums":
                    items = value.split(",") if kind == "enums" else (value,)
                    for item in items:
                        n_enums += 1
                        if item not in col.values and not (col.ext and _EXT.fullmatch(item)):
                            allowed = ", ".join(col.values) + (", or ext:<name>" if col.ext else "")
                            add("FMT-001", file, f"{col.name} is{_shown(col, item)}, not one of {allowed} "
                                "(values are case-sensitive)", line, at + 1, col.name)
                elif kind == "date" or kind == "year" or kind == "date_or_datetime":
                    n_dates += 1
                    if kind == "year":
                        if not _YEAR.fullmatch(value):
                            add("FMT-002", file, f"{col.name} is{_shown(col, value)}, expected a year YYYY", line,
                                at + 1, col.name)
                    elif not (_is_date(value) or (kind == "date_or_datetime" and _is_datetime(value))):
                        wanted = "a date YYYY-MM-DD" + (" or a date-time" if kind == "date_or_datetime" else "")
                        add("FMT-002", file, f"{col.name} is{_shown(col, value)}, expected {wanted}", line, at + 1,
                            col.name)
                elif kind == "bool":
                    n_bools += 1
                    if value != "true" and value != "false":
                        add("FMT-004", file, f"{col.name} is{_shown(col, value)}, expected true or false "
                            "(lower case)", line, at + 1, col.name)
        return n_rows, n_required, n_sourced, n_ids, n_refs, n_enums, n_dates, n_bools, n_datetimes


def _defer(plan: _Plan, own: list[tuple[int, Column]], starts: list[int], rows: list[list[str]],
           keys: list[str | int]) -> None:
    """Defer, as ``_judge`` does, the references into the file itself of a clean batch whose ids were just added.

    ``_judge`` adds a row's id before it reads the row's references: an item is deferred when it is not
    the id of an earlier batch, of an earlier row of this batch, or of its own row.
    """
    ids = plan.ids
    row_of: dict[str | int, int] | None = None
    deferred: list[tuple[int, int, str, str]] = []
    for at, col in own:
        for i, value in enumerate([row[at] for row in rows]):
            if not value:
                continue
            for item in value.split(",") if col.kind == "refs" else (value,):
                if item in ids:
                    if row_of is None:
                        row_of = {key: k for k, key in enumerate(keys)}
                    if row_of.get(item, -1) <= i:
                        continue
                deferred.append((starts[i], at + 1, col.name, item))
    deferred.sort(key=lambda entry: (entry[0], entry[1]))  # file order, as _judge finds them (the sort is stable)
    plan.deferred.extend(deferred)


def _size(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"
