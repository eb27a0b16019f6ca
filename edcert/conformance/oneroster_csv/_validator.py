"""Read a OneRoster CSV zip once, streaming, and collect what is wrong with it, per rule.

One pass: the zip's directory first (sizes, names, flags), then ``manifest.csv``, then every data file in
an order where each file comes after the files it references, each read through
``csv.reader(io.TextIOWrapper(zipfile.open(...)))`` and never loaded whole. What stays in memory is
bounded: the sourcedIds of the files other files reference (to resolve references and find duplicates),
the self-references that point forward in their own file until that file ends, and at most
``MAX_KEPT`` findings per rule (the rest are only counted).

Findings name the file, the line and the column; they show a cell's value only when the column is not
personal data and the value is a code (an enumeration, a date, a boolean, a status), never a name, an
email, a birth date, an identifier or a sourcedId.
"""
from __future__ import annotations

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
from pathlib import Path
from typing import IO, Any

from edcert.conformance.oneroster_csv import _schema as schema
from edcert.conformance.oneroster_csv._schema import MANIFEST, Column, FileSpec, Version

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


def _compact(value: str) -> str | int:
    """A canonical lower-case UUID as its 128-bit number (48 bytes held instead of 88), anything else as is.

    One to one, and an int never equals a str: a set of these finds exactly the duplicates a set of the
    strings would. Used where ids are only compared with each other (a file nothing references), so a
    million-row file's duplicate check holds about 40 MB less.
    """
    if len(value) == 36 and _UUID_TEXT.fullmatch(value):
        return int(value.replace("-", ""), 16)
    return value
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
    """The text lines of a file for csv.reader, counted, with over-long lines skipped and reported."""

    def __init__(self, text: io.TextIOWrapper, on_overlong: _OverlongHook) -> None:
        self._text = text
        self._on_overlong = on_overlong
        self.count = 0
        self.bad_bytes = False
        self.quoted: list[str] = []  # raw lines of the current record that hold a quote

    def __iter__(self) -> Iterator[str]:
        readline = self._text.readline
        while True:
            line = readline(MAX_LINE_CHARS)
            if not line:
                return
            self.count += 1
            if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
                while True:
                    more = readline(MAX_LINE_CHARS)
                    if not more or more.endswith(("\n", "\r")):
                        break
                self._on_overlong(self.count)
                continue
            if not line.isascii() and _SURROGATE.search(line):
                self.bad_bytes = True
            if '"' in line:
                self.quoted.append(line)
            yield line


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

    def _stream(self, zf: zipfile.ZipFile, name: str) -> Iterator[tuple[int, list[str], _Lines]]:
        """(first line, fields, line counter) of every record; records encoding, quoting and read problems."""
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
            text = io.TextIOWrapper(buffered, encoding="utf-8", errors="surrogateescape", newline="")
            lines = _Lines(text, _OverlongHook(r, name))
            reader = csv.reader(lines, strict=True)
            pending: tuple[int, str] | None = None
            blank_from, blanks = 0, 0  # a run of blank lines, judged only if a record follows it
            while True:
                start = lines.count + 1
                if lines.quoted:
                    lines.quoted.clear()
                # lines.bad_bytes is False here: every branch below that can find it set clears it
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    if pending is not None:
                        r.add("CSV-001", name, pending[1], pending[0])
                    pending = (start, f"is not valid RFC 4180 CSV ({exc}): check the quotes on this record")
                    if lines.bad_bytes:
                        r.add("ENC-001", name, "holds bytes that are not valid UTF-8", start)
                        lines.bad_bytes = False
                    continue
                except _READ_ERRORS as exc:
                    self._damaged(name, lines.count, exc)
                    return
                if pending is not None:
                    r.add("CSV-001", name, pending[1], pending[0])
                    pending = None
                if not row:
                    blank_from, blanks = (blank_from or start), blanks + 1
                    lines.bad_bytes = False
                    continue
                if blanks:
                    for k in range(blanks):
                        yield blank_from + k, [], lines
                    blank_from, blanks = 0, 0
                if lines.quoted and _bare_quote("".join(lines.quoted)):
                    r.add("CSV-001", name, "has a quote inside a cell that is not quoted; RFC 4180 quotes such "
                          "a cell and doubles its quotes (\"\")", start)
                if lines.bad_bytes:
                    self._bad_bytes(name, start, row)
                    lines.bad_bytes = False
                yield start, row, lines
            if pending is not None and not (truncated and pending[1].find("unexpected end of data") >= 0):
                r.add("CSV-001", name, pending[1], pending[0])
        if truncated:
            self.incomplete.add(name)

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
        for line, row, _lines in self._stream(zf, MANIFEST):
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
        rows = self._stream(zf, spec.name)
        first = next(rows, None)
        r.examine("HDR-001")
        if first is None:
            if spec.name not in self.incomplete:
                r.add("HDR-001", spec.name, "is empty: it has no header row", 1)
                state.complete = True
            return
        line, header, _lines = first
        self._header_of[spec.name] = dict(enumerate(header))
        self._check_header(spec, header, line)
        index: dict[str, int] = {}
        for i, name in enumerate(header):
            index.setdefault(name, i)
        state.has_ids = "sourcedId" in index
        self._rows(spec, state, index, len(header), rows)
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
              rows: Iterator[tuple[int, list[str], _Lines]]) -> None:
        r = self.r
        add = r.add
        file = spec.name
        mode = state.mode
        ids = state.ids
        id_at = index.get("sourcedId")
        status_at = index.get("status")
        modified_at = index.get("dateLastModified")
        # optional free-text columns have nothing to check: leave them out of the per-row loop
        checked = [(index[c.name], c) for c in spec.columns
                   if c.name in index and c.name not in ("status", "dateLastModified")
                   and (c.required or c.kind not in ("text", "list"))]
        targets = {c.target: self.states.get(c.target) for _, c in checked if c.target}
        resolvable = {t: (s is not None and s.resolvable) for t, s in targets.items() if t != spec.stem}
        self_refs = spec.stem in targets and mode == "bulk"
        # per column, what the loop below needs, looked up once: (position, column, kind, required, the ids a
        # reference must be among when they can be known)
        columns = [(at, c, c.kind, c.required,
                    self.states[c.target].ids if c.target and c.target != spec.stem and resolvable.get(c.target)
                    else None)
                   for at, c in checked]
        required_per_row = sum(1 for _, c in checked if c.required)
        guid = _GUID.fullmatch
        compact = spec.stem not in schema.reference_targets(self.version)  # its ids meet only each other
        deferred: list[tuple[int, int, str, str]] = []
        n_rows = n_required = n_sourced = n_ids = n_refs = n_enums = n_dates = n_bools = n_datetimes = 0
        for line, row, _lines in rows:
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
                        elif self_refs and col.target == spec.stem:
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
        state.complete = file not in self.incomplete
        if self_refs and state.complete:
            for line, column, name, item in deferred:
                if item not in ids:
                    add("REF-001", file, f"names a sourcedId that is not in {file}", line, column, name)
        elif deferred:
            n_refs -= len(deferred)
        r.rows_read[file] += n_rows
        counts = {"REC-003": n_required, "ID-001": n_ids, "ID-002": n_sourced, "REF-001": n_refs, "FMT-001": n_enums,
                  "FMT-002": n_dates, "FMT-004": n_bools, "FMT-003": n_datetimes}
        for rule, n in counts.items():
            r.examine(rule, n)
        if mode == "bulk":
            r.examine("REC-001", n_rows)
        elif mode == "delta":
            r.examine("REC-002", n_rows)


def _size(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"
