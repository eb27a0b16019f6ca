"""``edcert compare``: several vendors' scorecards side by side, for a purchasing decision.

Rows: the overall gate, each standard (verdict and score), each category (pass rate), each must-have check
(outcome); one column per vendor. Rendering lives in :mod:`edcert.harness.writers.compare`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from edcert.harness.diff import is_must_have
from edcert.harness.scorecard import CheckResult, Outcome, Scorecard
from edcert.harness.writers.markdown import standard_name

Status = Literal["good", "bad", "warn", "none"]
_DECIDED = (Outcome.PASSED, Outcome.FAILED, Outcome.ERROR)


@dataclass(frozen=True)
class Column:
    """One vendor (one scorecard)."""

    vendor: str
    product: str
    version: str
    source: str
    tested_at: str
    harness_version: str
    complete: bool
    profile: str = ""
    """The district profile the verdicts follow ("" when none)."""


@dataclass(frozen=True)
class Cell:
    """One vendor's value in one row: the text shown and how it reads (good, bad, warn, none)."""

    text: str
    status: Status


@dataclass
class Row:
    """One line of the matrix."""

    label: str
    detail: str
    cells: list[Cell]

    @property
    def differs(self) -> bool:
        """The vendors do not all have the same result here (the rows a committee should read first)."""
        return len({c.text for c in self.cells}) > 1

    @property
    def any_bad(self) -> bool:
        return any(c.status in ("bad", "warn") for c in self.cells)


@dataclass
class Comparison:
    """The whole matrix."""

    columns: list[Column]
    overall: Row
    standards: list[Row] = field(default_factory=list)
    categories: list[Row] = field(default_factory=list)
    must_haves: list[Row] = field(default_factory=list)
    generated_at: str = ""

    @property
    def must_haves_all_passed(self) -> int:
        return sum(1 for r in self.must_haves if all(c.status == "good" for c in r.cells))


def _column(source: Path, sc: Scorecard) -> Column:
    return Column(vendor=sc.vendor.name, product=sc.vendor.product, version=sc.vendor.version,
                  source=str(source), tested_at=sc.started_at.strftime("%Y-%m-%d %H:%M UTC"),
                  harness_version=sc.harness.version, complete=sc.complete,
                  profile=sc.profile.name if sc.profile is not None else "")


def _overall(sc: Scorecard) -> Cell:
    passed = bool(sc.gate.get("passed")) if "passed" in sc.gate else (
        bool(sc.standards) and all(s.verdict == "certified" for s in sc.standards) and sc.complete)
    if not sc.complete:
        return Cell("incomplete run", "warn")
    return Cell("recommended" if passed else "not recommended", "good" if passed else "bad")


def _standard_cell(sc: Scorecard, standard: str) -> Cell:
    for s in sc.standards:
        if s.standard != standard:
            continue
        if s.status == "not_claimed":
            return Cell("required, not claimed", "bad")
        if s.status == "not_implemented":
            return Cell("edcert cannot test it yet", "none")
        certified = s.verdict == "certified"
        text = f"{'certified' if certified else 'not certified'} · {s.score:.0f}/100"
        if not s.required:
            return Cell(text + " (not required)", "none")
        return Cell(text, "good" if certified else "bad")
    return Cell("not claimed", "none")


def _category_cell(checks: list[CheckResult]) -> Cell:
    if not checks:
        return Cell("not claimed", "none")
    decided = [c for c in checks if c.outcome in _DECIDED]
    if not decided:
        return Cell("not tested", "none")
    passed = sum(1 for c in decided if c.outcome is Outcome.PASSED)
    rate = 100.0 * passed / len(decided)
    status: Status = "good" if passed == len(decided) else ("warn" if rate >= 80 else "bad")
    return Cell(f"{passed} of {len(decided)} ({rate:.0f}%)", status)


def _check_cell(check: CheckResult | None) -> Cell:
    if check is None:
        return Cell("not run", "none")
    outcome = check.outcome
    if outcome is Outcome.PASSED:
        return Cell("passed", "good")
    if outcome is Outcome.FAILED:
        return Cell("failed (waived)", "warn") if check.waived else Cell("failed", "bad")
    if outcome is Outcome.ERROR:
        return Cell("undecided", "warn")
    return Cell(outcome.value.replace("_", " "), "none")


def compare_scorecards(scorecards: list[tuple[Path, Scorecard]]) -> Comparison:
    """Build the side-by-side matrix, one column per scorecard, in the order given."""
    cards = [sc for _, sc in scorecards]
    comparison = Comparison(
        columns=[_column(path, sc) for path, sc in scorecards],
        overall=Row("Overall", "every required check of every claimed standard", [_overall(sc) for sc in cards]),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    standards = sorted({s.standard for sc in cards for s in sc.standards})
    for std in standards:
        comparison.standards.append(Row(standard_name(std), "verdict · score",
                                        [_standard_cell(sc, std) for sc in cards]))
    for std in standards:
        categories = sorted({c.category for sc in cards for c in sc.checks if c.standard == std})
        for category in categories:
            cells = [_category_cell([c for c in sc.checks if c.standard == std and c.category == category])
                     for sc in cards]
            comparison.categories.append(Row(category, standard_name(std), cells))
    must: dict[str, CheckResult] = {}
    for sc in cards:
        for c in sc.checks:
            if is_must_have(c):
                must.setdefault(c.id, c)
    by_id = [{c.id: c for c in sc.checks} for sc in cards]
    rows = [Row(check.title, check.id, [_check_cell(index.get(check_id)) for index in by_id])
            for check_id, check in must.items()]
    # the rows a committee must read first: where some vendor did not pass, then where the vendors differ
    comparison.must_haves = sorted(rows, key=lambda r: (not r.any_bad, not r.differs, r.detail))
    return comparison
