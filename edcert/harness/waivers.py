"""Waivers: failures the district has knowingly accepted, until a date (``--waivers FILE``).

The file (TOML)::

    [[waiver]]
    check = "OR12-PAGE-004"
    justification = "The vendor fixes X-Total-Count in its March release; we do not use it."
    expires = 2027-01-31          # the waiver holds through this day
    approved_by = "District data office"   # optional

A waived check keeps its outcome ``failed`` (it is not passed) and carries a
``waiver`` object; an *active* waiver keeps a failed must-have check from
blocking its standard's verdict and the gate. Waivers cover failures only: a
check edcert could not decide (``error``) is never waived. The score is not
changed by waivers: it keeps measuring what works.

Every waiver in the file is reported in the scorecard's ``waivers`` section
with its status:

* ``active`` — in date, and the check failed: the failure is waived;
* ``expired`` — past its date: ignored, the failure counts again;
* ``now_passing`` — in date, but the check passed: the waiver can be removed;
* ``unused`` — in date, but the check did not fail (not run, skipped, not
  applicable, or could not be decided).

"Today" is injectable (``today=``; the CLI reads ``EDCERT_TODAY=YYYY-MM-DD``
when set) so that expiry is reproducible.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from edcert.harness._tomlfile import describe, read_toml
from edcert.harness.errors import ConfigError

if TYPE_CHECKING:
    from edcert.harness.registry import CheckSpec
    from edcert.harness.scorecard import CheckResult

WaiverStatus = Literal["active", "expired", "now_passing", "unused"]
TODAY_ENV = "EDCERT_TODAY"
_CHECK_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
#: A waiver expiring within this many days is flagged in its summary.
EXPIRES_SOON_DAYS = 30


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Waiver(_Strict):
    """One ``[[waiver]]`` table as the district wrote it."""

    check: str
    justification: Annotated[str, Field(min_length=1, max_length=2000)]
    expires: date
    approved_by: Annotated[str, Field(max_length=300)] = ""

    @field_validator("justification")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must say why the failure is accepted")
        return value

    @field_validator("check")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _CHECK_ID.match(value):
            raise ValueError(f"{value!r} is not a check id (ids look like 'OR12-PAGE-004')")
        return value


class WaiverFile(_Strict):
    """The whole waiver file: a list of ``[[waiver]]`` tables."""

    waiver: list[Waiver] = []

    @model_validator(mode="after")
    def _one_per_check(self) -> WaiverFile:
        seen: set[str] = set()
        for w in self.waiver:
            if w.check in seen:
                raise ValueError(f"check {w.check} has two waivers (keep one)")
            seen.add(w.check)
        return self


@dataclass(frozen=True)
class Waivers:
    """A loaded waiver file: the waivers by check id, and the file's name and SHA-256."""

    by_check: dict[str, Waiver]
    file: str
    sha256: str
    source: str = ""

    def validate_against(self, specs: Iterable[CheckSpec]) -> None:
        """Check that every waived check exists.

        Raises:
            ConfigError: A waiver names a check that does not exist.
        """
        ids = {s.id for s in specs}
        for n, check_id in enumerate(self.by_check, start=1):
            if check_id not in ids:
                raise ConfigError(f"--waivers {self.source or self.file}: 'waiver[{n}].check': unknown check "
                                  f"{check_id!r} (edcert checks lists them)")


def load_waivers(path: str | Path, specs: Iterable[CheckSpec] | None = None) -> Waivers:
    """Read and validate a waiver file.

    Args:
        path: The TOML file.
        specs: The installed checks; when given, every waived check id must be one of them.

    Raises:
        ConfigError: One line naming the file and the problem.
    """
    toml = read_toml(path, "--waivers")
    try:
        parsed = WaiverFile.model_validate(toml.data)
    except ValidationError as exc:
        raise describe(exc, f"--waivers {toml.path}") from None
    waivers = Waivers(by_check={w.check: w for w in parsed.waiver}, file=toml.path.name, sha256=toml.sha256,
                      source=str(toml.path))
    if specs is not None:
        waivers.validate_against(specs)
    return waivers


def today_for_run(environ: dict[str, str] | None = None) -> date:
    """The date expiry is judged against: ``EDCERT_TODAY`` (YYYY-MM-DD) when set, else the local date.

    Raises:
        ConfigError: ``EDCERT_TODAY`` is not a date.
    """
    value = (os.environ if environ is None else environ).get(TODAY_ENV, "").strip()
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{TODAY_ENV}={value!r}: not a YYYY-MM-DD date") from None


class AppliedWaiver(BaseModel):
    """``CheckResult.waiver``: the district's waiver for this check and what it did in this run."""

    justification: str = Field(description="Why the district accepts the failure (district text: escape it).")
    expires: date = Field(description="The last day the waiver holds.")
    approved_by: str = Field(default="", description="Who approved the waiver (district text: escape it).")
    status: WaiverStatus = Field(
        description="active: the failure is waived (does not block); expired: ignored, the failure counts; "
                    "now_passing: the check passed, remove the waiver; unused: the check did not fail.")
    summary: str = Field(description="One plain-language sentence, e.g. 'Failure waived until 2027-01-31: ...'.")

    @property
    def waives(self) -> bool:
        """Whether this waiver keeps the failure from blocking the verdict."""
        return self.status == "active"


