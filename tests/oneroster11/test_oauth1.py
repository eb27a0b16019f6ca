"""OAuth 1.0a: edcert's signer (oauthlib) against the sandbox's verifier (oauthlib's SignatureOnlyEndpoint)."""
from __future__ import annotations

import time

import httpx
import pytest

from edcert.harness.auth import OAuth1Signer
from edcert.harness.auth.oauth1 import clock_skew_message, timestamp_refused
from edcert.harness.config import parse_config
from edcert.harness.errors import ConfigError, TokenError
from edcert.sandbox.oauth1 import OAuth1Verifier

KEY, SECRET = "edcert-sandbox", "s3cret-value"
URL = "http://127.0.0.1:8000/ims/oneroster/v1p1/users"
SPACED = {"filter": "familyName='O Brien' AND givenName!='d''Arcy'", "limit": 5}


def verifier(*faults: str) -> OAuth1Verifier:
    return OAuth1Verifier(KEY, SECRET, lambda name: name in faults)


def signed(signer: OAuth1Signer, params: dict[str, object] = SPACED) -> httpx.Request:
    request = httpx.Request("GET", URL, params=params)
    signer.sign(request)
    return request


def verify(v: OAuth1Verifier, request: httpx.Request) -> tuple[bool, str]:
    verdict = v.verify(str(request.url), "GET", dict(request.headers))
    return verdict.ok, verdict.problem


@pytest.mark.parametrize("method", ["HMAC-SHA1", "HMAC-SHA256"])
@pytest.mark.parametrize("where", ["header", "query"])
def test_filter_with_spaces_and_quotes_verifies(method: str, where: str) -> None:
    request = signed(OAuth1Signer(KEY, SECRET, signature_method=method, signature_type=where))
    assert "+" in request.url.query.decode() or "%20" in request.url.query.decode()  # the space went encoded
    assert verify(verifier(), request) == (True, "")


def test_signature_covers_every_query_parameter() -> None:
    request = signed(OAuth1Signer(KEY, SECRET))
    request.url = request.url.copy_set_param("filter", "familyName='O Brien' OR givenName!='d''Arcy'")
    assert verify(verifier(), request) == (False, "signature_invalid")


def test_wrong_secret_stale_timestamp_and_replay_are_refused_with_their_reason() -> None:
    v = verifier()
    assert verify(v, signed(OAuth1Signer(KEY, "wrong"))) == (False, "signature_invalid")
    assert verify(v, signed(OAuth1Signer(KEY, SECRET, timestamp=int(time.time()) - 3600))) == \
        (False, "timestamp_refused")
    once = OAuth1Signer(KEY, SECRET, timestamp=int(time.time()), nonce="edcertnonce0001")
    assert verify(v, signed(once)) == (True, "")
    assert verify(v, signed(once)) == (False, "nonce_used")
    assert verify(v, httpx.Request("GET", URL)) == (False, "parameter_absent")


def test_plus_for_space_fault_refuses_only_requests_with_spaces() -> None:
    v = verifier("spaces-encoded-as-plus")
    assert verify(v, signed(OAuth1Signer(KEY, SECRET)))[0] is False
    assert verify(v, signed(OAuth1Signer(KEY, SECRET), {"limit": 5})) == (True, "")


def test_clock_skew_rejection_is_reported_as_such() -> None:
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() - 900))
    refused = httpx.Response(401, headers={"WWW-Authenticate": 'OAuth oauth_problem="timestamp_refused"',
                                           "Date": date}, text="{}")
    assert timestamp_refused(refused)
    assert "clock" in clock_skew_message(refused) and "ahead of" in clock_skew_message(refused)
    wrong = httpx.Response(401, headers={"WWW-Authenticate": 'OAuth oauth_problem="signature_invalid"'})
    assert not timestamp_refused(wrong)

    def refuse(request: httpx.Request) -> httpx.Response:
        return refused

    client = httpx.Client(transport=httpx.MockTransport(refuse), auth=OAuth1Signer(KEY, SECRET))
    with pytest.raises(TokenError, match="timestamp"):
        client.get(URL)


def _config(**table: object) -> dict[str, object]:
    return {"vendor": {"name": "v"}, "oneroster_v1p1": {"base_url": "https://sis.example", "client_id": "k",
                                                        "client_secret_env": "S", **table}}


def test_config_table_claims_oneroster_11() -> None:
    config = parse_config(_config(signature_method="HMAC-SHA256"), env={"S": "x"})
    assert config.claimed_standards() == ["oneroster-1.1"]
    assert config.oneroster_v1p1 is not None
    assert config.oneroster_v1p1.rostering_url == "https://sis.example/ims/oneroster/v1p1"
    with pytest.raises(ConfigError, match="token_url"):
        parse_config(_config(auth="oauth2"), env={"S": "x"})


def test_version_11_in_the_12_table_names_the_v1p1_table() -> None:
    data = {"vendor": {"name": "v"}, "oneroster": {"version": "1.1", "base_url": "https://x", "token_url": "https://x/t",
                                                   "client_id": "k", "client_secret_env": "S"}}
    with pytest.raises(ConfigError, match=r"\[oneroster_v1p1\]") as info:
        parse_config(data, env={"S": "x"})
    assert "\n" not in str(info.value)


def test_a_query_signature_never_reaches_the_evidence() -> None:
    from edcert.harness.evidence import Redactor

    request = signed(OAuth1Signer(KEY, SECRET, signature_type="query"))
    signature = dict(request.url.params)["oauth_signature"]
    shown = Redactor("masked", ()).url(str(request.url))
    assert httpx.URL(shown).params["oauth_signature"] == "[redacted]" != signature
    assert httpx.URL(shown).params["limit"] == "5"
