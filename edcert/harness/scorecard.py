"""The scorecard: what a run found, versioned, with a shipped JSON Schema.

Per standard, **certified** when every ``required`` check passed; otherwise
**not_certified**, failing required checks listed first. The score (0-100)
weighs required > recommended > optional over the checks that were decided
or errored (skipped and not-applicable checks do not count).

A district profile (``profile.py``) changes which checks must pass
(``CheckResult.must_have``), re-weights categories, sets minimum scores and
says which standards count for the gate; an active waiver (``waivers.py``)
keeps a failed must-have from blocking; attestations (``attestations.py``)
never count as checks and gate only where the profile requires them.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from edcert.harness.attestations import AttestationReport
from edcert.harness.evidence import EvidenceMode, Exchange
from edcert.harness.profile import Profile, ProfileInfo
from edcert.harness.waivers import AppliedWaiver, WaiverReport

SCHEMA_VERSION: Literal[1] = 1
LEVEL_WEIGHTS = {"required": 3.0, "recommended": 2.0, "optional": 1.0}


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"


#: The pytest user property a check records its student traces under (``record_property(STUDENT_TRACES, [...])``).
STUDENT_TRACES = "edcert.student_traces"


class StudentTrace(BaseModel):
    """One student of the district's roster file followed through the vendor's data (data-fidelity checks)."""

    student: str = Field(description="Who: a name in full evidence mode, 'Student N' when personal data is masked.")
    grade: str = ""
    school: str = ""
    matched: bool = Field(description="Everything traced for this student matches the district's file.")
    summary: str = Field(description="One sentence a principal understands.")
    matches: list[str] = Field(default=[], description="What the vendor has exactly as the district's file says.")
    mismatches: list[str] = Field(default=[], description="What differs from the district's file, in plain words.")


class CheckResult(BaseModel):
    """One check's metadata and outcome."""

    id: str
    standard: str
    category: str
    level: Literal["required", "recommended", "optional"]
    title: str
    why: str
    remediation: str
    ref: str
    tags: list[str] = []
    requirements: list[str] = []
    outcome: Outcome
    message: str = ""
    expected: str | None = None
    received: str | None = None
    duration_ms: float = 0.0
    evidence: list[Exchange] = []
    repro: str | None = None
    must_have: bool = Field(
        default=False,
        description="The check must pass for its standard's verdict: its level is required, or the district profile "
                    "promoted it; false when the profile demoted it. Read as level == 'required' when absent.")
    waiver: AppliedWaiver | None = Field(
        default=None,
        description="The district's waiver for this check, if any. The outcome stays 'failed'; an active waiver "
                    "keeps the failure from blocking the verdict.")
    student_traces: list[StudentTrace] | None = Field(
        default=None,
        description="Data fidelity: the sampled students traced one by one through the vendor's data (the "
                    "'start with the student' check); absent for other checks.")

    @model_validator(mode="before")
    @classmethod
    def _must_have_defaults_to_level(cls, data: Any) -> Any:
        if isinstance(data, dict) and "must_have" not in data:
            data = {**data, "must_have": data.get("level") == "required"}
        return data

    @property
    def waived(self) -> bool:
        """A failure the district has waived (active waiver): shown as waived, never as passed."""
        return self.outcome is Outcome.FAILED and self.waiver is not None and self.waiver.waives

    @property
    def promoted(self) -> bool:
        """The district profile made this non-required check a must-have."""
        return self.must_have and self.level != "required"

    @property
    def demoted(self) -> bool:
        """The district profile made this required check not gate the verdict."""
        return not self.must_have and self.level == "required"


class StandardResult(BaseModel):
    """The verdict on one standard."""

    standard: str
    verdict: Literal["certified", "not_certified"]
    score: float = Field(ge=0, le=100)
    counts: dict[str, int]
    failed_required: list[str] = Field(
        description="Must-have checks that failed (not waived) or could not be decided.")
    summary: str = Field(description="One plain-language sentence on the verdict.")
    required: bool = Field(
        default=True,
        description="The standard counts for the gate: always without a profile; with one, only when the profile "
                    "requires it.")
    status: Literal["tested", "not_claimed", "not_implemented"] = Field(
        default="tested",
        description="tested; not_claimed: the profile requires it but the vendor does not claim it; "
                    "not_implemented: the profile requires it but edcert cannot test it yet.")
    minimum_score: float | None = Field(
        default=None,
        description="The district profile's minimum score for it, if any.")
    below_minimum_score: bool = Field(default=False, description="The score is below the profile's minimum score.")
    waived: list[str] = Field(default=[], description="Failed checks whose failure is waived (active waiver).")


