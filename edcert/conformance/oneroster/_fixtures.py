"""Session fixtures of the OneRoster suite: one client, collections fetched once per run."""
from __future__ import annotations

import contextlib
import contextvars
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import msgspec
import pytest
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_token_request

from edcert.conformance.oneroster._fastcheck import clean_test
from edcert.conformance.oneroster.models import SHAPES
from edcert.harness.auth import OAuth2ClientCredentials
from edcert.harness.config import OR12_SCOPE_PREFIX, OneRosterConfig
from edcert.harness.errors import Failure
from edcert.harness.evidence import Exchange, Recorder
from edcert.harness.http import BACKGROUND, VendorClient, decode_json, exchange_of, json_body
from edcert.harness.session import RunState

# Which key wraps the answer of each collection endpoint, and of its singleton.
COLLECTION_KEYS = {
    "academicSessions": "academicSessions", "terms": "academicSessions", "gradingPeriods": "academicSessions",
    "classes": "classes", "courses": "courses", "demographics": "demographics", "enrollments": "enrollments",
    "orgs": "orgs", "schools": "orgs", "users": "users", "students": "users", "teachers": "users",
}
SINGLE_KEYS = {
    "academicSessions": "academicSession", "terms": "academicSession", "gradingPeriods": "academicSession",
    "classes": "class", "courses": "course", "demographics": "demographics", "enrollments": "enrollment",
    "orgs": "org", "schools": "org", "users": "user", "students": "user", "teachers": "user",
}
SCOPE_CORE = OR12_SCOPE_PREFIX + "roster-core.readonly"
SCOPE_ROSTER = OR12_SCOPE_PREFIX + "roster.readonly"
SCOPE_DEMOGRAPHICS = OR12_SCOPE_PREFIX + "roster-demographics.readonly"
MAX_PAGES = 100_000
AHEAD_PER_CONNECTION = 4  # pages of a collection asked for ahead of its reader, per connection (_ReadAhead)
T = TypeVar("T")

# The order in which the suite's checks first ask for the collections (the auth checks read classes and
# enrollments, the data-model checks the core entities, then demographics, then the operation checks the
# endpoints that filter a core collection): the background read follows it, so what is asked first is read first.
PREFETCH_ORDER = ("classes", "enrollments", "orgs", "academicSessions", "courses", "users", "demographics",
                  "gradingPeriods", "schools", "students", "teachers", "terms")
# The subset endpoints: each lists some records of a flat collection (/students and /teachers of /users, /schools of
# /orgs, /terms and /gradingPeriods of /academicSessions). Once read, edcert's own checks use their records only for
# the one sourcedId each ``check_get_one_*`` asks for (Collection.first_id, worked out while reading): the data-model
# checks judge the flat collections (data_model.CORE_COLLECTIONS), the others pick from those. So their records are
# neither put through the compiled clean test nor kept decoded: each page's body is kept instead and decoded again
# the first time anything asks for ``records`` (a district's own check may: tests/test_end_to_end.py). For a large
# district's 44,000 students: 0.16-0.19 s of CPU, and 33 MB of bodies held instead of 129 MB of records. Nor are
# their pages decoded whole while reading: msgspec takes each record's sourcedId and status and skips the rest
# (skimmed_records: 35 ms instead of 235 ms or more for those students), the verdict on each page unchanged.
NOT_KEPT = frozenset({"students", "teachers", "schools", "terms", "gradingPeriods"})
# check id -> (the collection that check reads whole whatever happens, when it runs under a configuration):
# filled by the checks as they are declared (operations.py). A collection is read in the background only when
# one of these checks is in the run, so reading ahead never sends a request the run would not have sent.
WHOLE_READS: dict[str, tuple[str, Callable[[OneRosterConfig], bool]]] = {}


def prefetch_plan(config: OneRosterConfig, check_ids: Sequence[str]) -> list[str]:
    """The collections a run with these checks will read whole, in the order the checks first ask for them."""
    wanted = {WHOLE_READS[c][0] for c in check_ids if c in WHOLE_READS and WHOLE_READS[c][1](config)}
    return [e for e in PREFETCH_ORDER if e in wanted] + sorted(wanted - set(PREFETCH_ORDER))


class _Closed(Exception):
    """The session closed while a collection was still being read in the background."""


