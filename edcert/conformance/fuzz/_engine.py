"""Property-based requests with schemathesis, sent through edcert's own HTTP client.

schemathesis generates the requests (seeded, bounded) from an OpenAPI document and judges the
answers with its own checks; every request travels through :class:`edcert.harness.http.VendorClient`
(auth, write guard, rate limit, run budget, size cap, redacted evidence) by way of
:class:`VendorFuzzTransport`. The result is one :class:`Verdict` per schemathesis check, which the
fuzz checks turn into scorecard checks.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure as StFailure
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response as StResponse
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.schemas import OpenApiSchema
from schemathesis.transport import BaseTransport
from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport

from edcert.harness.errors import Failure
from edcert.harness.evidence import Exchange
from edcert.harness.http import VendorClient, exchange_of

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_KEPT = 5  # failing cases kept per check (the first is the one the scorecard shows)


@dataclass(frozen=True)
class FuzzSettings:
    """How much to generate: per operation, and for the whole run."""

    seed: int = 0
    max_examples: int = 25
    negative_examples: int = 10
    time_budget: float = 120.0
    allow_writes: bool = False


@dataclass
class Finding:
    """One failing generated case of one check."""

    operation: str
    title: str
    detail: str
    exchange: Exchange | None


@dataclass
class Verdict:
    """What one schemathesis check concluded over the whole run."""

    name: str
    evaluated: int = 0
    failed: int = 0
    findings: list[Finding] = field(default_factory=list)


@dataclass
class FuzzReport:
    """The outcome of one fuzz run against one OpenAPI document."""

    verdicts: dict[str, Verdict]
    cases: int = 0
    operations: int = 0
    skipped_writes: list[str] = field(default_factory=list)
    invalid_operations: list[str] = field(default_factory=list)
    budget_spent: bool = False


def _checks() -> dict[str, Callable[..., Any]]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        ignored_auth,
        negative_data_rejection,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return {"not_a_server_error": not_a_server_error, "status_code_conformance": status_code_conformance,
            "content_type_conformance": content_type_conformance,
            "response_schema_conformance": response_schema_conformance,
            "response_headers_conformance": response_headers_conformance, "ignored_auth": ignored_auth,
            "negative_data_rejection": negative_data_rejection}


CHECK_NAMES = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
               "response_schema_conformance", "response_headers_conformance", "ignored_auth",
               "negative_data_rejection")


class VendorFuzzTransport(RequestsTransport):
    """schemathesis' HTTP transport, re-routed through edcert's :class:`VendorClient`.

    schemathesis serialises a case as ``requests`` keyword arguments; they are sent with httpx
    instead. A case edcert sends itself carries ``edcert_auth=True`` and gets the run's bearer token
    from the transport's ``auth`` (the client's by default); schemathesis' own probes (``ignored_auth``:
    no or invalid credentials) do not, and go out with only the headers schemathesis set.
    """

    def __init__(self, client: VendorClient, auth: httpx.Auth | str = "default") -> None:
        super().__init__()
        self._copy_serializers_from(REQUESTS_TRANSPORT)
        self.client = client
        self.auth = auth  # the run's credentials: the client's own ("default") or a session's (Ed-Fi's token)
        self.sent: list[httpx.Response] = []

    def send(self, case: Any, *, session: Any = None, **kwargs: Any) -> StResponse:
        use_auth = bool(kwargs.pop("edcert_auth", False))
        data = self._build_request_data(case, kwargs)
        headers = {k: str(v) for k, v in (data.get("headers") or {}).items()}
        content: bytes | None = None
        if data.get("json") is not None:
            content = json.dumps(data["json"]).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(data.get("data"), bytes | str):
            raw = data["data"]
            content = raw.encode() if isinstance(raw, str) else raw
        response = self.client.request(str(data["method"]), str(data["url"]), params=data.get("params"),
                                       headers=headers, content=content, auth=self.auth if use_auth else None)
        if not hasattr(response, "_elapsed"):  # VendorTransport hands httpx a finished response: time it ourselves
            exchange = exchange_of(response)
            response.elapsed = timedelta(milliseconds=exchange.elapsed_ms if exchange is not None else 0.0)
        self.sent.append(response)
        return StResponse.from_httpx(response, verify=True)


class _EdcertSchema(OpenApiSchema):
    """An OpenAPI schema whose requests go through a :class:`VendorFuzzTransport`."""

    _edcert_transport: BaseTransport[Any] | None = None

    @property
    def transport(self) -> BaseTransport[Any]:
        return self._edcert_transport or super().transport


def load(document: dict[str, Any], transport: VendorFuzzTransport, *, negative: bool = False) -> OpenApiSchema:
    """A schemathesis schema of ``document`` sending through ``transport`` (no schemathesis.toml is read)."""
    view = _negative_view(document) if negative else _bearer_view(document)
    schema = schemathesis.openapi.from_dict(view, config=SchemathesisConfig())
    schema.__class__ = _EdcertSchema
    schema._edcert_transport = transport  # type: ignore[attr-defined]
    return schema


def _bearer_view(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` where OAuth 2.0 schemes read as what a resource server sees: a bearer token.

    schemathesis' ``ignored_auth`` probes only apiKey and http schemes; on the wire an OAuth 2.0
    protected operation takes ``Authorization: Bearer ...`` (RFC 6750), so the copy says exactly that.
    """
    copy: dict[str, Any] = json.loads(json.dumps(document))
    schemes = copy.get("components", {}).get("securitySchemes", {})
    for name, scheme in list(schemes.items()):
        if isinstance(scheme, dict) and scheme.get("type") in ("oauth2", "openIdConnect"):
            schemes[name] = {"type": "http", "scheme": "bearer", "description": scheme.get("description", "")}
    definitions = copy.get("securityDefinitions", {})  # Swagger 2.0 (older Ed-Fi hosts) has no http scheme
    for name, scheme in list(definitions.items() if isinstance(definitions, dict) else ()):
        if isinstance(scheme, dict) and scheme.get("type") == "oauth2":
            definitions[name] = {"type": "apiKey", "in": "header", "name": "Authorization"}
    return copy