class Harness(BaseModel):
    name: str = "edcert"
    version: str


class Vendor(BaseModel):
    name: str
    product: str = ""
    version: str = ""


class Scorecard(BaseModel):
    """Everything a run produced, as written to ``scorecard.json``."""

    schema_version: Literal[1] = SCHEMA_VERSION
    harness: Harness
    vendor: Vendor
    started_at: datetime
    finished_at: datetime
    duration_s: float
    complete: bool = True
    evidence_mode: EvidenceMode = "masked"
    standards: list[StandardResult]
    checks: list[CheckResult]
    gate: dict[str, Any]
    requests_sent: int = 0
    insecure: bool = Field(
        default=False,
        description="TLS certificate verification was off (--insecure or verify_tls = false): such a run is never "
                    "certified.")
    warnings: list[str] = Field(default=[], description="What a reader must know about how this run was made "
                                                "(e.g. --insecure, an interrupted run).")
    profile: ProfileInfo | None = Field(default=None, description="The district profile the verdicts follow, if any.")
    retest_by: date | None = Field(default=None, description="The date the district profile asks for the next re-test.")
    waivers: WaiverReport | None = Field(default=None, description="Every waiver of --waivers and what became of it.")
    attestations: AttestationReport | None = Field(
        default=None,
        description="The vendor's attestations (never counted as passed checks); present when --attestations was "
                    "given or the profile requires attestations.")

    def standard(self, name: str) -> StandardResult:
        return next(s for s in self.standards if s.standard == name)


def _weight(c: CheckResult, profile: Profile | None) -> float:
    # A must-have weighs as a required check, a demoted one as a recommended check.
    level = "required" if c.must_have else ("recommended" if c.level == "required" else c.level)
    return LEVEL_WEIGHTS[level] * (profile.category_weight(c.category) if profile is not None else 1.0)


def score_standard(standard: str, checks: list[CheckResult], profile: Profile | None = None) -> StandardResult:
    """Verdict, score and counts for one standard's checks.

    Certified when every must-have check (``must_have``: the required ones,
    unless a profile promotes or demotes) passed or has an active waiver, and
    the score reaches the profile's minimum for the standard, if any.

    Args:
        standard: The standard's id.
        checks: Its checks' results.
        profile: The district profile: promotions and demotions decide the
            must-haves, category weights re-weight the score, the minimum score
            can withhold certification, and ``required`` says whether the
            standard counts for the gate.
    """
    if profile is not None:
        checks = profile.apply(checks)
    counts = {o.value: 0 for o in Outcome}
    for c in checks:
        counts[c.outcome.value] += 1
    decided = [c for c in checks if c.outcome in (Outcome.PASSED, Outcome.FAILED, Outcome.ERROR)]
    total = sum(_weight(c, profile) for c in decided)
    got = sum(_weight(c, profile) for c in decided if c.outcome is Outcome.PASSED)
    score = round(100.0 * got / total, 1) if total else 0.0
    word = "must-have" if profile is not None else "required"
    required = [c for c in checks if c.must_have]
    failed_required = [c.id for c in required if c.outcome is Outcome.ERROR
                       or (c.outcome is Outcome.FAILED and not c.waived)]
    waived = [c.id for c in checks if c.waived]
    ran_required = [c for c in required if c.outcome is Outcome.PASSED or c.waived]
    minimum = profile.minimum_score.get(standard) if profile is not None else None
    below = minimum is not None and score < minimum
    certified = not failed_required and bool(ran_required) and not below
    waived_required = sum(1 for c in ran_required if c.waived)
    if not failed_required and ran_required:
        if waived_required:
            summary = (f"Every {word} check passed or is waived ({len(ran_required) - waived_required} passed, "
                       f"{waived_required} failed but waived).")
        else:
            summary = f"Every {word} check passed ({len(ran_required)} of {len(ran_required)})."
    elif not ran_required and not failed_required:
        summary = f"No {word} check could be run."
    else:
        errors = sum(1 for c in required if c.outcome is Outcome.ERROR)
        failed = len(failed_required) - errors
        parts = []
        if failed:
            parts.append(f"{failed} {word} check(s) failed")
        if errors:
            parts.append(f"{errors} {word} check(s) could not be decided")
        summary = "; ".join(parts).capitalize() + "."
    if minimum is not None:
        summary += (f" The score {score:g} is below the district's minimum of {minimum:g}." if below
                    else f" The score {score:g} meets the district's minimum of {minimum:g}.")
    if waived and len(waived) > waived_required:
        summary += f" {len(waived) - waived_required} other failure(s) waived."
    gates = profile.requires(standard) if profile is not None else True
    if not gates:
        summary += " The district profile does not require this standard: it does not count for the gate."
    return StandardResult(
        standard=standard, verdict="certified" if certified else "not_certified", score=score,
        counts=counts, failed_required=failed_required, summary=summary, required=gates,
        minimum_score=minimum, below_minimum_score=below, waived=waived,
    )


