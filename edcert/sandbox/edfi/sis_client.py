"""A scripted SIS client: publishes the SIS scenario (``fixtures/edfi.py``) to an Ed-Fi API, the way a student
information system's Ed-Fi connector does, well or (``variant``) in one of the ways ``faults.CLIENT_VARIANTS``
describes.

It is the demo vendor of client mode: `edcert demo` and the tests run it against the sandbox before the
client-mode checks read the sandbox's recording. The conformant client reads the discovery document, reuses one
token until shortly before it expires, reads the descriptors it maps to, sends parents before children, backs
off after a 5xx (exponentially) and after a 429 (as long as Retry-After says), redelivers what failed, updates
by POST (upsert) or PUT and never by delete-and-recreate.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import httpx

from edcert.fixtures.edfi import (
    DEPENDENCY_ORDER,
    RESOURCES,
    SCENARIO_CREATES,
    SCENARIO_DELETES,
    SCENARIO_UPDATES,
    natural_key,
)
from edcert.sandbox.edfi.faults import CLIENT_VARIANTS

JSON = dict[str, Any]
LOCAL_NAMESPACE = "uri://sis.example.org"


class PublishError(RuntimeError):
    """The scripted client could not publish (the target is not an Ed-Fi API it can talk to)."""


def scenario_records(variant: str | None) -> dict[str, list[JSON]]:
    """The records the client creates, with the variant's data defects applied."""
    records = {name: [copy.deepcopy(r) for r in items] for name, items in SCENARIO_CREATES.items()}
    if variant == "blank-school-name":
        records["schools"][0]["nameOfInstitution"] = "  "
    elif variant == "blank-staff-name":
        records["staffs"][0]["firstName"] = " "
    elif variant == "blank-student-name":
        records["students"][0]["firstName"] = " "
    elif variant == "credits-as-text":
        for section in records["sections"]:
            section["availableCredits"] = str(section["availableCredits"])
    elif variant == "local-grade-level":
        records["studentSchoolAssociations"][0]["entryGradeLevelDescriptor"] = \
            f"{LOCAL_NAMESPACE}/GradeLevelDescriptor#02"
    elif variant == "local-attempt-status":
        records["studentSectionAssociations"][0]["attemptStatusDescriptor"] = \
            f"{LOCAL_NAMESPACE}/AttemptStatusDescriptor#INC"
    elif variant == "real-looking-data":
        records["students"][1]["studentIdentificationCode"] = "078-05-1120"
        records["students"][1]["electronicMailAddress"] = "tobran.ulvesk@gmail.com"
    return records


def _set(item: JSON, path: str, value: Any) -> None:
    head, _, tail = path.partition(".")
    if not tail:
        item[head] = value
        return
    inner = item[head][0] if isinstance(item[head], list) else item[head]
    _set(inner, tail, value)


