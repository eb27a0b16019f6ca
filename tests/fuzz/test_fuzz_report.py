"""A failing fuzz case in the reports: its request, its response and a repro command with placeholders."""
from __future__ import annotations

import functools
import json
from pathlib import Path

from edcert.harness.scorecard import Outcome, Scorecard
from edcert.harness.writers.html import render_html
from tests.fuzz.test_fuzz_phase import FAULT_RUN
from tests.harness.test_report_html import section, visible
from tests.sandbox_run import run_sandbox

FAULT = "oneroster.fuzz.server-error-on-odd-sort"


@functools.cache
def fuzz_scorecard(tmp: str) -> Scorecard:
    return run_sandbox((FAULT,), phases=("fuzz",), fuzz=FAULT_RUN, out_dir=Path(tmp), only=["oneroster-1.2"]).scorecard


def test_a_failing_fuzz_check_shows_request_response_and_repro_in_the_html(tmp_path: Path) -> None:
    sc = fuzz_scorecard(str(tmp_path))
    failed = next(c for c in sc.checks if c.id == "OR12-FUZZ-001")
    assert failed.outcome is Outcome.FAILED and failed.category == "fuzz"
    first = failed.evidence[0]
    assert first.status == 500 and "sort=" in first.url
    assert failed.repro is not None
    assert '"Authorization: Bearer $EDCERT_TOKEN"' in failed.repro and "sort=" in failed.repro
    html = (tmp_path / "scorecard.html").read_text("utf-8")
    assert html == render_html(sc)
    problem = section(html, "problems")
    page = problem[problem.index('id="problem-OR12-FUZZ-001"'):]
    text = visible(page)
    assert "HTTP 500" in text  # the response
    assert f"GET {first.url}" in page.replace("&amp;", "&")  # the request
    assert "$EDCERT_TOKEN" in page and "curl" in page  # the repro command, secret as a placeholder
    assert "internal_server_error" in page  # the response body
    # no token value anywhere in the outputs (edcert's own made-up probe tokens, "edcert-...", are no secret)
    token_like = [e.request_headers.get("authorization", "") for c in sc.checks for e in c.evidence]
    allowed = ("", "Bearer [redacted]", "OAuth [redacted]", "Basic [redacted]")
    assert all(value in allowed or value.startswith("Bearer edcert-") for value in token_like), \
        sorted({v for v in token_like if v not in allowed})
    assert "Unexpected requests" in visible(html)
    data = json.loads((tmp_path / "scorecard.json").read_text("utf-8"))
    assert any(c["id"] == "OR12-FUZZ-001" and c["repro"] for c in data["checks"])
