"""The OpenAPI 3 description of the Ed-Fi resources edcert certifies, generated from edcert's Ed-Fi model.

``edcert/fixtures/specs/edfi-api.json`` is the output of :func:`edfi_api` (``python -m
edcert.conformance.fuzz._openapi`` rewrites it with the OneRoster documents); a test keeps the file and the
generator equal. The model is :mod:`edcert.fixtures.edfi`: its resources, natural keys, required fields,
references and descriptors; property types are read from the model's example records (the SIS scenario,
``SCENARIO_CREATES``), dates by their ``...Date`` names.

Choices (from the Ed-Fi API guidelines and the ODS/API, see ``/work/shared/reference/edfi.md``):

- reads: ``GET /ed-fi/{resource}`` with ``offset``, ``limit`` (0..500), ``totalCount`` and the natural-key
  query parameters (reference keys unprefixed), ``GET /ed-fi/{resource}/{id}``; writes (POST upsert, PUT,
  DELETE) are described and fuzzed only with ``allow_writes = true``;
- items carry ``id``, ``_etag`` and ``_lastModifiedDate`` and may carry more (extensions, ``link``);
- errors are JSON in either Ed-Fi form (``{"message"}`` up to ODS/API 7.1, RFC 9457 problem details from
  7.2), labelled ``application/json`` or ``application/problem+json``;
- only ``offset`` and ``limit`` are made invalid by the negative cases (``x-edcert-negative: false`` on the
  others): what a host does with a malformed natural-key value or ``totalCount`` is not documented.
"""
from __future__ import annotations

from typing import Any

from edcert.fixtures.edfi import DESCRIPTOR_VALUES, RESOURCES, SCENARIO_CREATES, Reference, Resource

JSON = dict[str, Any]
EDFI_API = "edfi-api.json"
ERROR_SCHEMA = "edFi_error"
MAX_LIMIT = 500
DESCRIPTOR_PATTERN = r"^\S+#\S.*$"  # uri://ed-fi.org/GradeLevelDescriptor#Ninth grade
ETAG_PATTERN = r'^(W/)?".*"$'
NO_NEGATIVE = {"x-edcert-negative": False}
ERROR_STATUSES = {
    "400": "The request is malformed (a parameter or the body is invalid).",
    "401": "No valid bearer token.",
    "403": "The token's claims do not allow this.",
    "429": "Too many requests: retry later.",
    "500": "The host failed.",
}
WRITE_ERRORS = {
    "404": "No item has this id.",
    "409": "A reference does not resolve, or other items reference this one.",
    "412": "If-Match does not match the item's ETag.",
}


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _example(resource: Resource) -> JSON:
    """A record of ``resource`` as the model builds it (the scenario's first; a descriptor's first value)."""
    if resource.descriptor:
        code = DESCRIPTOR_VALUES[resource.name][0]
        return {"codeValue": code, "namespace": "uri://ed-fi.org/Descriptor", "shortDescription": code,
                "description": code}
    return SCENARIO_CREATES[resource.name][0]


def _scalar(name: str, value: Any) -> JSON:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer", "format": "int64"}
    if isinstance(value, float):
        return {"type": "number"}
    if name.endswith("Date"):
        return {"type": "string", "format": "date"}
    return {"type": "string"}


def _value_schema(resource: Resource, name: str, value: Any) -> JSON:
    if name in resource.descriptors:
        return {"type": "string", "pattern": DESCRIPTOR_PATTERN}
    if isinstance(value, list):
        rows = [v for v in value if isinstance(v, dict)]
        props: JSON = {}
        required: list[str] = []
        for key, inner in (rows[0] if rows else {}).items():
            if f"{name}.{key}" in resource.descriptors:
                props[key] = {"type": "string", "pattern": DESCRIPTOR_PATTERN}
                required.append(key)
            else:
                props[key] = _scalar(key, inner)
        item: JSON = {"type": "object", "properties": props}
        if required:
            item["required"] = required
        return {"type": "array", "items": item}
    return _scalar(name, value)


