"""The CSV validator's fast paths find exactly what the plain row-by-row reading finds.

Two fast paths (``_validator``):
- ``_Lines`` reads a file a block at a time and hands ``csv.reader`` whole lists of lines; a line is cut
  where ``readline(newline="")`` cuts it, and over-long lines are skipped and reported.
- ``_Validator._clean`` passes a batch of rows with whole-list operations when nothing in it is wrong;
  any batch it cannot pass is judged row by row (``_judge``), as every row was before.

The reference here is the validator with one-row batches and ``_clean`` switched off (the row-by-row
judgement alone) reading 7-byte blocks. Messy bundles (cell edits and raw byte edits, seeded) must give
the same report, finding for finding, with the default sizes and with small batches and blocks.
"""
from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest

from edcert.conformance.oneroster_csv import _validator
from edcert.conformance.oneroster_csv._validator import BundleReport, validate_bundle
from edcert.fixtures.csv_bundles import Bundle, _csv_bytes, conformant, zip_bytes

SEEDS = range(36)
OVERLONG = 300  # MAX_LINE_CHARS while these tests run, so a bundle can hold an over-long line


def summary(report: BundleReport) -> dict[str, Any]:
    """Everything a report says: per rule every kept finding in order, the counts, files and what was examined."""
    return {
        "rules": {key: ([f.render() for f in tally.kept], tally.count, dict(tally.files), tally.examined,
                        tally.undecided) for key, tally in report.rules.items()},
        "rows_read": dict(report.rows_read), "modes": dict(report.modes), "unreadable": report.unreadable,
        "manifest": (report.manifest_found, report.manifest_problem, report.system_name),
    }


def reference(path: Path, version: str, monkeypatch: pytest.MonkeyPatch, max_file_bytes: int) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        patch.setattr(_validator, "BATCH_ROWS", 1)
        patch.setattr(_validator, "BLOCK_BYTES", 7)
        patch.setattr(_validator._Validator, "_clean", staticmethod(lambda plan, starts, rows: None))
        return summary(validate_bundle(path, version, max_file_bytes=max_file_bytes))  # type: ignore[arg-type]


def fast(path: Path, version: str, monkeypatch: pytest.MonkeyPatch, max_file_bytes: int, batch: int,
         block: int) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        patch.setattr(_validator, "BATCH_ROWS", batch)
        patch.setattr(_validator, "BLOCK_BYTES", block)
        return summary(validate_bundle(path, version, max_file_bytes=max_file_bytes))  # type: ignore[arg-type]


# -- messy bundles ----------------------------------------------------------------------------------------


def _pick(rng: random.Random, table: list[list[str]]) -> tuple[int, int]:
    return rng.randrange(1, len(table)), rng.randrange(len(table[0]))


def _column(table: list[list[str]], name: str) -> int | None:
    return table[0].index(name) if name in table[0] else None


