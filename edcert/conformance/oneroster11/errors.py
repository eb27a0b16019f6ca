"""Errors: unknown records answer 404, and error answers carry the 1.1 ``statusInfoSet`` envelope.

The requests are the ones the 1.2 family sends (shared per run): the unknown-sourcedId 404 and the
401s the auth family provoked.
"""
from __future__ import annotations

from edcert.conformance.oneroster import errors as v12
from edcert.conformance.oneroster._common import evidence
from edcert.conformance.oneroster11._common import envelope_problems, mirror
from edcert.conformance.oneroster11._fixtures import OneRoster11Session
from edcert.harness.errors import Failure
from edcert.harness.evidence import Exchange
from edcert.harness.http import json_body

ENVELOPE = ('{"statusInfoSet": [{"imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": '
            '"...", "imsx_CodeMinor": {"imsx_codeMinorField": [{"imsx_codeMinorFieldName": "TargetEndSystem", '
            '"imsx_codeMinorFieldValue": "unknownobject"}]}}]}')


def envelope_shape(oneroster11: OneRoster11Session) -> None:
    bad: list[str] = []
    proof: list[Exchange] = []
    for what, response in v12._error_answers(oneroster11):
        try:
            problems = envelope_problems(json_body(response, what))
        except Failure:
            problems = ["not JSON"]
        if problems:
            bad.append(f"{what}: {problems[0]}")
            proof.extend(evidence(response))
    if bad:
        raise Failure(bad[0] + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""),
                      expected="statusInfoSet: [{imsx_codeMajor, imsx_severity, imsx_CodeMinor.imsx_codeMinorField[]}]",
                      received="; ".join(bad), exchanges=proof)


mirror(globals(), "OR12-ERR-001")
mirror(globals(), "OR12-ERR-002", remediation=f"Put the reason in the 404 body: {ENVELOPE}.")
mirror(globals(), "OR12-ERR-003", body=envelope_shape,
       title="Error answers (401, 404) carry the 1.1 status envelope statusInfoSet",
       remediation=f"Send every error as the 1.1 status envelope: {ENVELOPE} (an array of status entries under "
                   "statusInfoSet, each with codeMajor, severity and a CodeMinor structure).",
       ref="OneRoster 1.1 Rostering Service REST/JSON Binding (status information: statusInfoSet, "
           "imsx_StatusInfo); QuestarAI/OneRoster Payloads/StatusInfo.cs")
mirror(globals(), "OR12-ERR-004")
