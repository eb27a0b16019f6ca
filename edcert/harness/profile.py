"""District profiles: what one district requires of a vendor (``--profile FILE``).

A profile is a TOML file written by the district. It says which standards
the district requires, how much each category of checks weighs in the score,
which recommended checks it treats as must-haves (promote) and which required
ones it does not gate on (demote), the minimum score per standard, the
attestations it requires and how often the vendor must be re-tested. Verdicts
and the exit-code gate follow it; the scorecard names it (name + SHA-256).

Example (see ``edcert/fixtures/profiles/`` for complete ones)::

    name = "Rostering only"
    description = "We only need class rosters."
    required_standards = ["oneroster-1.2"]
    retest_interval_days = 365
    required_attestations = ["ndpa-signed"]

    [minimum_score]
    "oneroster-1.2" = 85

    [category_weights]
    auth = 2.0
    sorting = 0.5

    [checks]
    promote = ["OR12-PAGE-004"]
    demote = ["OR12-OPS-023"]

Without a profile edcert behaves as if every claimed standard were required,
every weight were 1 and no check were promoted or demoted.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from edcert.harness._tomlfile import describe, read_toml
from edcert.harness.attestations import CATALOGUE as ATTESTATIONS
from edcert.harness.errors import ConfigError

if TYPE_CHECKING:
    from edcert.harness.registry import CheckSpec
    from edcert.harness.scorecard import CheckResult

#: Every standard edcert knows the name of (DESIGN.md), implemented or not yet.
KNOWN_STANDARDS: dict[str, str] = {
    "oneroster-1.1": "OneRoster 1.1",
    "oneroster-1.2": "OneRoster 1.2",
    "oneroster-gradebook-1.1": "OneRoster Gradebook 1.1",
    "oneroster-gradebook-1.2": "OneRoster Gradebook 1.2",
    "oneroster-resources-1.1": "OneRoster Resources 1.1",
    "oneroster-resources-1.2": "OneRoster Resources 1.2",
    "oneroster-csv-1.1": "OneRoster CSV 1.1",
    "oneroster-csv-1.2": "OneRoster CSV 1.2",
    "edfi-api": "Ed-Fi API",
    "edfi-client": "Ed-Fi API client",
    "lti-1.3-tool": "LTI 1.3 tool",
    "lti-1.3-platform": "LTI 1.3 platform",
}
#: Categories named in DESIGN.md; the categories of installed checks are known too.
KNOWN_CATEGORIES = frozenset({
    "auth", "discovery", "pagination", "filtering", "sorting", "fields", "errors", "data-model",
    "referential-integrity", "data-fidelity", "security", "operations",
})
_CHECK_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_standard(value: str, where: str) -> str:
    if value not in KNOWN_STANDARDS:
        raise ValueError(f"{where}: unknown standard {value!r} (known: {', '.join(KNOWN_STANDARDS)})")
    return value


def _no_duplicates(values: Sequence[str], where: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{where}: {v!r} is listed twice")
        seen.add(v)


class CheckOverrides(_Strict):
    """The ``[checks]`` table: checks whose gating the district changes."""

    promote: list[str] = []
    """Checks that must pass for the verdict although the spec only recommends them (must-haves)."""
    demote: list[str] = []
    """Required checks that no longer gate the verdict (their failures still show and still count in the score)."""

    @field_validator("promote", "demote")
    @classmethod
    def _check_ids(cls, values: list[str]) -> list[str]:
        for v in values:
            if not _CHECK_ID.match(v):
                raise ValueError(f"{v!r} is not a check id (ids look like 'OR12-PAGE-004')")
        _no_duplicates(values, "check list")
        return values

    @model_validator(mode="after")
    def _not_both(self) -> CheckOverrides:
        both = sorted(set(self.promote) & set(self.demote))
        if both:
            raise ValueError(f"{', '.join(both)} cannot be both promoted and demoted")
        return self


class Profile(_Strict):
    """A district profile as written in its TOML file."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] = ""
    required_standards: list[str] | None = None
    """Standards the vendor must claim and be certified in; ``None``: every claimed standard."""
    minimum_score: dict[str, Annotated[float, Field(ge=0, le=100)]] = {}
    """Per standard: the score below which it is not certified."""
    category_weights: dict[str, Annotated[float, Field(ge=0, le=100)]] = {}
    """Per category: a factor on its checks' weight in the score (default 1; 0 leaves it out of the score)."""
    checks: CheckOverrides = CheckOverrides()
    retest_interval_days: Annotated[int, Field(ge=1, le=3660)] | None = None
    required_attestations: list[str] = []
    """Attestation ids (see ``edcert.harness.attestations.CATALOGUE``) that must be answered yes."""

    _file: str = PrivateAttr("")
    _source: str = PrivateAttr("")
    _sha256: str = PrivateAttr("")

    @field_validator("required_standards")
    @classmethod
    def _standards(cls, values: list[str] | None) -> list[str] | None:
        if values is not None:
            for v in values:
                _known_standard(v, "required_standards")
            _no_duplicates(values, "required_standards")
        return values

    @field_validator("minimum_score")
    @classmethod
    def _minimum_standards(cls, values: dict[str, float]) -> dict[str, float]:
        for key in values:
            _known_standard(key, "minimum_score")
        return values

    @field_validator("required_attestations")
    @classmethod
    def _attestations(cls, values: list[str]) -> list[str]:
        for v in values:
            if v not in ATTESTATIONS:
                raise ValueError(f"unknown attestation {v!r} (known: {', '.join(ATTESTATIONS)})")
        _no_duplicates(values, "required_attestations")
        return values

    @property
    def file(self) -> str:
        """The file name the profile was read from ("" when built in code)."""
        return self._file

    @property
    def sha256(self) -> str:
        """SHA-256 of the file's bytes ("" when built in code)."""
        return self._sha256

    def requires(self, standard: str) -> bool:
        """Whether the district requires this standard (every one, when the profile does not say)."""
        return self.required_standards is None or standard in self.required_standards

    def category_weight(self, category: str) -> float:
        """The factor on the weight of this category's checks (1 unless the profile says)."""
        return self.category_weights.get(category, 1.0)

    def must_have(self, check_id: str, level: str) -> bool:
        """Whether a check must pass for its standard's verdict under this profile."""
        if check_id in self.checks.promote:
            return True
        if check_id in self.checks.demote:
            return False
        return level == "required"

    def retest_by(self, today: date) -> date | None:
        """The date the vendor must be re-tested by, counted from ``today``."""
        if self.retest_interval_days is None:
            return None
        return today + timedelta(days=self.retest_interval_days)

    def validate_against(self, specs: Iterable[CheckSpec]) -> None:
        """Check every check id and category the profile names against the installed checks.

        Raises:
            ConfigError: The profile names a check or category that does not exist.
        """
        specs = list(specs)
        ids = {s.id for s in specs}
        where = f"--profile {self._source or self.name}"
        for key in ("promote", "demote"):
            for check_id in getattr(self.checks, key):
                if check_id not in ids:
                    raise ConfigError(f"{where}: 'checks.{key}': unknown check {check_id!r} "
                                      "(edcert checks lists them)")
        categories = KNOWN_CATEGORIES | {s.category for s in specs}
        for category in self.category_weights:
            if category not in categories:
                raise ConfigError(f"{where}: 'category_weights': unknown category {category!r} "
                                  f"(known: {', '.join(sorted(categories))})")

    def apply(self, checks: Iterable[CheckResult]) -> list[CheckResult]:
        """The checks with ``must_have`` set as this profile says."""
        return [c if c.must_have == self.must_have(c.id, c.level)
                else c.model_copy(update={"must_have": self.must_have(c.id, c.level)}) for c in checks]

    def info(self, retest_by: date | None = None) -> ProfileInfo:
        """What the scorecard says about this profile."""
        return ProfileInfo(
            name=self.name, description=self.description, file=self.file, sha256=self.sha256,
            required_standards=self.required_standards, minimum_score=dict(self.minimum_score),
            category_weights=dict(self.category_weights), promoted=list(self.checks.promote),
            demoted=list(self.checks.demote), required_attestations=list(self.required_attestations),
            retest_interval_days=self.retest_interval_days, retest_by=retest_by, summary=self.describe(),
        )

    def describe(self) -> str:
        """One plain-language sentence saying what the profile asks for."""
        if self.required_standards is None:
            parts = ["requires every standard the vendor claims"]
        elif not self.required_standards:
            parts = ["requires no standard"]
        else:
            parts = ["requires " + ", ".join(KNOWN_STANDARDS[s] for s in self.required_standards)]
        if self.minimum_score:
            parts.append("a minimum score of " + ", ".join(
                f"{v:g} for {KNOWN_STANDARDS[k]}" for k, v in self.minimum_score.items()))
        if self.checks.promote:
            parts.append(f"{len(self.checks.promote)} recommended check(s) as must-haves")
        if self.checks.demote:
            parts.append(f"{len(self.checks.demote)} required check(s) that do not gate")
        if self.category_weights:
            parts.append("its own category weights")
        if self.required_attestations:
            parts.append(f"{len(self.required_attestations)} attestation(s) answered yes")
        text = f"District profile \"{self.name}\" " + "; ".join(parts) + "."
        if self.retest_interval_days:
            text += f" Re-test every {self.retest_interval_days} days."
        return text


