"""The scorecard: what a run found, versioned, with a shipped JSON Schema.

Per standard, **certified** when every ``required`` check passed; otherwise
**not_certified**, failing required checks listed first. The score (0-100)
weighs required > recommended > optional over the checks that were decided
or errored (skipped and not-applicable checks do not count).
"""
from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, Field

from edcert.harness.evidence import EvidenceMode, Exchange

SCHEMA_VERSION: Literal[1] = 1
LEVEL_WEIGHTS = {"required": 3.0, "recommended": 2.0, "optional": 1.0}


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"


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
    outcome: Outcome
    message: str = ""
    expected: str | None = None
    received: str | None = None
    duration_ms: float = 0.0
    evidence: list[Exchange] = []
    repro: str | None = None


class StandardResult(BaseModel):
    """The verdict on one standard."""

    standard: str
    verdict: Literal["certified", "not_certified"]
    score: float = Field(ge=0, le=100)
    counts: dict[str, int]
    failed_required: list[str]
    summary: str


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

    def standard(self, name: str) -> StandardResult:
        return next(s for s in self.standards if s.standard == name)


def score_standard(standard: str, checks: list[CheckResult]) -> StandardResult:
    """Verdict, score and counts for one standard's checks."""
    counts = {o.value: 0 for o in Outcome}
    for c in checks:
        counts[c.outcome.value] += 1
    decided = [c for c in checks if c.outcome in (Outcome.PASSED, Outcome.FAILED, Outcome.ERROR)]
    total = sum(LEVEL_WEIGHTS[c.level] for c in decided)
    got = sum(LEVEL_WEIGHTS[c.level] for c in decided if c.outcome is Outcome.PASSED)
    score = round(100.0 * got / total, 1) if total else 0.0
    required = [c for c in checks if c.level == "required"]
    failed_required = [c.id for c in required if c.outcome in (Outcome.FAILED, Outcome.ERROR)]
    ran_required = [c for c in required if c.outcome is Outcome.PASSED]
    certified = not failed_required and bool(ran_required)
    if certified:
        summary = f"Every required check passed ({len(ran_required)} of {len(ran_required)})."
    elif not ran_required and not failed_required:
        summary = "No required check could be run."
    else:
        errors = sum(1 for c in required if c.outcome is Outcome.ERROR)
        failed = len(failed_required) - errors
        parts = []
        if failed:
            parts.append(f"{failed} required check(s) failed")
        if errors:
            parts.append(f"{errors} required check(s) could not be decided")
        summary = "; ".join(parts).capitalize() + "."
    return StandardResult(
        standard=standard, verdict="certified" if certified else "not_certified", score=score,
        counts=counts, failed_required=failed_required, summary=summary,
    )


def exit_code_for(standards: list[StandardResult], checks: list[CheckResult], complete: bool = True) -> int:
    """0 gate passed, 1 gate failed, 3 the harness could not decide."""
    if not standards or not complete:
        return 3
    if any(c.outcome is Outcome.FAILED and c.level == "required" for c in checks):
        return 1
    if any(c.outcome is Outcome.ERROR and c.level == "required" for c in checks):
        return 3
    return 0 if all(s.verdict == "certified" for s in standards) else 1


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
