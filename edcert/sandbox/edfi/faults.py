"""The Ed-Fi faults: host-mode deviations of the sandbox (``edfi-api``) and misbehaving variants of the scripted
SIS client (``edfi-client``).

Client mode certifies the client, not the sandbox: its "faults" are variants of the demo vendor, i.e. of the
scripted SIS client (``sis_client.py``). They are catalogued here like every other fault so the fault matrix
holds for both standards: switched on in the sandbox, a variant is what the sandbox asks the scripted client to
play (``GET /edfi/_edcert/scripted-client``), which `edcert demo` and the tests run before the client-mode
checks read the recording.
"""
from __future__ import annotations

from edcert.sandbox.faults import Fault

API = "edfi-api"
CLIENT = "edfi-client"
CLIENT_VARIANT_PREFIX = "edfi.client."
_DISCOVERY_CASCADE = ("EDFI-DISC-001", "EDFI-DISC-002", "EDFI-DISC-003", "EDFI-DISC-004", "EDFI-OAS-001")

_HOST: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("edfi.discovery.missing", "The root answers 404 instead of the discovery document.", _DISCOVERY_CASCADE),
    ("edfi.discovery.not-json", "The root answers an HTML welcome page instead of the discovery document.",
     _DISCOVERY_CASCADE),
    ("edfi.discovery.requires-token", "The discovery document is refused without a bearer token.",
     ("EDFI-DISC-001",)),
    ("edfi.discovery.relative-urls", "The discovery document lists relative URLs (/oauth/token...).",
     ("EDFI-DISC-003",)),
    ("edfi.discovery.no-data-models", "The discovery document has no dataModels.", ("EDFI-DISC-002",)),
    ("edfi.metadata.no-dependencies", "The dependencies document answers 404.", ("EDFI-DISC-004",)),
    ("edfi.metadata.openapi-not-json", "The OpenAPI metadata endpoint answers an HTML page.", ("EDFI-OAS-001",)),
    ("edfi.auth.basic-refused", "The token endpoint refuses client credentials sent by HTTP Basic.",
     ("EDFI-AUTH-001",)),
    ("edfi.auth.form-body-refused", "The token endpoint refuses client credentials sent in the form body.",
     ("EDFI-AUTH-002",)),
    ("edfi.auth.no-expires-in", "The token response carries no expires_in.", ("EDFI-AUTH-003",)),
    ("edfi.auth.bad-client-400", "A wrong client secret answers 400 {\"message\"} instead of 401 invalid_client.",
     ("EDFI-AUTH-004",)),
    ("edfi.auth.no-token-accepted", "Resources are served without a bearer token.", ("EDFI-AUTH-005",)),
    ("edfi.resources.sections-missing", "/ed-fi/sections answers 404.", ("EDFI-RES-001",)),
    ("edfi.query.natural-key-ignored", "Natural-key query parameters are ignored: a page of everything comes back.",
     ("EDFI-RES-002",)),
    ("edfi.resources.get-by-id-wrong-item", "GET by id answers another item of the resource.", ("EDFI-RES-003",)),
    ("edfi.resources.unknown-id-200", "GET of an unknown id answers 200 with some other item.", ("EDFI-RES-004",)),
    ("edfi.paging.default-unbounded", "Without limit, the whole collection comes back in one page.",
     ("EDFI-PAGE-001",)),
    ("edfi.paging.limit-above-max-accepted", "limit=501 is accepted instead of answering 400.", ("EDFI-PAGE-002",)),
    ("edfi.paging.no-total-count", "totalCount=true brings no Total-Count header.", ("EDFI-PAGE-003",)),
    ("edfi.paging.unstable-order", "Items come back in a different order on every request.", ("EDFI-PAGE-004",)),
    ("edfi.etag.missing", "GET by id carries no ETag header.", ("EDFI-ETAG-001",)),
    ("edfi.etag.if-match-ignored", "A stale If-Match is ignored: the PUT succeeds instead of answering 412.",
     ("EDFI-ETAG-002",)),
    ("edfi.errors.plain-text", "Error answers carry a plain-text body instead of JSON.",
     ("EDFI-ERR-001", "EDFI-ERR-002")),
    ("edfi.errors.wrong-problem-type", "Problem details carry type about:blank instead of an urn:ed-fi:api type.",
     ("EDFI-ERR-002",)),
    ("edfi.changes.no-available-versions", "availableChangeVersions answers 404.", ("EDFI-CHG-001",)),
    ("edfi.changes.min-version-ignored", "minChangeVersion and maxChangeVersion are ignored.", ("EDFI-CHG-002",)),
    ("edfi.changes.deletes-no-key-values", "/deletes rows carry no keyValues.", ("EDFI-CHG-003",)),
    ("edfi.changes.no-key-changes", "/keyChanges answers 404.", ("EDFI-CHG-004",)),
    ("edfi.write.post-new-200", "POST of a new item answers 200 instead of 201.", ("EDFI-WRITE-001",)),
    ("edfi.write.no-location", "POST answers without a Location header.", ("EDFI-WRITE-001", "EDFI-WRITE-002")),
    ("edfi.write.repost-201", "POST of an existing natural key answers 201 instead of 200.", ("EDFI-WRITE-002",)),
    ("edfi.write.put-200", "PUT answers 200 with a body instead of 204.", ("EDFI-WRITE-003",)),
    ("edfi.write.put-unknown-creates", "PUT of an unknown id creates the item (201) instead of answering 404.",
     ("EDFI-WRITE-004",)),
    ("edfi.write.delete-keeps-item", "DELETE answers 204 but the item is still served.", ("EDFI-WRITE-005",)),
    ("edfi.write.delete-referenced-allowed", "DELETE of an item other items reference answers 204 instead of 409.",
     ("EDFI-WRITE-006",)),
    ("edfi.write.unresolved-reference-accepted", "A POST referencing a student that does not exist is accepted.",
     ("EDFI-WRITE-007",)),
)

