"""The OpenAPI 3 description of OneRoster 1.2 Rostering, generated from edcert's own entity models.

The document in ``edcert/fixtures/specs/oneroster-1.2-rostering.json`` is the output of
:func:`rostering_12` (``python -m edcert.conformance.fuzz._openapi`` rewrites it); a test keeps the
file and the generator equal, so the fuzz phase and the data-model checks can never disagree about
what a record may look like.

Choices (the same as :mod:`edcert.conformance.oneroster.models`, which the data-model checks use):

- ``null`` is allowed for an *optional* property (the models read it as absent);
- extensible enumerations accept ``ext:...``; booleans are the strings ``"true"``/``"false"``;
- no ``default`` response is declared: a status outside 200/400/401/403/404/422/429/500 is
  undocumented, so the fuzz phase can report it.
"""
from __future__ import annotations

import json
import sys
from importlib import resources
from typing import Any

from edcert.conformance.oneroster import models
from edcert.conformance.oneroster._fixtures import COLLECTION_KEYS, SINGLE_KEYS
from edcert.conformance.oneroster.operations import NESTED, OPERATIONS
from edcert.harness.config import OR12_SCOPE_PREFIX

JSON = dict[str, Any]
ROSTERING_12 = "oneroster-1.2-rostering.json"
STATUS_SCHEMA = "imsx_StatusInfo"
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
                  "academicSession": "AcademicSession", "resource": "Resource"}


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


def _status_schema() -> JSON:
    text = {"type": "string"}
    return {
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
                                                                          "enum": list(CODE_MINOR_VALUES)}}},
                }},
            },
        },
    }


def _errors(*, not_found: bool) -> JSON:
    codes = dict(ERROR_STATUSES)
    if not_found:
        codes["404"] = "No object with this sourcedId."
    return {code: {"description": text, "content": {"application/json": {"schema": _ref(STATUS_SCHEMA)}}}
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
               path_params: list[str], nested: bool = False) -> JSON:
    params: list[JSON] = [_path_param(p) for p in path_params]
    params += [_ref_param(p) for p in (COLLECTION_PARAMS if many else ("fields",))]
    body: JSON = {"type": "array", "items": _ref(item)} if many else _ref(item)
    ok: JSON = {"description": "The records." if many else "The record.",
                "content": {"application/json": {"schema": {
                    "type": "object", "required": [key], "additionalProperties": False,
                    "properties": {key: body}}}}}
    if many:
        ok["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in _PAGING_HEADERS}
    return {
        "operationId": op_id, "summary": summary, "parameters": params,
        "security": [{"OAuth2CC": [scope]} for scope in scopes],
        "responses": {"200": ok, **_errors(not_found=path_params != [] or nested)},
    }


def _ref_param(name: str) -> JSON:
    return {"$ref": f"#/components/parameters/{name}"}


def rostering_12() -> JSON:
    """The OpenAPI 3.0 document of the 41 OneRoster 1.2 Rostering GET operations."""
    schemas: JSON = {STATUS_SCHEMA: _status_schema()}
    for ref_type, name in _GUIDREF_NAMES.items():
        schemas[f"{name}GUIDRef"] = _guidref_schema(ref_type)
    shape_names = {}
    for endpoint, shape in models.SHAPES.items():
        name = SINGLE_KEYS[endpoint]
        shape_names[endpoint] = name
        schemas[name] = _shape(shape)
    paths: JSON = {}
    for endpoint, (get_all, get_one) in OPERATIONS.items():
        scopes = [SCOPE_DEMOGRAPHICS] if endpoint == "demographics" else [SCOPE_CORE, SCOPE_ROSTER]
        item = shape_names[endpoint]
        paths[f"/{endpoint}"] = {"get": _operation(get_all, f"All {endpoint}", scopes, COLLECTION_KEYS[endpoint],
                                                   item, many=True, path_params=[])}
        paths[f"/{endpoint}/{{sourcedId}}"] = {"get": _operation(
            get_one, f"One of {endpoint}", scopes, SINGLE_KEYS[endpoint], item, many=False,
            path_params=["sourcedId"])}
    for op in NESTED:
        names = [part[1:-1] for part in op.template.split("/") if part.startswith("{")]
        paths[op.template] = {"get": _operation(op.operation, f"GET {op.template}", [SCOPE_ROSTER],
                                                COLLECTION_KEYS[op.lists], shape_names[op.lists], many=True,
                                                path_params=names, nested=True)}
    return {
        "openapi": "3.0.3",
        "info": {"title": "OneRoster 1.2 Rostering Service (as edcert certifies it)", "version": "1.2",
                 "description": "Written by edcert from the OneRoster 1.2 Rostering REST binding and its "
                                "OpenAPI facts; generated from edcert.conformance.oneroster.models."},
        "servers": [{"url": "/ims/oneroster/rostering/v1p2"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "parameters": _PARAMS,
            "headers": _PAGING_HEADERS,
            "securitySchemes": {"OAuth2CC": {"type": "oauth2", "description": "OAuth 2.0 client credentials.",
                                             "flows": {"clientCredentials": {
                                                 "tokenUrl": "https://oneroster.example/oauth/token",
                                                 "scopes": {SCOPE_CORE: "Core rostering (read).",
                                                            SCOPE_ROSTER: "All rostering (read).",
                                                            SCOPE_DEMOGRAPHICS: "Demographics (read)."}}}}},
        },
    }


def dumps(document: JSON) -> str:
    """The document as it is stored (stable key order, one trailing newline)."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def stored(name: str) -> JSON:
    """A stored OpenAPI document of ``edcert/fixtures/specs``."""
    document: JSON = json.loads(resources.files("edcert.fixtures").joinpath("specs", name).read_text("utf-8"))
    return document


if __name__ == "__main__":  # regenerate the stored document
    target = resources.files("edcert.fixtures").joinpath("specs", ROSTERING_12)
    sys.stdout.write(f"writing {target}\n")
    with resources.as_file(target) as path:
        path.write_text(dumps(rostering_12()), encoding="utf-8")
