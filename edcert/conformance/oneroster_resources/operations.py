"""Operations: the five Resources reads answer 200 with their resources, plus the family's shared checks.

GET /resources and /resources/{id} (Resources core), and the resources of a class, a course and a user,
whose parents are picked from the same provider's rostering data (read once, shared with the rostering
suite). The model, error, auth, paging and integrity checks of this small service live here too.
"""
from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from edcert.conformance.oneroster._common import evidence, shared_probe
from edcert.conformance.oneroster._service import (
    Flavor,
    ServiceSession,
    check_model,
    check_no_token,
    check_paging,
    check_single,
    check_unknown_404,
    check_unknown_payload,
    check_wrong_scope,
    first_of,
    ids_of,
    readable,
    records_with_ids,
    register,
    rostering_of,
)
from edcert.conformance.oneroster.models import Rule, id_list
from edcert.conformance.oneroster_resources._fixtures import FLAVORS, RESOURCE, session
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.evidence import Exchange

# (path template, operation, rostering collection of the parent, parameter)
NESTED = (
    ("/classes/{classSourcedId}/resources", "getResourcesForClass", "classes", "classSourcedId"),
    ("/courses/{courseSourcedId}/resources", "getResourcesForCourse", "courses", "courseSourcedId"),
    ("/users/{userSourcedId}/resources", "getResourcesForUser", "users", "userSourcedId"),
)


def _parent(rs: ServiceSession, collection: str) -> str:
    rostering = rostering_of(rs)
    try:
        records = rostering.collection(collection).records
    except Failure as failure:
        raise NotApplicable(f"no {collection[:-1]} to ask about: GET /{collection} of the rostering service "
                            f"could not be read ({failure.message})") from None
    with_resources = [r for r in records if r.get("resources")]
    return first_of([*ids_of(with_resources), *ids_of(records)], collection[:-1])


def nested_answer(rs: ServiceSession, template: str, collection: str, param: str) -> tuple[str, httpx.Response]:
    path = template.format(**{param: quote(_parent(rs, collection), safe="")})
    return path, shared_probe(rs, f"nested {path}", lambda: rs.get(path, params={"limit": 100}))