def _cell_edit(rng: random.Random, bundle: Bundle) -> None:
    stem = rng.choice([s for s, t in bundle.tables.items() if len(t) > 2])
    table = bundle.tables[stem]
    row, col = _pick(rng, table)
    other = rng.randrange(1, len(table))
    ids = [r[0] for r in table[1:] if r]
    users = [r[0] for r in bundle.tables.get("users", [["x"], ["x"]])[1:] if r]
    kind = rng.randrange(22)
    cells = table[row]
    if not table[other] or len(cells) < len(table[0]):
        return  # an edit before made this row blank or short: leave it so
    if kind == 0:
        cells[col] = ""
    elif kind == 1:
        cells[0] = table[other][0]  # a duplicate, earlier or later
    elif kind == 2:
        cells[col] = rng.choice(["has space", "ümlaut", "x" * 260, "a,b", "ext:thing", "Student", "TRUE"])
    elif kind == 3:
        cells[col] = "missing-" + cells[col]
    elif kind == 4:
        cells[col] = rng.choice(["a,,b", ",x", "y,", "2026-02-30", "2026-13-01", "20x6", "2026-08-17T25:00:00Z"])
    elif kind == 5 and (at := _column(table, "status")) is not None:
        cells[at] = rng.choice(["active", "tobedeleted", "gone", ""])
    elif kind == 6 and (at := _column(table, "dateLastModified")) is not None:
        cells[at] = rng.choice(["2026-08-17T02:00:00.000Z", "yesterday", ""])
    elif kind == 7 and (at := _column(table, "agentSourcedIds")) is not None:
        cells[at] = ",".join(rng.sample(users, min(len(users), rng.randrange(1, 3))))  # backwards and forwards
    elif kind == 8 and (at := _column(table, "agentSourcedIds")) is not None:
        cells[at] = rng.choice([cells[0], "nobody", f"{rng.choice(users)},nobody"])
    elif kind == 9 and (at := _column(table, "parentSourcedId")) is not None:
        cells[at] = rng.choice([*ids, "nobody"])
    elif kind == 10:
        cells.append("extra")
    elif kind == 11:
        cells.pop()
    elif kind == 12:
        cells[col] = rng.choice(['a "quoted" word', "two\r\nlines", "one\nline", "comma, inside", 'x"'])
    elif kind == 13:
        cells[col] = rng.choice(["v\x0bt", "f\x0cf", "fs\x1c", "nel\x85", "ls\u2028", "ps\u2029", "gs\x1d\x1e"])
    elif kind == 14:
        cells[col] = "L" * (OVERLONG + rng.randrange(-3, 40))
    elif kind == 15:
        table.insert(row, [])  # a blank line
    elif kind == 16 and (at := _column(table, "role")) is not None:
        cells[at] = rng.choice(["student", "teacher", "ext:coach", "Teacher", "ext:", "student,teacher"])
    elif kind == 17 and (at := _column(table, "enabledUser")) is not None:
        cells[at] = rng.choice(["true", "false", "yes", ""])
    elif kind == 18:
        table[row], table[other] = table[other], table[row]  # a reference now points forwards
    elif kind == 19:
        cells[0] = str(rng.randrange(10**6))  # not a UUID: held as text in a file nothing references
    elif kind == 20:
        cells[0] = cells[0].upper()
    else:
        table.insert(row, list(table[other]))  # a whole row again


def _raw_edit(rng: random.Random, data: bytes) -> bytes:
    kind = rng.randrange(9)
    at = rng.randrange(len(data) + 1)
    if kind == 0:
        return data.replace(b"\r\n", rng.choice([b"\r", b"\n"]), rng.randrange(1, 50))
    if kind == 1:
        return data[:at] + b"\r\n\r\n" + data[at:]
    if kind == 2:
        return data[:at] + b'"' + data[at:]  # a bare quote, or an unclosed one
    if kind == 3:
        return data[:at] + rng.choice([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80"]) + data[at:]
    if kind == 4:
        return data.rstrip(b"\r\n")  # no line end at the end
    if kind == 5:
        return b"\xef\xbb\xbf" + data
    if kind == 6:
        return data[:at] + b"\r" + data[at:]
    if kind == 7:
        return data[:at] + b"\xc3\xa9" + data[at:]  # valid UTF-8, not ASCII
    return data + b"\r\n\r\n"  # blank lines at the end


def messy(seed: int, version: str) -> tuple[bytes, int]:
    """A bundle with a few seeded defects, and the most bytes of a file to read (sometimes fewer than one has)."""
    rng = random.Random(seed)
    bundle = conformant(version, rng.choice(["bulk", "bulk", "delta"]))
    for _ in range(rng.randrange(1, 6)):
        _cell_edit(rng, bundle)
    members = [("manifest.csv", _csv_bytes(bundle.manifest))]
    for stem in bundle.tables:
        data = _csv_bytes(bundle.tables[stem])
        for _ in range(rng.randrange(3) if rng.random() < 0.4 else 0):
            data = _raw_edit(rng, data)
        members.append((f"{stem}.csv", data))
    cap = rng.choice([_validator.DEFAULT_MAX_FILE_BYTES] * 5 + [rng.randrange(200, 4000)])
    return zip_bytes(members), cap


@pytest.fixture(autouse=True)
def _short_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_validator, "MAX_LINE_CHARS", OVERLONG)


@pytest.mark.parametrize("version", ["1.1", "1.2"])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_messy_bundle_is_judged_as_row_by_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int,
                                                 version: str) -> None:
    data, cap = messy(seed, version)
    path = tmp_path / "bundle.zip"
    path.write_bytes(data)
    expected = reference(path, version, monkeypatch, cap)
    assert fast(path, version, monkeypatch, cap, _validator.BATCH_ROWS, _validator.BLOCK_BYTES) == expected
    assert fast(path, version, monkeypatch, cap, 3, 64) == expected


