"""What the OneRoster 1.1 checks share: the 1.2 checks re-declared for 1.1, and the 1.1 status envelope.

Most 1.1 requirements read exactly like their 1.2 counterparts (paging, filtering, nested lists,
referential integrity...), so their checks are the 1.2 check bodies run against the 1.1 session
(:func:`mirror`): the same code, a 1.1 id, 1.1 wording and the 1.1 requirement ids. Where 1.1
differs (OAuth 1.0a, the ``statusInfoSet`` envelope, the leniencies on unknown sort or fields, the
data model) the 1.1 modules carry their own checks.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from edcert.conformance.oneroster._common import CODE_MAJORS, CORE_TAG, SEVERITIES, evidence
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable
from edcert.harness.http import json_body
from edcert.harness.registry import REGISTRY

STANDARD = "oneroster-1.1"
REST_BINDING = "OneRoster 1.1 Rostering Service REST/JSON Binding"
# 1.1 codeMinor vocabulary: the 1.2 values plus the two 1.1 implementations use (invalid_sort_field,
# invalid_blank_selection_field).
CODE_MINORS = {
    "fullsuccess", "invalid_filter_field", "invalid_selection_field", "invalid_sort_field",
    "invalid_blank_selection_field", "invaliddata", "unauthorisedrequest", "forbidden", "server_busy",
    "unknownobject", "internal_server_error",
}

_TRANSLATIONS = (
    ("/ims/oneroster/rostering/v1p2", "/ims/oneroster/v1p1"),
    ("spec/or/v1p2/scope", "spec/or/v1p1/scope"),
    ("OneRoster 1.2 Rostering OpenAPI (onerosterv1p2rostersservice_openapi3_v1p0)",
     "OneRoster 1.1 Rostering REST binding (Tables 3.1a-c)"),
    ("OneRoster 1.2 Rostering OpenAPI", "OneRoster 1.1 Rostering REST binding"),
    ("the 1.2 status payload", "the 1.1 statusInfoSet status payload"),
    ("OR12-", "OR11-"),
    ("1.2", "1.1"),
)


def to_v1p1(text: str) -> str:
    """A 1.2 check's wording, said of 1.1."""
    for old, new in _TRANSLATIONS:
        text = text.replace(old, new)
    return text


def mirror(namespace: dict[str, Any], source_id: str, new_id: str | None = None, *,
           body: Callable[[Any], None] | None = None, **overrides: Any) -> None:
    """Declare the 1.1 twin of 1.2 check ``source_id`` in the module ``namespace`` (its ``globals()``).

    The twin runs ``body`` (by default the 1.2 check's own code) with the 1.1 session; its metadata is the
    1.2 check's, said of 1.1 (:func:`to_v1p1`), with ``overrides`` on top.
    """
    spec = REGISTRY.get(source_id)
    run_12 = body or spec.func
    assert run_12 is not None
    check_id = new_id or to_v1p1(source_id)
    meta: dict[str, Any] = {
        "id": check_id, "standard": STANDARD, "category": spec.category, "level": spec.level.value,
        "title": to_v1p1(spec.title), "why": to_v1p1(spec.why), "remediation": to_v1p1(spec.remediation),
        "ref": to_v1p1(spec.ref), "tags": tuple(t for t in spec.tags if t != CORE_TAG),
        "requirements": tuple(to_v1p1(r) for r in spec.requirements),
    }
    meta.update(overrides)

    def twin(oneroster11: Any) -> None:
        try:
            run_12(oneroster11)
        except NotApplicable as exc:
            raise NotApplicable(to_v1p1(str(exc.msg))) from None
        except Failure as failure:
            if type(failure) is not Failure:
                raise
            raise Failure(to_v1p1(failure.message), expected=failure.expected, received=failure.received,
                          exchanges=failure.exchanges) from None

    name = "check_" + check_id.lower().replace("-", "_")
    twin.__name__ = twin.__qualname__ = name
    twin.__module__ = namespace["__name__"]
    namespace[name] = check(**meta)(twin)


def envelope_problems(body: Any) -> list[str]:
    """What is wrong with a 1.1 status envelope ``{"statusInfoSet": [...]}``; empty when it is right."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    infos = body.get("statusInfoSet")
    if not isinstance(infos, list) or not infos:
        return ["no statusInfoSet array (1.1 wraps status information in statusInfoSet: [...])"]
    problems: list[str] = []
    for info in infos:
        if not isinstance(info, dict):
            return ["a statusInfoSet entry is not an object"]
        if info.get("imsx_codeMajor") not in CODE_MAJORS:
            problems.append("imsx_codeMajor missing or not one of success/processing/failure/unsupported")
        if info.get("imsx_severity") not in SEVERITIES:
            problems.append("imsx_severity missing or not one of status/warning/error")
        minor = info.get("imsx_CodeMinor", info.get("imsx_codeMinor"))
        fields = minor.get("imsx_codeMinorField") if isinstance(minor, dict) else None
        if not isinstance(fields, list) or not fields or not all(
                isinstance(f, dict) and f.get("imsx_codeMinorFieldValue") in CODE_MINORS for f in fields):
            problems.append("imsx_CodeMinor.imsx_codeMinorField missing, empty or with an unknown value")
    return problems


def envelope_code_minors(body: Any) -> list[str]:
    """The codeMinor values of a 1.1 ``statusInfoSet`` (either spelling of imsx_CodeMinor)."""
    out: list[str] = []
    infos = body.get("statusInfoSet") if isinstance(body, dict) else None
    for info in infos if isinstance(infos, list) else []:
        minor = info.get("imsx_CodeMinor", info.get("imsx_codeMinor")) if isinstance(info, dict) else None
        fields = minor.get("imsx_codeMinorField") if isinstance(minor, dict) else None
        for f in fields if isinstance(fields, list) else []:
            if isinstance(f, dict) and isinstance(f.get("imsx_codeMinorFieldValue"), str):
                out.append(f["imsx_codeMinorFieldValue"])
    return out


def expect_refusal_or_warning(response: httpx.Response, code_minor: str, what: str) -> None:
    """1.1 leniency: either 400 with ``code_minor`` or 200 carrying a statusInfoSet warning ``code_minor``.

    Fails when the request is answered as if the unknown name were not there (200, no warning) or
    refused without saying why.
    """
    body = json_body(response, what)
    found = envelope_code_minors(body)
    if response.status_code == 400 and (code_minor in found or _loose(body, code_minor)):
        return
    if response.status_code == 200 and code_minor in found:
        return
    if response.status_code == 200:
        raise Failure(f"{what}: answered 200 as if nothing were wrong, without a statusInfoSet warning "
                      f"{code_minor}", expected=f"HTTP 400 {code_minor}, or 200 with a statusInfoSet warning "
                      f"{code_minor}", received="HTTP 200 without a warning", exchanges=evidence(response))
    raise Failure(f"{what}: answered HTTP {response.status_code} without codeMinor {code_minor}",
                  expected=f"HTTP 400 {code_minor}, or 200 with a statusInfoSet warning {code_minor}",
                  received=f"HTTP {response.status_code}, codeMinor {', '.join(found) or 'none'}",
                  exchanges=evidence(response))


def _loose(body: Any, code_minor: str) -> bool:
    from edcert.conformance.oneroster._common import loose_code_minors

    return code_minor in loose_code_minors(body)
