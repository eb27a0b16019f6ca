from __future__ import annotations

import gzip

import httpx
import pytest

from edcert.harness.auth import OAuth2ClientCredentials
from edcert.harness.errors import TokenError, VendorTimeout, VendorUnreachable
from edcert.harness.evidence import Recorder, Redactor
from edcert.harness.http import RateLimiter, ResponseTooLarge, VendorClient, retry_after_seconds


def make_client(handler, *, auth=None, max_bytes=1_000_000, sleeps=None, retries=3, max_wait=30.0,
                allow_writes=False):
    rec = Recorder(Redactor())
    client = VendorClient(timeout=5, rate_limit=None, max_response_bytes=max_bytes, max_retries=retries,
                          max_retry_wait=max_wait, verify_tls=True, recorder=rec, auth=auth,
                          transport=httpx.MockTransport(handler), allow_writes=allow_writes,
                          token_urls=("https://v.example/token",))
    if sleeps is not None:
        client.transport._sleep = sleeps.append
    return client, rec


def token_server(tokens: list[str], data_status=None):
    issued = iter(tokens)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": next(issued), "token_type": "Bearer",
                                             "expires_in": 3600})
        status = data_status(request) if data_status else 200
        return httpx.Response(status, json={"ok": True})

    return handler, seen


def test_token_cached_and_sent_as_bearer() -> None:
    handler, seen = token_server(["t1"])
    auth = OAuth2ClientCredentials("https://v.example/token", "id", "secret", ("s1", "s2"))
    client, rec = make_client(handler, auth=auth)
    for _ in range(3):
        assert client.get("https://v.example/data").status_code == 200
    assert [r.url.path for r in seen] == ["/token", "/data", "/data", "/data"]
    assert seen[1].headers["Authorization"] == "Bearer t1"
    assert seen[0].headers["Authorization"].startswith("Basic ")
    assert b"scope=s1+s2" in seen[0].content
    assert auth.tokens_fetched == 1
    # the token request and every data request are evidence, with secrets redacted
    assert rec.count == 4


def test_token_refreshed_once_on_401() -> None:
    calls = {"n": 0}

    def status(request: httpx.Request) -> int:
        calls["n"] += 1
        return 401 if request.headers["Authorization"] == "Bearer old" else 200

    handler, seen = token_server(["old", "new"], status)
    auth = OAuth2ClientCredentials("https://v.example/token", "id", "secret")
    client, _ = make_client(handler, auth=auth)
    assert client.get("https://v.example/data").status_code == 200
    assert [r.url.path for r in seen] == ["/token", "/data", "/token", "/data"]


def test_token_refusal_is_a_harness_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    client, _ = make_client(handler, auth=OAuth2ClientCredentials("https://v.example/token", "id", "bad"))
    with pytest.raises(TokenError, match="invalid_client"):
        client.get("https://v.example/data")


def test_retry_honours_retry_after_for_get_only() -> None:
    answers = iter([429, 503, 200])
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers), headers={"Retry-After": "2"})

    client, _ = make_client(handler, sleeps=sleeps)
    assert client.get("https://v.example/x").status_code == 200
    assert sleeps == [2.0, 2.0]

    posted: list[int] = []

    def post_handler(request: httpx.Request) -> httpx.Response:
        posted.append(1)
        return httpx.Response(503)

    client, _ = make_client(post_handler, sleeps=[], allow_writes=True)
    assert client.request("POST", "https://v.example/x").status_code == 503
    assert len(posted) == 1


def test_retry_after_beyond_budget_gives_up_at_once() -> None:
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3600"})

    client, _ = make_client(handler, sleeps=sleeps, max_wait=30)
    assert client.get("https://v.example/x").status_code == 429
    assert sleeps == []


def test_retry_after_parses_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None


def test_response_size_cap_applies_to_decoded_bytes() -> None:
    bomb = gzip.compress(b"0" * 2_000_000)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"})

    client, _ = make_client(handler, max_bytes=100_000)
    with pytest.raises(ResponseTooLarge) as info:
        client.get("https://v.example/big")
    assert info.value.exchanges and info.value.exchanges[0].error


def test_connect_error_is_unreachable_and_timeout_is_a_failure() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, _ = make_client(refuse)
    with pytest.raises(VendorUnreachable):
        client.get("https://v.example/x")

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client, _ = make_client(slow)
    with pytest.raises(VendorTimeout):
        client.get("https://v.example/x")


def test_rate_limiter_spaces_requests() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]


def test_rate_limiter_never_bursts_above_the_rate_when_releases_run_late() -> None:
    # sleeps that overshoot (a busy machine) must not be made up by a burst: at most 4 in any second
    now = [0.0]
    released: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds + (0.3 if len(released) % 3 == 1 else 0.0)

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(40):
        limiter.wait()
        released.append(now[0])
    busiest = max(sum(1 for t in released if start <= t < start + 1.0) for start in released)
    assert busiest == 4
    assert released[-1] < 40 / 4 * 1.2  # and the pace is kept: late releases are caught up within the limit


def test_cookies_an_answer_sets_are_kept_and_answers_without_any_skip_the_jar(monkeypatch) -> None:
    """Answers that set no cookie are not handed to CookieJar (a fifth of a page's CPU); the others are, as before."""
    from http.cookiejar import CookieJar

    handed: list[str] = []
    extract = CookieJar.extract_cookies

    def counting(jar: CookieJar, response, request) -> None:
        handed.append(request.get_full_url())
        extract(jar, response, request)

    monkeypatch.setattr(CookieJar, "extract_cookies", counting)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/login":
            return httpx.Response(200, headers=[("Set-Cookie", "session=s1; Path=/"),
                                                ("Set-Cookie", "lb=b2; Path=/")], json={})
        if request.url.path == "/old":
            return httpx.Response(200, headers={"Set-Cookie2": 'legacy="l3"; Version="1"; Path="/"'}, json={})
        return httpx.Response(200, json={})

    client, _ = make_client(handler)
    client.get("https://v.example/data")
    client.get("https://v.example/data")
    assert handed == [] and "cookie" not in seen[-1].headers
    client.get("https://v.example/login")
    assert handed == ["https://v.example/login"]
    client.get("https://v.example/data")
    assert seen[-1].headers["cookie"] in ("session=s1; lb=b2", "lb=b2; session=s1")
    client.get("https://v.example/old")
    assert handed == ["https://v.example/login", "https://v.example/old"]
    assert {c.name for c in client._client.cookies.jar} >= {"session", "lb"}
