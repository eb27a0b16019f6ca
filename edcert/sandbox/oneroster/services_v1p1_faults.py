"""The faults of the sandbox's OneRoster 1.1 Gradebook and Resources services (``services_v1p1.py``).

The 1.1 services are the 1.2 ones read through ``gradebook11.<x>`` / ``resources11.<x>``, and their checks
keep the 1.2 numbering, so each 1.2 fault whose defect exists in 1.1 is one 1.1 fault: same defect, the
1.1 twins of the checks it trips (those 1.1 has). Faults on what 1.1 does not have (score scales, the
assessment profile, the 1.2 flags, a PUT answering 200, which 1.1 allows) have no 1.1 twin.
"""
from __future__ import annotations

from dataclasses import replace

from edcert.sandbox.faults import Fault
from edcert.sandbox.oneroster import services_faults

_STANDARDS = {"oneroster-gradebook-1.2": "oneroster-gradebook-1.1",
              "oneroster-resources-1.2": "oneroster-resources-1.1"}


def _ids(prefix: str, family: str, numbers: tuple[int, ...]) -> set[str]:
    return {f"{prefix}-{family}-{n:03d}" for n in numbers}


# the 1.2 check ids whose 1.1 twin exists (operations.py, data_model.py... skip the others for 1.1)
CHECKS_V1P1: set[str] = {
    *_ids("ORGB12", "OPS", (1, 2, 3, 7, 8, 9, 14, 15, 16, 18)), *_ids("ORGB12", "DM", (1, 2, 3, 7, 8, 9, 11)),
    *_ids("ORGB12", "ERR", (1, 2)), *_ids("ORGB12", "AUTH", (1, 2)), "ORGB12-PAGE-001", "ORGB12-REF-001",
    *_ids("ORGB12", "WRITE", (1, 2, 3, 4)),
    *_ids("ORRS12", "OPS", (1, 2, 3, 4)), *_ids("ORRS12", "DM", (1, 2, 3)), *_ids("ORRS12", "ERR", (1, 2)),
    *_ids("ORRS12", "AUTH", (1, 2)), "ORRS12-PAGE-001", "ORRS12-REF-001",
}
_SENTENCES = {
    "gradebook.auth.scope-not-enforced": "Gradebook requests signed with a wrong secret are served (the OAuth "
                                         "1.0a signature is not verified).",
    "resources.auth.scope-not-enforced": "Resources requests signed with a wrong secret are served (the OAuth "
                                         "1.0a signature is not verified).",
}
# defects 1.1 has no place for
_NOT_IN_V1P1 = {"gradebook.ops.assessment-missing", "gradebook.model.scorescale-no-values",
                "gradebook.model.assessment-lineitem-missing-title",
                "gradebook.model.assessment-result-missing-score-date",
                "gradebook.model.late-as-json-bool", "gradebook.write.put-answers-200"}


def _twin(fault: Fault) -> Fault:
    service, _, rest = fault.name.partition(".")
    trips = tuple(t.replace("12-", "11-", 1) for t in fault.trips if t in CHECKS_V1P1)
    return replace(fault, name=f"{service}11.{rest}", standard=_STANDARDS[fault.standard], trips=trips,
                   sentence="OneRoster 1.1: " + _SENTENCES.get(fault.name, fault.sentence))


FAULTS: tuple[Fault, ...] = tuple(_twin(f) for f in services_faults.FAULTS if f.name not in _NOT_IN_V1P1)