def test_the_messy_bundles_exercise_both_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeds above find something wrong in most bundles, and small batches are passed whole and judged."""
    passed = judged = with_findings = 0
    clean, judge = _validator._Validator._clean, _validator._Validator._judge

    def counting_clean(plan: Any, starts: list[int], rows: list[list[str]]) -> Any:
        nonlocal passed
        result = clean(plan, starts, rows)
        passed += result is not None and len(rows) > 0
        return result

    def counting_judge(self: Any, plan: Any, starts: list[int], rows: list[list[str]]) -> Any:
        nonlocal judged
        judged += 1
        return judge(self, plan, starts, rows)

    monkeypatch.setattr(_validator._Validator, "_clean", staticmethod(counting_clean))
    monkeypatch.setattr(_validator._Validator, "_judge", counting_judge)
    for seed in SEEDS:
        data, cap = messy(seed, "1.2")
        path = tmp_path / f"{seed}.zip"
        path.write_bytes(data)
        report = fast(path, "1.2", monkeypatch, cap, 3, 64)
        with_findings += any(count for _kept, count, *_ in report["rules"].values())
    assert with_findings >= len(SEEDS) * 3 // 4
    assert passed > 100 and judged > 100


# -- the lines csv.reader is handed ---------------------------------------------------------------------


def readline_lines(data: bytes) -> list[str]:
    """The lines ``io.TextIOWrapper(newline="").readline`` cuts the bytes into (the reference)."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape", newline="")
    return list(iter(text.readline, ""))


def handed(data: bytes, block: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[int], int]:
    """(the lines _Lines hands on, the physical line numbers it reports over-long, the lines it counted)."""
    reported: list[int] = []

    class Hook:
        def __call__(self, line: int) -> None:
            reported.append(line)

    monkeypatch.setattr(_validator, "BLOCK_BYTES", block)
    lines = _validator._Lines(io.BufferedReader(io.BytesIO(data)), Hook())  # type: ignore[arg-type]
    out = list(lines)
    return out, reported, lines.count


PIECES = ["a", "b,c", "\r", "\n", "\r\n", '"', "é", "\u2028", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e",
          "\udcff", "€", "x" * 40]


def assert_handed_like_readline(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line readline cuts is handed on, in order, except the over-long ones, reported by their number."""
    physical = readline_lines(data)  # without a limit, readline returns a line however long
    kept = [line for line in physical if not _over(line)]
    skipped = [n for n, line in enumerate(physical, 1) if _over(line)]
    for block in (1, 2, 3, 5, 64, 1 << 16):
        lines, reported, count = handed(data, block, monkeypatch)
        assert lines == kept, block
        assert reported == skipped and count == len(physical), block


def _over(line: str) -> bool:
    """Longer than the limit with its line end, or exactly as long without one (readline's limit would cut it)."""
    return len(line) > OVERLONG or (len(line) == OVERLONG and not line.endswith(("\n", "\r")))


@pytest.mark.parametrize("seed", range(60))
def test_lines_are_cut_where_readline_cuts_them(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 400)))
    assert_handed_like_readline(text.encode("utf-8", "surrogateescape"), monkeypatch)


def long_and_short_lines(seed: int) -> bytes:
    """Lines of lengths around the limit, with every kind of line end; sometimes none at the very end."""
    rng = random.Random(seed)
    lengths = [0, 5, OVERLONG - 2, OVERLONG - 1, OVERLONG, OVERLONG + 1, 3 * OVERLONG]
    lines = ["y" * rng.choice(lengths) + rng.choice(["\r\n", "\n", "\r"]) for _ in range(rng.randrange(1, 12))]
    if rng.random() < 0.5:
        lines[-1] = lines[-1].rstrip("\r\n")
    return "".join(lines).encode()


