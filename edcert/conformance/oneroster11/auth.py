"""Auth: OAuth 1.0a request signing (RFC 5849), the way OneRoster 1.1 protects every endpoint.

The provider must refuse a request that is not signed, signed with a wrong secret, or whose query
was changed after signing (the signature covers every query parameter), and must accept a correctly
signed request whose filter holds spaces and quotes. Timestamp window and nonce replay are SHOULDs
of RFC 5849 §3.3 ("servers MAY ..." read as good practice): recommended. Each probe is sent once.
For a provider configured with OAuth 2.0 (a 1.1 provider's option) the signature checks do not apply;
the missing- and invalid-credential checks then test bearer tokens.
"""
from __future__ import annotations

import time

import httpx

from edcert.conformance.oneroster import auth as v12_auth
from edcert.conformance.oneroster._common import evidence, expect_status, shared_probe
from edcert.conformance.oneroster11._common import REST_BINDING, STANDARD, mirror
from edcert.conformance.oneroster11._fixtures import OneRoster11Session
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable

OAUTH1 = "RFC 5849 (OAuth 1.0a) §3.1-3.4"
SIGNING = f"{REST_BINDING} §2 (OAuth 1.0a two-legged request signing); {OAUTH1}"
WRONG_SECRET = "edcert-wrong-secret"  # noqa: S105 - deliberately wrong, to be refused
SPACED_FILTER = "familyName='O Brien' OR givenName='Mary Ann'"


def _oauth1(oneroster11: OneRoster11Session) -> None:
    if not oneroster11.oauth1:
        raise NotApplicable("the vendor is configured with OAuth 2.0 bearer tokens, not OAuth 1.0a signing")


def wrong_secret_answer(oneroster11: OneRoster11Session) -> httpx.Response:
    return shared_probe(oneroster11, "GET /users signed with a wrong secret",
                        lambda: oneroster11.get("/users", params={"limit": 1},
                                                auth=oneroster11.signer(client_secret=WRONG_SECRET)))


def _add_query(request: httpx.Request) -> None:
    request.url = request.url.copy_set_param("limit", "1")


@check(
    id="OR11-AUTH-001", standard=STANDARD, category="auth", level="required",
    requirements=("OR11-REQ-AUTH-SIGNED",),
    title="A request without credentials (unsigned, no token) is refused with 401",
    why="Without this, anyone who finds the address can download the district's student roster.",
    remediation="Require an OAuth 1.0a signature (or, where you offer it, an OAuth 2.0 bearer token) on every "
                "OneRoster endpoint; answer 401 when it is missing.",
    ref=f"{SIGNING}; {REST_BINDING} §3 (401 unauthorisedrequest)",
)
def check_unsigned_refused(oneroster11: OneRoster11Session) -> None:
    expect_status(v12_auth.no_token_answer(oneroster11), 401, "GET /users without a signature or token")


@check(
    id="OR11-AUTH-002", standard=STANDARD, category="auth", level="required",
    requirements=("OR11-REQ-AUTH-SIGNATURE",),
    title="A request signed with a wrong consumer secret (or an invalid token) is refused with 401",
    why="A provider that accepts any signature protects student data with nothing at all.",
    remediation="Recompute the OAuth 1.0a signature (HMAC-SHA1 / HMAC-SHA256 over the signature base string, "
                "RFC 5849 §3.4) with the consumer's secret and refuse the request with 401 when it differs.",
    ref=f"{SIGNING} (§3.2: the server verifies the signature)",
)
def check_wrong_signature_refused(oneroster11: OneRoster11Session) -> None:
    if not oneroster11.oauth1:
        expect_status(v12_auth.bad_token_answer(oneroster11), 401, "GET /users with an invalid bearer token")
        return
    expect_status(wrong_secret_answer(oneroster11), 401, "GET /users signed with a wrong consumer secret")


@check(
    id="OR11-AUTH-003", standard=STANDARD, category="auth", level="required",
    requirements=("OR11-REQ-AUTH-SIGNATURE-QUERY",),
    title="A request signed without its query (limit added after signing) is refused with 401",
    why="If the signature does not protect the query, anyone on the way can change what an application asks "
        "for (another filter, another page) without being noticed.",
    remediation="Build the signature base string from every query parameter of the request as received "
                "(RFC 5849 §3.4.1.3), not from the path alone, and refuse the request when the signature does "
                "not match.",
    ref=f"{SIGNING} (§3.4.1.3.1: query parameters are part of the signature base string)",
)
def check_tampered_query_refused(oneroster11: OneRoster11Session) -> None:
    _oauth1(oneroster11)
    response = shared_probe(oneroster11, "GET /users with its query added after signing",
                            lambda: oneroster11.get("/users", auth=oneroster11.signer(tamper=_add_query)))
    expect_status(response, 401, "GET /users signed without a query, then sent with limit=1")


