"""Faults only generated requests find: schema-visible defects behind parameter values no
hand-written check sends (an odd ``sort``, a huge ``limit`` or ``offset``, a malformed ``filter``).

Each trips the fuzz-phase check (``OR12-FUZZ-...``, ``ORGB12-FUZZ-...``, ``ORRS12-FUZZ-...``) it names;
none trips a conformance check, because the conformance checks never send these values. Read in
``sandbox/oneroster/app.py`` through ``OneRosterProvider.fuzz_faulty`` (Gradebook and Resources share the
query engine: the same defects exist once per service). ``ignored_auth`` of the two services is tripped
by their ``auth.no-token-accepted`` (1.1: ``auth.unsigned-accepted``) faults (``CASCADES``).
"""
from __future__ import annotations

from edcert.sandbox.faults import Fault

_OR12 = "oneroster-1.2"
BIG_LIMIT = 5000  # above every limit the conformance checks send (at most 1000)
BIG_OFFSET = 1_000_000
# The sandbox publishes its own OpenAPI document (the standard's, edcert/fixtures/specs) here, under the
# rostering base; the fault below makes it contradict the service.
DISCOVERY_PATH = "/discovery/openapi.json"
OWN_SPEC = "oneroster-1.2-rostering.json"

FAULTS: tuple[Fault, ...] = (
    Fault("oneroster.fuzz.server-error-on-odd-sort", _OR12,
          "A sort value holding a character other than a letter, digit, '_' or '.' answers 500.",
          trips=("OR12-FUZZ-001",)),
    Fault("oneroster.fuzz.undocumented-status-on-huge-offset", _OR12,
          f"An offset above {BIG_OFFSET} answers 416, a status code the operations do not document.",
          trips=("OR12-FUZZ-002",)),
    Fault("oneroster.fuzz.text-content-type-on-malformed-filter", _OR12,
          "The 400 answer to a filter that does not parse is labelled Content-Type text/plain.",
          trips=("OR12-FUZZ-003",)),
    Fault("oneroster.fuzz.big-page-drops-status", _OR12,
          f"Pages asked for with limit above {BIG_LIMIT} serve their records without the required status.",
          trips=("OR12-FUZZ-004",)),
    Fault("oneroster.fuzz.total-count-not-a-number", _OR12,
          f"Pages asked for with limit above {BIG_LIMIT} carry X-Total-Count: many.",
          trips=("OR12-FUZZ-005",)),
    Fault("oneroster.fuzz.grading-periods-no-auth", _OR12,
          "GET /gradingPeriods answers without any access token.",
          trips=("OR12-FUZZ-006",)),
    Fault("oneroster.fuzz.invalid-limit-accepted", _OR12,
          "A limit, offset or orderBy outside its documented values (limit 0, offset -3, orderBy up) is replaced by "
          "its default instead of answering 400.",
          trips=("OR12-FUZZ-007",)),
    Fault("oneroster.ownspec.document-omits-400", _OR12,
          "The sandbox's published OpenAPI document leaves out the 400 answers the service gives to bad "
          "parameters.",
          trips=("OR12-OWN-001",)),
)


def _service_faults(service: str, standard: str, prefix: str) -> tuple[Fault, ...]:
    """The query-engine faults of Rostering, once more for a service that shares its engine."""
    shared = {"server-error-on-odd-sort": 1, "undocumented-status-on-huge-offset": 2,
              "text-content-type-on-malformed-filter": 3, "big-page-drops-status": 4,
              "total-count-not-a-number": 5, "invalid-limit-accepted": 7}
    sentences = {f.name.rsplit(".", 1)[1]: f.sentence for f in FAULTS}
    return tuple(Fault(f"{service}.fuzz.{name}", standard, f"{standard}: {sentences[name]}",
                       trips=(f"{prefix}-FUZZ-{number:03d}",)) for name, number in shared.items())


# (fault prefix, standard, check prefix): OneRoster 1.1's provider reads "oneroster.X" as "oneroster11.X"
SERVICES = (("gradebook", "oneroster-gradebook-1.2", "ORGB12"), ("resources", "oneroster-resources-1.2", "ORRS12"),
            ("oneroster11", "oneroster-1.1", "OR11"))
FAULTS += tuple(fault for service in SERVICES for fault in _service_faults(*service))
# a service that serves without a token is what ignored_auth finds too
CASCADES: dict[str, tuple[str, ...]] = {"gradebook.auth.no-token-accepted": ("ORGB12-FUZZ-006",),
                                        "resources.auth.no-token-accepted": ("ORRS12-FUZZ-006",),
                                        "oneroster11.auth.unsigned-accepted": ("OR11-FUZZ-006",)}
