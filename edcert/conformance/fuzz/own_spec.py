"""The vendor against its own published OpenAPI document (OR12-OWN-001, EDFI-OWN-001), apart from the standard.

Where the vendor publishes an OpenAPI description (``[fuzz] own_spec_url`` or ``own_spec_file``),
schemathesis generates requests from it and judges the answers with the same checks as the standard's
fuzz checks; a contradiction here means the vendor's documentation and its service disagree. An Ed-Fi host
publishes its document through its discovery document (``urls.openApiMetadata``): its ``Resources`` entry.
"""
from __future__ import annotations

import pytest

from edcert.conformance.fuzz._checks import FUZZ_CHECKS, PHASE_TAG
from edcert.conformance.fuzz._engine import FuzzReport
from edcert.conformance.fuzz._fixtures import edfi_own_fuzz
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable


@check(
    id="OR12-OWN-001", standard="oneroster-1.2", category="own-spec", level="recommended",
    requirements=("OR12-REQ-OWN-SPEC",),
    title="The service answers as the vendor's own OpenAPI document says",
    why="Integrators build against the vendor's published documentation; a service that contradicts it "
        "breaks their work in ways no standard test shows.",
    remediation="Make the service and the published OpenAPI document agree: fix the answers, or correct the "
                "document (statuses, media types, schemas, headers, authentication) - the evidence shows each "
                "contradiction and a curl command to replay it.",
    ref="The vendor's published OpenAPI document ([fuzz] own_spec_url / own_spec_file)",
    tags=(PHASE_TAG,),
)
def check_own_spec(oneroster_own_fuzz: FuzzReport) -> None:
    judge_own(oneroster_own_fuzz)


@check(
    id="EDFI-OWN-001", standard="edfi-api", category="own-spec", level="recommended",
    requirements=("EDFI-REQ-OWN-SPEC",),
    title="The Ed-Fi host answers as its own published OpenAPI document says",
    why="Integrators build their Ed-Fi connectors from the OpenAPI document the host publishes; a host that "
        "contradicts it breaks their work in ways no standard test shows.",
    remediation="Make the host and the resources OpenAPI document it lists under urls.openApiMetadata agree: fix "
                "the answers, or correct the document (statuses, media types, schemas, headers, authentication) - "
                "the evidence shows each contradiction and a curl command to replay it.",
    ref="The host's own resources OpenAPI document (discovery urls.openApiMetadata; Discovery API 1.0)",
    tags=(PHASE_TAG,),
)
def check_edfi_own_spec(request: pytest.FixtureRequest) -> None:
    judge_own(edfi_own_fuzz(request))


def judge_own(report: FuzzReport) -> None:
    """Pass, or fail with every check the vendor's own document contradicts (apart from the standard's)."""
    failing = [(c, report.verdicts[c.name]) for c in FUZZ_CHECKS if report.verdicts[c.name].failed]
    if not report.cases:
        raise NotApplicable(f"the vendor's document has no operation edcert may call ({report.operations} "
                            f"read operations; {len(report.skipped_writes)} writes left out without allow_writes)")
    if not failing:
        return
    parts = [f"{v.name}: {v.failed} of {v.evaluated} ({v.findings[0].operation}: {v.findings[0].title})"
             for _, v in failing]
    raise Failure(
        f"{sum(v.failed for _, v in failing)} generated requests contradict the vendor's own document: "
        + "; ".join(parts),
        expected="; ".join(c.expected for c, _ in failing), received=failing[0][1].findings[0].detail,
        exchanges=[f.exchange for _, v in failing for f in v.findings[:2] if f.exchange is not None],
    )