@check(
    id="OR11-AUTH-004", standard=STANDARD, category="auth", level="required",
    requirements=("OR11-REQ-AUTH-SIGNATURE-QUERY",),
    title="A correctly signed request whose filter holds spaces and quotes is accepted",
    why="Filters hold names with spaces and apostrophes; a provider that signs them differently from the "
        "standard refuses exactly the requests a district's sync depends on.",
    remediation="Decode the query (a '+' or %20 is a space) and re-encode every parameter per RFC 5849 §3.6 "
                "(spaces as %20, quotes as %27) when building the signature base string.",
    ref=f"{SIGNING} (§3.4.1.3.2 parameter normalisation, §3.6 percent-encoding)",
)
def check_spaced_filter_signed(oneroster11: OneRoster11Session) -> None:
    _oauth1(oneroster11)
    what = f"GET /users?filter={SPACED_FILTER} (signed)"
    response = shared_probe(oneroster11, "GET /users with a spaced filter",
                            lambda: oneroster11.get("/users", params={"filter": SPACED_FILTER, "limit": 1}))
    if response.status_code in (401, 403):
        raise Failure(f"{what}: refused with {response.status_code} although the signature is right: the provider "
                      "does not sign encoded spaces and quotes the RFC 5849 way", expected="HTTP 200",
                      received=f"HTTP {response.status_code}", exchanges=evidence(response))
    # a 400 judges the filter, not the signature: the request got past authentication (the filter checks judge it)
    expect_status(response, {200, 400}, what)


@check(
    id="OR11-AUTH-005", standard=STANDARD, category="auth", level="recommended",
    requirements=("OR11-REQ-AUTH-TIMESTAMP",),
    title="A signed request with a timestamp an hour old is refused with 401",
    why="A recorded request that stays valid forever can be replayed by anyone who captured it.",
    remediation="Refuse requests whose oauth_timestamp is further from your clock than a few minutes "
                "(e.g. 5 to 10), with 401 and oauth_problem=timestamp_refused.",
    ref=f"{OAUTH1} (§3.3 timestamp and nonce)",
)
def check_stale_timestamp_refused(oneroster11: OneRoster11Session) -> None:
    _oauth1(oneroster11)
    stale = int(time.time()) - 3600
    response = shared_probe(oneroster11, "GET /users signed an hour ago",
                            lambda: oneroster11.get("/users", params={"limit": 1},
                                                    auth=oneroster11.signer(timestamp=stale)))
    expect_status(response, 401, "GET /users with an oauth_timestamp one hour old")


@check(
    id="OR11-AUTH-006", standard=STANDARD, category="auth", level="recommended",
    requirements=("OR11-REQ-AUTH-NONCE",),
    title="The same signed request sent twice (same nonce and timestamp) is refused the second time",
    why="Without replay protection, a captured request can be sent again to read the roster again.",
    remediation="Remember each oauth_nonce with its timestamp and consumer key for the length of your timestamp "
                "window, and refuse a request that reuses one with 401 (oauth_problem=nonce_used).",
    ref=f"{OAUTH1} (§3.3: a nonce is unique per timestamp and client)",
)
def check_replayed_nonce_refused(oneroster11: OneRoster11Session) -> None:
    _oauth1(oneroster11)

    signer = oneroster11.signer(timestamp=int(time.time()), nonce=f"edcert{time.time_ns()}")
    first = oneroster11.get("/users", params={"limit": 1}, auth=signer)
    second = oneroster11.get("/users", params={"limit": 1}, auth=signer)
    if first.status_code != 200:
        raise NotApplicable(f"the first, correctly signed request was answered HTTP {first.status_code}, so a "
                            "replay cannot be told apart")
    expect_status(second, 401, "the second GET /users with the same oauth_nonce and oauth_timestamp")


mirror(globals(), "OR12-AUTH-008", "OR11-AUTH-007", requirements=("OR11-REQ-AUTH-401-PAYLOAD",),
       remediation='Answer 401 with the 1.1 status envelope: {"statusInfoSet": [{"imsx_codeMajor": "failure", '
                   '"imsx_severity": "error", "imsx_CodeMinor": {"imsx_codeMinorField": [{'
                   '"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": '
                   '"unauthorisedrequest"}]}}]}.')