@dataclass
class _Fetched:
    """The outcome of reading one collection and every exchange the reading recorded."""

    outcome: Collection | Failure | BaseException
    exchanges: list[Exchange]


@dataclass
class Collection:
    """Every record of one endpoint, fetched page by page exactly once per run."""

    endpoint: str
    key: str
    records: list[dict[str, Any]]
    pages: list[Exchange] = field(default_factory=list)
    total_counts: list[str | None] = field(default_factory=list)

    _index: tuple[int, dict[str, dict[str, Any]]] | None = field(default=None, init=False, repr=False, compare=False)
    # Worked out page by page while reading, each page still in the processor's cache (a later scan of a
    # large district's records is bound by memory, not by the interpreter): the shape every record was
    # tested against with its compiled test, the indices of the records that failed it, and the items of
    # every digester (DIGESTERS) registered for the endpoint, in record order.
    tested: Any = field(default=None, repr=False, compare=False)
    with_ids: int | None = field(default=None, repr=False, compare=False)  # records with a string sourcedId
    dirty: list[int] = field(default_factory=list, repr=False, compare=False)
    digests: dict[str, list[Any]] = field(default_factory=dict, repr=False, compare=False)
    # the first record's sourcedId (a non-empty string) whose status is active, else the first one's: the record
    # a single-record check asks for (operations._first_id of the records, without decoding them again)
    first_id: str | None = field(default=None, repr=False, compare=False)
    # the pages' bodies, when the records were not kept decoded (NOT_KEPT): ``records`` decodes them on first use
    bodies: list[bytes] | None = field(default=None, repr=False, compare=False)

    def by_id(self) -> dict[str, dict[str, Any]]:
        """The records by sourcedId (the last one wins), built once: many checks ask; do not modify it."""
        if self._index is None or self._index[0] != len(self.records):
            index = {r["sourcedId"]: r for r in self.records if isinstance(r.get("sourcedId"), str)}
            self._index = (len(self.records), index)
        return self._index[1]

    def evidence(self) -> list[Exchange]:
        return self.pages[:1]


def first_ids(records: Iterable[dict[str, Any]]) -> tuple[str | None, str | None]:
    """(the first active record's sourcedId, the first record's), among records whose sourcedId is a non-empty
    string; the scan stops at the first active one (then the second is whatever came before it, or it)."""
    first = None
    for record in records:
        sid = record.get("sourcedId")
        if isinstance(sid, str) and sid:
            if first is None:
                first = sid
            if record.get("status") == "active":
                return sid, first
    return None, first


_DECODING = threading.Lock()


def _records_of(self: Collection) -> list[dict[str, Any]]:
    if self.bodies is not None:
        with _DECODING:  # two threads asking at once get the same list
            if self.bodies is not None:
                records: list[dict[str, Any]] = []
                for body in self.bodies:  # bodies read and judged whole already: they decode as they did then
                    records.extend(decode_json(body)[self.key])  # type: ignore[index]
                self.__dict__["_records"] = records
                self.bodies = None
    found: list[dict[str, Any]] = self.__dict__["_records"]
    return found


def _keep_records(self: Collection, records: list[dict[str, Any]]) -> None:
    self.__dict__["_records"] = records


# ``records`` reads like the field it is, and decodes the kept bodies the first time it is read (see NOT_KEPT)
Collection.records = property(_records_of, _keep_records)  # type: ignore[assignment,method-assign]


# endpoint -> (key, function): the function maps one page's records to items kept in Collection.digests[key]
# (its result on all the records is the concatenation of its results on each page). Registered by the checks'
# modules for what several checks scan (integrity.py: the enrollments' references, the users' roles).
DIGESTERS: dict[str, list[tuple[str, Callable[[list[dict[str, Any]]], list[Any]]]]] = {}


def register_digest(endpoint: str, key: str, fn: Callable[[list[dict[str, Any]]], list[Any]]) -> None:
    """Have every read of ``endpoint`` keep ``fn(page)`` for each page, in ``Collection.digests[key]``."""
    found = DIGESTERS.setdefault(endpoint, [])
    if all(k != key for k, _ in found):
        found.append((key, fn))