class WaiverEntry(BaseModel):
    """One waiver of the file as the scorecard's ``waivers`` section reports it."""

    check: str = Field(description="The waived check id.")
    title: str = Field(default="", description="The check's title ('' when the check was not run).")
    justification: str = Field(description="Why the district accepts the failure (district text: escape it).")
    expires: date = Field(description="The last day the waiver holds.")
    approved_by: str = Field(default="", description="Who approved the waiver.")
    status: WaiverStatus = Field(description="active, expired, now_passing or unused (see the module docs).")
    outcome: str | None = Field(default=None, description="The check's outcome in this run; null when it was not run.")
    days_left: int = Field(description="Days from the run's date to the expiry date (negative once expired).")
    summary: str = Field(description="One plain-language sentence about this waiver.")


class WaiverReport(BaseModel):
    """The scorecard's ``waivers`` section: every waiver of the file and what became of it."""

    file: str = Field(description="The waiver file's name.")
    sha256: str = Field(description="SHA-256 of the waiver file's bytes.")
    today: date = Field(description="The date expiry was judged against.")
    entries: list[WaiverEntry]
    active: list[str] = Field(default=[], description="Check ids whose failure is waived in this run.")
    expired: list[str] = Field(default=[], description="Check ids whose waiver has expired (ignored).")
    now_passing: list[str] = Field(default=[], description="Check ids that pass now: their waivers can be removed.")
    unused: list[str] = Field(default=[], description="Check ids that did not fail (not run, skipped, error...).")
    summary: str = Field(description="One plain-language sentence about the waivers.")


def _status(waiver: Waiver, outcome: str | None, today: date) -> WaiverStatus:
    if today > waiver.expires:
        return "expired"
    if outcome == "failed":
        return "active"
    if outcome == "passed":
        return "now_passing"
    return "unused"


def _sentence(waiver: Waiver, status: WaiverStatus, outcome: str | None, today: date) -> str:
    until = waiver.expires.isoformat()
    if status == "expired":
        text = f"Waiver expired on {until}: ignored, so the failure counts again."
        if outcome == "passed":
            text = f"Waiver expired on {until}; the check passes now, so the waiver can be removed."
        return text
    if status == "active":
        text = f"Failure waived until {until}: {waiver.justification}"
        left = (waiver.expires - today).days
        if left <= EXPIRES_SOON_DAYS:
            text += f" (expires in {left} day(s))"
        return text
    if status == "now_passing":
        return f"The check passes now: the waiver (until {until}) is no longer needed and can be removed."
    if outcome is None:
        return f"Waiver (until {until}) unused: the check was not run."
    return f"Waiver (until {until}) unused: the check did not fail (outcome {outcome})."


def apply_waivers(checks: list[CheckResult], waivers: Waivers, today: date
                  ) -> tuple[list[CheckResult], WaiverReport]:
    """Attach each waiver to its check and report every waiver's status.

    Args:
        checks: The run's results.
        waivers: The loaded waiver file.
        today: The date expiry is judged against.

    Returns:
        The results (a waived check carries ``waiver``) and the ``waivers`` section.
    """
    by_id = {c.id: c for c in checks}
    out: list[CheckResult] = []
    for c in checks:
        w = waivers.by_check.get(c.id)
        if w is None:
            out.append(c)
            continue
        status = _status(w, c.outcome.value, today)
        applied = AppliedWaiver(justification=w.justification, expires=w.expires, approved_by=w.approved_by,
                                status=status, summary=_sentence(w, status, c.outcome.value, today))
        out.append(c.model_copy(update={"waiver": applied}))
    entries: list[WaiverEntry] = []
    for w in waivers.by_check.values():
        check = by_id.get(w.check)
        outcome = check.outcome.value if check is not None else None
        status = _status(w, outcome, today)
        entries.append(WaiverEntry(
            check=w.check, title=check.title if check else "", justification=w.justification, expires=w.expires,
            approved_by=w.approved_by, status=status, outcome=outcome, days_left=(w.expires - today).days,
            summary=_sentence(w, status, outcome, today),
        ))
    lists: dict[str, list[str]] = {"active": [], "expired": [], "now_passing": [], "unused": []}
    for e in entries:
        lists[e.status].append(e.check)
    parts = [f"{len(lists['active'])} active"]
    if lists["expired"]:
        parts.append(f"{len(lists['expired'])} expired and ignored ({', '.join(lists['expired'])})")
    if lists["now_passing"]:
        parts.append(f"{len(lists['now_passing'])} no longer needed because the check passes now "
                     f"({', '.join(lists['now_passing'])})")
    if lists["unused"]:
        parts.append(f"{len(lists['unused'])} unused ({', '.join(lists['unused'])})")
    summary = f"{len(entries)} waiver(s) as of {today.isoformat()}: " + "; ".join(parts) + "."
    report = WaiverReport(file=waivers.file, sha256=waivers.sha256, today=today, entries=entries,
                          active=lists["active"], expired=lists["expired"], now_passing=lists["now_passing"],
                          unused=lists["unused"], summary=summary)
    return out, report


__all__ = [
    "TODAY_ENV",
    "AppliedWaiver",
    "Waiver",
    "WaiverEntry",
    "WaiverReport",
    "Waivers",
    "apply_waivers",
    "load_waivers",
    "today_for_run",
]
