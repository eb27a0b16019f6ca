"""edcert as the user's browser: follows redirects and auto-submitting forms, one recorded hop at a time.

A platform that loops, hangs, sends an enormous page or answers HTML where a redirect is expected ends
the walk with a Failure carrying the hops as evidence (timeouts and the size cap come from VendorClient).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from edcert.harness.errors import Failure
from edcert.harness.evidence import Exchange
from edcert.harness.http import VendorClient, exchange_of

# What a browser says it accepts: an LMS may answer an API client (Accept: application/json) differently.
BROWSER_HEADERS = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.visible_inputs = False
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), (a.get("method") or "get").upper(), {}))
            self._open = True
        elif tag == "input" and self._open and a.get("name"):
            if a.get("type", "text").lower() not in ("hidden", "submit"):
                self.visible_inputs = True
            self.forms[-1].fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = False


def auto_form(response: httpx.Response) -> Form | None:
    """The form a page submits on its own (hidden fields only), with an absolute action, if any."""
    if "html" not in response.headers.get("content-type", "") and response.text.lstrip()[:1] != "<":
        return None
    parser = _FormParser()
    try:
        parser.feed(response.text[:1_000_000])
    except (AssertionError, ValueError):
        return None
    if len(parser.forms) != 1 or parser.visible_inputs:
        return None
    form = parser.forms[0]
    form.action = urljoin(str(response.url), form.action or str(response.url))
    return form


@dataclass
class Walk:
    """Where a browser walk ended: a final answer, or the request it was told to stop before."""

    exchanges: list[Exchange] = field(default_factory=list)
    response: httpx.Response | None = None
    stopped_at: tuple[str, str, dict[str, str]] | None = None  # method, url, form data


def same_endpoint(url: str, endpoint: str) -> bool:
    a, b = urlsplit(url), urlsplit(endpoint)
    return (a.scheme, a.netloc, a.path.rstrip("/")) == (b.scheme, b.netloc, b.path.rstrip("/"))


def walk(client: VendorClient, url: str, *, max_hops: int, stop: Callable[[str], bool] | None = None,
         what: str = "the launch") -> Walk:
    """Follow ``url`` as a browser: 3xx Location, then pages that auto-submit a form, until an answer."""
    out = Walk()
    method, data = "GET", None
    for _ in range(max_hops):
        if stop is not None and stop(url):
            out.stopped_at = (method, url, data or {})
            return out
        response = client.request(method, url, data=data, auth=None, headers=BROWSER_HEADERS)
        exchange = exchange_of(response)
        if exchange is not None:
            out.exchanges.append(exchange)
        if response.is_redirect:
            location = response.headers.get("location")
            if not location:
                raise Failure(f"{what}: HTTP {response.status_code} without a Location header",
                              expected="a redirect with Location", received="no Location", exchanges=out.exchanges)
            url, method, data = urljoin(str(response.url), location), "GET", None
            continue
        form = auto_form(response) if response.status_code == 200 else None
        if form is None:
            out.response = response
            return out
        url, method = form.action, form.method
        data = form.fields if method == "POST" else None
        if method == "GET":
            sep = "&" if "?" in url else "?"
            url = url + sep + str(httpx.QueryParams(form.fields))
    raise Failure(f"{what}: still redirecting after {max_hops} hops (a redirect loop?)",
                  expected=f"the launch to reach edcert within {max_hops} redirects or forms",
                  received=f"{max_hops} hops, the last to {urlsplit(url).netloc}{urlsplit(url).path}",
                  exchanges=out.exchanges[-5:])