def _declare(flavor: Flavor) -> None:
    p = flavor.prefix
    base = f"{{base}}{flavor.base_path}"
    checks: list[tuple[str, str, object, dict[str, object]]] = []

    def get_all(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        session(request, _f).collection("resources")

    checks.append(("get_resources", "operations", get_all, dict(
        id=f"{p}-OPS-001", level="required", requirements=(flavor.requirement("OP-getAllResources"),),
        title="GET /resources answers 200 with its records in the 'resources' array",
        why="A school system cannot list the learning materials a product offers unless /resources answers.",
        remediation=f'Serve GET {base}/resources with HTTP 200 and {{"resources": [ ... ]}}, paged with limit '
                    "and offset.",
        ref=f"{flavor.binding}, operation getAllResources; {flavor.openapi}: its 200 response")))

    def get_one(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_single(session(request, _f), "resources", "resource", "resource", f"{_f.prefix}-OPS-001")

    checks.append(("get_one_resource", "operations", get_one, dict(
        id=f"{p}-OPS-002", level="required", requirements=(flavor.requirement("OP-getResource"),),
        title="GET /resources/{sourcedId} answers 200 with that resource under 'resource'",
        why="A school system that looks up one resource by its id must get exactly that record back.",
        remediation=f'Serve GET {base}/resources/{{sourcedId}} with HTTP 200 and {{"resource": {{...}}}}.',
        ref=f"{flavor.binding}, operation getResource; {flavor.openapi}: its 200 response")))
    for n, (template, operation, collection, param) in enumerate(NESTED, start=3):
        if flavor.v1p1 and collection == "users":
            continue  # /users/{id}/resources is new in 1.2

        def nested(request: pytest.FixtureRequest, _f: Flavor = flavor, _t: str = template, _c: str = collection,
                   _p: str = param) -> None:
            rs = session(request, _f)
            path, response = nested_answer(rs, _t, _c, _p)
            records_with_ids(response, "resources", f"GET {path}")

        checks.append((operation, "operations", nested, dict(
            id=f"{p}-OPS-{n:03d}", level="recommended", requirements=(flavor.requirement(f"OP-{operation}"),),
            title=f"GET {template} answers 200 with the resources in the 'resources' array",
            why=f"Teachers' tools find the materials of a {collection[:-1]} through this address; it must answer.",
            remediation=f'Serve GET {base}{template} (scope resource.readonly) with HTTP 200 and '
                        '{"resources": [ ... ]} holding full resource records.',
            ref=f"{flavor.binding}, operation {operation}; {flavor.openapi}: its 200 response")))

    model = (
        ("model_required", (Rule.REQUIRED, Rule.TYPE), "DM-RESOURCE", "required",
         "Every resource carries vendorResourceId and the base properties, each of the right JSON type",
         "A resource without its vendor identifier cannot be opened in the vendor's own application.",
         "Serve every resource with sourcedId, status, dateLastModified and vendorResourceId; roles as a list."),
        ("model_values", (Rule.ENUM, Rule.STATUS, Rule.FORMAT, Rule.GUIDREF, Rule.BOOLEAN), "DM-VALUES", "required",
         "Resource values follow the model (importance primary|secondary, status, RFC 3339 dateLastModified)",
         "Values outside the standard's vocabulary are dropped by the district's systems.",
         "Use importance primary | secondary and status active | tobedeleted (lower case); serve "
         "dateLastModified as an RFC 3339 date-time."),
        ("model_extra", (Rule.EXTRA,), "DM-EXTRA", "recommended",
         "No resource properties outside the 1.2 model (extensions go in metadata)",
         "Strict consumers reject records with unknown properties, so extensions belong in metadata.",
         "Move vendor-specific properties into the resource's metadata object."),
    )
    for n, (name, rules, requirement, level, title, why, remediation) in enumerate(model, start=1):

        def dm(request: pytest.FixtureRequest, _f: Flavor = flavor, _r: tuple[Rule, ...] = rules,
               _t: str = title) -> None:
            check_model(session(request, _f), {"resources": RESOURCE}, _r, _t)

        checks.append((name, "data-model", dm, dict(
            id=f"{p}-DM-{n:03d}", level=level, requirements=(flavor.requirement(requirement),), title=title,
            why=why, remediation=remediation, ref=f"{flavor.openapi}: components.schemas.ResourceDType")))

    def unknown(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_unknown_404(session(request, _f), "resources")

    checks.append(("unknown_404", "errors", unknown, dict(
        id=f"{p}-ERR-001", level="required", requirements=(flavor.requirement("ERR-404"),),
        title="GET /resources/{sourcedId} for an unknown sourcedId answers 404",
        why="A school system must be able to tell a resource that does not exist from one that does.",
        remediation="Answer GET /resources/{sourcedId} for a sourcedId you do not hold with HTTP 404.",
        ref=f"{flavor.binding}: getResource, 404 response")))

    def payload(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_unknown_payload(session(request, _f), "resources")

    checks.append(("unknown_payload", "errors", payload, dict(
        id=f"{p}-ERR-002", level="recommended", requirements=(flavor.requirement("ERR-PAYLOAD"),),
        title="The 404 for an unknown resource carries the status payload with codeMinor unknownobject",
        why="A clear 'no such record' answer lets staff fix a sync problem without guessing.",
        remediation="Send the 404 as the JSON status payload (imsx_codeMajor failure, codeMinor unknownobject)"
        + (", wrapped as 1.1 does: {\"statusInfoSet\": [{...}]}." if flavor.v1p1 else "."),
        ref=f"{flavor.openapi}: imsx_StatusInfoDType; 404 response")))

    def no_token(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_no_token(session(request, _f), "resources")

    checks.append(("no_token", "auth", no_token, dict(
        id=f"{p}-AUTH-001", level="required", requirements=(flavor.requirement("AUTH-BEARER"),),
        title="GET /resources without a token is refused with 401" if not flavor.v1p1
        else "GET /resources without a signature (or token) is refused with 401",
        why="Licensed materials and their assignment to classes are the district's business only.",
        remediation="Require a valid OAuth 2.0 bearer token on every Resources endpoint; answer 401 without one."
        if not flavor.v1p1 else "Require an OAuth 1.0a signature (or an OAuth 2.0 bearer token) on every "
                                "Resources request; answer 401 without one.",
        ref=f"1EdTech Security Framework 1.0 §4; {flavor.binding}: 401 response" if not flavor.v1p1
        else f"{flavor.binding}: OAuth 1.0a request signing (IMS Security); 401 response")))

    def wrong_scope(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_wrong_scope(session(request, _f), "resources",
                          (_f.scope("roster-core.readonly"), _f.scope("roster.readonly")))

    checks.append(("wrong_scope", "auth", wrong_scope, dict(
        id=f"{p}-AUTH-002", level="required", requirements=(flavor.requirement("AUTH-SCOPE"),),
        title="Resources are refused to a token holding only rostering scopes" if not flavor.v1p1
        else "Resources are refused to a request signed with the wrong secret (OAuth 2.0: without resource scope)",
        why="Each application should see only what the district granted it.",
        remediation="Serve Resources reads only to tokens granted resource-core.readonly or resource.readonly; "
                    "answer 403 to others.",
        ref=f"{flavor.openapi}: securitySchemes.OAuth2CC and each operation's security requirement")))

    def paging(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_paging(session(request, _f), "resources")

    checks.append(("paging", "pagination", paging, dict(
        id=f"{p}-PAGE-001", level="required", requirements=(flavor.requirement("PAGE"),),
        title="Paging /resources with a small limit gives exactly the records of one large page",
        why="A sync reads page by page; a provider that skips or repeats records loses materials.",
        remediation="Apply limit and offset exactly over a stable order.",
        ref=f"{flavor.openapi}: limit and offset parameters")))

    def nested_known(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        rs = session(request, _f)
        known = readable(rs, "resources")
        if known is None:
            raise NotApplicable("/resources could not be read (ORRS12-OPS-001 reports why)")
        ids = {r.get("sourcedId") for r in known}
        unknown_ids: list[str] = []
        proof: list[Exchange] = []
        for template, _op, collection, param in NESTED:
            if _f.v1p1 and collection == "users":
                continue
            path, response = nested_answer(rs, template, collection, param)
            if response.status_code != 200:
                continue
            try:
                records = records_with_ids(response, "resources", f"GET {path}")
            except Failure:
                continue
            missing = [str(r.get("sourcedId")) for r in records if r.get("sourcedId") not in ids]
            if missing:
                unknown_ids.extend(missing)
                proof.extend(evidence(response))
        if unknown_ids:
            raise Failure(f"{len(unknown_ids)} resource(s) listed for a class, course or user are not in /resources "
                          f"({id_list(unknown_ids)})", expected="every listed resource served by /resources",
                          received=f"{len(unknown_ids)} unknown",
                          exchanges=proof)

    checks.append(("nested_known", "referential-integrity", nested_known, dict(
        id=f"{p}-REF-001", level="recommended", requirements=(flavor.requirement("REF"),),
        title="The resources listed for a class, a course or a user are resources /resources serves",
        why="A class pointing at material the provider does not have leaves students with a dead link.",
        remediation="List under /classes/{id}/resources, /courses/{id}/resources and /users/{id}/resources only "
                    "resources that GET /resources/{sourcedId} serves.",
        ref=f"{flavor.binding}: getResourcesForClass/Course/User")))

    for name, category, func, meta in checks:
        register(globals(), func, f"check_{p.lower()}_{name}", flavor, category, meta)  # type: ignore[arg-type]



for _flavor in FLAVORS:
    _declare(_flavor)