class OneRosterSession:
    """The OneRoster 1.2 provider under test, as the checks see it."""

    # which key wraps each collection endpoint's answer (another service's session names its own)
    collection_keys: dict[str, str] = COLLECTION_KEYS

    def __init__(self, config: OneRosterConfig, state: RunState, base: str | None = None) -> None:
        self.config = config
        self.state = state
        self.base = base or config.rostering_url
        self._auths: dict[tuple[str, ...], Any] = {}
        self.auth = self.auth_for(config.scopes)
        self.client = VendorClient(
            timeout=config.timeout, rate_limit=config.rate_limit, max_response_bytes=config.max_response_bytes,
            max_retries=config.max_retries, max_retry_wait=config.max_retry_wait, verify_tls=config.verify_tls,
            recorder=state.recorder, auth=self.auth, ca_bundle=config.ca_bundle, run_budget=config.run_budget,
            allow_writes=config.allow_writes, token_urls=tuple(u for u in [config.token_url] if u),
            max_in_flight=config.concurrency,
        )
        self._collections: dict[str, Collection | Failure] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._derived: dict[str, Any] = {}
        # collections being (or already) read, by whichever thread claimed them first
        self._reads: dict[str, Future[_Fetched]] = {}
        self._lock = threading.Lock()
        self._plan: list[str] = []
        self._prefetcher: threading.Thread | None = None
        self._closing = False

    def auth_for(self, scopes: tuple[str, ...] | list[str]) -> OAuth2ClientCredentials:
        """A token source asking for exactly these scopes (cached per scope set)."""
        key = tuple(sorted(scopes))
        if key not in self._auths:
            self._auths[key] = OAuth2ClientCredentials(
                self.config.token_url, self.config.client_id, self.config.client_secret.get_secret_value(), key,
            )
        return self._auths[key]

    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str, params: Any = None, **kwargs: Any) -> httpx.Response:
        """GET a path under the rostering base with the run's token (or ``auth=`` another)."""
        response = self.client.get(self.url(path), params=params, **kwargs)
        if self._prefetcher is None:
            self._start_prefetch()  # the run's token is known from its first use on: the background reading begins
        return response

    def token_request(self, client_id: str, client_secret: str, scopes: tuple[str, ...] = ()) -> httpx.Response:
        """A raw token request (for checks on the token endpoint itself)."""
        extra = {"scope": " ".join(scopes)} if scopes else {}
        body = prepare_token_request("client_credentials", **extra)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        url, headers, body = ClientAuth(client_id, client_secret).prepare("POST", self.config.token_url, headers, body)
        return self.client.request("POST", url, headers=headers, content=body.encode(), auth=None)

    def derived(self, key: str, factory: Callable[[], T]) -> T:
        """Something computed from the collections once per run and shared by checks (e.g. an index).

        Kept until the run ends, like the collections: built without automatic garbage collection and then
        moved out of its scans (:meth:`RunState.gc_paused`, :meth:`RunState.keep_out_of_gc`).
        """
        if key not in self._derived:
            with self.state.gc_paused():
                self._derived[key] = factory()
                self.state.keep_out_of_gc()
        found: T = self._derived[key]
        return found

    def collection(self, endpoint: str) -> Collection:
        """All records of a flat collection endpoint (``users``, ``classes``…), fetched once.

        The check that asks first gets, in its evidence, every exchange of the reading, whichever thread
        read it (this one, or the background reader of :meth:`prefetch`): the evidence is what it was when
        each check read its collections itself.

        Raises:
            Failure: The endpoint could not be read as a paged OneRoster collection.
        """
        if endpoint not in self._collections:
            self._collections_put(endpoint, self._read(endpoint))
        found = self._collections[endpoint]
        if isinstance(found, Failure):
            raise Failure(found.message, expected=found.expected, received=found.received,
                          exchanges=found.exchanges)
        return found

    def read_collection(self, endpoint: str) -> Collection | None:
        """The collection, when it has been read and could be (never reads it)."""
        found = self._collections.get(endpoint)
        return found if isinstance(found, Collection) else None

    def _collections_put(self, endpoint: str, found: Collection | Failure) -> None:
        self._collections[endpoint] = found
        self._start_prefetch()  # the run's token is known now: reading ahead cannot race for it

    def _read(self, endpoint: str) -> Collection | Failure:
        with self._lock:
            future = self._reads.get(endpoint)
            mine = future is None
            if future is None:
                future = self._reads[endpoint] = Future()
        if mine:
            self._run_read(endpoint, future)
        fetched = future.result()
        Recorder.attribute(fetched.exchanges)
        if not isinstance(fetched.outcome, Collection | Failure):
            # not a verdict on the vendor (a budget spent, an interruption): not kept, the next check reads again
            with self._lock:
                self._reads.pop(endpoint, None)
            raise fetched.outcome
        return fetched.outcome

    def _run_read(self, endpoint: str, future: Future[_Fetched]) -> None:
        with Recorder.collecting() as exchanges, self.state.gc_paused():
            try:
                outcome: Collection | Failure | BaseException = self._fetch_all(endpoint)
            except Failure as failure:
                outcome = failure
            except BaseException as exc:  # handed to the check that asks (KeyboardInterrupt included)
                outcome = exc
            if isinstance(outcome, Collection):
                # kept until the run ends: out of every later collection's scans, and moved aside before the
                # pause ends (else the first collection after it would scan all the records just read)
                self.state.keep_out_of_gc()
        future.set_result(_Fetched(outcome, list(exchanges)))

    def prefetch(self, endpoints: Sequence[str]) -> None:
        """Read these collections in the background, in this order, once the run has its token.

        Only for collections the run will read whole anyway (:func:`prefetch_plan`): the requests are the
        same, sent earlier, so the waiting overlaps with the checks' own work. Requests stay within
        ``concurrency`` in flight (the client's limit), and a check's own requests go before the reader's.
        """
        self._plan = list(endpoints)

    def _start_prefetch(self) -> None:
        if self._prefetcher is not None or not self._plan or self._closing or self.auth.access_token is None:
            return
        with self._lock:  # requests on several threads may all find the token at once: one reader
            if self._prefetcher is not None or self._closing:
                return
            self._prefetcher = threading.Thread(target=self._prefetch_all, name="edcert-prefetch", daemon=True)
            self._prefetcher.start()

    def _prefetch_all(self) -> None:
        BACKGROUND.set(True)  # this thread's context, copied into every page it hands to the pool
        for endpoint in self._plan:
            with self._lock:
                if self._closing or endpoint in self._reads:
                    continue
                future: Future[_Fetched] = Future()
                self._reads[endpoint] = future
            self._run_read(endpoint, future)

    def _fetch_all(self, endpoint: str) -> Collection:
        # Advance by what actually came back, not by what was asked for: a provider may cap the page
        # size below our limit, and stopping at the first short page would then read it short.
        key = self.collection_keys[endpoint]
        limit = self.config.page_size
        out = Collection(endpoint=endpoint, key=key, records=[])
        keep = endpoint not in NOT_KEPT
        out.tested = getattr(self, "shapes", SHAPES).get(endpoint) if keep else None
        bodies: list[bytes] = []
        clean = None if out.tested is None else clean_test(out.tested)
        digesters = tuple(DIGESTERS.get(endpoint, ()))
        out.digests = {digest_key: [] for digest_key, _ in digesters}  # complete from the first page on
        index: dict[str, Any] = {}  # by sourcedId: its (last) record, or None when the records are not kept
        out.with_ids = 0
        offset = 0
        first_active: str | None = None
        first_any: str | None = None
        max_pages = min(MAX_PAGES, self.config.max_pages)
        ahead = _ReadAhead(self, endpoint, limit)
        try:
            for page_no in range(max_pages):
                response = ahead.take(offset)
                ex = exchange_of(response)
                if ex is not None:
                    out.pages.append(ex)
                records = (page_records(response, key, f"GET /{endpoint}") if keep or digesters
                           else skimmed_records(response, key, f"GET /{endpoint}"))
                total = response.headers.get("X-Total-Count")
                out.total_counts.append(total)
                ids = {r["sourcedId"]: r for r in records if isinstance(r.get("sourcedId"), str)}
                # (every id known already; not ``ids.keys() - index.keys()``, which walks the whole index)
                if offset and records and index.keys() >= ids.keys():
                    # A page of nothing new: offset is not advancing. Stop rather than loop forever.
                    raise Failure(
                        f"GET /{endpoint} at offset {offset} returned only records already seen on earlier "
                        "pages: paging with limit and offset does not advance, so the collection cannot be read",
                        expected=f"records {offset + 1}..{offset + limit}",
                        received="the same records again", exchanges=out.pages[-1:],
                    )
                # as many ids as records: every record has one (a record adds at most one)
                out.with_ids += (len(ids) if len(ids) == len(records)
                                 else sum(isinstance(r.get("sourcedId"), str) for r in records))
                if first_active is None:
                    first_active, first_here = first_ids(records)
                    first_any = first_any or first_here
                    out.first_id = first_any if first_active is None else first_active
                if keep:
                    index.update(ids)  # by_id's index, built as it goes: the last record of a repeated id wins
                    start = len(out.records)
                    out.records.extend(records)
                    out._index = (len(out.records), index)
                    if clean is not None:
                        out.dirty.extend(start + i for i, record in enumerate(records) if not clean(record))
                else:
                    index.update(dict.fromkeys(ids))
                    bodies.append(response.content)
                for digest_key, digest in digesters:
                    out.digests[digest_key].extend(digest(records))
                offset += len(records)
                if not records or (len(records) < limit
                                   and (total is None or not total.isdigit() or int(total) <= offset)):
                    # An empty page ends the collection; so does a short one, unless the provider's own count
                    # says there is more (a capped page size): then read on.
                    if not keep:
                        out.bodies = bodies
                    return out
                if page_no == 0 and len(records) == limit and total is not None and total.isdigit():
                    # The first page was full and the provider counts: the pages still to read are known,
                    # so read them ahead, a few at a time, exactly as the loop would ask for them.
                    ahead.plan(range(offset, int(total) + 1, limit)[: max_pages - 1])
        finally:
            ahead.close()
        raise Failure(f"GET /{endpoint} never reached its last page in {max_pages} pages (max_pages): every page "
                      "was full and brought new records", expected="a short or empty last page",
                      received=f"{max_pages} full pages, {offset} records", exchanges=out.pages[-1:])

    def page(self, endpoint: str, limit: int, offset: int) -> httpx.Response:
        """One page of a collection, as ``collection`` reads it."""
        if self._closing:
            raise _Closed(f"the run ended while /{endpoint} was being read")
        # the query written out as httpx would write it: with params=, httpx parses the URL a second time to
        # merge them (about 70 us of CPU a page, measured; the endpoints are names, limit and offset numbers)
        return self.get(f"/{endpoint}?limit={int(limit)}&offset={int(offset)}")

    def pool(self) -> ThreadPoolExecutor:
        """The threads reading pages ahead (``concurrency`` of them), made on first use."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="edcert-pages")
            return self._pool

    def close(self) -> None:
        with self._lock:
            self._closing = True
        if self._prefetcher is not None:
            self._prefetcher.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.client.close()
        # The records go now. A check that raised (a failure, a skip) leaves its traceback in a reference
        # cycle with its frames, one of which holds this session: without this, the whole district would
        # wait for a full garbage collection (1.8 s on the large one), paid by whatever code runs next.
        with self._lock:
            self._collections.clear()
            self._derived.clear()
            self._reads.clear()


class _ReadAhead:
    """Pages of one collection requested ahead of the reader, at most ``concurrency`` in flight.

    The reader still takes the pages one by one, in order, and judges each as before; reading ahead
    only overlaps the waiting. A page that comes back with fewer records than planned (a provider
    capping its page size) leaves the plan: what was asked ahead is dropped and reading goes on one
    page at a time. The rate limit holds for every request, whichever thread sends it.

    Up to :data:`AHEAD_PER_CONNECTION` pages per connection are asked for ahead; the ``concurrency``
    threads of the pool send them, so no more than ``concurrency`` are on the wire. Pages that came back
    wait for the reader: while the checks hold the interpreter, the provider keeps answering instead of
    waiting for the reader to ask again (with one page per connection, a large run was 7-8% slower). The
    price: a provider whose ``X-Total-Count`` overstates its collection may be sent that many requests for
    pages past its end (one per connection before).
    """

    def __init__(self, session: OneRosterSession, endpoint: str, limit: int) -> None:
        self.session = session
        self.endpoint = endpoint
        self.limit = limit
        self.width = session.config.concurrency
        self.planned: Iterator[int] = iter(())
        self.window: deque[tuple[int, Future[httpx.Response]]] = deque()

    def plan(self, offsets: Sequence[int]) -> None:
        if self.width > 1:
            self.planned = iter(offsets)
            self._refill()

    def _refill(self) -> None:
        while len(self.window) < self.width * AHEAD_PER_CONNECTION:
            offset = next(self.planned, None)
            if offset is None:
                return
            # each page runs in a copy of the caller's context, so its exchange lands with the check reading
            context = contextvars.copy_context()
            future = self.session.pool().submit(context.run, self.session.page, self.endpoint, self.limit, offset)
            self.window.append((offset, future))

    def take(self, offset: int) -> httpx.Response:
        if self.window and self.window[0][0] == offset:
            _, future = self.window.popleft()
            self._refill()
            return future.result()
        self.close()
        return self.session.page(self.endpoint, self.limit, offset)

    def close(self) -> None:
        """Drop the plan; wait for pages already on the wire (so no request outlives the read)."""
        self.planned = iter(())
        while self.window:
            _, future = self.window.popleft()
            if not future.cancel():
                with contextlib.suppress(Exception):
                    future.result()


def page_records(response: httpx.Response, key: str, what: str) -> list[dict[str, Any]]:
    """The records of one collection page, or a Failure with evidence."""
    evidence = [e for e in [exchange_of(response)] if e is not None]
    if response.status_code != 200:
        raise Failure(f"{what} answered HTTP {response.status_code}", expected="HTTP 200",
                      received=f"HTTP {response.status_code}", exchanges=evidence)
    body = json_body(response, what)
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        keys = sorted(body)[:5] if isinstance(body, dict) else type(body).__name__
        raise Failure(f"{what} did not wrap its records in a '{key}' array",
                      expected=f'{{"{key}": [...]}}', received=f"keys {keys}", exchanges=evidence)
    records: list[dict[str, Any]] = body[key]
    if not all(isinstance(r, dict) for r in records):
        raise Failure(f"{what}: '{key}' holds something other than objects", exchanges=evidence)
    return records


class _Skimmed(msgspec.Struct, gc=False):
    """What reading a subset endpoint (NOT_KEPT) takes from a record: its sourcedId and status."""

    sourcedId: Any = None
    status: Any = None


_SKIMMERS: dict[str, msgspec.json.Decoder[Any]] = {}


def skimmed_records(response: httpx.Response, key: str, what: str) -> list[dict[str, Any]]:
    """:func:`page_records` for a page whose records are not kept (NOT_KEPT): each record's sourcedId and status.

    msgspec reads the page against ``{key: [{sourcedId, status}, ...]}``, parsing every other value without
    building it (a large district's /students: 35 ms instead of 235-500 ms). The page is still judged whole:
    anything the skim does not take exactly as the standard library would (a body that is not UTF-8 or not
    JSON msgspec reads, NaN, a byte-order mark, a record that is not an object, a missing key) goes to
    :func:`page_records`, so the verdict on every page is the one reading it whole gives.
    """
    content = response.content
    if response.status_code == 200 and _utf8(content):
        skimmer = _SKIMMERS.get(key)
        if skimmer is None:
            skimmer = _SKIMMERS[key] = msgspec.json.Decoder(
                msgspec.defstruct("Page", [(key, list[_Skimmed])], gc=False))
        try:
            page = skimmer.decode(content)
        except (msgspec.MsgspecError, RecursionError):
            pass
        else:
            return [{"sourcedId": r.sourcedId, "status": r.status} for r in getattr(page, key)]
    return page_records(response, key, what)


def _utf8(content: bytes) -> bool:
    """The skim parses the values it skips without decoding their text: the whole body must be UTF-8."""
    if content.isascii():
        return True
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.fixture(scope="session")
def oneroster(request: pytest.FixtureRequest) -> OneRosterSession:
    """The OneRoster provider under test (skips when the vendor does not claim OneRoster 1.2)."""
    from edcert.plugin import active_run

    state = active_run(request.config)
    config = None if state is None else state.config.oneroster
    if state is None or config is None or "oneroster-1.2" not in state.standards:
        pytest.skip("the vendor does not claim OneRoster 1.2")
    def make() -> OneRosterSession:
        from edcert.harness.registry import spec_of

        made = OneRosterSession(config, state)
        ids = [spec.id for item in request.session.items if (spec := spec_of(getattr(item, "obj", None)))]
        made.prefetch(prefetch_plan(config, ids))
        return made

    session: OneRosterSession = state.resource("oneroster-1.2", make)
    return session