class ScriptedSis:
    """Publish the scenario to the Ed-Fi API whose discovery document is at ``root``."""

    def __init__(self, root: str, client_id: str, client_secret: str, *, variant: str | None = None,
                 transport: httpx.BaseTransport | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if variant is not None and variant not in CLIENT_VARIANTS:
            raise ValueError(f"unknown scripted-client variant {variant!r}")
        self.root = root.rstrip("/")
        self.variant = variant
        self._creds = (client_id, client_secret)
        self._http = httpx.Client(transport=transport, timeout=30, follow_redirects=False, trust_env=False)
        self._sleep = sleep
        self._clock = clock
        self._token: str | None = None
        self._token_until = 0.0
        self.ids: dict[tuple[str, int], str] = {}
        self.records = scenario_records(variant)
        self.oauth = ""
        self.data = ""

    # -- plumbing --

    def _fetch_token(self) -> str:
        response = self._http.post(self.oauth, auth=self._creds, data={"grant_type": "client_credentials"})
        if response.status_code != 200:
            raise PublishError(f"token request refused: HTTP {response.status_code}")
        body = response.json()
        self._token = str(body["access_token"])
        self._token_until = self._clock() + float(body.get("expires_in", 300)) - 60
        return self._token

    def _bearer(self) -> dict[str, str]:
        if self.variant == "token-per-request" or self._token is None or self._clock() >= self._token_until:
            self._fetch_token()
        return {"Authorization": f"Bearer {self._token}"}

    def _send(self, method: str, url: str, body: JSON | None = None) -> httpx.Response:
        """One request, redelivered after a 5xx (exponential back-off) or a 429 (Retry-After)."""
        for attempt in range(5):
            response = self._http.request(method, url, json=body, headers=self._bearer())
            if response.status_code == 401:
                self._token = None
                continue
            if response.status_code == 429:
                wait = float(response.headers.get("Retry-After", "1"))
                self._sleep(0 if self.variant == "ignores-retry-after" else wait)
                continue
            if response.status_code >= 500:
                self._sleep(0 if self.variant == "no-backoff" else 0.5 * 2**attempt)
                continue
            return response
        return response

    def _url(self, resource: str, item_id: str | None = None) -> str:
        return f"{self.data}ed-fi/{resource}" + (f"/{item_id}" if item_id else "")

    def _id_of(self, resource: str, index: int) -> str | None:
        if (resource, index) in self.ids:
            return self.ids[(resource, index)]
        spec = RESOURCES[resource]
        key = natural_key(spec, self.records[resource][index])
        params = dict(zip(spec.query_params.values(), (str(v) for v in key), strict=True))
        found = self._send("GET", self._url(resource) + "?" + str(httpx.QueryParams(params)))
        items = found.json() if found.status_code == 200 else []
        return items[0]["id"] if items else None

    def _create(self, resource: str, index: int) -> httpx.Response:
        response = self._send("POST", self._url(resource), self.records[resource][index])
        location = response.headers.get("Location")
        if response.status_code in (200, 201) and location:
            self.ids[(resource, index)] = location.rstrip("/").rsplit("/", 1)[-1]
        return response

    # -- the scenario --

    def publish(self) -> None:
        """Run the whole scenario: discover, read descriptors, create, update, delete (and misbehave)."""
        discovery = self._http.get(self.root + "/")
        try:
            urls = discovery.json()["urls"]
            self.oauth, self.data = str(urls["oauth"]), str(urls["dataManagementApi"])
        except (ValueError, KeyError, TypeError):
            raise PublishError(f"{self.root}/ is no Ed-Fi discovery document") from None
        if not self.data.endswith("/"):
            self.data += "/"
        self._send("GET", self._url("gradeLevelDescriptors") + "?limit=100")  # the codes the SIS maps to
        order = [r for r in DEPENDENCY_ORDER if r in self.records]
        if self.variant == "children-first":
            for resource in ("studentSchoolAssociations", "studentSectionAssociations"):
                for index in range(len(self.records[resource])):
                    self._create(resource, index)  # answered 409: the parents are not there yet
        for resource in order:
            for index in range(len(self.records[resource])):
                self._create(resource, index)
        if self.variant != "skips-updates":
            for update in SCENARIO_UPDATES:
                self._update(update.resource, update.index, update.field, update.value, update.method)
        if self.variant != "skips-deletes":
            for resource, index in SCENARIO_DELETES:
                item_id = self._id_of(resource, index)
                if item_id is not None:
                    self._send("DELETE", self._url(resource, item_id))
        if self.variant == "flood":
            url = self._url("students") + "?limit=1"
            headers = self._bearer()
            for _ in range(200):
                self._http.get(url, headers=headers)  # no pause, no regard for 429

    def _update(self, resource: str, index: int, path: str, value: Any, method: str) -> None:
        record = self.records[resource][index]
        if self.variant == "credits-as-text" and path == "availableCredits":
            value = str(value)
        _set(record, path, value)
        if self.variant == "delete-recreate" and resource == "staffs":
            item_id = self._id_of(resource, index)
            if item_id is not None:
                self._send("DELETE", self._url(resource, item_id))
            self.ids.pop((resource, index), None)
            self._create(resource, index)
            return
        if method == "PUT":
            item_id = self._id_of(resource, index)
            if item_id is not None:
                self._send("PUT", self._url(resource, item_id), record)
            return
        self._create(resource, index)

    def close(self) -> None:
        self._http.close()


def publish(root: str, client_id: str, client_secret: str, variant: str | None = None, **kwargs: Any) -> None:
    """Publish the SIS scenario to the Ed-Fi API at ``root`` (a discovery document) and close the client."""
    sis = ScriptedSis(root, client_id, client_secret, variant=variant, **kwargs)
    try:
        sis.publish()
    finally:
        sis.close()
