"""Every hostile-vendor mode, end to end through the CLI in a measured subprocess.

For each mode: the run ends within its time limit, edcert's peak memory stays
under MEMORY_BOUND_MB, the check the mode attacks fails (or, past the run
budget, errors) with evidence, the checks it does not touch still pass, and
the exit code is the gate's.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from edcert.sandbox import HOSTILE
from edcert.sandbox.hostile import SCRIPT_PAYLOAD
from tests.security._support import measured_cli, report_files, sandbox, vendor_toml

# edcert's whole process (Python, pytest, httpx, the suite) peaks near 80 MB on a conformant run; reading a
# 2 GiB body or inflating a 2 GiB gzip bomb into memory would blow far past this.
MEMORY_BOUND_MB = 160
TIME_LIMIT_S = 60  # a conformant run takes a few seconds; a hostile one must not take much longer
# Small limits keep every hostile run short (the vendor configuration's own settings, nothing test-only).
LIMITS = {"timeout": 2, "max_response_bytes": 1_000_000, "max_retries": 1, "max_retry_wait": 1,
          "run_budget": 30, "max_pages": 20}
DRIP_LIMITS = {**LIMITS, "run_budget": 6}
# Checks no mode touches: they read only refusals (401/403) and the token endpoint.
UNAFFECTED = ("OR12-AUTH-001", "OR12-AUTH-002", "OR12-AUTH-003", "OR12-AUTH-004", "OR12-AUTH-007",
              "OR12-AUTH-008")


@dataclass(frozen=True)
class Expect:
    exit_code: int
    affected: str | None  # a check the mode must break (None: every check passes)
    message: str = ""  # what its message says (a regex)
    outcomes: tuple[str, ...] = ("failed",)


EXPECT: dict[str, Expect] = {
    "not-json": Expect(1, "OR12-DM-005", "did not answer valid JSON"),
    "wrong-content-type": Expect(0, "OR12-SEC-003", "not labelled application/json"),
    "invalid-utf8": Expect(1, "OR12-DM-005", "did not answer valid JSON"),
    "deep-nesting": Expect(1, "OR12-DM-005", "did not answer valid JSON"),
    "huge-numbers": Expect(1, "OR12-DM-005", "did not answer valid JSON"),
    "huge-body": Expect(1, "OR12-DM-005", "sent more than 1000000 bytes"),
    "gzip-bomb": Expect(1, "OR12-DM-005", "sent more than 1000000 bytes"),
    "drip": Expect(1, "OR12-DM-005", "did not finish its answer within|time budget", ("failed", "error")),
    "reset-mid-body": Expect(1, "OR12-DM-005", "broke the connection in the middle of its answer"),
    "redirect-loop": Expect(1, "OR12-DM-005", "answered HTTP 302"),
    "redirect-other-host": Expect(1, "OR12-DM-005", "answered HTTP 307"),
    "endless-429": Expect(1, "OR12-DM-005", "answered HTTP 429"),
    "every-tenth-500": Expect(1, None, "answered HTTP 500"),
    "endless-pages": Expect(1, "OR12-DM-005", "never reached its last page in 20 pages"),
    "script-injection": Expect(1, "OR12-DM-008", "enumeration|not one of|outside"),
    "echo-secrets": Expect(0, None),
    "writes-fail": Expect(0, None),
}


def test_every_hostile_mode_has_an_expectation() -> None:
    assert sorted(EXPECT) == sorted(HOSTILE)


@pytest.mark.parametrize("mode", sorted(HOSTILE))
def test_hostile_mode(mode: str, tmp_path: Path) -> None:
    expect = EXPECT[mode]
    out = tmp_path / "report"
    with sandbox(hostile=mode) as (server, app):
        config = vendor_toml(tmp_path / "vendor.toml", server.base_url,
                             **(DRIP_LIMITS if mode == "drip" else LIMITS))
        measured = measured_cli(tmp_path, "run", "--config", str(config), "--out", str(out), "--no-progress",
                                env={"EDCERT_TEST_SECRET": "edcert-sandbox-secret"})
        seen = app.state.hostile
    shown = measured.proc.stdout[-3000:] + measured.proc.stderr[-3000:]
    assert measured.exit_code == expect.exit_code, shown
    assert "Traceback" not in measured.proc.stderr
    assert measured.elapsed_s < TIME_LIMIT_S, f"{mode} took {measured.elapsed_s:.1f}s"
    assert measured.peak_rss_mb < MEMORY_BOUND_MB, f"{mode} peaked at {measured.peak_rss_mb:.0f} MB"
    data = json.loads((out / "scorecard.json").read_text())
    assert data["complete"] or mode == "drip", data["gate"]
    checks = {c["id"]: c for c in data["checks"]}
    assert len(checks) >= 100, "every check still ran"
    for check_id in UNAFFECTED:
        assert checks[check_id]["outcome"] == "passed", (check_id, checks[check_id]["message"])
    broken = {k: c for k, c in checks.items() if c["outcome"] in ("failed", "error")}
    if expect.affected is not None:
        hit = checks[expect.affected]
        assert hit["outcome"] in expect.outcomes, (hit["outcome"], hit["message"])
        assert re.search(expect.message, hit["message"]), hit["message"]
        assert hit["outcome"] == "error" or hit["evidence"], "a failure carries its evidence"
    elif expect.message:
        assert any(re.search(expect.message, c["message"]) and c["evidence"] for c in broken.values()), broken
        assert sum(c["outcome"] == "passed" for c in checks.values()) >= 50, "the answers that were fine passed"
    else:
        assert broken == {}, {k: c["message"] for k, c in broken.items()}
    _mode_specific(mode, out, data, seen)


def _mode_specific(mode: str, out: Path, data: dict, seen: object) -> None:  # type: ignore[type-arg]
    checks = {c["id"]: c for c in data["checks"]}
    evidence = [e for c in data["checks"] for e in c["evidence"]]
    if mode == "drip":
        timed_out = [c for c in data["checks"] if "did not finish its answer within 2 s" in c["message"]]
        assert timed_out and all(c["evidence"] for c in timed_out)
    if mode == "endless-429":
        notes = [e["error"] or "" for e in checks["OR12-DM-005"]["evidence"]]
        assert any("retry after 3600 s" in n for n in notes), notes
    if mode == "redirect-other-host":
        assert seen.redirect_hosts, "the sandbox did redirect"  # type: ignore[attr-defined]
        assert seen.cross_host_requests == [], "nothing, and no credential, followed the redirect"  # type: ignore[attr-defined]
        assert not any(h in e["url"] for e in evidence for h in seen.redirect_hosts)  # type: ignore[attr-defined]
    if mode == "writes-fail":
        assert seen.writes == [], "a certification run writes nothing"  # type: ignore[attr-defined]
    if mode == "script-injection":
        _assert_escaped(out)


def _assert_escaped(out: Path) -> None:
    import xml.etree.ElementTree as ET

    raw = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in report_files(out))
    assert 'alert("edcert")' in raw or "alert(&quot;edcert&quot;)" in raw or "alert(\\\"edcert\\\")" in raw, \
        "the payload reached the reports (so escaping is really tested)"
    for path in report_files(out):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix in (".html", ".md"):
            assert "<script>alert" not in text, path.name
            assert "<img src=x" not in text, path.name
        if path.suffix == ".html":
            assert "&lt;script&gt;alert" in text, "vendor text is shown, escaped"
        if path.suffix == ".xml":
            ET.parse(path)  # still well-formed
        if path.suffix == ".json":
            json.loads(text)
    assert "{{7*7}}" in raw and SCRIPT_PAYLOAD.count("7*7") == 2, "template syntax is shown, never evaluated"