@pytest.mark.parametrize("seed", range(40))
def test_over_long_lines_are_skipped_and_counted(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    assert_handed_like_readline(long_and_short_lines(seed), monkeypatch)


def test_most_of_those_hold_an_over_long_line() -> None:
    holding = sum(any(map(_over, readline_lines(long_and_short_lines(seed)))) for seed in range(40))
    assert holding >= 25


# -- the whole-list tests agree with the one-value tests ---------------------------------------------------


SOURCED_IDS = ["a", "A.b/c@d_e-f", "x" * 255, "x" * 256, "", " ", "a b", "a\nb", "ü", "a,b", "\udcff", "é" * 3,
               "0f1551ba-7558-42ae-9719-af35e661bb3d", "tab\t", "*"]


@pytest.mark.parametrize("value", SOURCED_IDS)
def test_all_guids_agrees_with_the_pattern_on_each_value(value: str) -> None:
    ok = _validator._GUID.fullmatch
    for values in ([value], ["good", value], [value, "good", value]):
        assert _validator._all_guids(values) == all(ok(v) for v in values), values


UUID_LIKE = [
    "0f1551ba-7558-42ae-9719-af35e661bb3d",   # canonical
    "0F1551BA-7558-42AE-9719-AF35E661BB3D",   # upper case: another id
    "0f1551ba-7558-42ae-9719a-f35e661bb3d",   # a dash moved: the same digits
    "0f1551ba7-558-42ae-9719-af35e661bb3d",
    "0f1551ba-7558-42ae-9719-af35e661bb3-",
    "0f1551ba-7558-42ae-9719-af35e661bb3dd",
    "0f1551ba-7558-42ae-9719-af35e661bb3",
    "0f1551ba-7558-42ae-9719-af35e661bg3d",
    "0f1551ba-7558-42ae-9719-af35e661bb3d ",
    "{0f1551ba-7558-42ae-9719-af35e661bb3}",
    "0f1551ba 7558 42ae 9719 af35e661bb3d",   # bytes.fromhex would take the spaces
    "0f1551ba-7558-42ae-9719-af35e661bb٣d",   # a digit that is not ASCII
]


@pytest.mark.parametrize("value", UUID_LIKE)
def test_packed_ids_are_the_compact_ids(value: str) -> None:
    canonical = UUID_LIKE[0]
    for values in ([value], [canonical, value], [value, canonical]):
        packed = _validator._packed_uuids(values)
        compact = [_validator._compact(v) for v in values]
        assert packed is None or packed == compact, values
        if value != canonical:
            assert packed is None  # only canonical UUIDs are packed
    assert value == canonical or _validator._compact(value) != _validator._compact(canonical)  # never its key


def test_self_references_are_deferred_as_row_by_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user naming itself, an earlier and a later user of its batch; judged whole and with the file cut short.

    Only a cut file shows what was deferred: references still waiting when reading stops are not counted.
    """
    bundle = conformant("1.2")
    table = bundle.tables["users"]
    at = table[0].index("agentSourcedIds")
    ids = [row[0] for row in table[1:]]
    for n, row in enumerate(table[1:]):
        row[at] = ",".join(dict.fromkeys([ids[n], ids[(n + 2) % len(ids)], ids[n - 1]]))
    data = bundle.zip()
    path = tmp_path / "self.zip"
    path.write_bytes(data)
    users = len(bundle.file_bytes("users"))
    seen = set()
    for cap in (_validator.DEFAULT_MAX_FILE_BYTES, users - 1, users * 2 // 3, users // 3):
        expected = reference(path, "1.2", monkeypatch, cap)
        seen.add(expected["rules"]["REF-001"][3])
        for batch in (2, 3, 4, _validator.BATCH_ROWS):
            assert fast(path, "1.2", monkeypatch, cap, batch, 64) == expected, (cap, batch)
    assert len(seen) == 4  # each cut leaves a different number of references judged
