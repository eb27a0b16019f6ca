"""Discovery: the root of an Ed-Fi API describes it (version, data models, absolute URLs) to anyone."""
from __future__ import annotations

from typing import Any

from edcert.conformance.edfi._fixtures import DISCOVERY_REF, STANDARD, EdFiSession, evidence, json_array
from edcert.harness import check
from edcert.harness.errors import Failure
from edcert.harness.http import json_body


def _document(edfi: EdFiSession) -> dict[str, Any]:
    found = edfi.discovery
    if found.document is None:
        raise Failure(f"no discovery document: {found.problem}", expected="a JSON object at the root",
                      received=found.problem, exchanges=evidence(found.response, found.authenticated_retry))
    return found.document


@check(
    id="EDFI-DISC-001", standard=STANDARD, category="discovery", level="required",
    requirements=("EDFI-REQ-DISC-ANONYMOUS",),
    title="The root answers the discovery document as JSON without a token",
    why="Connectors find the token and data addresses of an Ed-Fi API from its root; if that fails, nothing "
        "can connect without hand configuration.",
    remediation="Serve the discovery document (JSON object) at the API root to anonymous GET requests.",
    ref=f"{DISCOVERY_REF}; REST API conventions (the root is anonymous)",
)
def check_discovery_anonymous(edfi: EdFiSession) -> None:
    found = edfi.discovery
    if found.authenticated_retry is not None:
        raise Failure("the discovery document is refused without a token",
                      expected="HTTP 200 to an anonymous GET", received=f"HTTP {found.response.status_code}"
                      if found.response is not None else "no answer", exchanges=evidence(found.response))
    _document(edfi)


@check(
    id="EDFI-DISC-002", standard=STANDARD, category="discovery", level="required",
    requirements=("EDFI-REQ-DISC-FIELDS",),
    title="The discovery document names its version and its data models",
    why="The version and data-model list tell a district's systems which Ed-Fi data standard they are talking to.",
    remediation="Include version (string) and dataModels (a list of {name, version}, e.g. Ed-Fi 5.0.0).",
    ref=f"{DISCOVERY_REF}: required version, dataModels",
)
def check_discovery_fields(edfi: EdFiSession) -> None:
    doc = _document(edfi)
    problems = []
    if not isinstance(doc.get("version"), str) or not doc["version"]:
        problems.append("version is missing or not a string")
    models = doc.get("dataModels")
    if not isinstance(models, list) or not models:
        problems.append("dataModels is missing or empty")
    elif not all(isinstance(m, dict) and isinstance(m.get("name"), str) and isinstance(m.get("version"), str)
                 for m in models):
        problems.append("a dataModels entry lacks name or version")
    if problems:
        raise Failure("the discovery document is incomplete: " + "; ".join(problems),
                      expected="version and dataModels[{name, version}]", received="; ".join(problems),
                      exchanges=evidence(edfi.discovery.response))


@check(
    id="EDFI-DISC-003", standard=STANDARD, category="discovery", level="required",
    requirements=("EDFI-REQ-DISC-URLS",),
    title="The discovery document lists absolute oauth, dataManagementApi and dependencies URLs",
    why="Clients follow these addresses as given; a missing or relative one sends them nowhere.",
    remediation="List urls.oauth, urls.dataManagementApi and urls.dependencies as absolute http(s) URLs.",
    ref=f"{DISCOVERY_REF}: urls (required: dependencies, oauth, dataManagementApi; all absolute)",
)
def check_discovery_urls(edfi: EdFiSession) -> None:
    doc = _document(edfi)
    urls: dict[str, Any] = doc["urls"] if isinstance(doc.get("urls"), dict) else {}
    missing = [n for n in ("oauth", "dataManagementApi", "dependencies") if not isinstance(urls.get(n), str)]
    relative = sorted(edfi.discovery.relative)
    if missing or relative:
        received = "; ".join(filter(None, [f"missing {', '.join(missing)}" if missing else "",
                                           f"relative {', '.join(relative)}" if relative else ""]))
        raise Failure(f"the discovery document's urls are unusable as given: {received}",
                      expected="absolute http(s) URLs for oauth, dataManagementApi, dependencies",
                      received=received, exchanges=evidence(edfi.discovery.response))


@check(
    id="EDFI-DISC-004", standard=STANDARD, category="discovery", level="required",
    requirements=("EDFI-REQ-DISC-DEPENDENCIES",),
    title="The dependencies document gives the load order of the resources",
    why="A SIS loads schools before students and students before enrollments by following this order; without it, "
        "whole batches fail.",
    remediation="Serve urls.dependencies as a JSON array of {resource, order, operations}.",
    ref=f"{DISCOVERY_REF}: urls.dependencies; ODS/API dependencies endpoint",
)
def check_dependencies(edfi: EdFiSession) -> None:
    url = edfi.url("dependencies")
    if url is None:
        raise Failure("the discovery document lists no dependencies URL", expected="urls.dependencies",
                      received="none", exchanges=evidence(edfi.discovery.response))
    rows = json_array(edfi.get(url, auth=None), "GET dependencies")
    bad = [r for r in rows if not isinstance(r.get("resource"), str) or not isinstance(r.get("order"), int)]
    if not rows or bad:
        raise Failure("the dependencies document does not give resources with their order",
                      expected="[{resource, order}, ...]", received=f"{len(rows)} rows, {len(bad)} malformed")


@check(
    id="EDFI-OAS-001", standard=STANDARD, category="discovery", level="recommended",
    requirements=("EDFI-REQ-OPENAPI",),
    title="The OpenAPI metadata the host lists is reachable and parses",
    why="Tools validate and generate their Ed-Fi connectors from this description of the API.",
    remediation="List urls.openApiMetadata; serve there [{name, endpointUri}] and at each endpointUri an OpenAPI "
                "(3.0 or Swagger 2.0) JSON document.",
    ref=f"{DISCOVERY_REF}: urls.openApiMetadata; ODS/API OpenApiMetadataController",
)
def check_openapi_metadata(edfi: EdFiSession) -> None:
    url = edfi.url("openApiMetadata")
    if url is None:
        raise Failure("the discovery document lists no openApiMetadata URL", expected="urls.openApiMetadata",
                      received="none", exchanges=evidence(edfi.discovery.response))
    sections = json_array(edfi.get(url, auth=None), "GET openApiMetadata")
    uris = [u for u in (s.get("endpointUri") for s in sections) if isinstance(u, str)]
    if not uris or len(uris) != len(sections):
        raise Failure("openApiMetadata lists no endpointUri", expected="[{name, endpointUri}]",
                      received=f"{len(uris)} entries")
    for uri in uris[:2]:
        answer = edfi.get(uri, auth=None)
        spec = json_body(answer, f"GET {uri}")
        if not isinstance(spec, dict) or not ({"openapi", "swagger"} & set(spec)) or "paths" not in spec:
            raise Failure(f"{uri} is not an OpenAPI document", expected="an object with openapi/swagger and paths",
                          received=type(spec).__name__, exchanges=evidence(answer))