def _reference(ref: Reference, value: JSON) -> JSON:
    props = {key: _scalar(key, value.get(key)) for key in ref.fields}
    return {"type": "object", "required": list(ref.fields), "properties": {
        **props, "link": {"type": "object", "properties": {"rel": {"type": "string"}, "href": {"type": "string"}}}}}


def _properties(resource: Resource) -> JSON:
    example = _example(resource)
    references = {ref.name: ref for ref in resource.references}
    names = list(dict.fromkeys([*resource.required, *(p.split(".", 1)[0] for p in resource.key), *example]))
    out: JSON = {}
    for name in names:
        if name in references:
            out[name] = _reference(references[name], example.get(name) or {})
        else:
            out[name] = _value_schema(resource, name, example.get(name))
    return out


def _body_schema(resource: Resource) -> JSON:
    """What a client writes: the model's properties, its required fields, nothing else."""
    return {"type": "object", "required": list(resource.required), "properties": _properties(resource),
            "additionalProperties": False}


def _item_schema(resource: Resource) -> JSON:
    """What a host serves: the written properties plus ``id``, ``_etag``, ``_lastModifiedDate`` (and maybe more)."""
    props = {"id": {"type": "string", "minLength": 1}, **_properties(resource),
             "_etag": {"type": "string"}, "_lastModifiedDate": {"type": "string"}}
    return {"type": "object", "required": ["id", *resource.required], "properties": props}


def _error_schema() -> JSON:
    message = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
    problem = {"type": "object", "required": ["type", "status"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "correlationId": {"type": "string", "nullable": True},
        "errors": {"type": "array", "items": {"type": "string"}},
        "validationErrors": {"type": "object", "additionalProperties": {"type": "array",
                                                                          "items": {"type": "string"}}}}}
    return {"description": "An Ed-Fi error: {\"message\"} (ODS/API 7.1 and earlier) or RFC 9457 problem details "
                           "(7.2 and later).", "anyOf": [problem, message]}


def _errors(extra: dict[str, str]) -> JSON:
    content = {media: {"schema": _ref(ERROR_SCHEMA)} for media in ("application/json", "application/problem+json")}
    codes = {**ERROR_STATUSES, **extra}
    return {code: {"description": text, "content": content} for code, text in sorted(codes.items())}


def _key_params(resource: Resource) -> list[JSON]:
    props = _properties(resource)
    out = []
    for path, param in resource.query_params.items():
        head, _, tail = path.partition(".")
        schema = props[head]["properties"][tail] if tail else props[head]
        schema = {k: v for k, v in schema.items() if k != "pattern"}  # a query matches; it need not be well-formed
        out.append({"name": param, "in": "query", "required": False, "description": f"Natural key: {path}.",
                    "schema": schema, **NO_NEGATIVE})
    return out


_PARAMS: JSON = {
    "offset": {"name": "offset", "in": "query", "required": False, "description": "Items to skip.",
               "schema": {"type": "integer", "minimum": 0, "default": 0}},
    "limit": {"name": "limit", "in": "query", "required": False, "description": "Page size (at most 500).",
              "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": MAX_LIMIT, "default": 25}},
    "totalCount": {"name": "totalCount", "in": "query", "required": False,
                   "description": "true adds the Total-Count header.", "schema": {"type": "boolean", "default": False},
                   **NO_NEGATIVE},
    "id": {"name": "id", "in": "path", "required": True, "description": "The item's resource id.",
           "schema": {"type": "string"}},
    "If-Match": {"name": "If-Match", "in": "header", "required": False,
                 "description": "The ETag the client last read (optimistic concurrency).",
                 "schema": {"type": "string"}},
}
_HEADERS: JSON = {
    "Total-Count": {"description": "How many items match (only with totalCount=true).",
                    "schema": {"type": "integer", "minimum": 0}},
    "ETag": {"description": "The item's version, quoted.", "schema": {"type": "string", "pattern": ETAG_PATTERN}},
    "Location": {"description": "The URL of the item written.", "schema": {"type": "string"}},
}
_SECURITY = [{"oauth2_client_credentials": []}]


def _param(name: str) -> JSON:
    return {"$ref": f"#/components/parameters/{name}"}


