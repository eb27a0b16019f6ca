"""Session fixtures of the fuzz phase: one fuzz run per standard and run, shared by its checks."""
from __future__ import annotations

from urllib.parse import urljoin

import pytest

from edcert.conformance.edfi._fixtures import EdFiSession, json_array
from edcert.conformance.fuzz._engine import FuzzReport, FuzzSettings, fuzz
from edcert.conformance.fuzz._openapi import ROSTERING_12, stored
from edcert.conformance.oneroster._fixtures import OneRosterSession
from edcert.harness.http import VendorClient


def settings_of(request: pytest.FixtureRequest, allow_writes: bool) -> FuzzSettings:
    """The ``[fuzz]`` table of the vendor configuration (defaults when it has none)."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    table = None if state is None else state.config.fuzz
    if table is None:
        return FuzzSettings(allow_writes=allow_writes)
    return FuzzSettings(seed=table.seed, max_examples=table.max_examples, negative_examples=table.negative_examples,
                        time_budget=table.time_budget, allow_writes=allow_writes)


@pytest.fixture(scope="session")
def oneroster_fuzz(request: pytest.FixtureRequest, oneroster: OneRosterSession) -> FuzzReport:
    """The OneRoster 1.2 provider fuzzed against edcert's OpenAPI description of Rostering, once per run."""
    return service_fuzz(request, oneroster, ROSTERING_12)


def service_fuzz(request: pytest.FixtureRequest, session: OneRosterSession, document: str) -> FuzzReport:
    """``session``'s service fuzzed against the stored OpenAPI ``document``, once per run."""
    config = settings_of(request, session.config.allow_writes)
    report: FuzzReport = session.state.resource(
        f"fuzz:{document}",
        lambda: fuzz(stored(document), base_url=session.base, client=session.client, config=config),
    )
    return report


def edfi_fuzz(request: pytest.FixtureRequest) -> FuzzReport:
    """The Ed-Fi host fuzzed against edcert's description of the Ed-Fi resources, once per run.

    Requests go through the Ed-Fi session's client with its bearer token (the session fetches and renews
    it), to the paths under the host's dataManagementApi URL.
    """
    from edcert.conformance.fuzz._openapi_edfi import EDFI_API

    edfi: EdFiSession = request.getfixturevalue("edfi")
    config = settings_of(request, edfi.config.allow_writes)
    report: FuzzReport = edfi.state.resource(
        f"fuzz:{EDFI_API}",
        lambda: fuzz(stored(EDFI_API), base_url=edfi.data_url.rstrip("/"), client=edfi.client, config=config,
                     auth=edfi.auth),
    )
    return report


