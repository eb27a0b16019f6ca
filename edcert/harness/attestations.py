"""Attestations: what no HTTP request can prove, answered by the vendor in a file.

Signing the national student data privacy agreement, publishing an
accessibility conformance report, deleting data when the contract ends,
notifying the district of a breach: edcert cannot test these, so the vendor
answers them (``--attestations FILE``) and the scorecard shows them as
*attested*, never as passed. They never count in a standard's score or
verdict; they gate only where the district profile lists them in
``required_attestations`` (then anything but a ``yes`` fails the gate).

The file (TOML)::

    [[attestation]]
    id = "ndpa-signed"
    answer = "yes"                        # yes, no or partial
    evidence = "https://vendor.example/privacy/ndpa-2025.pdf"   # a URL or a document name; never fetched
    date = 2025-08-01
    signer = "Jordan Lee, Chief Privacy Officer"
    notes = "Signed through the state alliance."               # optional
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from edcert.harness._tomlfile import describe, read_toml

Answer = Literal["yes", "no", "partial"]


@dataclass(frozen=True)
class AttestationItem:
    """One thing a vendor can attest to.

    Attributes:
        id: Stable id used in attestation files and profiles, e.g. ``ndpa-signed``.
        title: A few words for a table heading.
        question: The plain-language question the vendor answers yes, no or partial.
    """

    id: str
    title: str
    question: str


CATALOGUE: dict[str, AttestationItem] = {item.id: item for item in (
    AttestationItem(
        "ndpa-signed", "Student data privacy agreement",
        "Has the vendor signed the National Student Data Privacy Agreement (NDPA), or the state's version of it, "
        "for this product?"),
    AttestationItem(
        "accessibility-conformance-report", "Accessibility conformance report",
        "Has the vendor published an accessibility conformance report (a VPAT or ACR) for this product, "
        "measured against WCAG 2.1 level AA?"),
    AttestationItem(
        "data-deletion-on-contract-end", "Data deletion at contract end",
        "Will the vendor delete or return all student data when the contract ends, and confirm the deletion "
        "in writing?"),
    AttestationItem(
        "breach-notification", "Breach notification",
        "Will the vendor notify the district of any breach involving student data within the time the law and "
        "the contract require?"),
    AttestationItem(
        "no-sale-or-advertising", "No sale or advertising use of student data",
        "Does the vendor refrain from selling student data and from using it for targeted advertising?"),
)}

_SAFE_URL = re.compile(r"^https?://[^\s\"'<>`]+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VendorAttestation(_Strict):
    """One answer in the vendor's attestation file."""

    id: str
    answer: Answer
    evidence: Annotated[str, Field(max_length=2000)] = ""
    date: dt.date
    signer: Annotated[str, Field(min_length=1, max_length=300)]
    notes: Annotated[str, Field(max_length=2000)] = ""

    @field_validator("id")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in CATALOGUE:
            raise ValueError(f"unknown attestation {value!r} (known: {', '.join(CATALOGUE)})")
        return value

    @model_validator(mode="after")
    def _evidence_for_yes(self) -> VendorAttestation:
        if self.answer != "no" and not self.evidence.strip():
            raise ValueError(f"{self.id}: an answer of {self.answer!r} needs an evidence reference "
                             "(a URL or a document name)")
        return self


class AttestationFile(_Strict):
    """The whole attestation file: a list of ``[[attestation]]`` tables."""

    attestation: list[VendorAttestation] = []

    @model_validator(mode="after")
    def _once_each(self) -> AttestationFile:
        seen: set[str] = set()
        for item in self.attestation:
            if item.id in seen:
                raise ValueError(f"attestation {item.id!r} is answered twice")
            seen.add(item.id)
        return self


@dataclass(frozen=True)
class Attestations:
    """A loaded attestation file: the answers, and the file's name and SHA-256."""

    answers: dict[str, VendorAttestation]
    file: str
    sha256: str


def load_attestations(path: str | Path) -> Attestations:
    """Read and validate an attestation file.

    Raises:
        ConfigError: One line naming the file and the problem.
    """
    toml = read_toml(path, "--attestations")
    try:
        parsed = AttestationFile.model_validate(toml.data)
    except ValidationError as exc:
        raise describe(exc, f"--attestations {toml.path}") from None
    return Attestations(answers={a.id: a for a in parsed.attestation}, file=toml.path.name, sha256=toml.sha256)


