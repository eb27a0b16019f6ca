"""The OneRoster 1.2 Gradebook and Resources services of the reference sandbox.

Mounted by the root app under ``/ims/oneroster/gradebook/v1p2`` and
``/ims/oneroster/resources/v1p2``. The data is derived from the district,
deterministically (uuid5 ids from the district's own sourcedIds, no clock, no
randomness), so any district (generated or loaded) has a gradebook:

- categories: three district-wide (Homework, Quizzes, Tests);
- scoreScales: one letter-grade scale per class;
- lineItems: two per class (a homework and a test), with class, school,
  category, grading period and score scale;
- results: for each lineItem, the class's first five students;
- assessmentLineItems: two district benchmarks; assessmentResults: the
  first ten students of the district on each;
- resources: one per course; a class lists its course's resource, a user the
  resources of the classes they are enrolled in.

Every read operation of both services is served (collections with the
rostering sandbox's limit/offset/filter/sort/fields engine); PUT and DELETE on
the six gradebook entities are accepted in memory (per app instance): PUT
answers 201 (create or replace, the 1.2 binding's only declared code), DELETE
204. The POST operations (server-allocated sourcedIds) are not served.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edcert.fixtures.districts import ROSTERING_BASE, District
from edcert.sandbox.oneroster import model
from edcert.sandbox.oneroster.app import OneRosterProvider, Transform
from edcert.sandbox.oneroster.model import Prop, Shape
from edcert.sandbox.oneroster.query import INVALID_DATA, QueryError
from edcert.sandbox.state import SandboxState

JSON = dict[str, Any]
GRADEBOOK_BASE = "/ims/oneroster/gradebook/v1p2"
RESOURCES_BASE = "/ims/oneroster/resources/v1p2"

_P = model.SCOPE_PREFIX
SCOPE_GRADEBOOK_CORE = _P + "gradebook-core.readonly"
SCOPE_GRADEBOOK = _P + "gradebook.readonly"
SCOPE_GRADEBOOK_PUT = _P + "gradebook.createput"
SCOPE_GRADEBOOK_DELETE = _P + "gradebook.delete"
SCOPE_ASSESSMENT = _P + "assessment.readonly"
SCOPE_ASSESSMENT_PUT = _P + "assessment.createput"
SCOPE_ASSESSMENT_DELETE = _P + "assessment.delete"
SCOPE_RESOURCE_CORE = _P + "resource-core.readonly"
SCOPE_RESOURCE = _P + "resource.readonly"
SERVICE_SCOPES: tuple[str, ...] = (
    SCOPE_GRADEBOOK_CORE, SCOPE_GRADEBOOK, SCOPE_GRADEBOOK_PUT, SCOPE_GRADEBOOK_DELETE, SCOPE_ASSESSMENT,
    SCOPE_ASSESSMENT_PUT, SCOPE_ASSESSMENT_DELETE, SCOPE_RESOURCE_CORE, SCOPE_RESOURCE,
)

# categories of operation and the scopes that grant them (1.2 OpenAPI security requirements)
GB_CORE, GB_ALL, GB_PUT, GB_DELETE = "gradebook-core", "gradebook", "gradebook-put", "gradebook-delete"
AS_READ, AS_PUT, AS_DELETE = "assessment", "assessment-put", "assessment-delete"
RS_CORE, RS_ALL = "resource-core", "resource"
SERVICE_ACCEPTED_SCOPES: dict[str, frozenset[str]] = {
    GB_CORE: frozenset({SCOPE_GRADEBOOK_CORE, SCOPE_GRADEBOOK}),
    GB_ALL: frozenset({SCOPE_GRADEBOOK}),
    GB_PUT: frozenset({SCOPE_GRADEBOOK_PUT}),
    GB_DELETE: frozenset({SCOPE_GRADEBOOK_DELETE}),
    AS_READ: frozenset({SCOPE_ASSESSMENT}),
    AS_PUT: frozenset({SCOPE_ASSESSMENT_PUT}),
    AS_DELETE: frozenset({SCOPE_ASSESSMENT_DELETE}),
    RS_CORE: frozenset({SCOPE_RESOURCE_CORE, SCOPE_RESOURCE}),
    RS_ALL: frozenset({SCOPE_RESOURCE}),
}

# -- the entities, as far as filter/sort/fields need them --------------------------------------------------

_S, _R, _OPEN, _OBJS = Prop("str"), Prop("ref"), Prop("open"), Prop("objs")
_BASE: dict[str, Prop] = {"sourcedId": _S, "status": _S, "dateLastModified": _S, "metadata": _OPEN}
_FLAGS = {"inProgress": _S, "incomplete": _S, "late": _S, "missing": _S}
CATEGORY = Shape("category", {**_BASE, "title": _S, "weight": _S})
LINE_ITEM = Shape("lineItem", {
    **_BASE, "title": _S, "description": _S, "assignDate": _S, "dueDate": _S, "class": _R, "school": _R,
    "category": _R, "gradingPeriod": _R, "academicSession": _R, "scoreScale": _R, "resultValueMin": _S,
    "resultValueMax": _S, "learningObjectiveSet": _OBJS,
})
RESULT = Shape("result", {
    **_BASE, "lineItem": _R, "student": _R, "class": _R, "scoreScale": _R, "scoreStatus": _S, "score": _S,
    "textScore": _S, "scoreDate": _S, "comment": _S, "learningObjectiveSet": _OBJS, **_FLAGS,
})
SCORE_SCALE = Shape("scoreScale", {
    **_BASE, "title": _S, "type": _S, "class": _R, "course": _R,
    "scoreScaleValue": Prop("objs", Shape("ScoreScaleValue", {"itemValueLHS": _S, "itemValueRHS": _S})),
})
ASSESSMENT_LINE_ITEM = Shape("assessmentLineItem", {
    **_BASE, "title": _S, "description": _S, "class": _R, "parentAssessmentLineItem": _R, "scoreScale": _R,
    "resultValueMin": _S, "resultValueMax": _S, "learningObjectiveSet": _OBJS,
})
ASSESSMENT_RESULT = Shape("assessmentResult", {
    **_BASE, "assessmentLineItem": _R, "student": _R, "score": _S, "textScore": _S, "scoreDate": _S,
    "scoreScale": _R, "scorePercentile": _S, "scoreStatus": _S, "comment": _S, "learningObjectiveSet": _OBJS,
    **_FLAGS,
})
RESOURCE = Shape("resource", {
    **_BASE, "title": _S, "roles": Prop("strs"), "importance": _S, "vendorResourceId": _S, "vendorId": _S,
    "applicationId": _S,
})

# endpoint -> (shape, collection key, read category, put category, delete category, required on PUT)
GRADEBOOK_ENTITIES: dict[str, tuple[Shape, str, str, str, str, tuple[str, ...]]] = {
    "categories": (CATEGORY, "categories", GB_CORE, GB_PUT, GB_DELETE, ("title",)),
    "lineItems": (LINE_ITEM, "lineItems", GB_CORE, GB_PUT, GB_DELETE,
                  ("title", "assignDate", "dueDate", "class", "school", "category")),
    "results": (RESULT, "results", GB_CORE, GB_PUT, GB_DELETE, ("lineItem", "student", "scoreStatus", "scoreDate")),
    "scoreScales": (SCORE_SCALE, "scoreScales", GB_CORE, GB_PUT, GB_DELETE,
                    ("title", "type", "class", "scoreScaleValue")),
    "assessmentLineItems": (ASSESSMENT_LINE_ITEM, "assessmentLineItems", AS_READ, AS_PUT, AS_DELETE, ("title",)),
    "assessmentResults": (ASSESSMENT_RESULT, "assessmentResults", AS_READ, AS_PUT, AS_DELETE,
                          ("assessmentLineItem", "student", "scoreStatus", "scoreDate")),
}

_NS = uuid.UUID("6f1d4c2a-9b7e-4e51-8a43-0d2c5e7b9a10")  # edcert's own namespace for derived sourcedIds
_HREF = {"org": "orgs", "user": "users", "class": "classes", "course": "courses",
         "academicSession": "academicSessions"}
_GB_HREF = {"category": "categories", "lineItem": "lineItems", "scoreScale": "scoreScales",
            "assessmentLineItem": "assessmentLineItems"}


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(_NS, ":".join(parts)))


def ref(kind: str, sourced_id: str) -> JSON:
    if kind in _GB_HREF:
        href = f"{GRADEBOOK_BASE}/{_GB_HREF[kind]}/{sourced_id}"
    elif kind == "resource":
        href = f"{RESOURCES_BASE}/resources/{sourced_id}"
    else:
        href = f"{ROSTERING_BASE}/{_HREF[kind]}/{sourced_id}"
    return {"href": href, "sourcedId": sourced_id, "type": kind}


def _stamp(n: int) -> str:
    return f"2026-{9 + n % 3:02d}-{1 + n % 27:02d}T{8 + n % 9:02d}:30:00Z"


def _ref_id(record: JSON, key: str) -> str | None:
    value = record.get(key)
    return value.get("sourcedId") if isinstance(value, dict) else None


class OwnFaults:
    """The sandbox state as the services see it: only the Gradebook and Resources faults are on.

    The provider reuses the rostering provider's code, which reads rostering faults (paging, auth,
    envelopes...); those break rostering only, so a fault keeps tripping exactly its own standard's checks.
    """

    PREFIXES = ("gradebook.", "resources.")

    def __init__(self, state: SandboxState) -> None:
        self._state = state

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state, name)

    def faulty(self, name: str) -> bool:
        on = self._state.faulty(name)  # a name missing from the catalogue is still a bug here
        return on and name.startswith(self.PREFIXES)


class ServicesProvider(OneRosterProvider):
    """Gradebook and Resources over the district, with the rostering provider's query engine and answers."""

    accepted_scopes = SERVICE_ACCEPTED_SCOPES

    def __init__(self, district: District, state: SandboxState) -> None:
        super().__init__(district, OwnFaults(state))  # type: ignore[arg-type]  # duck-typed SandboxState
        self.tables: dict[str, dict[str, JSON]] = {name: {} for name in GRADEBOOK_ENTITIES}
        self.resources: dict[str, JSON] = {}
        self.resources_by_course: dict[str, list[str]] = {}
        self._derive()

    # -- the derived data -----------------------------------------------------------------

    def _derive(self) -> None:
        d = self.data
        t = self.tables
        for n, (title, weight) in enumerate((("Homework", 0.3), ("Quizzes", 0.3), ("Tests", 0.4))):
            sid = derived_id("category", title)
            t["categories"][sid] = {"sourcedId": sid, "status": "active", "dateLastModified": _stamp(n),
                                    "title": title, "weight": weight}
        homework, _quizzes, tests = list(t["categories"])
        period = d.grading_periods[0]["sourcedId"] if d.grading_periods else None
        for n, klass in enumerate(d.classes):
            cid = klass["sourcedId"]
            school = _ref_id(klass, "school") or ""
            scale = derived_id("scoreScale", cid)
            scale_record: JSON = {
                "sourcedId": scale, "status": "active", "dateLastModified": _stamp(n), "title": "Letter grade",
                "type": "letter", "class": ref("class", cid),
                "scoreScaleValue": [{"itemValueLHS": g, "itemValueRHS": str(v)}
                                    for g, v in (("A", 90), ("B", 80), ("C", 70), ("D", 60), ("F", 0))],
            }
            if (course := _ref_id(klass, "course")) is not None:
                scale_record["course"] = ref("course", course)
            t["scoreScales"][scale] = scale_record
            students = [e for e in d.enrollments_by_class.get(cid, [])
                        if e.get("role") == "student" and e.get("status") == "active"][:5]
            for k, (title, category) in enumerate((("Unit 1 homework", homework), ("Unit 1 test", tests))):
                li = derived_id("lineItem", cid, str(k))
                item: JSON = {
                    "sourcedId": li, "status": "active", "dateLastModified": _stamp(n + k),
                    "title": f"{title} - {klass.get('title', '')}", "description": f"{title} for the class",
                    "assignDate": f"2026-09-{7 + 7 * k:02d}T08:00:00Z",
                    "dueDate": f"2026-09-{11 + 7 * k:02d}T23:59:00Z", "class": ref("class", cid),
                    "school": ref("org", school), "category": ref("category", category),
                    "scoreScale": ref("scoreScale", scale), "resultValueMin": 0.0, "resultValueMax": 100.0,
                }
                if period is not None:
                    item["gradingPeriod"] = ref("academicSession", period)
                t["lineItems"][li] = item
                for j, enrollment in enumerate(students):
                    uid = _ref_id(enrollment, "user") or ""
                    rid = derived_id("result", li, uid)
                    t["results"][rid] = {
                        "sourcedId": rid, "status": "active", "dateLastModified": _stamp(n + j),
                        "lineItem": ref("lineItem", li), "student": ref("user", uid), "class": ref("class", cid),
                        "scoreStatus": "fully graded", "score": float(60 + (n * 7 + j * 11 + k * 5) % 41),
                        "scoreDate": f"2026-09-{14 + 7 * k:02d}", "late": "true" if (n + j) % 9 == 0 else "false",
                    }
        pupils = [u["sourcedId"] for u in d.students][:10]
        for k, subject in enumerate(("reading", "math")):
            ali = derived_id("assessmentLineItem", subject)
            t["assessmentLineItems"][ali] = {
                "sourcedId": ali, "status": "active", "dateLastModified": _stamp(k),
                "title": f"Fall benchmark - {subject}", "resultValueMin": 0.0, "resultValueMax": 800.0,
            }
            for j, uid in enumerate(pupils):
                arid = derived_id("assessmentResult", ali, uid)
                t["assessmentResults"][arid] = {
                    "sourcedId": arid, "status": "active", "dateLastModified": _stamp(k + j),
                    "assessmentLineItem": ref("assessmentLineItem", ali), "student": ref("user", uid),
                    "score": float(400 + (j * 37 + k * 13) % 400), "scoreDate": "2026-10-02",
                    "scoreStatus": "fully graded",
                }
        for n, course_record in enumerate(d.courses):
            rid = derived_id("resource", course_record["sourcedId"])
            self.resources[rid] = {
                "sourcedId": rid, "status": "active", "dateLastModified": _stamp(n),
                "title": f"Digital textbook - {course_record.get('title', '')}", "roles": ["student", "teacher"],
                "importance": "primary", "vendorResourceId": f"EDC-TXT-{n + 1:04d}",
                "vendorId": "edcert-sandbox-publisher", "applicationId": "edcert-reader",
            }
            self.resources_by_course[course_record["sourcedId"]] = [rid]
        faulty = self.state.faulty
        if faulty("gradebook.integrity.result-dangling-lineitem") and t["results"]:
            first = min(t["results"])
            t["results"][first] = {**t["results"][first],
                                   "lineItem": ref("lineItem", derived_id("lineItem", "missing"))}

    def rows(self, endpoint: str) -> list[JSON]:
        table = self.tables[endpoint]
        return [table[k] for k in sorted(table)]

    # -- faults on the way out ---------------------------------------------------------------

    def _output_transforms(self) -> dict[str, list[Transform]]:
        faulty = self.state.faulty
        names = [s[0].name for s in GRADEBOOK_ENTITIES.values()] + ["resource"]
        out: dict[str, list[Transform]] = {name: [] for name in names}

        def drop(key: str) -> Transform:
            return lambda r: {k: v for k, v in r.items() if k != key}

        if faulty("gradebook.model.category-missing-title"):
            out["category"].append(drop("title"))
        if faulty("gradebook.model.lineitem-missing-category"):
            out["lineItem"].append(drop("category"))
        if faulty("gradebook.model.lineitem-duedate-as-date"):
            out["lineItem"].append(lambda r: {**r, "dueDate": str(r["dueDate"])[:10]} if "dueDate" in r else r)
        if faulty("gradebook.model.extra-property"):
            out["lineItem"].append(lambda r: {**r, "points": 100})
        if faulty("gradebook.model.result-score-as-string"):
            out["result"].append(lambda r: {**r, "score": str(r["score"])} if "score" in r else r)
        if faulty("gradebook.model.score-status-case"):
            out["result"].append(lambda r: {**r, "scoreStatus": str(r.get("scoreStatus", "")).title()})
        if faulty("gradebook.model.late-as-json-bool"):
            out["result"].append(lambda r: {**r, "late": r["late"] == "true"} if "late" in r else r)
        if faulty("gradebook.model.guidref-missing-type"):
            out["result"].append(
                lambda r: {**r, "lineItem": {k: v for k, v in r["lineItem"].items() if k != "type"}}
                if isinstance(r.get("lineItem"), dict) else r)
        if faulty("gradebook.model.scorescale-no-values"):
            out["scoreScale"].append(lambda r: {**r, "scoreScaleValue": []})
        if faulty("gradebook.model.assessment-lineitem-missing-title"):
            out["assessmentLineItem"].append(drop("title"))
        if faulty("gradebook.model.assessment-result-missing-score-date"):
            out["assessmentResult"].append(drop("scoreDate"))
        if faulty("resources.model.missing-vendor-resource-id"):
            out["resource"].append(drop("vendorResourceId"))
        if faulty("resources.model.importance-case"):
            out["resource"].append(lambda r: {**r, "importance": str(r.get("importance", "")).capitalize()})
        if faulty("resources.model.extra-property"):
            out["resource"].append(lambda r: {**r, "isbn": "000-0-00-000000-0"})
        return out

    # -- answers ------------------------------------------------------------------------------

    def _service_fault(self, service: str, name: str) -> bool:
        return self.state.faulty(f"{service}.{name}")

    def fuzz_faulty(self, request: Request, name: str) -> bool:
        service = "gradebook" if request.url.path.startswith(GRADEBOOK_BASE) else "resources"
        return self._service_fault(service, f"fuzz.{name}")

    def authorize_in(self, service: str, request: Request, category: str) -> Response | None:
        if request.headers.get("authorization") is None and self._service_fault(service, "auth.no-token-accepted"):
            return None
        denied = self.authorize(request, category)
        if denied is not None and denied.status_code == 403 and self._service_fault(service,
                                                                                    "auth.scope-not-enforced"):
            return None
        return denied

    def list_route(self, service: str, path: str, category: str, shape: Shape, key: str,
                   source: Callable[[dict[str, str]], list[JSON] | None], *, flat: bool = False) -> Route:
        async def endpoint(request: Request) -> Response:
            denied = self.authorize_in(service, request, category)
            if denied is not None:
                return denied
            records = source(request.path_params)
            if records is None:
                return self.not_found(request.url.path)
            wrapper = "data" if flat and self._service_fault(service, "envelope.collections-under-data") else key
            try:
                return self._page(service, request, shape, wrapper, records)
            except QueryError as exc:
                return self.status(400, exc.code_minor, exc.description)

        return Route(path, endpoint, methods=["GET"])

    def _page(self, service: str, request: Request, shape: Shape, key: str, records: list[JSON]) -> Response:
        offset = request.query_params.get("offset")
        if self._service_fault(service, "paging.off-by-one") and offset not in (None, "0") and offset.isdigit():
            # a page asked at offset N starts at N+1: rebuild the query with the shifted offset
            scope = dict(request.scope)
            query = [(k, str(int(v) + 1) if k == "offset" else v) for k, v in request.query_params.multi_items()]
            scope["query_string"] = urlencode(query).encode()
            request = Request(scope)
        return self.collection(request, shape, key, records)

    def one(self, service: str, request: Request, category: str, shape: Shape, key: str,
            lookup: Callable[[str], JSON | None]) -> Response:
        denied = self.authorize_in(service, request, category)
        if denied is not None:
            return denied
        sid = request.path_params["sourcedId"]
        record = lookup(sid)
        if record is None:
            if self._service_fault(service, "errors.unknown-id-200"):
                return JSONResponse({key: None})
            if self._service_fault(service, "errors.404-plain"):
                return Response("Not Found", 404, media_type="text/plain")
            return self.not_found(f"{shape.name} {sid!r}")
        try:
            fields = self.selected_fields(request, shape)
        except QueryError as exc:
            return self.status(400, exc.code_minor, exc.description)
        rendered = self.render(record, shape, fields)
        if self._service_fault(service, "envelope.singular-wrapped-as-plural"):
            return JSONResponse({key + "s": [rendered]})
        return JSONResponse({key: rendered})

    # -- gradebook writes (in memory) ---------------------------------------------------------------

    def required_on_put(self, endpoint: str) -> tuple[str, ...]:
        """The properties a PUT body must carry (the 1.1 services name their own)."""
        return GRADEBOOK_ENTITIES[endpoint][5]

    async def put(self, request: Request, endpoint: str) -> Response:
        shape, _key, _read, put_category, _del, _required = GRADEBOOK_ENTITIES[endpoint]
        denied = self.authorize_in("gradebook", request, put_category)
        if denied is not None:
            return denied
        sid = request.path_params["sourcedId"]
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return self.status(400, INVALID_DATA, "the body is not JSON")
        record = body.get(shape.name) if isinstance(body, dict) else None
        if not isinstance(record, dict):
            return self.status(400, INVALID_DATA, f'the body must be {{"{shape.name}": {{...}}}}')
        if record.get("sourcedId", sid) != sid:
            return self.status(400, INVALID_DATA, "the sourcedId in the body differs from the one in the path")
        missing = [name for name in self.required_on_put(endpoint) if record.get(name) in (None, "", [])]
        unknown = [name for name in record if name not in shape.props]
        if missing or unknown:
            what = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
            return self.status(422, INVALID_DATA, f"{shape.name}: {what}")
        table = self.tables[endpoint]
        faulty = self.state.faulty
        stored = {**record, "sourcedId": sid, "status": record.get("status", "active"),
                  "dateLastModified": record.get("dateLastModified", "2026-11-28T12:00:00Z")}
        if endpoint == "results" and faulty("gradebook.write.result-score-dropped"):
            stored.pop("score", None)
        exists = sid in table
        ignored = (faulty("gradebook.write.update-not-applied") if exists
                   else endpoint == "lineItems" and faulty("gradebook.write.put-not-stored"))
        if not ignored:
            table[sid] = stored
        status = 200 if faulty("gradebook.write.put-answers-200") else 201
        return Response(status_code=status)

    async def delete(self, request: Request, endpoint: str) -> Response:
        _shape, _key, _read, _put, delete_category, _req = GRADEBOOK_ENTITIES[endpoint]
        denied = self.authorize_in("gradebook", request, delete_category)
        if denied is not None:
            return denied
        sid = request.path_params["sourcedId"]
        table = self.tables[endpoint]
        if sid not in table:
            return self.not_found(f"{endpoint} {sid!r}")
        if not self.state.faulty("gradebook.write.delete-not-deleting"):
            del table[sid]
        return Response(status_code=204)

    # -- routes -----------------------------------------------------------------------------

    def gradebook_routes(self) -> list[Route]:
        routes: list[Route] = []
        t = self.tables
        faulty = self.state.faulty
        for endpoint, (shape, key, read, _put, _del, _req) in GRADEBOOK_ENTITIES.items():
            if endpoint.startswith("assessment") and faulty("gradebook.ops.assessment-missing"):
                continue

            def everything(_p: dict[str, str], _e: str = endpoint) -> list[JSON]:
                return self.rows(_e)

            routes.append(self.list_route("gradebook", f"/{endpoint}", read, shape, key, everything, flat=True))

            async def single(request: Request, _e: str = endpoint, _s: Shape = shape, _c: str = read) -> Response:
                if request.method == "PUT":
                    return await self.put(request, _e)
                if request.method == "DELETE":
                    return await self.delete(request, _e)
                return self.one("gradebook", request, _c, _s, _s.name, self.tables[_e].get)

            routes.append(Route(f"/{endpoint}/{{sourcedId}}", single, methods=["GET", "PUT", "DELETE"]))
        if faulty("gradebook.ops.class-scoped-missing"):
            return routes
        d = self.data

        def of_class(endpoint: str, field: str = "class") -> Callable[[dict[str, str]], list[JSON] | None]:
            def source(p: dict[str, str]) -> list[JSON] | None:
                cid = p["classSourcedId"]
                if cid not in d.class_by_id:
                    return None
                return [r for r in self.rows(endpoint) if _ref_id(r, field) == cid]

            return source

        def class_categories(p: dict[str, str]) -> list[JSON] | None:
            items = of_class("lineItems")(p)
            if items is None:
                return None
            wanted = {_ref_id(i, "category") for i in items}
            return [c for c in self.rows("categories") if c["sourcedId"] in wanted]

        def line_item_results(p: dict[str, str]) -> list[JSON] | None:
            item = t["lineItems"].get(p["lineItemSourcedId"])
            if p["classSourcedId"] not in d.class_by_id or item is None or _ref_id(item, "class") != p[
                    "classSourcedId"]:
                return None
            return [r for r in self.rows("results") if _ref_id(r, "lineItem") == item["sourcedId"]]

        def student_results(p: dict[str, str]) -> list[JSON] | None:
            results = of_class("results")(p)
            if results is None or p["studentSourcedId"] not in d.student_by_id:
                return None
            return [r for r in results if _ref_id(r, "student") == p["studentSourcedId"]]

        def school_scales(p: dict[str, str]) -> list[JSON] | None:
            sid = p["schoolSourcedId"]
            if sid not in d.school_by_id:
                return None
            classes = {c["sourcedId"] for c in d.classes_by_school.get(sid, [])}
            return [s for s in self.rows("scoreScales") if _ref_id(s, "class") in classes]

        c = "/classes/{classSourcedId}"
        table: list[tuple[str, str, Callable[[dict[str, str]], list[JSON] | None]]] = [
            (c + "/categories", "categories", class_categories),
            (c + "/lineItems", "lineItems", of_class("lineItems")),
            (c + "/lineItems/{lineItemSourcedId}/results", "results", line_item_results),
            (c + "/results", "results", of_class("results")),
            (c + "/scoreScales", "scoreScales", of_class("scoreScales")),
            (c + "/students/{studentSourcedId}/results", "results", student_results),
            ("/schools/{schoolSourcedId}/scoreScales", "scoreScales", school_scales),
        ]
        for path, endpoint, source in table:
            shape, key = GRADEBOOK_ENTITIES[endpoint][0], GRADEBOOK_ENTITIES[endpoint][1]
            routes.append(self.list_route("gradebook", path, GB_ALL, shape, key, source))
        return routes

    def resources_routes(self) -> list[Route]:
        d = self.data
        faulty = self.state.faulty

        def rows(ids: list[str]) -> list[JSON]:
            return [self.resources[i] for i in sorted(set(ids)) if i in self.resources]

        def all_resources(_p: dict[str, str]) -> list[JSON]:
            return rows(list(self.resources))

        def of_course(course_id: str) -> list[str]:
            return self.resources_by_course.get(course_id, [])

        def class_resources(p: dict[str, str]) -> list[JSON] | None:
            klass = d.class_by_id.get(p["classSourcedId"])
            if klass is None:
                return None
            listed = rows(of_course(_ref_id(klass, "course") or ""))
            if faulty("resources.integrity.class-lists-unknown-resource") and listed:
                listed = [*listed, {**listed[0], "sourcedId": derived_id("resource", "missing")}]
            return listed

        def course_resources(p: dict[str, str]) -> list[JSON] | None:
            cid = p["courseSourcedId"]
            return None if cid not in d.course_by_id else rows(of_course(cid))

        def user_resources(p: dict[str, str]) -> list[JSON] | None:
            uid = p["userSourcedId"]
            if uid not in d.user_by_id:
                return None
            ids = [i for klass in d.user_classes(uid, None) for i in of_course(_ref_id(klass, "course") or "")]
            return rows(ids)

        routes = [
            self.list_route("resources", "/resources", RS_CORE, RESOURCE, "resources", all_resources, flat=True),
            Route("/resources/{sourcedId}", self._one_resource, methods=["GET"]),
        ]
        if not faulty("resources.ops.nested-missing"):
            for path, source in (("/classes/{classSourcedId}/resources", class_resources),
                                 ("/courses/{courseSourcedId}/resources", course_resources),
                                 ("/users/{userSourcedId}/resources", user_resources)):
                routes.append(self.list_route("resources", path, RS_ALL, RESOURCE, "resources", source))
        return routes

    async def _one_resource(self, request: Request) -> Response:
        return self.one("resources", request, RS_CORE, RESOURCE, "resource", self.resources.get)

    def service_app(self, routes: list[BaseRoute]) -> Starlette:
        async def http_error(request: Request, exc: Exception) -> Response:
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            if status == 404:
                return self.not_found(request.url.path)
            if status == 405:
                return self.status(405, INVALID_DATA, "method not supported here")
            return self.status(status, "internal_server_error", "the request could not be processed")

        async def server_error(request: Request, exc: Exception) -> Response:
            return self.status(500, "internal_server_error", "internal server error")

        return Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})


def create_service_apps(district: District, state: SandboxState) -> tuple[Starlette, Starlette]:
    """The Gradebook and the Resources apps (one provider, one in-memory store), to mount at their bases."""
    provider = ServicesProvider(district, state)
    return provider.service_app(provider.gradebook_routes()), provider.service_app(provider.resources_routes())
