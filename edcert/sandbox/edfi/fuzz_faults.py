"""Ed-Fi host faults only generated requests find (fuzz phase, ``EDFI-FUZZ-...``, ``EDFI-OWN-001``).

Each is behind a request no hand-written Ed-Fi check sends (a non-ASCII natural-key value, a far, huge or
negative offset, a non-hexadecimal id, a small page with totalCount=true, a descriptor read without a token),
so none trips a conformance check. Read in ``sandbox/edfi/app.py`` (``_list``, ``single``, ``_answer``,
``openapi_spec``). The host fault ``edfi.auth.no-token-accepted`` breaks a fuzz check as well (``CASCADES``):
a host serving without a token is what ``ignored_auth`` finds.
"""
from __future__ import annotations

from edcert.sandbox.edfi import FUZZ_FAR_OFFSET, FUZZ_HUGE_OFFSET
from edcert.sandbox.faults import Fault

API = "edfi-api"

FAULTS: tuple[Fault, ...] = (
    Fault("edfi.fuzz.server-error-on-non-ascii-key", API,
          "A natural-key query value holding a non-ASCII character answers 500.", trips=("EDFI-FUZZ-001",)),
    Fault("edfi.fuzz.undocumented-status-on-huge-offset", API,
          f"An offset above {FUZZ_HUGE_OFFSET} answers 416, a status code the operations do not document.",
          trips=("EDFI-FUZZ-002",)),
    Fault("edfi.fuzz.text-content-type-on-far-offset", API,
          f"Pages asked for with an offset above {FUZZ_FAR_OFFSET} are labelled Content-Type text/plain.",
          trips=("EDFI-FUZZ-003",)),
    Fault("edfi.fuzz.odd-id-error-off-schema", API,
          "The 404 answer to GET by an id that is not hexadecimal is {\"error\": \"not found\"}, in neither Ed-Fi "
          "error form.", trips=("EDFI-FUZZ-004",)),
    Fault("edfi.fuzz.total-count-not-a-number", API,
          "With totalCount=true and a page smaller than the maximum (500), Total-Count reads 'many'.",
          trips=("EDFI-FUZZ-005",)),
    Fault("edfi.fuzz.descriptors-no-auth", API,
          "Descriptor collections (/ed-fi/...Descriptors) answer without a bearer token.", trips=("EDFI-FUZZ-006",)),
    Fault("edfi.fuzz.invalid-offset-accepted", API,
          "A negative or non-numeric offset is read as 0 instead of answering 400.", trips=("EDFI-FUZZ-007",)),
    Fault("edfi.ownspec.document-omits-404", API,
          "The sandbox's published OpenAPI document leaves out the 404 answer of GET by id.",
          trips=("EDFI-OWN-001",)),
)
CASCADES: dict[str, tuple[str, ...]] = {"edfi.auth.no-token-accepted": ("EDFI-FUZZ-006",)}
