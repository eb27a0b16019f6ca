"""The OneRoster 1.2 Rostering provider of the reference sandbox.

All 41 GET operations of the 1.2 Rostering service, mounted by the root app
under ``/ims/oneroster/rostering/v1p2``:

- 22 core operations (scope roster-core.readonly or roster.readonly),
- 2 demographics operations (roster-demographics.readonly only),
- 17 nested operations (roster.readonly only).

Choices where the specification leaves room (documented here and in the
report):

- default order: by sourcedId, ascending; ``sort`` ties break on sourcedId,
  ``orderBy=desc`` reverses the whole order; ``orderBy`` alone orders by
  sourcedId;
- an unknown ``sort`` field answers 400 with codeMinor ``invaliddata`` (1.2
  has no ``invalid_sort_field``), as does a bad ``orderBy``, ``limit`` or
  ``offset``;
- a malformed ``filter`` answers 400 ``invalid_filter_field`` like an unknown
  filter field; an empty ``filter=`` is treated as absent;
- ``fields`` accepts ``a,b`` and ``fields=a&fields=b``; a blank name or an
  unknown one answers 400 ``invalid_selection_field``;
- ``/schools/{id}/terms`` lists the terms the school's classes are scheduled
  in; ``/terms/{id}/gradingPeriods`` the grading periods whose parent is the
  term; nested user lists come from enrollments (tobedeleted ones included);
- unknown paths under the base answer 404 ``unknownobject`` with the status
  payload.
"""
from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from edcert.fixtures.districts import ROSTERING_BASE, District
from edcert.sandbox.fuzz_faults import BIG_LIMIT, BIG_OFFSET, DISCOVERY_PATH, OWN_SPEC
from edcert.sandbox.oneroster import model
from edcert.sandbox.oneroster.data import RosterData
from edcert.sandbox.oneroster.model import Shape
from edcert.sandbox.oneroster.query import (
    INVALID_DATA,
    INVALID_FILTER_FIELD,
    INVALID_SELECTION_FIELD,
    QueryError,
    filter_matches,
    parse_fields,
    parse_filter,
    parse_int,
    sort_key,
    valid_path,
)
from edcert.sandbox.state import SandboxState

ODD_SORT_OK = re.compile(r"[A-Za-z0-9_.]*")  # a sort value outside this trips oneroster.fuzz.server-error-on-odd-sort

JSON = dict[str, Any]
Endpoint = Callable[[Request], Awaitable[Response]]
Transform = Callable[[JSON], JSON]

CORE = "core"
DEMOGRAPHICS = "demographics"
NESTED = "nested"
ACCEPTED_SCOPES: dict[str, frozenset[str]] = {
    CORE: frozenset({model.SCOPE_ROSTER_CORE, model.SCOPE_ROSTER}),
    DEMOGRAPHICS: frozenset({model.SCOPE_DEMOGRAPHICS}),
    NESTED: frozenset({model.SCOPE_ROSTER}),
}
DEFAULT_LIMIT = 100

# plural (collection) key of each entity
PLURAL = {
    "org": "orgs",
    "academicSession": "academicSessions",
    "course": "courses",
    "class": "classes",
    "user": "users",
    "enrollment": "enrollments",
    "demographics": "demographics",
}


@dataclass(frozen=True)
class Operation:
    """One of the GET operations an app serves (``OneRosterProvider.operations``)."""

    path: str
    category: str
    kind: str  # "collection" | "single"
    entity: str


