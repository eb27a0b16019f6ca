"""Evidence: every HTTP exchange a check relies on, redacted before it is kept.

Secrets (Authorization, cookies, tokens, client secrets, assertions, private
keys, JWT signatures) are always redacted. Student personal data is masked
unless the operator asked for full evidence (``--evidence full``).
"""
from __future__ import annotations

import contextvars
import hashlib
import itertools
import re
import shlex
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, PrivateAttr

EvidenceMode = Literal["masked", "full"]

REDACTED = "[redacted]"
MASKED = "[masked]"
BODY_EXCERPT_CHARS = 4096

_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
_SECRET_KEYS = (
    "access_token", "refresh_token", "id_token", "client_secret", "client_assertion", "password",
    "private_key", "secret", "token", "assertion", "oauth_signature", "jwt", "d", "p", "q", "dp", "dq", "qi",
)
# Keys whose values are a student's (or any person's) personal data, across the standards.
PII_KEYS = (
    "givenName", "familyName", "middleName", "preferredGivenName", "preferredMiddleName",
    "preferredFamilyName", "email", "sms", "phone", "username", "identifier", "userMasterIdentifier",
    "birthDate", "cityOfBirth", "pronouns", "preferredFirstName", "preferredLastName",
    # demographics: sex, race and ethnicity, place of birth, residence
    "sex", "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican", "nativeHawaiianOrOtherPacificIslander",
    "white", "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity", "countryOfBirthCode",
    "stateOfBirthAbbreviation", "publicSchoolResidenceStatus",
    # Ed-Fi
    "firstName", "lastSurname", "middleName", "studentUniqueId", "electronicMailAddress", "birthCity",
    # LTI / OIDC
    "given_name", "family_name", "middle_name", "picture", "lis_person_sourcedid",
)

_JSON_STRING = r'"(?:[^"\\]|\\.)*"'


def _key_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    alternation = "|".join(re.escape(k) for k in sorted(set(keys), key=len, reverse=True))
    # "key": "value"  (value may be cut off at the end of an excerpt)
    return re.compile(rf'("(?:{alternation})"\s*:\s*)("(?:[^"\\]|\\.)*(?:"|$)|-?\d[\d.eE+-]*)')


