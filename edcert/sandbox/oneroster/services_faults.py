"""The faults of the sandbox's OneRoster Gradebook and Resources services (``services.py``).

Each trips exactly the checks listed; where a broken answer also keeps a later step from being proven
(a round trip that cannot read back what it wrote), the cascade is listed too.
"""
from __future__ import annotations

from edcert.sandbox.faults import Fault

_GB = "oneroster-gradebook-1.2"
_RS = "oneroster-resources-1.2"


def _ids(prefix: str, family: str, numbers: range | tuple[int, ...]) -> tuple[str, ...]:
    return tuple(f"{prefix}-{family}-{n:03d}" for n in numbers)


FAULTS: tuple[Fault, ...] = (
    # gradebook: operations and envelopes
    Fault("gradebook.envelope.collections-under-data", _GB,
          "The six flat Gradebook collections wrap their records under \"data\" instead of the entity's key.",
          (*_ids("ORGB12", "OPS", range(1, 7)), "ORGB12-PAGE-001")),
    Fault("gradebook.envelope.singular-wrapped-as-plural", _GB,
          "Single-object Gradebook GETs wrap the object in a one-item list under a plural key.",
          (*_ids("ORGB12", "OPS", range(7, 13)), "ORGB12-WRITE-001", "ORGB12-WRITE-002")),
    Fault("gradebook.ops.assessment-missing", _GB,
          "The assessmentLineItems and assessmentResults endpoints do not exist (404).",
          ("ORGB12-OPS-005", "ORGB12-OPS-006")),
    Fault("gradebook.ops.class-scoped-missing", _GB,
          "The seven class- and school-scoped Gradebook endpoints (e.g. /classes/{id}/lineItems) do not exist.",
          _ids("ORGB12", "OPS", range(13, 20))),
    # gradebook: data model
    Fault("gradebook.model.category-missing-title", _GB, "Categories are served without their required title.",
          ("ORGB12-DM-001",)),
    Fault("gradebook.model.lineitem-missing-category", _GB, "LineItems are served without their required category.",
          ("ORGB12-DM-002", "ORGB12-WRITE-001")),
    Fault("gradebook.model.result-score-as-string", _GB,
          "Results' score is served as a string (\"87.0\") instead of a number.",
          ("ORGB12-DM-003", "ORGB12-WRITE-002")),
    Fault("gradebook.model.scorescale-no-values", _GB, "Score scales are served with an empty scoreScaleValue list.",
          ("ORGB12-DM-004",)),
    Fault("gradebook.model.assessment-lineitem-missing-title", _GB,
          "Assessment line items are served without their required title.", ("ORGB12-DM-005",)),
    Fault("gradebook.model.assessment-result-missing-score-date", _GB,
          "Assessment results are served without their required scoreDate.", ("ORGB12-DM-006",)),
    Fault("gradebook.model.score-status-case", _GB,
          "Results' scoreStatus is title-cased (\"Fully Graded\"), outside the vocabulary.", ("ORGB12-DM-007",)),
    Fault("gradebook.model.lineitem-duedate-as-date", _GB,
          "LineItems' dueDate is served as a date (YYYY-MM-DD) instead of a date-time.", ("ORGB12-DM-008",)),
    Fault("gradebook.model.guidref-missing-type", _GB, "Results' lineItem reference lacks its type.",
          ("ORGB12-DM-009",)),
    Fault("gradebook.model.late-as-json-bool", _GB,
          "Results' late flag is a JSON boolean instead of the string \"true\"/\"false\".", ("ORGB12-DM-010",)),
    Fault("gradebook.model.extra-property", _GB, "LineItems carry an extra top-level property (points).",
          ("ORGB12-DM-011",)),
    # gradebook: errors, auth, paging, integrity
    Fault("gradebook.errors.unknown-id-200", _GB,
          "A Gradebook GET for an unknown sourcedId answers 200 with the object set to null.",
          ("ORGB12-ERR-001", "ORGB12-WRITE-004")),
    Fault("gradebook.errors.404-plain", _GB, "Gradebook 404 answers carry a plain-text body, not the status payload.",
          ("ORGB12-ERR-002",)),
    Fault("gradebook.auth.no-token-accepted", _GB, "Gradebook requests without a token are served.",
          ("ORGB12-AUTH-001",)),
    Fault("gradebook.auth.scope-not-enforced", _GB,
          "Gradebook data is served to a token holding only rostering scopes.", ("ORGB12-AUTH-002",)),
    Fault("gradebook.paging.off-by-one", _GB,
          "A Gradebook page requested at offset N starts at record N+1 (one record is skipped).",
          ("ORGB12-PAGE-001",)),
    Fault("gradebook.integrity.result-dangling-lineitem", _GB,
          "One result references a lineItem sourcedId that does not exist.", ("ORGB12-REF-001",)),
    # gradebook: writes
    Fault("gradebook.write.put-not-stored", _GB,
          "A PUT creating a lineItem answers 201 but stores nothing.", ("ORGB12-WRITE-001",)),
    Fault("gradebook.write.result-score-dropped", _GB,
          "A PUT result is stored without its score.", ("ORGB12-WRITE-002",)),
    Fault("gradebook.write.update-not-applied", _GB,
          "A PUT on an existing record answers 201 but keeps the old record.", ("ORGB12-WRITE-003",)),
    Fault("gradebook.write.delete-not-deleting", _GB,
          "DELETE answers 204 but the record stays.", ("ORGB12-WRITE-004",)),
    Fault("gradebook.write.put-answers-200", _GB,
          "A PUT that creates a record answers 200 instead of the binding's 201.", ("ORGB12-WRITE-005",)),
    # resources
    Fault("resources.envelope.collections-under-data", _RS,
          "GET /resources wraps its records under \"data\" instead of \"resources\".",
          ("ORRS12-OPS-001", "ORRS12-PAGE-001")),
    Fault("resources.envelope.singular-wrapped-as-plural", _RS,
          "GET /resources/{id} wraps the resource in a one-item list under a plural key.", ("ORRS12-OPS-002",)),
    Fault("resources.ops.nested-missing", _RS,
          "/classes/{id}/resources, /courses/{id}/resources and /users/{id}/resources do not exist.",
          _ids("ORRS12", "OPS", range(3, 6))),
    Fault("resources.model.missing-vendor-resource-id", _RS,
          "Resources are served without their required vendorResourceId.", ("ORRS12-DM-001",)),
    Fault("resources.model.importance-case", _RS,
          "Resources' importance is capitalised (\"Primary\"), outside the vocabulary.", ("ORRS12-DM-002",)),
    Fault("resources.model.extra-property", _RS, "Resources carry an extra top-level property (isbn).",
          ("ORRS12-DM-003",)),
    Fault("resources.errors.unknown-id-200", _RS,
          "GET /resources/{unknown sourcedId} answers 200 with the object set to null.", ("ORRS12-ERR-001",)),
    Fault("resources.errors.404-plain", _RS, "Resources 404 answers carry a plain-text body.", ("ORRS12-ERR-002",)),
    Fault("resources.auth.no-token-accepted", _RS, "Resources requests without a token are served.",
          ("ORRS12-AUTH-001",)),
    Fault("resources.auth.scope-not-enforced", _RS,
          "Resources are served to a token holding only rostering scopes.", ("ORRS12-AUTH-002",)),
    Fault("resources.paging.off-by-one", _RS,
          "A /resources page requested at offset N starts at record N+1.", ("ORRS12-PAGE-001",)),
    Fault("resources.integrity.class-lists-unknown-resource", _RS,
          "/classes/{id}/resources lists a resource that /resources does not have.", ("ORRS12-REF-001",)),
)