class AttestationResult(BaseModel):
    """One catalogue item as the scorecard shows it: attested (or not), never passed."""

    id: str = Field(description="The catalogue id, e.g. ndpa-signed.")
    title: str = Field(description="A few words for a table heading.")
    question: str = Field(description="The plain-language question the vendor answered.")
    answer: Literal["yes", "no", "partial", "not_answered"] = Field(
        description="The vendor's answer; not_answered when the file has no entry for it (or no file was given).")
    evidence: str = Field(
        default="",
        description="The vendor's evidence reference, as given: text to escape, never fetched.")
    evidence_url: str | None = Field(
        default=None,
        description="The evidence reference when it is a plain http(s) URL (safe to show as a link); else null.")
    date: dt.date | None = Field(default=None, description="When the vendor made the attestation.")
    signer: str = Field(default="", description="Who signed it for the vendor (vendor text: escape it).")
    notes: str = Field(default="", description="The vendor's notes (vendor text: escape it).")
    required: bool = Field(default=False, description="The district profile lists it in required_attestations.")
    meets_requirement: bool | None = Field(
        default=None,
        description="For a required item: true only when the answer is yes. Null when not required.")
    summary: str = Field(description="One plain-language sentence, e.g. 'Attested yes by ... on ...'.")


class AttestationReport(BaseModel):
    """The scorecard's ``attestations`` section: every catalogue item, answered or not."""

    file: str | None = Field(default=None, description="The attestation file's name, or null when none was given.")
    sha256: str | None = Field(default=None, description="SHA-256 of the attestation file's bytes.")
    items: list[AttestationResult]
    required_unmet: list[str] = Field(
        default=[],
        description="Ids the profile requires whose answer is not yes (each fails the gate).")
    summary: str = Field(description="One plain-language sentence about the attestations.")


def _summary_for(item: AttestationItem, given: VendorAttestation | None, required: bool) -> str:
    if given is None:
        text = "Not answered by the vendor."
    else:
        text = f"Attested {given.answer} by {given.signer} on {given.date.isoformat()}."
    if required:
        ok = given is not None and given.answer == "yes"
        text += (" Required by the district profile: met." if ok
                 else " Required by the district profile: NOT met (only a yes answer meets it).")
    return text


def attestation_report(attestations: Attestations | None, required: list[str] | tuple[str, ...] = ()
                       ) -> AttestationReport:
    """The scorecard section for the vendor's answers and the profile's requirements.

    Args:
        attestations: The loaded file, or ``None`` when none was given.
        required: The profile's ``required_attestations``.
    """
    answers = attestations.answers if attestations else {}
    items: list[AttestationResult] = []
    for item in CATALOGUE.values():
        given = answers.get(item.id)
        needed = item.id in required
        items.append(AttestationResult(
            id=item.id, title=item.title, question=item.question,
            answer=given.answer if given else "not_answered",
            evidence=given.evidence if given else "",
            evidence_url=given.evidence if given and _SAFE_URL.match(given.evidence) else None,
            date=given.date if given else None,
            signer=given.signer if given else "",
            notes=given.notes if given else "",
            required=needed,
            meets_requirement=(given is not None and given.answer == "yes") if needed else None,
            summary=_summary_for(item, given, needed),
        ))
    unmet = [i.id for i in items if i.meets_requirement is False]
    answered = sum(1 for i in items if i.answer != "not_answered")
    summary = f"The vendor answered {answered} of {len(items)} attestation questions; attestations are the " \
              "vendor's word, not tested by edcert."
    if required:
        summary += (f" The district requires {len(required)}: " +
                    ("all met." if not unmet else f"{len(unmet)} not met ({', '.join(unmet)})."))
    return AttestationReport(
        file=attestations.file if attestations else None,
        sha256=attestations.sha256 if attestations else None,
        items=items, required_unmet=unmet, summary=summary,
    )


__all__ = [
    "CATALOGUE",
    "AttestationItem",
    "AttestationReport",
    "AttestationResult",
    "Attestations",
    "VendorAttestation",
    "attestation_report",
    "load_attestations",
]