_SECRET_JSON = _key_pattern(_SECRET_KEYS)
_PII_JSON = _key_pattern(PII_KEYS)
_JWT = re.compile(r"\b(eyJ[A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S)
# An HTTP credential quoted anywhere (a vendor echoing the request's Authorization header in its body):
# Basic's base64, or a bearer token (long enough and not a plain word, so prose like "Bearer tokens" stays).
_CREDENTIAL = re.compile(
    r"\b(Basic|Bearer|Digest)(\s+)(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{4,}", re.I
)
_FORM_SECRET = re.compile(
    r"((?:^|&)(?:client_secret|client_assertion|password|assertion|refresh_token|access_token)=)[^&]*"
)
_FORM_SECRET_WORDS = ("secret=", "assertion=", "password=", "token=")  # one of them is in every match
_PII_FILTER = re.compile(
    r"(\b(?:" + "|".join(re.escape(k) for k in PII_KEYS) + r")\s*(?:!=|>=|<=|=|>|<|~)\s*)'[^']*'"
)


class Exchange(BaseModel):
    """One HTTP request and what came back, redacted."""

    id: int
    check_id: str | None = None
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None = None
    status: int | None = None
    response_headers: dict[str, str] = {}
    response_body: str | None = None
    response_bytes: int = 0
    elapsed_ms: float = 0.0
    error: str | None = None

    # What is not redacted yet (see Recorder.record): the URL, both sets of headers and the response body's
    # excerpt, as recorded, and the redactor that will redact them once, when one of them is first read or
    # written. Private attributes are never serialised; every way out (reading a field, model_dump and
    # model_dump_json, pickling, the scorecard through plugin._result) goes through seal() first.
    _pending: tuple[Redactor, dict[str, Any]] | None = PrivateAttr(default=None)
    # (method, URL as requested): how plugin._result orders a check's exchanges without redacting them all
    _order: tuple[str, str] | None = PrivateAttr(default=None)

    def seal(self) -> Exchange:
        """Redact what was left for later; done once. Returns the exchange."""
        pending = self._pending
        if pending is not None:
            redactor, raw = pending
            fields = self.__dict__
            redacted = {**fields}
            for name, value in raw.items():
                redacted[name] = _LAZY[name](redactor, value)
            fields.clear()  # refilled in the fields' declared order, so the JSON reads as it always did
            fields.update((name, redacted[name]) for name in type(self).model_fields if name in redacted)
            self._pending = None
        return self

    def response_header(self, name: str) -> str | None:
        """One response header (any case), redacted on its own: the rest of the exchange waits.

        Reading ``response_headers`` redacts the whole exchange, its body's excerpt the dearest part; a check
        that reads one header of every page of a run (OR12-SEC-003, the Content-Type) would redact them all.
        """
        lname = name.lower()
        pending = self._pending
        headers: dict[str, str] = pending[1]["response_headers"] if pending is not None else self.response_headers
        for key, value in headers.items():
            if key.lower() == lname:
                return pending[0].headers({key: value})[key] if pending is not None else value
        return None

    def order_key(self) -> tuple[str, str]:
        """(method, URL): a stable order of a check's exchanges that leaves them unredacted until one is shown."""
        return self._order if self._order is not None else (self.method, self.url)

    def __getattr__(self, name: str) -> Any:
        # reached only for what is not in the instance's __dict__: the fields while they wait for redaction
        if name in _LAZY and self.__pydantic_private__ and self._pending is not None:
            return self.seal().__dict__[name]
        return super().__getattr__(name)  # type: ignore[misc]  # pydantic's (private attributes)

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        return super(Exchange, self.seal()).model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        return super(Exchange, self.seal()).model_dump_json(**kwargs)

    def __iter__(self) -> Any:  # dict(exchange), and pydantic's repr: every field, redacted
        return super(Exchange, self.seal()).__iter__()

    def __repr_args__(self) -> Any:
        return super(Exchange, self.seal()).__repr_args__()

    def __getstate__(self) -> dict[Any, Any]:  # pickled: redacted, without the URL as requested
        state = super(Exchange, self.seal()).__getstate__()
        private = state.get("__pydantic_private__")
        if private:
            state["__pydantic_private__"] = {**private, "_order": None}
        return state

    def repro(self) -> str:
        """A curl command that repeats the request, secrets as environment placeholders."""
        parts = ["curl", "-sS", "-X", self.method]
        for name, value in self.request_headers.items():
            lname = name.lower()
            if lname == "authorization":
                scheme = value.split(" ", 1)[0] if " " in value else "Bearer"
                if scheme.lower() == "basic":  # client authentication at a token endpoint
                    parts += ["-u", "$EDCERT_CLIENT_ID:$EDCERT_CLIENT_SECRET"]
                else:
                    parts += ["-H", f"Authorization: {scheme} $EDCERT_TOKEN"]
            elif lname in {"accept", "content-type"}:
                parts += ["-H", f"{name}: {value}"]
        if self.request_body:
            parts += ["--data", self.request_body]
        parts.append(self.url)
        rendered = " ".join(shlex.quote(p) for p in parts)
        # keep the placeholders expandable by the shell
        return (rendered.replace("'Authorization: Bearer $EDCERT_TOKEN'", '"Authorization: Bearer $EDCERT_TOKEN"')
                .replace("'$EDCERT_CLIENT_ID:$EDCERT_CLIENT_SECRET'", '"$EDCERT_CLIENT_ID:$EDCERT_CLIENT_SECRET"'))


class Redactor:
    """Removes secrets always and personal data unless evidence is ``full``."""

    def __init__(self, mode: EvidenceMode = "masked", extra_secrets: tuple[str, ...] = ()) -> None:
        self.mode: EvidenceMode = mode
        self._extra = tuple(s for s in extra_secrets if s and len(s) >= 4)

    def add_secret(self, value: str | None) -> None:
        """Redact this literal value wherever it appears (e.g. a configured client secret)."""
        if value and len(value) >= 4 and value not in self._extra:
            self._extra = (*self._extra, value)

    def text(self, value: str) -> str:
        # Each pattern runs only where the literal text it cannot match without is present: the same result,
        # and a 100-record page is redacted in a third of the time (these scans dominated recording a page).
        # A JWT's signature is always cut; its payload too unless evidence is full: an LTI id_token carries
        # names and email in base64, where masking by JSON key cannot see them.
        if "eyJ" in value:
            value = _JWT.sub(lambda m: f"{m.group(1)}.{m.group(2) if self.mode == 'full' else MASKED}.{REDACTED}",
                             value)
        if "-----BEGIN " in value:
            value = _PEM.sub(REDACTED, value)
        value = _SECRET_JSON.sub(lambda m: m.group(1) + f'"{REDACTED}"', value)
        if any(word in value for word in _FORM_SECRET_WORDS):
            value = _FORM_SECRET.sub(lambda m: m.group(1) + REDACTED, value)
        # re.I also folds a few non-ASCII letters (e.g. U+017F into s): anything non-ASCII takes the full scan
        lowered = value.lower()
        if not value.isascii() or any(word in lowered for word in ("basic", "bearer", "digest")):
            value = _CREDENTIAL.sub(lambda m: m.group(1) + m.group(2) + REDACTED, value)
        for secret in self._extra:
            value = value.replace(secret, REDACTED)
        if self.mode == "masked":
            value = _PII_JSON.sub(lambda m: m.group(1) + f'"{MASKED}"', value)
        return value

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.query:
            return self.text(url)
        pairs = []
        for key, val in parse_qsl(parts.query, keep_blank_values=True):
            if key.lower() in {"client_secret", "access_token", "token", "id_token", "api_key", "oauth_signature"}:
                val = REDACTED
            elif key == "filter" and self.mode == "masked":
                val = _PII_FILTER.sub(lambda m: m.group(1) + f"'{MASKED}'", val)
            pairs.append((key, val))
        rebuilt = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs, safe="[]'"), parts.fragment))
        return self.text(rebuilt)

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in headers.items():
            lname = name.lower()
            if lname in _SECRET_HEADERS or any(word in lname for word in ("token", "secret", "authorization")):
                if lname == "authorization" and " " in value:
                    out[name] = value.split(" ", 1)[0] + " " + REDACTED
                else:
                    out[name] = REDACTED
            else:
                out[name] = self.text(value)
        return out

    def body(self, raw: bytes, limit: int = BODY_EXCERPT_CHARS, total: int | None = None) -> str:
        """The redacted excerpt of a body; ``total`` is its whole size when ``raw`` is only its beginning."""
        size = len(raw) if total is None else total
        text = raw[: limit * 2].decode("utf-8", errors="replace")
        text = self.text(text)
        if len(text) > limit or size > limit * 2:
            text = text[:limit] + f"… [{size} bytes in all]"
        return text


