"""Transport security: the provider is reached over verified TLS and labels its JSON as JSON.

OR12-SEC-001 verifies the certificate of every https origin the configuration
names (base URL, token URL) with verification on, even when the run itself
was started with ``--insecure``: a certificate that does not verify is a
failed check, never an error and never a silent pass. OR12-SEC-002 judges
plain http: to a loopback address (the reference sandbox, local testing) it
does not apply; anywhere else the credentials and the roster would travel in
clear, and the check fails. OR12-SEC-003 reads the pages the run fetched
anyway and fails when a data answer is not labelled application/json.
"""
from __future__ import annotations

import ipaddress

import httpx

from edcert.conformance.oneroster._common import REST_BINDING, STANDARD
from edcert.conformance.oneroster._fixtures import OneRosterSession
from edcert.harness import check
from edcert.harness.errors import Failure, NotApplicable, TLSRejected
from edcert.harness.evidence import Exchange
from edcert.harness.http import VendorClient

SECURITY = "1EdTech Security Framework 1.0 (transport security: TLS)"
CATEGORY = "security"
CORE_COLLECTIONS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")


def is_loopback(host: str) -> bool:
    """``localhost``, ``*.localhost`` (RFC 6761) or a loopback address."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _configured(oneroster: OneRosterSession) -> list[tuple[str, httpx.URL]]:
    return [("base_url", httpx.URL(oneroster.config.base_url)), ("token_url", httpx.URL(oneroster.config.token_url))]


@check(
    id="OR12-SEC-001", standard=STANDARD, category=CATEGORY, level="required", tags=("security",),
    requirements=("OR12-REQ-AUTH-TLS",),
    title="The provider's TLS certificate verifies",
    why="Without a valid certificate nobody can tell the vendor's server from an impostor collecting the "
        "district's credentials and student roster.",
    remediation="Serve the OneRoster API and the token endpoint with a certificate for their host name, issued by "
                "a certificate authority the district trusts (a public CA, or the district's own CA given to "
                "edcert with --ca-bundle), valid today and with its full chain.",
    ref=f"{SECURITY}; RFC 9110 §4.3.4 (https: the server's certificate must verify for the host)",
)
def check_tls_certificate(oneroster: OneRosterSession) -> None:
    origins: dict[str, httpx.URL] = {}
    for _, url in _configured(oneroster):
        if url.scheme == "https":
            origins.setdefault(f"{url.host}:{url.port or 443}", url)
    if not origins:
        raise NotApplicable("the provider is configured with plain http URLs: there is no certificate to verify "
                            "(OR12-SEC-002 judges plain http)")
    config = oneroster.config
    # Always verified here, --insecure or not: the check judges the certificate, not the run's setting.
    probe = VendorClient(timeout=config.timeout, rate_limit=config.rate_limit, max_response_bytes=64 * 1024,
                         max_retries=0, max_retry_wait=0, verify_tls=True, ca_bundle=config.ca_bundle,
                         recorder=oneroster.state.recorder)
    rejected: list[str] = []
    proof: list[Exchange] = []
    try:
        for url in origins.values():
            try:
                probe.request("GET", str(url.copy_with(path="/", query=None, fragment=None)), auth=None)
            except TLSRejected as exc:
                rejected.append(str(exc))
                proof.extend(exc.exchanges)
    finally:
        probe.close()
    if rejected:
        raise Failure(rejected[0] + (f" (and {len(rejected) - 1} more)" if len(rejected) > 1 else ""),
                      expected="a certificate for the host, issued by a trusted authority, valid today",
                      received="; ".join(rejected), exchanges=proof)


@check(
    id="OR12-SEC-002", standard=STANDARD, category=CATEGORY, level="required", tags=("security",),
    requirements=("OR12-REQ-AUTH-TLS",),
    title="The provider and its token endpoint are served over https",
    why="Over plain http the district's credentials, the access tokens and every student record cross the "
        "network readable by anyone on the way.",
    remediation="Serve the OneRoster base URL and the token endpoint over https only (plain http may answer with "
                "a redirect, never with data or tokens).",
    ref=f"{SECURITY}; RFC 6749 §3.2 and §10.9 (the token endpoint requires TLS)",
)
def check_https(oneroster: OneRosterSession) -> None:
    plain = [(name, url) for name, url in _configured(oneroster) if url.scheme != "https"]
    exposed = [(name, url) for name, url in plain if not is_loopback(url.host)]
    if exposed:
        shown = "; ".join(f"{name} {url.copy_with(query=None)}" for name, url in exposed)
        raise Failure(f"the provider is configured over plain http to a network host: {shown}",
                      expected="https:// URLs", received=shown)
    if plain:
        raise NotApplicable("plain http to a loopback address (local testing, the reference sandbox): nothing "
                            "crosses a network")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _content_type(exchange: Exchange) -> str:
    return exchange.response_header("content-type") or ""


@check(
    id="OR12-SEC-003", standard=STANDARD, category=CATEGORY, level="recommended", tags=("security",),
    requirements=("OR12-REQ-JSON-MEDIA-TYPE",),
    title="Data answers are labelled Content-Type application/json",
    why="A roster answer labelled as a web page can be shown by a browser as a page, running any script hidden in "
        "the data; integration tools also refuse or misread mislabelled answers.",
    remediation="Send every OneRoster answer with the header Content-Type: application/json (and consider "
                "X-Content-Type-Options: nosniff).",
    ref=f"{REST_BINDING} (JSON binding: every response body is application/json)",
)
def check_json_media_type(oneroster: OneRosterSession) -> None:
    pages: list[Exchange] = []
    for endpoint in CORE_COLLECTIONS:
        try:
            pages.extend(oneroster.collection(endpoint).pages)
        except Failure:
            continue  # the checks reading that collection report why it could not be read
    answered = [p for p in pages if p.status == 200]
    if not answered:
        raise NotApplicable("no collection could be read, so there is no data answer to judge "
                            "(the collection checks report why)")
    wrong = [p for p in answered if not _is_json(_content_type(p))]
    if wrong:
        labels = sorted({_content_type(p) or "no Content-Type" for p in wrong})
        raise Failure(f"{len(wrong)} of {len(answered)} data answers are not labelled application/json "
                      f"({', '.join(labels[:3])})", expected="Content-Type: application/json",
                      received=", ".join(labels[:3]), exchanges=wrong[:3])