def _header(name: str) -> JSON:
    return {"$ref": f"#/components/headers/{name}"}


def _paths(resource: Resource) -> JSON:
    name = resource.name
    item, body = _ref(f"edFi_{name}Item"), {"required": True, "content": {
        "application/json": {"schema": _ref(f"edFi_{name}")}}}
    written = {"ETag": _header("ETag"), "Location": _header("Location")}
    return {
        f"/ed-fi/{name}": {
            "get": {"operationId": f"get{name[0].upper()}{name[1:]}", "summary": f"Items of {name}",
                    "tags": [name], "security": _SECURITY,
                    "parameters": [_param("offset"), _param("limit"), _param("totalCount"), *_key_params(resource)],
                    "responses": {"200": {"description": "A page of items.", "headers": {
                        "Total-Count": _header("Total-Count")}, "content": {"application/json": {"schema": {
                            "type": "array", "items": item}}}}, **_errors({})}},
            "post": {"operationId": f"post{name[0].upper()}{name[1:]}", "summary": f"Create or update (upsert on "
                     f"the natural key) one of {name}", "tags": [name], "security": _SECURITY, "requestBody": body,
                     "responses": {"200": {"description": "Updated (the natural key existed).", "headers": written},
                                   "201": {"description": "Created.", "headers": written},
                                   **_errors({"409": WRITE_ERRORS["409"], "412": WRITE_ERRORS["412"]})}},
        },
        f"/ed-fi/{name}/{{id}}": {
            "get": {"operationId": f"get{name[0].upper()}{name[1:]}ById", "summary": f"One of {name}",
                    "tags": [name], "security": _SECURITY, "parameters": [_param("id")],
                    "responses": {"200": {"description": "The item.", "headers": {"ETag": _header("ETag")},
                                          "content": {"application/json": {"schema": item}}},
                                  **_errors({"404": WRITE_ERRORS["404"]})}},
            "put": {"operationId": f"put{name[0].upper()}{name[1:]}", "summary": f"Replace one of {name}",
                    "tags": [name], "security": _SECURITY, "parameters": [_param("id"), _param("If-Match")],
                    "requestBody": body,
                    "responses": {"204": {"description": "Replaced.", "headers": {"ETag": _header("ETag")}},
                                  **_errors(WRITE_ERRORS)}},
            "delete": {"operationId": f"delete{name[0].upper()}{name[1:]}ById", "summary": f"Delete one of {name}",
                       "tags": [name], "security": _SECURITY, "parameters": [_param("id"), _param("If-Match")],
                       "responses": {"204": {"description": "Deleted."}, **_errors(WRITE_ERRORS)}},
        },
    }


def edfi_api() -> JSON:
    """The OpenAPI 3.0 document of the Ed-Fi resources edcert certifies (reads, and writes for allow_writes)."""
    schemas: JSON = {ERROR_SCHEMA: _error_schema()}
    paths: JSON = {}
    for resource in RESOURCES.values():
        schemas[f"edFi_{resource.name}"] = _body_schema(resource)
        schemas[f"edFi_{resource.name}Item"] = _item_schema(resource)
        paths.update(_paths(resource))
    return {
        "openapi": "3.0.3",
        "info": {"title": "Ed-Fi API resources (as edcert certifies them)", "version": "5.0.0",
                 "description": "Written by edcert from the Ed-Fi API guidelines and the ODS/API behaviour; generated "
                                "from edcert.fixtures.edfi (Data Standard 5 slice: schools, staff, students, "
                                "sections, enrollments, descriptors). Paths are relative to the host's "
                                "dataManagementApi URL."},
        "servers": [{"url": "/data/v3"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "parameters": _PARAMS,
            "headers": _HEADERS,
            "securitySchemes": {"oauth2_client_credentials": {
                "type": "oauth2", "description": "OAuth 2.0 client credentials (HTTP Basic or form body), as the "
                                                 "ODS/API issues bearer tokens.",
                "flows": {"clientCredentials": {"tokenUrl": "https://edfi.example/oauth/token", "scopes": {}}}}},
        },
    }