def _excerpt(redactor: Redactor, body: tuple[bytes, int]) -> str:
    raw, total = body
    return redactor.body(raw, total=total)


# the fields a recorded exchange is given (as when they were validated on the way in)
_RECORDED = {"id", "method", "url", "request_headers", "request_body", "status", "response_headers", "response_bytes",
             "elapsed_ms", "error"}
# how each field left for later is redacted (Exchange.seal)
_LAZY: dict[str, Callable[[Redactor, Any], Any]] = {
    "url": Redactor.url, "request_headers": Redactor.headers, "response_headers": Redactor.headers,
    "response_body": _excerpt,
}

_current_check: contextvars.ContextVar[list[Exchange] | None] = contextvars.ContextVar(
    "edcert_current_check", default=None
)


class Recorder:
    """Keeps every exchange of a run; hands each check the exchanges made while it ran."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.count = 0
        # (method, url, credential fingerprint) of every request, for the request-economy tests and bench
        self.sent: list[tuple[str, str, str]] = []

    def record(
        self,
        *,
        method: str,
        url: str,
        request_headers: dict[str, str],
        request_body: bytes | None,
        status: int | None,
        response_headers: dict[str, str],
        response_body: bytes | None,
        elapsed_ms: float,
        error: str | None = None,
    ) -> Exchange:
        r = self.redactor
        credential = request_headers.get("authorization") or request_headers.get("Authorization") or ""
        # The credential just sent (a bearer token, Basic's base64) is redacted wherever it shows up
        # from now on, however the vendor echoes it back.
        r.add_secret(credential.partition(" ")[2].strip() or None)
        fingerprint = hashlib.sha256(credential.encode()).hexdigest()[:12] if credential else "anonymous"
        with self._lock:
            ident = next(self._ids)
            self.count += 1
            self.sent.append((method, url, fingerprint))
        # Redacting costs more than everything else edcert does with a page (its URL, headers and excerpt:
        # 0.4 ms of CPU a request, measured), and nearly every exchange of a run (the pages of the
        # collections) never reaches a report. So the exchange keeps them as recorded and redacts them when
        # one is first read or written (Exchange.seal); the redactor then knows every credential this one
        # knows, and perhaps more. The fields below are plain values edcert made: no validation needed.
        raw: dict[str, Any] = {"url": url, "request_headers": request_headers, "response_headers": response_headers}
        if response_body is not None:
            raw["response_body"] = (response_body[: BODY_EXCERPT_CHARS * 2], len(response_body))
        exchange = Exchange.model_construct(
            _RECORDED,
            id=ident,
            method=method,
            request_body=r.body(request_body) if request_body else None,
            status=status,
            response_bytes=len(response_body or b""),
            elapsed_ms=round(elapsed_ms, 2),
            error=r.text(error) if error else None,
        )
        for name in raw:  # absent from the instance until sealed: reading one goes through __getattr__
            exchange.__dict__.pop(name, None)
        exchange._pending = (r, raw)
        exchange._order = (method, url)
        bucket = _current_check.get()
        if bucket is not None:
            bucket.append(exchange)
        return exchange

    @staticmethod
    def attribute(exchanges: list[Exchange]) -> None:
        """Count exchanges recorded elsewhere (a collection read in the background) as made by the running check."""
        bucket = _current_check.get()
        if bucket is not None:
            bucket.extend(exchanges)

    @staticmethod
    @contextmanager
    def collecting() -> Iterator[list[Exchange]]:
        """Collect the exchanges made inside the block (one check's own requests)."""
        bucket: list[Exchange] = []
        token = _current_check.set(bucket)
        try:
            yield bucket
        finally:
            _current_check.reset(token)
