"""The OpenAPI 3.0 document the Ed-Fi sandbox serves as its openApiMetadata (generated from the model).

Schemas are inferred from the seeded and scenario records of ``fixtures/edfi.py`` (types of the values seen),
with the model's required fields; natural-key fields carry ``x-Ed-Fi-isIdentity`` as in the published
Ed-Fi specs. It declares ``servers`` and the token URL (the published specs lack both), so a fuzzer such as
schemathesis can run against the sandbox as it is.
"""
from __future__ import annotations

from typing import Any

from edcert.fixtures.edfi import RESOURCES, SCENARIO_CREATES, Resource

JSON = dict[str, Any]


def _schema_of(value: Any) -> JSON:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, list):
        return {"type": "array", "items": _schema_of(value[0]) if value else {}}
    if isinstance(value, dict):
        return {"type": "object", "properties": {k: _schema_of(v) for k, v in value.items()}}
    return {"type": "string"}


def _schemas(seeds: dict[str, list[JSON]]) -> dict[str, JSON]:
    out: dict[str, JSON] = {}
    for resource in RESOURCES.values():
        properties: JSON = {}
        for example in [*seeds.get(resource.name, [])[:1], *SCENARIO_CREATES.get(resource.name, ())]:
            for name, value in example.items():
                properties.setdefault(name, _schema_of(value))
        for path in resource.key:
            head = path.split(".", 1)[0]
            properties.setdefault(head, {"type": "string"})["x-Ed-Fi-isIdentity"] = True
        out[resource.name] = {"type": "object", "required": list(resource.required), "properties": properties}
    return out


def _paths(resource: Resource, schema_ref: str) -> JSON:
    key_params = [{"name": param, "in": "query", "required": False, "schema": {"type": "string"}}
                  for param in resource.query_params.values()]
    paging = [
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 500, "default": 25}},
        {"name": "totalCount", "in": "query", "schema": {"type": "boolean", "default": False}},
        {"name": "minChangeVersion", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {"name": "maxChangeVersion", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    ]
    body = {"required": True, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}
    item = {"allOf": [{"$ref": schema_ref},
                      {"type": "object", "properties": {"id": {"type": "string"}, "_etag": {"type": "string"},
                                                        "_lastModifiedDate": {"type": "string"}}}]}
    error = {"description": "An error (RFC 9457 problem details)",
             "content": {"application/problem+json": {"schema": {"type": "object"}}}}
    id_param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    name = resource.name
    return {
        f"/ed-fi/{name}": {
            "get": {"operationId": f"get{name}", "tags": [name], "parameters": paging + key_params,
                    "responses": {"200": {"description": "The items", "content": {"application/json": {
                        "schema": {"type": "array", "items": item}}}}, "400": error, "401": error}},
            "post": {"operationId": f"post{name}", "tags": [name], "requestBody": body,
                     "responses": {"200": {"description": "Updated"}, "201": {"description": "Created"},
                                   "400": error, "401": error, "409": error}},
        },
        f"/ed-fi/{name}/{{id}}": {
            "get": {"operationId": f"get{name}ById", "tags": [name], "parameters": id_param,
                    "responses": {"200": {"description": "The item", "content": {"application/json": {
                        "schema": item}}}, "404": error, "401": error}},
            "put": {"operationId": f"put{name}", "tags": [name], "parameters": id_param, "requestBody": body,
                    "responses": {"204": {"description": "Updated"}, "400": error, "404": error, "409": error,
                                  "412": error, "401": error}},
            "delete": {"operationId": f"delete{name}ById", "tags": [name], "parameters": id_param,
                       "responses": {"204": {"description": "Deleted"}, "404": error, "409": error,
                                     "412": error, "401": error}},
        },
    }


def openapi_document(root: str, examples: dict[str, list[JSON]]) -> JSON:
    """The OpenAPI 3.0.3 description of the sandbox's resources, with absolute server and token URLs.

    ``examples`` are records by resource the property types are inferred from (with the scenario's).
    """
    paths: JSON = {}
    for resource in RESOURCES.values():
        paths.update(_paths(resource, f"#/components/schemas/edFi_{resource.name}"))
    return {
        "openapi": "3.0.3",
        "info": {"title": "edcert Ed-Fi sandbox: Resources", "version": "5.0.0",
                 "description": "A Data Standard 5 slice served by edcert's reference sandbox (fictional data)."},
        "servers": [{"url": f"{root}/data/v3"}],
        "security": [{"oauth2_client_credentials": []}],
        "paths": paths,
        "components": {
            "schemas": {f"edFi_{name}": schema for name, schema in _schemas(examples).items()},
            "securitySchemes": {"oauth2_client_credentials": {
                "type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": f"{root}/oauth/token",
                                                                  "scopes": {}}}}},
        },
    }