def own_document(oneroster: OneRosterSession, url: str | None, file: str | None) -> dict[str, object]:
    """The vendor's published OpenAPI document, from its file or fetched (once, recorded) from its URL."""
    import json
    from pathlib import Path

    import httpx

    from edcert.harness.errors import Failure

    if file is not None:
        try:
            loaded = json.loads(Path(file).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise Failure(f"the vendor's OpenAPI document {file} cannot be read as JSON ({exc})") from None
        return openapi_object(loaded)
    assert url is not None
    return fetch_document(oneroster.client, str(httpx.URL(oneroster.config.base_url).join(url)))  # on its host


def fetch_document(client: VendorClient, url: str) -> dict[str, object]:
    """The OpenAPI document at ``url``, fetched anonymously (documentation is public) and recorded."""
    from edcert.harness.errors import Failure
    from edcert.harness.http import exchange_of, json_body

    response = client.get(url, auth=None)
    evidence = [e for e in [exchange_of(response)] if e is not None]
    if response.status_code != 200:
        raise Failure(f"the vendor's OpenAPI document at {url} answered HTTP {response.status_code}",
                      expected="HTTP 200 with the document", received=f"HTTP {response.status_code}",
                      exchanges=evidence)
    return openapi_object(json_body(response, f"GET {url}"))


def openapi_object(loaded: object) -> dict[str, object]:
    from edcert.harness.errors import Failure

    if not isinstance(loaded, dict) or not isinstance(loaded.get("paths"), dict):
        raise Failure("the vendor's OpenAPI document is not an OpenAPI object with paths",
                      expected="an OpenAPI 3 document", received=type(loaded).__name__)
    return loaded


def own_base_url(document: dict[str, object], root: str, fallback: str) -> str:
    """Where the vendor's document says its operations are, kept on the host of ``root`` (credentials go
    nowhere else): a document without servers, or with an absolute server URL on another host, gets
    ``fallback``. A Swagger 2.0 document says it with ``basePath``."""
    import httpx

    servers = document.get("servers")
    first = servers[0].get("url") if isinstance(servers, list) and servers and isinstance(servers[0], dict) else None
    if first is None and isinstance(document.get("basePath"), str) and "servers" not in document:
        first = document["basePath"]
    if not isinstance(first, str) or not first:
        return fallback
    base = httpx.URL(root)
    target = base.join(first)
    if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
        return fallback
    return str(target).rstrip("/")


@pytest.fixture(scope="session")
def oneroster_own_fuzz(request: pytest.FixtureRequest, oneroster: OneRosterSession) -> FuzzReport:
    """The OneRoster 1.2 provider fuzzed against its own published OpenAPI document, once per run."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    table = None if state is None else state.config.fuzz
    if table is None or (table.own_spec_url is None and table.own_spec_file is None):
        pytest.skip("the vendor configuration names no OpenAPI document of the vendor's own "
                    "([fuzz] own_spec_url or own_spec_file)")
    config = settings_of(request, oneroster.config.allow_writes)

    def run() -> FuzzReport:
        document = own_document(oneroster, table.own_spec_url, table.own_spec_file)
        return fuzz(document, base_url=own_base_url(document, oneroster.config.base_url, oneroster.base),
                    client=oneroster.client, config=config)

    report: FuzzReport = oneroster.state.resource("fuzz-own:oneroster-1.2", run)
    return report


def edfi_own_fuzz(request: pytest.FixtureRequest) -> FuzzReport:
    """The Ed-Fi host fuzzed against the resources OpenAPI document it publishes (``urls.openApiMetadata``),
    once per run; NotApplicable when it publishes none or the list names no readable document."""
    from edcert.harness.errors import Failure, NotApplicable

    edfi: EdFiSession = request.getfixturevalue("edfi")
    listing = edfi.url("openApiMetadata")
    if listing is None:
        raise NotApplicable("the host's discovery document lists no urls.openApiMetadata: it publishes no "
                            "OpenAPI document to compare it with")
    config = settings_of(request, allow_writes=False)  # reads only: the host's own writes are not edcert's to try

    def run() -> FuzzReport | str:
        try:
            document = fetch_document(edfi.client, resources_document_url(edfi, listing))
        except Failure as failure:  # EDFI-OAS-001 judges the metadata itself: here there is nothing to compare
            return f"the host's OpenAPI metadata gives no readable document ({failure.message})"
        base = own_base_url(document, edfi.root, edfi.data_url.rstrip("/"))
        return fuzz(document, base_url=base, client=edfi.client, config=config, auth=edfi.auth)

    found: FuzzReport | str = edfi.state.resource("fuzz-own:edfi-api", run)
    if isinstance(found, str):
        raise NotApplicable(found)
    return found


def resources_document_url(edfi: EdFiSession, listing: str) -> str:
    """The endpointUri of the ``Resources`` entry of the openApiMetadata list (the first entry otherwise)."""
    from edcert.harness.errors import Failure

    entries = json_array(edfi.get(listing, auth=None), "GET openApiMetadata")
    uris = [(str(e.get("name", "")), e["endpointUri"]) for e in entries if isinstance(e.get("endpointUri"), str)]
    if not uris:
        raise Failure("openApiMetadata lists no endpointUri", expected="[{name, endpointUri}]",
                      received=f"{len(entries)} entries")
    chosen = next((uri for name, uri in uris if name.lower() == "resources"), uris[0][1])
    return urljoin(listing, chosen)