class OneRosterProvider:
    # which scopes grant each category of operation (the Gradebook and Resources provider names its own)
    accepted_scopes: dict[str, frozenset[str]] = ACCEPTED_SCOPES

    def __init__(self, district: District, state: SandboxState) -> None:
        self.state = state
        self.data = RosterData(district, state)
        self._requests = itertools.count()
        self._transforms = self._output_transforms()
        self.operations: list[Operation] = []  # filled by the route factories

    # -- responses -------------------------------------------------------------

    def status(self, http_status: int, code_minor: str, description: str, **headers: str) -> Response:
        """An error answer with the 1.2 ``imsx_StatusInfoDType`` payload."""
        faulty = self.state.faulty
        if http_status == 401 and faulty("oneroster.errors.401-plain-text"):
            return PlainTextResponse("401 Unauthorized: " + description, 401, headers=headers)
        if http_status == 404 and faulty("oneroster.errors.404-plain"):
            return PlainTextResponse("404 Not Found", 404, headers=headers)
        payload: JSON = {
            "imsx_codeMajor": "failure",
            "imsx_severity": "error",
            "imsx_description": description,
        }
        if faulty("oneroster.errors.flat-codeminor"):
            payload["imsx_codeMinor"] = code_minor
        else:
            payload["imsx_CodeMinor"] = {
                "imsx_codeMinorField": [
                    {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": code_minor}
                ]
            }
        if faulty("oneroster.errors.error-content-type-text"):
            return JSONResponse(payload, status_code=http_status, headers=headers, media_type="text/plain")
        return JSONResponse(payload, status_code=http_status, headers=headers)

    def fuzz_faulty(self, request: Request, name: str) -> bool:
        """Whether the fuzz fault ``name`` (``edcert.sandbox.fuzz_faults``) is on for the service ``request`` is
        for: the query engine is shared by Rostering, Gradebook and Resources, each fault breaks one of them."""
        return self.state.faulty(f"oneroster.fuzz.{name}")

    def not_found(self, what: str) -> Response:
        return self.status(404, "unknownobject", f"unknown object: {what}")

    # -- auth ------------------------------------------------------------------

    def authorize(self, request: Request, category: str) -> Response | None:
        """None when the request may proceed, else the 401/403 answer."""
        faulty = self.state.faulty
        header = request.headers.get("authorization")
        if header is None:
            if faulty("oneroster.auth.no-token-accepted"):
                return None
            grading_periods = request.url.path == ROSTERING_BASE + "/gradingPeriods"
            if grading_periods and faulty("oneroster.fuzz.grading-periods-no-auth"):
                return None
            return self.status(
                401, "unauthorisedrequest", "an access token is required",
                **{"WWW-Authenticate": 'Bearer realm="edcert-sandbox"'},
            )
        scheme, _, token = header.partition(" ")
        issued = self.state.tokens.lookup(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if issued is None:
            if faulty("oneroster.auth.any-token-accepted") and scheme.lower() == "bearer" and token.strip():
                return None
            return self.status(
                401, "unauthorisedrequest", "the access token is missing, invalid or expired",
                **{"WWW-Authenticate": 'Bearer realm="edcert-sandbox", error="invalid_token"'},
            )
        if issued.scopes & self.accepted_scopes[category]:
            return None
        if category == DEMOGRAPHICS and faulty("oneroster.auth.demographics-scope-not-enforced"):
            return None
        if category == NESTED and faulty("oneroster.auth.nested-scope-not-enforced"):
            return None
        needed = " or ".join(sorted(self.accepted_scopes[category]))
        if faulty("oneroster.auth.wrong-scope-401"):
            return self.status(
                401, "unauthorisedrequest", f"this operation needs the scope {needed}",
                **{"WWW-Authenticate": 'Bearer realm="edcert-sandbox", error="insufficient_scope"'},
            )
        return self.status(403, "forbidden", f"the access token lacks the scope {needed}")

    # -- output ----------------------------------------------------------------

    def _output_transforms(self) -> dict[str, list[Transform]]:
        """Per-entity rewrites of records on their way out (the data-model faults).

        Applied to the page being served only, after filtering, sorting and
        counting, so they change nothing but the records' representation.
        """
        faulty = self.state.faulty
        out: dict[str, list[Transform]] = {name: [] for name in model.ENTITIES}
        if faulty("oneroster.model.datetime-as-date"):
            out["user"].append(
                lambda r: {**r, "dateLastModified": str(r["dateLastModified"])[:10]}
                if "dateLastModified" in r else r
            )
        if faulty("oneroster.model.boolean-as-json-bool"):
            out["user"].append(
                lambda r: {**r, "enabledUser": r["enabledUser"] == "true"} if "enabledUser" in r else r
            )
        if faulty("oneroster.model.user-missing-required"):
            out["user"].append(lambda r: {k: v for k, v in r.items() if k != "givenName"})
        if faulty("oneroster.model.enum-case-drift"):
            out["class"].append(
                lambda r: {**r, "classType": str(r["classType"]).capitalize()} if "classType" in r else r
            )
        if faulty("oneroster.model.guidref-missing-type"):

            def drop_type(r: JSON) -> JSON:
                r = dict(r)
                for key in ("user", "class", "school"):
                    if isinstance(r.get(key), dict):
                        r[key] = {k: v for k, v in r[key].items() if k != "type"}
                return r

            out["enrollment"].append(drop_type)
        if faulty("oneroster.model.extra-property"):
            code = self.data.district_identifier
            out["org"].append(lambda r: {**r, "districtCode": code})
        if faulty("oneroster.model.bad-date"):

            def us_date(r: JSON) -> JSON:
                start = r.get("startDate")
                if r.get("type") != "term" or not isinstance(start, str) or len(start) != 10:
                    return r
                return {**r, "startDate": f"{start[5:7]}/{start[8:10]}/{start[0:4]}"}

            out["academicSession"].append(us_date)
        if faulty("oneroster.model.org-missing-identifier"):
            out["org"].append(lambda r: {k: v for k, v in r.items() if k != "identifier"})
        if faulty("oneroster.model.session-missing-school-year"):
            out["academicSession"].append(lambda r: {k: v for k, v in r.items() if k != "schoolYear"})
        if faulty("oneroster.model.course-missing-code"):
            out["course"].append(lambda r: {k: v for k, v in r.items() if k != "courseCode"})
        if faulty("oneroster.model.class-periods-not-list"):
            out["class"].append(
                lambda r: {**r, "periods": ",".join(r["periods"])} if isinstance(r.get("periods"), list) else r
            )
        if faulty("oneroster.model.enrollment-missing-school"):
            out["enrollment"].append(lambda r: {k: v for k, v in r.items() if k != "school"})
        if faulty("oneroster.model.demographics-us-birthdate"):

            def us_birth_date(r: JSON) -> JSON:
                born = r.get("birthDate")
                if not isinstance(born, str) or len(born) != 10:
                    return r
                return {**r, "birthDate": f"{born[5:7]}/{born[8:10]}/{born[0:4]}"}

            out["demographics"].append(us_birth_date)
        if faulty("oneroster.model.status-invalid"):
            inactive = {c["sourcedId"] for c in self.data.courses[:2]}
            out["course"].append(lambda r: {**r, "status": "inactive"} if r.get("sourcedId") in inactive else r)
        if faulty("oneroster.model.bad-enum-role"):

            def paraprofessional(r: JSON) -> JSON:
                roles = r.get("roles")
                if not isinstance(roles, list) or not any(x.get("role") == "aide" for x in roles):
                    return r
                return {**r, "roles": [{**x, "role": "paraprofessional"} if x.get("role") == "aide" else x
                                       for x in roles]}

            out["user"].append(paraprofessional)
        return out

    def render(self, record: JSON, shape: Shape, fields: tuple[str, ...] | None) -> JSON:
        for transform in self._transforms[shape.name]:
            record = transform(record)
        if fields is not None:
            record = {k: v for k, v in record.items() if k in fields}
        return record

    def selected_fields(self, request: Request, shape: Shape) -> tuple[str, ...] | None:
        raw = request.query_params.getlist("fields")
        if not raw:
            return None
        faulty = self.state.faulty
        selection = parse_fields(raw, shape)
        if selection.unknown and not faulty("oneroster.fields.unknown-ignored"):
            raise QueryError(
                INVALID_SELECTION_FIELD,
                f"unknown field(s) for {shape.name}: {', '.join(selection.unknown)}",
            )
        if faulty("oneroster.fields.ignored"):
            return None
        if selection.repeated and faulty("oneroster.fields.repeated-param-ignored"):
            return None
        return selection.known or None

    # -- collections -------------------------------------------------------------

    def collection(
        self,
        request: Request,
        shape: Shape,
        key: str,
        records: list[JSON],
    ) -> Response:
        faulty = self.state.faulty
        params = request.query_params
        request_no = next(self._requests)

        odd_sort = params.get("sort") is not None and not ODD_SORT_OK.fullmatch(params["sort"])
        if odd_sort and self.fuzz_faulty(request, "server-error-on-odd-sort"):
            return self.status(500, "internal_server_error", "the sort parameter broke the query")
        limit_given = params.get("limit") is not None
        try:
            limit = parse_int(params.get("limit"), "limit", default=DEFAULT_LIMIT, minimum=1)
        except QueryError:
            if not self.fuzz_faulty(request, "invalid-limit-accepted"):
                raise
            limit = DEFAULT_LIMIT
        lenient = self.fuzz_faulty(request, "invalid-limit-accepted")
        try:
            offset = parse_int(params.get("offset"), "offset", default=0, minimum=0)
        except QueryError:
            if not lenient:
                raise
            offset = 0
        big_page = limit > BIG_LIMIT

        rows = records
        raw_filter = params.get("filter")
        if raw_filter is not None and raw_filter.strip():
            try:
                flt = parse_filter(raw_filter)
            except QueryError as exc:
                if not self.fuzz_faulty(request, "text-content-type-on-malformed-filter"):
                    raise
                answer = self.status(400, exc.code_minor, exc.description)
                answer.headers["content-type"] = "text/plain; charset=utf-8"
                return answer
            unknown = [c.field for c in flt.clauses if not valid_path(shape, c.parts)]
            if unknown:
                if not faulty("oneroster.filter.unknown-field-ignored"):
                    raise QueryError(
                        INVALID_FILTER_FIELD, f"unknown filter field(s) for {shape.name}: {', '.join(unknown)}"
                    )
            elif not faulty("oneroster.filter.ignored"):
                gt_inclusive = faulty("oneroster.filter.gt-inclusive")
                or_as_and = faulty("oneroster.filter.or-as-and")
                contains_exact = faulty("oneroster.filter.contains-exact")
                rows = [
                    r for r in rows
                    if filter_matches(
                        r, flt, gt_inclusive=gt_inclusive, or_as_and=or_as_and, contains_exact=contains_exact
                    )
                ]

        sort_field = params.get("sort")
        order_by = params.get("orderBy")
        if sort_field is not None and not valid_path(shape, sort_field.split(".")):
            # 1.2 has no invalid_sort_field; invaliddata is the closest codeMinor.
            raise QueryError(INVALID_DATA, f"unknown sort field for {shape.name}: {sort_field!r}")
        if order_by is not None and order_by not in ("asc", "desc") and lenient:
            order_by = None
        if order_by is not None and order_by not in ("asc", "desc"):
            raise QueryError(INVALID_DATA, f"orderBy must be asc or desc, got {order_by!r}")
        fields = self.selected_fields(request, shape)

        if (sort_field is not None or order_by is not None) and not faulty("oneroster.sort.ignored"):
            parts = (sort_field or "sourcedId").split(".")
            descending = order_by == "desc" and not faulty("oneroster.sort.desc-ignored")
            if parts != ["sourcedId"]:
                rows = sorted(rows, key=lambda r: sort_key(r, parts))
            if descending:
                rows = rows[::-1]
        elif sort_field is None and faulty("oneroster.paging.unstable-order"):
            rows = list(rows)
            random.Random(request_no).shuffle(rows)  # noqa: S311 - a deliberate fault, not security

        if offset > BIG_OFFSET and self.fuzz_faulty(request, "undocumented-status-on-huge-offset"):
            return self.status(416, INVALID_DATA, "offset out of range")
        total = len(rows)
        page_size = limit
        if faulty("oneroster.paging.ignores-limit"):
            page_size = DEFAULT_LIMIT
        if not limit_given and faulty("oneroster.paging.default-limit-unbounded"):
            page_size = limit = max(total, 1)
        start = offset
        if faulty("oneroster.paging.ignores-offset"):
            start = 0
        if offset > 0 and faulty("oneroster.paging.off-by-one"):
            start = offset + 1
        # strictly past the end: a client reading a collection of exactly k*limit records still ends on
        # the empty page at offset == total, so only OR12-PAGE-007's probe (offset > total) meets the fault
        if offset > total and faulty("oneroster.paging.offset-past-end-error"):
            return self.status(500, "internal_server_error", "offset out of range")
        page = rows[start : start + page_size]

        headers = {
            "X-Total-Count": str(total + 1 if faulty("oneroster.paging.wrong-total-count") else total),
            "Link": self._links(request, offset, limit, total),
        }
        if big_page and self.fuzz_faulty(request, "total-count-not-a-number"):
            headers["X-Total-Count"] = "many"
        if faulty("oneroster.envelope.collections-under-data"):
            key = "data"
        body = {key: [self.render(r, shape, fields) for r in page]}
        if big_page and self.fuzz_faulty(request, "big-page-drops-status"):
            body = {key: [{k: v for k, v in r.items() if k != "status"} for r in body[key]]}
        return JSONResponse(body, headers=headers)

    def _links(self, request: Request, offset: int, limit: int, total: int) -> str:
        others = [(k, v) for k, v in request.query_params.multi_items() if k not in ("limit", "offset")]

        def url(at: int) -> str:
            query = urlencode([*others, ("limit", str(limit)), ("offset", str(at))], quote_via=quote)
            return str(request.url.replace(query=query))

        links = [(url(0), "first")]
        if offset > 0:
            links.append((url(max(0, min(offset, total) - limit)), "prev"))
        if offset + limit < total:
            nxt = offset if self.state.faulty("oneroster.paging.broken-link-header") else offset + limit
            links.append((url(nxt), "next"))
        last = ((total - 1) // limit) * limit if total > 0 else 0
        links.append((url(last), "last"))
        return ", ".join(f'<{u}>; rel="{rel}"' for u, rel in links)

    # -- route factories -------------------------------------------------------------

    def collection_route(
        self,
        path: str,
        category: str,
        shape: Shape,
        source: Callable[[dict[str, str]], list[JSON] | None],
        *,
        own_key: str | None = None,
    ) -> Route:
        """A collection operation; ``source`` gives the records, or None for an unknown parent."""
        self.operations.append(Operation(ROSTERING_BASE + path, category, "collection", shape.name))
        key = PLURAL[shape.name]

        async def endpoint(request: Request) -> Response:
            denied = self.authorize(request, category)
            if denied is not None:
                return denied
            records = source(request.path_params)
            if records is None:
                return self.not_found(request.url.path)
            wrapper = key
            if own_key is not None and self.state.faulty("oneroster.envelope.subset-collections-own-key"):
                wrapper = own_key
            try:
                return self.collection(request, shape, wrapper, records)
            except QueryError as exc:
                return self.status(400, exc.code_minor, exc.description)

        return Route(path, endpoint, methods=["GET"])

    def single_route(
        self, path: str, category: str, shape: Shape, lookup: Callable[[str], JSON | None]
    ) -> Route:
        self.operations.append(Operation(ROSTERING_BASE + path, category, "single", shape.name))
        key = shape.name  # the singular key equals the entity name (demographics included)
        plural = PLURAL[shape.name]

        async def endpoint(request: Request) -> Response:
            denied = self.authorize(request, category)
            if denied is not None:
                return denied
            sourced_id = request.path_params["sourcedId"]
            record = lookup(sourced_id)
            if record is None:
                if self.state.faulty("oneroster.errors.unknown-id-200-empty"):
                    return JSONResponse({key: None})
                return self.not_found(f"{shape.name} {sourced_id!r}")
            try:
                fields = self.selected_fields(request, shape)
            except QueryError as exc:
                return self.status(400, exc.code_minor, exc.description)
            rendered = self.render(record, shape, fields)
            if self.state.faulty("oneroster.envelope.singular-wrapped-as-plural"):
                return JSONResponse({plural: [rendered]})
            return JSONResponse({key: rendered})

        return Route(path, endpoint, methods=["GET"])

    # -- the 41 operations -------------------------------------------------------------

    def routes(self) -> list[Route]:
        d = self.data
        faulty = self.state.faulty
        routes: list[Route] = []

        def everything(records: list[JSON]) -> Callable[[dict[str, str]], list[JSON] | None]:
            return lambda _params: records

        # core: collections
        core_collections: list[tuple[str, Shape, list[JSON], str | None]] = [
            ("/academicSessions", model.ACADEMIC_SESSION, d.sessions, None),
            ("/classes", model.CLASS, d.classes, None),
            ("/courses", model.COURSE, d.courses, None),
            ("/enrollments", model.ENROLLMENT, d.enrollments, None),
            ("/gradingPeriods", model.ACADEMIC_SESSION, d.grading_periods, "gradingPeriods"),
            ("/orgs", model.ORG, d.orgs, None),
            ("/schools", model.ORG, d.schools, "schools"),
            ("/students", model.USER, d.students, "students"),
            ("/teachers", model.USER, d.teachers, "teachers"),
            ("/terms", model.ACADEMIC_SESSION, d.terms, "terms"),
            ("/users", model.USER, d.users_listing, None),
        ]
        for path, shape, records, own in core_collections:
            routes.append(self.collection_route(path, CORE, shape, everything(records), own_key=own))

        # core: single objects
        core_singles: list[tuple[str, Shape, dict[str, JSON]]] = [
            ("/academicSessions", model.ACADEMIC_SESSION, d.session_by_id),
            ("/classes", model.CLASS, d.class_by_id),
            ("/courses", model.COURSE, d.course_by_id),
            ("/enrollments", model.ENROLLMENT, d.enrollment_by_id),
            ("/gradingPeriods", model.ACADEMIC_SESSION, d.grading_period_by_id),
            ("/orgs", model.ORG, d.org_by_id),
            ("/schools", model.ORG, d.school_by_id),
            ("/students", model.USER, d.student_by_id),
            ("/teachers", model.USER, d.teacher_by_id),
            ("/terms", model.ACADEMIC_SESSION, d.term_by_id),
            ("/users", model.USER, d.user_by_id),
        ]
        for path, shape, index in core_singles:
            routes.append(self.single_route(path + "/{sourcedId}", CORE, shape, index.get))

        # demographics
        if not faulty("oneroster.ops.demographics-missing"):
            routes.append(
                self.collection_route("/demographics", DEMOGRAPHICS, model.DEMOGRAPHICS, everything(d.demographics))
            )
            routes.append(
                self.single_route(
                    "/demographics/{sourcedId}", DEMOGRAPHICS, model.DEMOGRAPHICS, d.demographics_by_id.get
                )
            )

        # nested
        if not faulty("oneroster.ops.nested-not-implemented"):
            routes.extend(self._nested_routes())
        return routes

    def _nested_routes(self) -> list[Route]:
        d = self.data
        faulty = self.state.faulty
        USER, CLASS, COURSE, ENROLLMENT, SESSION = (
            model.USER, model.CLASS, model.COURSE, model.ENROLLMENT, model.ACADEMIC_SESSION
        )

        def class_students(p: dict[str, str]) -> list[JSON] | None:
            if p["classSourcedId"] not in d.class_by_id:
                return None
            roles = ("student", "teacher") if faulty("oneroster.nested.class-students-includes-teachers") else (
                "student",
            )
            return d.class_users(p["classSourcedId"], roles)

        def class_teachers(p: dict[str, str]) -> list[JSON] | None:
            if p["classSourcedId"] not in d.class_by_id:
                return None
            teachers = d.class_users(p["classSourcedId"], ("teacher",))
            if faulty("oneroster.nested.class-teachers-primary-only"):
                primary = {
                    e["user"]["sourcedId"]
                    for e in d.enrollments_by_class.get(p["classSourcedId"], [])
                    if e.get("role") == "teacher" and e.get("primary") == "true"
                }
                teachers = [t for t in teachers if t["sourcedId"] in primary]
            return teachers

        def course_classes(p: dict[str, str]) -> list[JSON] | None:
            if p["courseSourcedId"] not in d.course_by_id:
                return None
            classes = d.classes_by_course.get(p["courseSourcedId"], [])
            if faulty("oneroster.nested.course-classes-missing-one"):
                classes = classes[:-1]
            return classes

        def school_classes(p: dict[str, str]) -> list[JSON] | None:
            if p["schoolSourcedId"] not in d.school_by_id:
                return None
            classes = d.classes_by_school.get(p["schoolSourcedId"], [])
            if faulty("oneroster.nested.school-classes-missing-one"):
                classes = classes[:-1]
            return classes

        def school_class(p: dict[str, str]) -> str | None:
            """The class id when the school exists and the class is one of its classes."""
            sid, cid = p["schoolSourcedId"], p["classSourcedId"]
            klass = d.class_by_id.get(cid)
            if sid not in d.school_by_id or klass is None:
                return None
            school = klass.get("school")
            if not isinstance(school, dict) or school.get("sourcedId") != sid:
                return None
            return cid

        def school_class_enrollments(p: dict[str, str]) -> list[JSON] | None:
            cid = school_class(p)
            return None if cid is None else d.enrollments_by_class.get(cid, [])

        def school_class_users(role: str) -> Callable[[dict[str, str]], list[JSON] | None]:
            def source(p: dict[str, str]) -> list[JSON] | None:
                cid = school_class(p)
                return None if cid is None else d.class_users(cid, (role,))

            return source

        def school_index(index: dict[str, list[JSON]]) -> Callable[[dict[str, str]], list[JSON] | None]:
            def source(p: dict[str, str]) -> list[JSON] | None:
                sid = p["schoolSourcedId"]
                return None if sid not in d.school_by_id else index.get(sid, [])

            return source

        def school_users(role: str) -> Callable[[dict[str, str]], list[JSON] | None]:
            def source(p: dict[str, str]) -> list[JSON] | None:
                sid = p["schoolSourcedId"]
                if sid not in d.school_by_id:
                    return None
                users = d.users_by_school_role.get((sid, role), [])
                also: tuple[str, ...] = ()
                if role == "student" and faulty("oneroster.nested.school-students-all-roles"):
                    also = tuple(r for (org, r) in d.users_by_school_role if org == sid)
                if role == "teacher" and faulty("oneroster.nested.school-teachers-include-aides"):
                    also = ("aide",)
                if also:
                    merged = {u["sourcedId"]: u for r in also for u in d.users_by_school_role.get((sid, r), [])}
                    merged.update({u["sourcedId"]: u for u in users})
                    users = [merged[k] for k in sorted(merged)]
                return users

            return source

        def user_classes(
            param: str, users: dict[str, JSON], role: str | None, stale: bool = False,
            omits_first: str | None = None,
        ) -> Callable[[dict[str, str]], list[JSON] | None]:
            def source(p: dict[str, str]) -> list[JSON] | None:
                uid = p[param]
                if uid not in users:
                    return None
                classes = d.user_classes(uid, role)
                if stale and faulty("oneroster.nested.user-classes-stale"):
                    classes = classes[:-1]
                if omits_first is not None and faulty(omits_first):
                    classes = classes[1:]
                return classes

            return source

        def term_classes(p: dict[str, str]) -> list[JSON] | None:
            tid = p["termSourcedId"]
            if tid not in d.term_by_id:
                return None
            classes = d.classes_by_term.get(tid, [])
            if faulty("oneroster.nested.term-classes-single-term-only"):
                classes = [c for c in classes if len(c.get("terms", [])) == 1]
            return classes

        def term_grading_periods(p: dict[str, str]) -> list[JSON] | None:
            tid = p["termSourcedId"]
            if tid not in d.term_by_id:
                return None
            if faulty("oneroster.nested.term-grading-periods-all"):
                return d.grading_periods
            return d.grading_periods_by_term.get(tid, [])

        student_classes = user_classes(
            "studentSourcedId", d.student_by_id, "student", omits_first="oneroster.nested.student-classes-missing-one"
        )
        teacher_classes = user_classes(
            "teacherSourcedId", d.teacher_by_id, "teacher", omits_first="oneroster.nested.teacher-classes-missing-one"
        )
        any_user_classes = user_classes("userSourcedId", d.user_by_id, None, stale=True)
        school_cls = "/schools/{schoolSourcedId}/classes/{classSourcedId}"
        table: list[tuple[str, Shape, Callable[[dict[str, str]], list[JSON] | None]]] = [
            ("/classes/{classSourcedId}/students", USER, class_students),
            ("/classes/{classSourcedId}/teachers", USER, class_teachers),
            ("/courses/{courseSourcedId}/classes", CLASS, course_classes),
            ("/schools/{schoolSourcedId}/classes", CLASS, school_classes),
            (school_cls + "/enrollments", ENROLLMENT, school_class_enrollments),
            (school_cls + "/students", USER, school_class_users("student")),
            (school_cls + "/teachers", USER, school_class_users("teacher")),
            ("/schools/{schoolSourcedId}/courses", COURSE, school_index(d.courses_by_school)),
            ("/schools/{schoolSourcedId}/enrollments", ENROLLMENT, school_index(d.enrollments_by_school)),
            ("/schools/{schoolSourcedId}/students", USER, school_users("student")),
            ("/schools/{schoolSourcedId}/teachers", USER, school_users("teacher")),
            ("/schools/{schoolSourcedId}/terms", SESSION, school_index(d.terms_by_school)),
            ("/students/{studentSourcedId}/classes", CLASS, student_classes),
            ("/teachers/{teacherSourcedId}/classes", CLASS, teacher_classes),
            ("/terms/{termSourcedId}/classes", CLASS, term_classes),
            ("/terms/{termSourcedId}/gradingPeriods", SESSION, term_grading_periods),
            ("/users/{userSourcedId}/classes", CLASS, any_user_classes),
        ]
        return [self.collection_route(path, NESTED, shape, source) for path, shape, source in table]

    # -- the app -------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        """The provider's own OpenAPI description (REST binding §2.5), public like any documentation."""
        document = json.loads(resources.files("edcert.fixtures").joinpath("specs", OWN_SPEC).read_text("utf-8"))
        if self.state.faulty("oneroster.ownspec.document-omits-400"):
            for item in document["paths"].values():
                for operation in item.values():
                    operation["responses"].pop("400", None)
        return JSONResponse(document)

    def app(self) -> Starlette:
        async def http_error(request: Request, exc: Exception) -> Response:
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            if status == 404:
                return self.not_found(request.url.path)
            if status == 405:
                return self.status(405, INVALID_DATA, "only GET is supported here", Allow="GET, HEAD")
            return self.status(status, "internal_server_error", "the request could not be processed")

        async def server_error(request: Request, exc: Exception) -> Response:
            return self.status(500, "internal_server_error", "internal server error")

        return Starlette(
            routes=[*self.routes(), Route(DISCOVERY_PATH, self.discovery, methods=["GET"])],
            exception_handlers={HTTPException: http_error, Exception: server_error},
        )


def create_oneroster_app(district: District, state: SandboxState) -> Starlette:
    """The OneRoster 1.2 Rostering provider as an ASGI app, to mount at ``ROSTERING_BASE``."""
    return OneRosterProvider(district, state).app()
