"""The OpenAPI 3 descriptions of the standards, generated from edcert's own entity models (Ed-Fi: _openapi_edfi).

The documents in ``edcert/fixtures/specs/`` (Rostering, Gradebook, Resources) are the output of the
generators of :data:`GENERATORS` (``python -m edcert.conformance.fuzz._openapi`` rewrites them); a test
keeps the files and the generators equal, so the fuzz phase and the data-model checks can never
disagree about what a record may look like.

Choices (the same as :mod:`edcert.conformance.oneroster.models`, which the data-model checks use):

- ``null`` is allowed for an *optional* property (the models read it as absent);
- extensible enumerations accept ``ext:...``; booleans are the strings ``"true"``/``"false"``;
- no ``default`` response is declared: a status outside 200/400/401/403/404/422/429/500 is
  undocumented, so the fuzz phase can report it.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from edcert.conformance.fuzz._openapi_edfi import EDFI_API, edfi_api
from edcert.conformance.oneroster import models
from edcert.conformance.oneroster._fixtures import COLLECTION_KEYS, SINGLE_KEYS
from edcert.conformance.oneroster.operations import NESTED, OPERATIONS
from edcert.harness.config import OR12_SCOPE_PREFIX

JSON = dict[str, Any]
ROSTERING_12 = "oneroster-1.2-rostering.json"
GRADEBOOK_12 = "oneroster-gradebook-1.2.json"
RESOURCES_12 = "oneroster-resources-1.2.json"
ROSTERING_11 = "oneroster-1.1-rostering.json"
STATUS_SCHEMA = "imsx_StatusInfo"
STATUS_SET_11 = "imsx_StatusInfoSet"
CODE_MINOR_VALUES = (
    "fullsuccess", "invalid_filter_field", "invalid_selection_field", "invaliddata", "unauthorisedrequest",
    "forbidden", "server_busy", "unknownobject", "internal_server_error",
)
ERROR_STATUSES = {
    "400": "The request is malformed (bad filter, fields, sort, limit or offset).",
    "401": "No valid access token.",
    "403": "The access token lacks the scope this operation needs.",
    "422": "The request is semantically wrong.",
    "429": "Too many requests: retry later.",
    "500": "The provider failed.",
}
SCOPE_CORE = OR12_SCOPE_PREFIX + "roster-core.readonly"
SCOPE_ROSTER = OR12_SCOPE_PREFIX + "roster.readonly"
SCOPE_DEMOGRAPHICS = OR12_SCOPE_PREFIX + "roster-demographics.readonly"
_GUIDREF_NAMES = {"org": "Org", "user": "User", "class": "Class", "course": "Course",
                  "academicSession": "AcademicSession", "resource": "Resource", "category": "Category",
                  "lineItem": "LineItem", "scoreScale": "ScoreScale", "assessmentLineItem": "AssessmentLineItem"}


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _guidref(ref_type: str) -> JSON:
    return _ref(f"{_GUIDREF_NAMES[ref_type]}GUIDRef")


def _guidref_schema(ref_type: str) -> JSON:
    text = {"type": "string", "minLength": 1, "pattern": r"\S"}
    return {"type": "object", "required": ["href", "sourcedId", "type"], "additionalProperties": False,
            "properties": {"href": text, "sourcedId": text, "type": {"type": "string", "enum": [ref_type]}}}


def _property(prop: models.Prop) -> JSON:
    kind = prop.kind
    out: JSON
    if kind is models.Kind.STRING:
        out = {"type": "string"}
    elif kind is models.Kind.ID:
        out = {"type": "string", "minLength": 1, "pattern": r"\S"}
    elif kind is models.Kind.STRINGS:
        out = {"type": "array", "items": {"type": "string"}}
    elif kind is models.Kind.REF:
        # a $ref takes no sibling keywords in OpenAPI 3.0: an optional (nullable) reference wraps it
        return _guidref(prop.ref_type) if prop.required else {"allOf": [_guidref(prop.ref_type)], "nullable": True}
    elif kind is models.Kind.REFS:
        out = {"type": "array", "items": _guidref(prop.ref_type)}
    elif kind is models.Kind.DATE:
        out = {"type": "string", "format": "date", "pattern": models.DATE_RE.pattern}
    elif kind is models.Kind.DATETIME:
        out = {"type": "string", "format": "date-time"}
    elif kind is models.Kind.YEAR:
        out = {"type": "string", "pattern": models.YEAR_RE.pattern}
    elif kind is models.Kind.ENUM:
        if prop.extensible:
            out = {"type": "string", "anyOf": [{"enum": list(prop.values)}, {"pattern": models.EXT_RE.pattern}]}
        else:
            out = {"type": "string", "enum": list(prop.values)}
    elif kind is models.Kind.NUMBER:
        out = {"type": "number"}
    elif kind is models.Kind.BOOL:
        out = {"type": "string", "enum": ["true", "false"]}
    elif kind is models.Kind.STATUS:
        out = {"type": "string", "enum": list(models.STATUSES)}
    elif kind is models.Kind.OBJECT:
        assert prop.shape is not None
        out = _shape(prop.shape)
    elif kind is models.Kind.OBJECTS:
        out = {"type": "array", "items": _shape(prop.shape) if prop.shape is not None else {"type": "object"}}
    else:  # OPEN: metadata, the one open object
        out = {"type": "object", "additionalProperties": True}
    if prop.min_items:
        out["minItems"] = prop.min_items
    if not prop.required:
        out["nullable"] = True  # the models read null as "absent" for an optional property
    return out


def _shape(shape: models.Shape) -> JSON:
    required = [name for name, prop in shape.props.items() if prop.required]
    out: JSON = {"type": "object", "properties": {name: _property(p) for name, p in shape.props.items()}}
    if required:
        out["required"] = required
    out["additionalProperties"] = shape.open
    return out


def _status_schema(code_minors: tuple[str, ...] = CODE_MINOR_VALUES, *, v1p1: bool = False) -> JSON:
    text = {"type": "string"}
    out: JSON = {
        "type": "object",
        "required": ["imsx_codeMajor", "imsx_severity"],
        "additionalProperties": False,
        "properties": {
            "imsx_codeMajor": {"type": "string", "enum": ["success", "processing", "failure", "unsupported"]},
            "imsx_severity": {"type": "string", "enum": ["status", "warning", "error"]},
            "imsx_description": text,
            "imsx_CodeMinor": {
                "type": "object", "required": ["imsx_codeMinorField"], "additionalProperties": False,
                "properties": {"imsx_codeMinorField": {
                    "type": "array", "minItems": 1,
                    "items": {"type": "object", "required": ["imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"],
                              "additionalProperties": False,
                              "properties": {"imsx_codeMinorFieldName": text,
                                             "imsx_codeMinorFieldValue": {"type": "string",
                                                                          "enum": list(code_minors)}}},
                }},
            },
        },
    }
    if v1p1:  # 1.1 providers spell it imsx_CodeMinor or imsx_codeMinor; neither is required there
        out["required"] = ["imsx_codeMajor", "imsx_severity"]
        out["properties"]["imsx_codeMinor"] = out["properties"]["imsx_CodeMinor"]
    return out


def _status_set_11() -> JSON:
    return {"type": "object", "required": ["statusInfoSet"], "additionalProperties": False,
            "properties": {"statusInfoSet": {"type": "array", "minItems": 1, "items": _ref(STATUS_SCHEMA)}}}


def _errors(*, not_found: bool, status: str = STATUS_SCHEMA) -> JSON:
    codes = dict(ERROR_STATUSES)
    if not_found:
        codes["404"] = "No object with this sourcedId."
    return {code: {"description": text, "content": {"application/json": {"schema": _ref(status)}}}
            for code, text in sorted(codes.items())}


_PARAMS: JSON = {
    "limit": {"name": "limit", "in": "query", "required": False, "description": "Page size.",
              "schema": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 2**31 - 1,
                         "default": 100}},
    "offset": {"name": "offset", "in": "query", "required": False, "description": "First record (0-based).",
               "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 2**31 - 1,
                          "default": 0}},
    "sort": {"name": "sort", "in": "query", "required": False, "description": "The field to sort on.",
             "schema": {"type": "string"}},
    "orderBy": {"name": "orderBy", "in": "query", "required": False, "description": "Sort direction.",
                "schema": {"type": "string", "enum": ["asc", "desc"]}},
    "filter": {"name": "filter", "in": "query", "required": False,
               "description": "field<op>'value' [AND|OR field<op>'value'].", "schema": {"type": "string"}},
    "fields": {"name": "fields", "in": "query", "required": False, "style": "form", "explode": False,
               "description": "The fields to return.",
               "schema": {"type": "array", "items": {"type": "string"}}},
}
COLLECTION_PARAMS = ("limit", "offset", "sort", "orderBy", "filter", "fields")

_PAGING_HEADERS: JSON = {
    "X-Total-Count": {"description": "How many records match, on every page.",
                      "schema": {"type": "integer", "minimum": 0}},
    "Link": {"description": "RFC 8288 links: first, prev, next, last.", "schema": {"type": "string"}},
}


def _path_param(name: str) -> JSON:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _operation(op_id: str, summary: str, scopes: list[str], key: str, item: str, *, many: bool,
               path_params: list[str], nested: bool = False, v1p1: bool = False) -> JSON:
    params: list[JSON] = [_path_param(p) for p in path_params]
    params += [_ref_param(p) for p in (COLLECTION_PARAMS if many else ("fields",))]
    body: JSON = {"type": "array", "items": _ref(item)} if many else _ref(item)
    ok: JSON = {"description": "The records." if many else "The record.",
                "content": {"application/json": {"schema": {
                    "type": "object", "required": [key], "additionalProperties": False,
                    "properties": {key: body}}}}}
    if v1p1:  # 1.1 lets a provider answer 200 with its records and a statusInfoSet warning beside them
        ok["content"]["application/json"]["schema"]["properties"]["statusInfoSet"] = {
            "type": "array", "items": _ref(STATUS_SCHEMA)}
    if many:
        ok["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in _PAGING_HEADERS}
    return {
        "operationId": op_id, "summary": summary, "parameters": params,
        "security": [{"OAuth1": []}] if v1p1 else [{"OAuth2CC": [scope]} for scope in scopes],
        "responses": {"200": ok, **_errors(not_found=path_params != [] or nested,
                                           status=STATUS_SET_11 if v1p1 else STATUS_SCHEMA)},
    }


def _ref_param(name: str) -> JSON:
    return {"$ref": f"#/components/parameters/{name}"}


@dataclass(frozen=True)
class Op:
    """One GET operation of a document: where, who may call it, and what wraps its answer."""

    path: str
    operation_id: str
    scopes: tuple[str, ...]
    key: str  # the JSON key wrapping the record(s)
    item: str  # the schema name of one record
    many: bool


def _references(schemas: JSON) -> set[str]:
    """The GUIDRef schemas ``schemas`` point at (only those go into a document)."""
    text = json.dumps(schemas)
    return {name for name in _GUIDREF_NAMES.values() if f'"#/components/schemas/{name}GUIDRef"' in text}


def service_document(*, title: str, server: str, description: str, shapes: dict[str, models.Shape],
                     ops: list[Op], scopes: dict[str, str], version: str = "1.2") -> JSON:
    """An OpenAPI 3.0 document of OneRoster GET operations over ``shapes`` (schema name -> model).

    1.2 documents say OAuth 2.0 client credentials with scopes and the bare status payload; a 1.1 document
    says OAuth 1.0a (an ``Authorization: OAuth ...`` header, RFC 5849) and the ``statusInfoSet`` envelope.
    """
    v1p1 = version == "1.1"
    records: JSON = {name: _shape(shape) for name, shape in shapes.items()}
    schemas: JSON = {STATUS_SCHEMA: _status_schema()}
    if v1p1:
        from edcert.conformance.oneroster11._common import CODE_MINORS

        schemas = {STATUS_SCHEMA: _status_schema(tuple(sorted(CODE_MINORS)), v1p1=True),
                   STATUS_SET_11: _status_set_11()}
    for ref_type, name in _GUIDREF_NAMES.items():
        if name in _references(records):
            schemas[f"{name}GUIDRef"] = _guidref_schema(ref_type)
    schemas.update(records)
    paths: JSON = {}
    for op in ops:
        names = [part[1:-1] for part in op.path.split("/") if part.startswith("{")]
        paths[op.path] = {"get": _operation(op.operation_id, f"GET {op.path}" if names and op.many else
                                            ("All " if op.many else "One of ") + op.path.split("/")[1],
                                            list(op.scopes), op.key, op.item, many=op.many, path_params=names,
                                            v1p1=v1p1)}
    used = sorted({s for op in ops for s in op.scopes})
    security: JSON = {"OAuth2CC": {"type": "oauth2", "description": "OAuth 2.0 client credentials.",
                                   "flows": {"clientCredentials": {
                                       "tokenUrl": "https://oneroster.example/oauth/token",
                                       "scopes": {s: scopes[s] for s in used}}}}}
    if v1p1:
        security = {"OAuth1": {"type": "http", "scheme": "OAuth",
                               "description": "OAuth 1.0a signed requests (HMAC-SHA256), RFC 5849."}}
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": server}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "parameters": _PARAMS,
            "headers": _PAGING_HEADERS,
            "securitySchemes": security,
        },
    }


def _rostering_ops() -> list[Op]:
    """The 41 Rostering GET operations (1.2 scopes; 1.1 has the same operations)."""
    ops: list[Op] = []
    for endpoint, (get_all, get_one) in OPERATIONS.items():
        scopes = (SCOPE_DEMOGRAPHICS,) if endpoint == "demographics" else (SCOPE_CORE, SCOPE_ROSTER)
        item = SINGLE_KEYS[endpoint]
        ops.append(Op(f"/{endpoint}", get_all, scopes, COLLECTION_KEYS[endpoint], item, True))
        ops.append(Op(f"/{endpoint}/{{sourcedId}}", get_one, scopes, item, item, False))
    ops += [Op(op.template, op.operation, (SCOPE_ROSTER,), COLLECTION_KEYS[op.lists], SINGLE_KEYS[op.lists], True)
            for op in NESTED]
    return ops


def rostering_12() -> JSON:
    """The OpenAPI 3.0 document of the 41 OneRoster 1.2 Rostering GET operations."""
    shapes = {SINGLE_KEYS[endpoint]: shape for endpoint, shape in models.SHAPES.items()}
    ops = _rostering_ops()
    return service_document(
        title="OneRoster 1.2 Rostering Service (as edcert certifies it)", server="/ims/oneroster/rostering/v1p2",
        description="Written by edcert from the OneRoster 1.2 Rostering REST binding and its OpenAPI facts; "
                    "generated from edcert.conformance.oneroster.models.",
        shapes=shapes, ops=ops,
        scopes={SCOPE_CORE: "Core rostering (read).", SCOPE_ROSTER: "All rostering (read).",
                SCOPE_DEMOGRAPHICS: "Demographics (read)."})


def rostering_11() -> JSON:
    """The OpenAPI 3.0 document of the 41 OneRoster 1.1 Rostering GET operations (the 1.2 operations, the
    1.1 models of :mod:`edcert.conformance.oneroster11.models`, OAuth 1.0a, the statusInfoSet envelope)."""
    from edcert.conformance.oneroster11.models import SHAPES_V1P1

    ops = [replace(op, scopes=()) for op in _rostering_ops()]
    return service_document(
        title="OneRoster 1.1 Rostering Service (as edcert certifies it)", server="/ims/oneroster/v1p1",
        description="Written by edcert from the OneRoster 1.1 Rostering REST binding; generated from "
                    "edcert.conformance.oneroster11.models (1.1 user: role, orgs, username).",
        shapes={SINGLE_KEYS[endpoint]: shape for endpoint, shape in SHAPES_V1P1.items()}, ops=ops, scopes={},
        version="1.1")


def gradebook_12() -> JSON:
    """The OpenAPI 3.0 document of the 19 OneRoster 1.2 Gradebook GET operations (writes are not fuzzed)."""
    from edcert.conformance.oneroster_gradebook._models import ENTITIES
    from edcert.conformance.oneroster_gradebook.operations import FLAT, SCOPED

    core = (OR12_SCOPE_PREFIX + "gradebook-core.readonly", OR12_SCOPE_PREFIX + "gradebook.readonly")
    assessment = (OR12_SCOPE_PREFIX + "assessment.readonly",)
    shapes = {entry[1]: entry[2] for entry in ENTITIES.values()}
    ops: list[Op] = []
    for endpoint, get_all, get_one, _level in FLAT:
        collection, single = ENTITIES[endpoint][:2]
        scopes = assessment if endpoint.startswith("assessment") else core
        ops.append(Op(f"/{endpoint}", get_all, scopes, collection, single, True))
        ops.append(Op(f"/{endpoint}/{{sourcedId}}", get_one, scopes, single, single, False))
    ops += [Op(op.template, op.operation, core[1:], ENTITIES[op.lists][0], ENTITIES[op.lists][1], True)
            for op in SCOPED]
    return service_document(
        title="OneRoster 1.2 Gradebook Service (as edcert certifies it)", server="/ims/oneroster/gradebook/v1p2",
        description="Written by edcert from the OneRoster 1.2 Gradebook REST binding and its OpenAPI facts; "
                    "generated from edcert.conformance.oneroster_gradebook._models. Reads only.",
        shapes=shapes, ops=ops,
        scopes={core[0]: "Core gradebook (read).", core[1]: "All gradebook (read).",
                assessment[0]: "Assessment results (read)."})


def resources_12() -> JSON:
    """The OpenAPI 3.0 document of the 5 OneRoster 1.2 Resources GET operations."""
    from edcert.conformance.oneroster_resources._fixtures import RESOURCE
    from edcert.conformance.oneroster_resources.operations import NESTED as RESOURCE_NESTED

    core, every = OR12_SCOPE_PREFIX + "resource-core.readonly", OR12_SCOPE_PREFIX + "resource.readonly"
    ops = [Op("/resources", "getAllResources", (core, every), "resources", "resource", True),
           Op("/resources/{sourcedId}", "getResource", (core, every), "resource", "resource", False)]
    ops += [Op(template, operation, (every,), "resources", "resource", True)
            for template, operation, _collection, _param in RESOURCE_NESTED]
    return service_document(
        title="OneRoster 1.2 Resources Service (as edcert certifies it)", server="/ims/oneroster/resources/v1p2",
        description="Written by edcert from the OneRoster 1.2 Resources REST binding and its OpenAPI facts; "
                    "generated from edcert.conformance.oneroster_resources._fixtures.RESOURCE.",
        shapes={"resource": RESOURCE}, ops=ops,
        scopes={core: "Core resources (read).", every: "All resources (read)."})


GENERATORS: dict[str, Callable[[], JSON]] = {ROSTERING_12: rostering_12, GRADEBOOK_12: gradebook_12,
                                             RESOURCES_12: resources_12, ROSTERING_11: rostering_11,
                                             EDFI_API: edfi_api}


def dumps(document: JSON) -> str:
    """The document as it is stored (stable key order, one trailing newline)."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def stored(name: str) -> JSON:
    """A stored OpenAPI document of ``edcert/fixtures/specs``."""
    document: JSON = json.loads(resources.files("edcert.fixtures").joinpath("specs", name).read_text("utf-8"))
    return document


if __name__ == "__main__":  # regenerate the stored documents
    for _name, _generate in GENERATORS.items():
        _target = resources.files("edcert.fixtures").joinpath("specs", _name)
        sys.stdout.write(f"writing {_target}\n")
        with resources.as_file(_target) as _path:
            _path.write_text(dumps(_generate()), encoding="utf-8")