# The scripted SIS client's misbehaving variants (see sis_client.py), each tripping exactly its check.
CLIENT_VARIANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "blank-school-name": ("The SIS publishes its first school with a blank nameOfInstitution.",
                          ("EDFICL-SCN-001",)),
    "blank-staff-name": ("The SIS publishes its first staff member with a blank firstName.", ("EDFICL-SCN-002",)),
    "blank-student-name": ("The SIS publishes its first student with a blank firstName.", ("EDFICL-SCN-003",)),
    "credits-as-text": ("The SIS sends sections' availableCredits as text (\"1.0\").", ("EDFICL-SCN-004",)),
    "local-grade-level": ("The SIS sends a grade level from its own namespace instead of an Ed-Fi descriptor.",
                          ("EDFICL-SCN-005",)),
    "local-attempt-status": ("The SIS sends an attempt status from its own namespace.", ("EDFICL-SCN-006",)),
    "skips-updates": ("The SIS never sends the scenario's updates.", ("EDFICL-UPD-001",)),
    "skips-deletes": ("The SIS never sends the scenario's deletes.", ("EDFICL-DEL-001",)),
    "token-per-request": ("The SIS asks for a new token before every request.", ("EDFICL-BEH-001",)),
    "children-first": ("The SIS sends enrollments before the students and schools they reference, then again.",
                       ("EDFICL-BEH-002",)),
    "no-backoff": ("The SIS retries a request that answered 500 at once, without waiting.", ("EDFICL-BEH-003",)),
    "ignores-retry-after": ("The SIS retries a 429 at once, ignoring Retry-After.", ("EDFICL-BEH-004",)),
    "delete-recreate": ("The SIS updates a staff member by deleting and re-creating it.", ("EDFICL-BEH-005",)),
    "real-looking-data": ("The SIS sends a student with an SSN-shaped number and a real e-mail domain.",
                          ("EDFICL-BEH-006",)),
    "flood": ("After publishing, the SIS polls the API in a tight loop.", ("EDFICL-BEH-007",)),
}

FAULTS: tuple[Fault, ...] = (
    *(Fault(name, API, sentence, trips) for name, sentence, trips in _HOST),
    *(Fault(CLIENT_VARIANT_PREFIX + name, CLIENT, sentence, trips)
      for name, (sentence, trips) in CLIENT_VARIANTS.items()),
)