class ProfileInfo(BaseModel):
    """The scorecard's ``profile`` section: which district profile the verdicts follow."""

    name: str = Field(description="The profile's name, as the district wrote it.")
    description: str = Field(default="", description="The profile's description, as the district wrote it.")
    file: str = Field(default="", description="The profile file's name.")
    sha256: str = Field(default="", description="SHA-256 of the profile file's bytes: which exact profile was used.")
    required_standards: list[str] | None = Field(
        default=None,
        description="Standards the district requires; null means every standard the vendor claims.")
    minimum_score: dict[str, float] = Field(
        default={},
        description="Per standard: the minimum score for certification.")
    category_weights: dict[str, float] = Field(
        default={},
        description="Per category: the factor on its weight in the score.")
    promoted: list[str] = Field(default=[], description="Check ids the district made must-haves.")
    demoted: list[str] = Field(default=[], description="Required check ids the district does not gate on.")
    required_attestations: list[str] = Field(default=[], description="Attestation ids that must be answered yes.")
    retest_interval_days: int | None = Field(default=None, description="How often the vendor must be re-tested.")
    retest_by: date | None = Field(default=None, description="The date of the next re-test (also Scorecard.retest_by).")
    summary: str = Field(description="One plain-language sentence saying what the profile asks for.")


def load_profile(path: str | Path, specs: Iterable[CheckSpec] | None = None) -> Profile:
    """Read and validate a district profile.

    Args:
        path: The TOML file.
        specs: The installed checks; when given, the check ids and categories the
            profile names are validated against them (see :meth:`Profile.validate_against`).

    Raises:
        ConfigError: One line naming the file and the problem.
    """
    toml = read_toml(path, "--profile")
    try:
        profile = Profile.model_validate(toml.data)
    except ValidationError as exc:
        raise describe(exc, f"--profile {toml.path}") from None
    profile._file = toml.path.name
    profile._source = str(toml.path)
    profile._sha256 = toml.sha256
    if specs is not None:
        profile.validate_against(specs)
    return profile


__all__ = ["KNOWN_CATEGORIES", "KNOWN_STANDARDS", "CheckOverrides", "Profile", "ProfileInfo", "load_profile"]