_CONSTRAINTS = ("enum", "pattern", "format", "minLength", "maxLength", "minimum", "maximum", "const")


def _free_text(schema: Any) -> bool:
    """A parameter schema any string satisfies (free text, or a list of free text)."""
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "array":
        return _free_text(schema.get("items", {}))
    return schema.get("type") == "string" and not any(key in schema for key in _CONSTRAINTS)


def _negative_view(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` whose operations keep only the query parameters a value can break.

    Any string is a valid ``filter``, ``sort`` or ``fields`` as far as a schema can tell, so a negative case
    cannot break them; sent along with random text they only make the server refuse the request for
    another reason, and the case proves nothing about the parameter it made invalid. A parameter marked
    ``x-edcert-negative: false`` is left out too: the standard does not say an invalid value is refused.
    """
    copy = _bearer_view(document)
    shared = copy.get("components", {}).get("parameters", {})

    def keep(parameter: Any) -> bool:
        if isinstance(parameter, dict) and "$ref" in parameter:
            parameter = shared.get(str(parameter["$ref"]).rsplit("/", 1)[-1], {})
        return not (isinstance(parameter, dict) and parameter.get("in") == "query"
                    and (_free_text(parameter.get("schema")) or parameter.get("x-edcert-negative") is False))

    for item in copy.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and isinstance(operation.get("parameters"), list):
                operation["parameters"] = [p for p in operation["parameters"] if keep(p)]
    return copy


def _short(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def fuzz(document: dict[str, Any], *, base_url: str, client: VendorClient, config: FuzzSettings,
         checks: tuple[str, ...] = CHECK_NAMES, auth: httpx.Auth | str = "default") -> FuzzReport:
    """Generate requests for every operation of ``document`` and judge the answers.

    Writes (POST/PUT/PATCH/DELETE) are left out unless ``config.allow_writes``. Generation stops
    sending when ``config.time_budget`` seconds are spent (the report says so). ``auth`` is what
    edcert's own cases carry (the client's default auth unless a session keeps its own).
    """
    transport = VendorFuzzTransport(client, auth)
    schema = load(document, transport)
    functions = _checks()
    report = FuzzReport(verdicts={name: Verdict(name) for name in checks})
    ends = time.monotonic() + config.time_budget
    auth_confirmed: set[str] = set()

    def judge(case: Any) -> None:
        if time.monotonic() > ends:
            report.budget_spent = True
            return
        try:
            response = case.call(base_url=base_url, edcert_auth=True)
        except Failure as exc:  # the vendor timed out, broke the connection, sent too much
            report.cases += 1
            verdict = report.verdicts.get("not_a_server_error")
            if verdict is not None:
                verdict.evaluated += 1
                _keep(verdict, Finding(case.operation.label, "no usable answer", exc.message,
                                       exc.exchanges[0] if exc.exchanges else None))
            return
        report.cases += 1
        own = exchange_of(transport.sent[-1])
        # the credentials the request really carried (a bearer token, an OAuth 1.0a signature): schemathesis
        # needs them to tell explicit from generated auth, and probes without them
        sent_auth = transport.sent[-1].request.headers.get("authorization")
        headers = {"Authorization": sent_auth} if sent_auth else None
        negative = case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE
        for name in checks:
            if name == "negative_data_rejection" and not negative:
                continue
            if name != "negative_data_rejection" and negative:
                continue  # a negative case is sent to be refused: only the rejection is judged
            if name == "ignored_auth" and (case.operation.label in auth_confirmed or response.status_code >= 300):
                continue
            if name == "response_schema_conformance" and response.status_code < 300 and _selects_fields(case):
                continue  # a field selection returns partial records by design: the full schema does not apply
            verdict = report.verdicts[name]
            verdict.evaluated += 1
            before = len(transport.sent)
            try:
                case.validate_response(response, checks=[functions[name]], headers=headers,
                                       transport_kwargs={"base_url": base_url})
            except FailureGroup as group:
                probes = [exchange_of(r) for r in transport.sent[before:]]
                exchange = probes[-1] if probes and probes[-1] is not None else own
                first: StFailure = group.exceptions[0]
                _keep(verdict, Finding(case.operation.label, first.title, _detail(name, first), exchange))
            else:
                if name == "ignored_auth":
                    auth_confirmed.add(case.operation.label)

    negatives: dict[str, Any] = {}
    if "negative_data_rejection" in checks and config.negative_examples:
        negatives = {op.label: op for op in _operations(load(document, transport, negative=True), report=None)}
    for index, operation in enumerate(_operations(schema, report)):
        if operation.method.upper() not in READ_METHODS and not config.allow_writes:
            report.skipped_writes.append(operation.label)
            continue
        report.operations += 1
        plans = [(operation, GenerationMode.POSITIVE, config.max_examples)]
        negative = negatives.get(operation.label)
        if negative is not None:
            query = [p for p in negative.iter_parameters() if p.location == "query"]
            has_path = any(p.location == "path" for p in negative.iter_parameters())
            if query and not has_path:  # a random path would only meet 404: the query is what is tested
                plans.append((negative, GenerationMode.NEGATIVE, config.negative_examples))
        for offset, (target, mode, examples) in enumerate(plans):
            # the credentials are edcert's to set (the client's auth replaces this placeholder): only the
            # query is made invalid in a negative case, never the Authorization header
            headers = {"Authorization": "Bearer edcert"} if mode is GenerationMode.NEGATIVE else None
            strategy = target.as_strategy(generation_mode=mode, headers=headers)
            _drive(strategy, judge, examples, config.seed * 1000 + index * 2 + offset)
    return report


def _operations(schema: OpenApiSchema, report: FuzzReport | None) -> list[Any]:
    """The operations schemathesis could read; the others are noted in the report (a vendor's document may
    hold operations it cannot use)."""
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            found.append(result.ok())
        elif report is not None:
            report.invalid_operations.append(_short(str(result.err()), 200))
    return found


def _drive(strategy: Any, judge: Callable[[Any], None], examples: int, run_seed: int) -> None:
    # No shrinking, no example database: every drawn case is sent once, in an order the seed fixes.
    @seed(run_seed)
    @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
              report_multiple_bugs=False)
    @given(case=strategy)
    def run(case: Any) -> None:
        judge(case)

    run()


def _selects_fields(case: Any) -> bool:
    return isinstance(case.query, dict) and case.query.get("fields") not in (None, [], "")


def _keep(verdict: Verdict, finding: Finding) -> None:
    verdict.failed += 1
    if len(verdict.findings) < MAX_KEPT:
        verdict.findings.append(finding)


def _detail(name: str, failure: StFailure) -> str:
    # A schema failure's message quotes the vendor's value (possibly a student's name): keep only where
    # and why. Other failures describe statuses and media types.
    if name == "response_schema_conformance":
        where = getattr(failure, "instance_path", None) or []
        rule = list(getattr(failure, "schema_path", None) or [])
        why = rule[-1] if rule else "schema"
        path = "/".join(str(p) for p in where) or "(the body)"
        return f"at {path}: the value breaks the '{why}' rule of the documented schema"
    return _short(failure.message or failure.title)
