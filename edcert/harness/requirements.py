"""Requirements as data, and which checks cover them.

Each standard's requirements live in a TOML table under
``edcert/fixtures/requirements/`` (id, section, our own one-line summary,
MUST/SHOULD/MAY, and a ``not_tested`` reason where edcert does not test one).
Checks name the requirement ids they enforce (``@check(requirements=...)``);
:func:`coverage` joins the two, per standard, and lists what is wrong: MUSTs
with neither a check nor a reason, references to unknown ids, checks that name
no requirement, and requirements said to be untested that a check does cover.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

from edcert.harness.errors import HarnessError
from edcert.harness.registry import CheckSpec

RequirementLevel = Literal["MUST", "SHOULD", "MAY"]
LEVELS: tuple[RequirementLevel, ...] = ("MUST", "SHOULD", "MAY")
_ID_RE = re.compile(r"^[A-Z][A-Z0-9]*-REQ(-[A-Za-z0-9]+)+$")
_KEYS = {"id", "section", "level", "summary", "not_tested"}


@dataclass(frozen=True)
class Requirement:
    """One requirement of one standard.

    Attributes:
        id: Stable id, e.g. ``OR12-REQ-PAGE-LIMIT``.
        standard: The standard it belongs to, e.g. ``oneroster-1.2``.
        section: Where the spec states it.
        summary: Our own one-line wording (not the spec's text).
        level: ``MUST``, ``SHOULD`` or ``MAY``.
        not_tested: Why edcert does not test it, when it does not.
    """

    id: str
    standard: str
    section: str
    summary: str
    level: RequirementLevel
    not_tested: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "section": self.section, "summary": self.summary, "level": self.level,
                "not_tested": self.not_tested}


@dataclass(frozen=True)
class RequirementTable:
    """Every requirement edcert knows for one standard."""

    standard: str
    title: str
    requirements: tuple[Requirement, ...]
    source: str = ""

    def get(self, requirement_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == requirement_id), None)


@dataclass
class StandardCoverage:
    """Requirement → checks for one standard, and what is wrong with it."""

    standard: str
    title: str
    rows: list[tuple[Requirement, list[str]]] = field(default_factory=list)
    unknown_references: dict[str, list[str]] = field(default_factory=dict)
    checks_without_requirements: list[str] = field(default_factory=list)

    @property
    def uncovered_musts(self) -> list[Requirement]:
        """MUSTs with no check and no reason for not testing them."""
        return [r for r, checks in self.rows if r.level == "MUST" and not checks and not r.not_tested]

    @property
    def tested_but_said_untested(self) -> list[Requirement]:
        """Requirements carrying a not_tested reason although a check covers them."""
        return [r for r, checks in self.rows if checks and r.not_tested]

    @property
    def problems(self) -> list[str]:
        """Every inconsistency, one line each (empty when the coverage is sound)."""
        lines = [f"{r.id} ({r.level}) has no check and no not_tested reason" for r in self.uncovered_musts]
        lines += [f"{check_id} names unknown requirement(s) {', '.join(ids)}"
                  for check_id, ids in sorted(self.unknown_references.items())]
        lines += [f"{check_id} names no requirement" for check_id in self.checks_without_requirements]
        lines += [f"{r.id} says it is not tested but is covered by a check" for r in self.tested_but_said_untested]
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "standard": self.standard,
            "title": self.title,
            "requirements": [{**r.as_dict(), "checks": checks} for r, checks in self.rows],
            "counts": {level: {"total": sum(1 for r, _ in self.rows if r.level == level),
                               "checked": sum(1 for r, c in self.rows if r.level == level and c),
                               "not_tested": sum(1 for r, c in self.rows if r.level == level and not c
                                                 and r.not_tested)}
                       for level in LEVELS},
            "uncovered_musts": [r.id for r in self.uncovered_musts],
            "unknown_references": {k: v for k, v in sorted(self.unknown_references.items())},
            "checks_without_requirements": self.checks_without_requirements,
            "problems": self.problems,
        }


def _shipped_dir() -> Traversable:
    return resources.files("edcert.fixtures").joinpath("requirements")


def parse_table(data: dict[str, Any], *, source: str) -> RequirementTable:
    """A requirement table from parsed TOML.

    Raises:
        HarnessError: The table is malformed (missing keys, bad level, duplicate or malformed id).
    """
    def bad(message: str) -> HarnessError:
        return HarnessError(f"requirement table {source}: {message}")

    standard, title = data.get("standard"), data.get("title")
    if not isinstance(standard, str) or not standard or not isinstance(title, str) or not title:
        raise bad("needs a 'standard' and a 'title'")
    items = data.get("requirements")
    if not isinstance(items, list) or not items:
        raise bad("needs a [[requirements]] list")
    seen: set[str] = set()
    out = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise bad(f"requirement #{n} is not a table")
        unknown = set(item) - _KEYS
        if unknown:
            raise bad(f"requirement #{n}: unknown key(s) {', '.join(sorted(unknown))}")
        rid = item.get("id")
        if not isinstance(rid, str) or not _ID_RE.match(rid):
            raise bad(f"requirement #{n}: id {rid!r} must look like 'OR12-REQ-PAGE-LIMIT'")
        if rid in seen:
            raise bad(f"{rid} is listed twice")
        seen.add(rid)
        for key in ("section", "summary"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise bad(f"{rid}: '{key}' must be a non-empty string")
        level = item.get("level")
        if level not in LEVELS:
            raise bad(f"{rid}: level {level!r} is not MUST, SHOULD or MAY")
        reason = item.get("not_tested")
        if reason is not None and (not isinstance(reason, str) or not reason.strip()):
            raise bad(f"{rid}: 'not_tested' must be a non-empty reason")
        out.append(Requirement(id=rid, standard=standard, section=item["section"], summary=item["summary"],
                               level=level, not_tested=reason))
    return RequirementTable(standard=standard, title=title, requirements=tuple(out), source=source)


def load_requirements(directory: Traversable | Path | None = None) -> dict[str, RequirementTable]:
    """Every requirement table in ``directory`` (default: the shipped ones), by standard.

    Raises:
        HarnessError: A table is malformed, or two tables claim one standard.
    """
    folder = directory if directory is not None else _shipped_dir()
    tables: dict[str, RequirementTable] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise HarnessError(f"requirement table {entry.name}: {exc}") from exc
        table = parse_table(data, source=entry.name)
        if table.standard in tables:
            raise HarnessError(f"requirement tables {tables[table.standard].source} and {entry.name} both "
                               f"describe {table.standard}")
        tables[table.standard] = table
    return tables


def coverage(tables: dict[str, RequirementTable], specs: Iterable[CheckSpec]) -> list[StandardCoverage]:
    """Per standard (with a table or with checks), each requirement with the checks naming it."""
    specs = list(specs)
    standards = sorted(set(tables) | {s.standard for s in specs})
    result = []
    for standard in standards:
        table = tables.get(standard)
        mine = sorted((s for s in specs if s.standard == standard), key=lambda s: s.id)
        cov = StandardCoverage(standard=standard, title=table.title if table else standard)
        known = {r.id for r in table.requirements} if table else set()
        by_requirement: dict[str, list[str]] = {rid: [] for rid in known}
        for spec in mine:
            if not spec.requirements:
                cov.checks_without_requirements.append(spec.id)
            unknown = [rid for rid in spec.requirements if rid not in known]
            if unknown:
                cov.unknown_references[spec.id] = unknown
            for rid in spec.requirements:
                if rid in by_requirement and spec.id not in by_requirement[rid]:
                    by_requirement[rid].append(spec.id)
        if table:
            cov.rows = [(r, by_requirement[r.id]) for r in table.requirements]
        result.append(cov)
    return result