def untested_standard(standard: str, status: Literal["not_claimed", "not_implemented"],
                      profile: Profile | None = None) -> StandardResult:
    """The verdict on a standard the district profile requires but this run could not test.

    ``not_claimed``: the vendor does not claim it (the gate fails);
    ``not_implemented``: edcert cannot test it yet (the gate cannot pass: exit 3).
    """
    if status == "not_implemented":
        summary = ("edcert cannot test this standard yet. The district profile requires it, so edcert cannot "
                   "say whether the vendor passes the district's gate.")
    else:
        summary = ("Not claimed: the district profile requires this standard, but the vendor's configuration "
                   "does not claim it.")
    return StandardResult(
        standard=standard, verdict="not_certified", score=0.0, counts={o.value: 0 for o in Outcome},
        failed_required=[], summary=summary, required=True, status=status,
        minimum_score=profile.minimum_score.get(standard) if profile is not None else None,
    )


def exit_code_for(standards: list[StandardResult], checks: list[CheckResult], complete: bool = True, *,
                  profile: Profile | None = None, attestations: AttestationReport | None = None) -> int:
    """0 gate passed, 1 gate failed, 3 the harness could not decide.

    Only the standards that count for the gate (``StandardResult.required``)
    and their must-have checks decide it; a waived failure does not block. A
    required standard the vendor does not claim, or a required attestation not
    answered yes, fails the gate; a required standard edcert cannot test yet
    leaves it undecided (3) unless something else already failed it.
    """
    if not standards or not complete:
        return 3
    if profile is not None:
        checks = profile.apply(checks)
    ungated = {s.standard for s in standards if not s.required}
    gating = [c for c in checks if c.standard not in ungated]
    required = [s for s in standards if s.required]
    if any(c.outcome is Outcome.FAILED and c.must_have and not c.waived for c in gating):
        return 1
    if any(s.status == "not_claimed" for s in required):
        return 1
    if attestations is not None and attestations.required_unmet:
        return 1
    if any(c.outcome is Outcome.ERROR and c.must_have for c in gating):
        return 3
    if any(s.status == "not_implemented" for s in required):
        return 3
    return 0 if all(s.verdict == "certified" for s in required) else 1


def gate_reasons(standards: list[StandardResult], attestations: AttestationReport | None = None) -> list[str]:
    """Plain-language reasons the gate did not pass (empty when it passed)."""
    reasons: list[str] = []
    for s in standards:
        if not s.required or s.verdict == "certified":
            continue
        if s.status == "not_claimed":
            reasons.append(f"{s.standard}: required by the district profile but not claimed by the vendor.")
        elif s.status == "not_implemented":
            reasons.append(f"{s.standard}: required by the district profile; edcert cannot test this standard yet.")
        else:
            reasons.append(f"{s.standard}: not certified. {s.summary}")
    if attestations is not None:
        for item in attestations.items:
            if item.meets_requirement is False:
                answer = "not answered" if item.answer == "not_answered" else f"answered {item.answer}"
                reasons.append(f"Required attestation {item.id} ({item.title}): {answer}; only yes meets it.")
    return reasons


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``scorecard.json`` as generated from the model."""
    schema = Scorecard.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://edcert.invalid/schema/scorecard-v{SCHEMA_VERSION}.json"
    return schema


def shipped_json_schema() -> dict[str, Any]:
    """The JSON Schema file that ships in the package."""
    text = resources.files("edcert.harness").joinpath("scorecard.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
