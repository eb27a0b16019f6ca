"""P1 end to end, P2 request economy, P6 scaling, and the sandbox's own throughput.

``python -m bench.end_to_end [SIZE ...]`` (default: small medium large). For each size, against a
sandbox in its own process: edcert's full OneRoster 1.2 suite (``edcert.harness.runner.run``), then the
floor, a plain httpx script fetching the minimal set of requests once, at the same concurrency and
page size. The minimal set is every page of every collection edcert reads (ceil(records / page size)
pages each, from the provider's X-Total-Count) plus every distinct targeted probe edcert sent.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from bench._support import ROOT, Timer, cpu_seconds, median_pair, ratio, sandbox_process, save
from edcert.conformance.oneroster._fixtures import COLLECTION_KEYS, SCOPE_CORE, SCOPE_DEMOGRAPHICS, SCOPE_ROSTER
from edcert.harness.config import VendorConfig, parse_config
from edcert.harness.runner import RUN_SWITCH_INTERVAL_S, run, switch_interval
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from edcert.sandbox.vendor import SECRET_ENV, sandbox_vendor_data

STANDARD = "oneroster-1.2"  # P1 runs the rostering standard alone
PAGE_SIZE = 100
CONCURRENCY = 4
RUN_BUDGET_S = 900  # a run stops by itself, whatever happens
ROSTERING = "/ims/oneroster/rostering/v1p2/"

Request = tuple[str, str, str]


def collection_page(url: str) -> tuple[str, int] | None:
    """(endpoint, offset) when ``url`` is a plain page of a flat collection, as a whole-collection read asks."""
    parts = urlsplit(url)
    if ROSTERING not in parts.path:
        return None
    endpoint = parts.path.split(ROSTERING, 1)[1]
    query = dict(parse_qsl(parts.query))
    if endpoint not in COLLECTION_KEYS or set(query) != {"limit", "offset"} or query["limit"] != str(PAGE_SIZE):
        return None
    return endpoint, int(query["offset"])


def minimal_set(requests: list[Request], totals: dict[str, int]) -> tuple[list[str], list[Request]]:
    """(every collection page once, the distinct probes): what any client certifying the same things needs."""
    read = sorted({page[0] for m, u, _ in requests if m == "GET" and (page := collection_page(u)) is not None})
    base = next(u for m, u, _ in requests if m == "GET" and ROSTERING in u).split(ROSTERING)[0] + ROSTERING
    pages = [f"{base}{e}?limit={PAGE_SIZE}&offset={o}"
             for e in read for o in range(0, max(1, math.ceil(totals[e] / PAGE_SIZE)) * PAGE_SIZE, PAGE_SIZE)]
    probes: list[Request] = []
    seen: set[Request] = set()
    for req in requests:
        page = collection_page(req[1])
        if req[0] == "GET" and page is not None and page[0] in read and page[1] % PAGE_SIZE == 0:
            continue  # one of the pages above
        if req[0] == "POST" or req not in seen:  # a token per scope set: same URL, different bodies
            probes.append(req)
            seen.add(req)
    return pages, probes


def totals_of(base_url: str, token: str, endpoints: list[str]) -> dict[str, int]:
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        return {e: int(client.get(f"{base_url}{ROSTERING}{e}", params={"limit": 1}).headers["X-Total-Count"])
                for e in endpoints}


def token(base_url: str, scopes: str) -> str:
    answer = httpx.post(f"{base_url}/oauth/token", data={"grant_type": "client_credentials", "scope": scopes},
                        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET))
    return str(answer.json()["access_token"])


def floor(base_url: str, pages: list[str], probes: list[Request]) -> dict[str, Any]:
    """Fetch the minimal set with plain httpx: tokens, then every URL once, CONCURRENCY at a time, JSON-decoded."""
    scopes = " ".join((SCOPE_CORE, SCOPE_ROSTER, SCOPE_DEMOGRAPHICS))
    with Timer(collect=True) as timer:
        tokens = [token(base_url, scopes) for m, _, _ in probes if m == "POST"]
        headers = {"Authorization": f"Bearer {tokens[0]}", "Accept": "application/json"}
        urls = pages + [u for m, u, _ in probes if m == "GET"]
        records = 0
        with httpx.Client(headers=headers, limits=httpx.Limits(max_connections=CONCURRENCY)) as client:

            def fetch(url: str) -> int:
                body = json.loads(client.get(url).content)
                return sum(len(v) for v in body.values() if isinstance(v, list)) if isinstance(body, dict) else 0

            with ThreadPoolExecutor(CONCURRENCY) as pool:
                records = sum(pool.map(fetch, urls))
    return {"wall_s": timer.wall, "cpu_s": timer.cpu, "requests": len(urls) + len(tokens), "records": records}


def rostering_config(base_url: str) -> VendorConfig:
    """The sandbox's ``[oneroster]`` table alone, rostering only: P1 measures the OneRoster 1.2 rostering suite.

    The sandbox also claims other standards (Ed-Fi, LTI, OneRoster 1.1, gradebook, resources): they are
    left out of the configuration, and so is ``roster_csv`` (the floor reads no bundle).
    """
    data = sandbox_vendor_data(base_url, DEFAULT_CLIENT_ID, page_size=PAGE_SIZE, concurrency=CONCURRENCY,
                               run_budget=RUN_BUDGET_S, services=["rostering"], allow_writes=False)
    table = {k: v for k, v in data["oneroster"].items() if k not in ("roster_csv", "fidelity_sample", "fidelity_seed")}
    return parse_config({"vendor": data["vendor"], "oneroster": table}, env={SECRET_ENV: DEFAULT_CLIENT_SECRET})


NETWORK_LATENCY_MS = 25  # a round trip to a vendor's cloud in the same region, give or take


# edcert and the floor, alternately, fifteen pairs: P1 is the median of the pairs' ratios (median_pair; since the
# thirteenth round: each side's fastest run until then), and every pair is kept. Fifteen since the twelfth round
# (five before, three until the tenth): the first run with fifteen gave 1.47x by the fastest of each side against a
# median pair of 1.21x, 12 of its 15 pairs within 1.3x (bench/README.md, "Twelfth round" and "Thirteenth round").
REPEATS = 15
QUICK_REPEATS = 3  # `python -m bench.run --quick`: a smoke test, its figures mean nothing
COLD_REPEATS = 2  # the same, each side the first run of a fresh process (bench/_cold.py)


def cold(base_url: str, pages: list[str], probes: list[Request], repeats: int = COLD_REPEATS) -> dict[str, Any]:
    """Edcert's run and the floor, each as the first thing a fresh process does (``edcert run`` runs once).

    The in-process repeats of P1 reuse memory the earlier runs touched; a fresh process touches its memory
    for the first time, and on these virtual machines that costs 1-4 s per GiB. Shown beside P1, not judged.
    """
    samples: dict[str, list[dict[str, Any]]] = {"edcert": [], "floor": []}
    with tempfile.TemporaryDirectory(prefix="edcert-cold-") as tmp:
        plan = f"{tmp}/plan.json"
        with open(plan, "w") as f:
            json.dump([pages, probes], f)
        for _ in range(repeats):
            for side in ("edcert", "floor"):
                out = f"{tmp}/{side}.json"
                subprocess.run([sys.executable, "-m", "bench._cold", side, base_url, plan, out],  # noqa: S603
                               cwd=ROOT, check=True, timeout=RUN_BUDGET_S)
                with open(out) as f:
                    samples[side].append(json.load(f))
    best = {side: min(runs, key=lambda r: r["run_s"]) for side, runs in samples.items()}
    return {
        **{f"{side}_{key}": round(fastest[key], 3)
           for side, fastest in best.items() for key in ("run_s", "cpu_s", "process_s")},
        **{f"{side}_faults": fastest["faults"] for side, fastest in best.items()},
        **{f"{side}_peak_mb": round(max(r["peak_mb"] for r in runs), 1) for side, runs in samples.items()},
        "ratio": ratio(best["edcert"]["run_s"], best["floor"]["run_s"]),
        "process_ratio": ratio(best["edcert"]["process_s"], best["floor"]["process_s"]),
        "exit_code": max(r["exit_code"] for r in samples["edcert"]),
        "samples": {side: [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in runs]
                    for side, runs in samples.items()},
    }


def measure(size: str, latency_ms: int = 0, repeats: int = REPEATS) -> dict[str, Any]:
    """P1, P2 and the sandbox's figures for one size: edcert's run and the floor, ``repeats`` times each, alternately.

    This machine's speed drifts by a factor of two within minutes (the same run: 12 s of CPU, then 15 s),
    so P1 is the median of the side-by-side pairs (each side's fastest run is shown too); every pair is kept in
    ``samples``.
    """
    edcert: list[dict[str, float]] = []
    floors: list[dict[str, Any]] = []
    tuned: list[dict[str, Any]] = []
    with sandbox_process(size, latency_ms=latency_ms) as (base_url, pid):
        config = rostering_config(base_url)
        for attempt in range(repeats):
            sandbox_cpu0 = cpu_seconds(pid)
            # each side pays for the garbage it leaves (Timer(collect=True)): until the seventh round a run
            # left the district as cyclic garbage, and the floor run after it paid for collecting it
            with Timer(collect=True) as timer:
                result = run(config, only=[STANDARD])
            edcert.append({"wall_s": timer.wall, "cpu_s": timer.cpu, "sandbox_cpu_s": cpu_seconds(pid) - sandbox_cpu0,
                           "exit_code": result.exit_code})
            if attempt == 0:
                first = result
                everything = token(base_url, " ".join((SCOPE_CORE, SCOPE_ROSTER, SCOPE_DEMOGRAPHICS)))
                read = sorted({p[0] for m, u, _ in result.requests if m == "GET" and (p := collection_page(u))})
                totals = totals_of(base_url, everything, read)
                pages, probes = minimal_set(result.requests, totals)
            floor_cpu0 = cpu_seconds(pid)
            low = floor(base_url, pages, probes)
            floors.append({**low, "sandbox_cpu_s": cpu_seconds(pid) - floor_cpu0})
            # the floor again with the thread-switch interval a run uses (harness/runner.py): a plain script
            # keeps Python's default, but this shows how much of P1 that setting alone is worth
            with switch_interval(RUN_SWITCH_INTERVAL_S):
                tuned.append(floor(base_url, pages, probes))
        fresh = cold(base_url, pages, probes) if latency_ms == 0 else None
    best = min(edcert, key=lambda e: e["wall_s"])
    low = min(floors, key=lambda f: f["wall_s"])
    low_tuned = min(tuned, key=lambda f: f["wall_s"])
    cpu = min(e["cpu_s"] for e in edcert)
    floor_cpu = min(f["cpu_s"] for f in floors)
    result = first  # P2 and the outcomes: from the first run (every run sends the same requests)
    serving = low["sandbox_cpu_s"]  # the sandbox's CPU while the fastest floor ran: its capacity
    minimal = len(pages) + len(probes)
    records = sum(totals.values())
    duplicates = sum(n - 1 for n in Counter(r for r in result.requests if r[0] == "GET").values() if n > 1)
    pair_ratios = sorted(ratio(e["wall_s"], f["wall_s"]) for e, f in zip(edcert, floors, strict=True))
    # the floor with edcert's switch interval ran right after each floor: its pairs, as P1's
    tuned_pairs = sorted(ratio(e["wall_s"], t["wall_s"]) for e, t in zip(edcert, tuned, strict=True))
    return {
        "size": size,
        "records_read": records,
        "exit_code": max(e["exit_code"] for e in edcert),
        "outcomes": dict(Counter(c.outcome.value for c in result.scorecard.checks)),
        "not_passed": {c.id: c.message[:300] for c in result.scorecard.checks
                       if c.outcome.value not in ("passed", "not_applicable")},
        "repeats": repeats,
        "samples": [{"edcert_wall_s": round(e["wall_s"], 3), "edcert_cpu_s": round(e["cpu_s"], 3),
                     "floor_wall_s": round(f["wall_s"], 3), "floor_cpu_s": round(f["cpu_s"], 3)}
                    for e, f in zip(edcert, floors, strict=True)],
        "pair_ratios": pair_ratios,
        "edcert_wall_s": round(best["wall_s"], 3),
        "edcert_cpu_s": round(cpu, 3),
        "floor_wall_s": round(low["wall_s"], 3),
        "floor_cpu_s": round(floor_cpu, 3),
        "p1_cpu_ratio": ratio(cpu, floor_cpu),
        "sandbox_busy_during_floor": ratio(low["sandbox_cpu_s"], low["wall_s"]),
        "floor_requests": low["requests"],
        "p1_ratio": median_pair(pair_ratios),  # the judged figure: the median pair
        "p1_fastest_ratio": ratio(best["wall_s"], low["wall_s"]),  # each side's fastest run (judged until round 13)
        "switch_interval_s": RUN_SWITCH_INTERVAL_S,
        "floor_same_interval_wall_s": round(low_tuned["wall_s"], 3),
        "floor_same_interval_cpu_s": round(min(f["cpu_s"] for f in tuned), 3),
        "floor_same_interval_samples": [round(f["wall_s"], 3) for f in tuned],
        "p1_ratio_same_interval": median_pair(tuned_pairs),
        "edcert_requests": len(result.requests),
        "minimal_requests": minimal,
        "minimal_pages": len(pages),
        "minimal_probes": len(probes),
        "duplicate_gets": duplicates,
        "p2_ratio": ratio(len(result.requests), minimal),
        "per_record_us": round(best["wall_s"] / records * 1e6, 2),
        "sandbox_cpu_s_during_edcert": round(best["sandbox_cpu_s"], 3),
        "sandbox_busy_during_edcert": ratio(best["sandbox_cpu_s"], best["wall_s"]),
        "sandbox_requests_per_cpu_s": round(low["requests"] / serving, 1) if serving else None,
        "sandbox_records_per_cpu_s": round(records / serving) if serving else None,
        "page_size": PAGE_SIZE,
        "concurrency": CONCURRENCY,
        "latency_ms": latency_ms,
        "cold": fresh,
    }


def main(sizes: list[str], repeats: int = REPEATS) -> dict[str, Any]:
    runs = {}
    for size in sizes:
        started = time.perf_counter()
        runs[size] = measure(size, repeats=repeats)
        print(f"[{size}: {time.perf_counter() - started:.1f} s]", file=sys.stderr)
    figures: dict[str, Any] = {"runs": runs}
    top = runs.get("large") or runs[sizes[-1]]
    figures["p1"] = {"size": top["size"], "ratio": top["p1_ratio"], "rule": "the median of the side-by-side pairs",
                     "fastest_ratio": top.get("p1_fastest_ratio"), "target": 1.3, "met": top["p1_ratio"] <= 1.3}
    figures["p2"] = {"size": top["size"], "ratio": top["p2_ratio"], "target": 1.05, "met": top["p2_ratio"] <= 1.05}
    # P1 again with a network between edcert and the vendor: the same run and the same floor, every answer
    # NETWORK_LATENCY_MS late. Shown beside P1, never instead of it: P1 is judged on loopback, where the floor
    # is the cheapest it can be and edcert's own CPU shows in full.
    started = time.perf_counter()
    net = measure(top["size"], latency_ms=NETWORK_LATENCY_MS, repeats=1)  # network-bound: steadier, and long
    print(f"[{top['size']} at {NETWORK_LATENCY_MS} ms: {time.perf_counter() - started:.1f} s]", file=sys.stderr)
    figures["p1_network"] = {"size": top["size"], "latency_ms": NETWORK_LATENCY_MS, "ratio": net["p1_ratio"],
                             "cpu_ratio": net["p1_cpu_ratio"], "run": net}
    if len(runs) > 1:
        per = [r["per_record_us"] for r in runs.values()]
        # linear growth: the time per record stays flat (within 2x of the smallest) as the district grows
        figures["p6"] = {"per_record_us": {k: r["per_record_us"] for k, r in runs.items()},
                         "largest_over_smallest": ratio(per[-1], per[0]),
                         "met": per[-1] <= 2 * min(per)}
    save("end_to_end", figures)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:] or ["small", "medium", "large"])
