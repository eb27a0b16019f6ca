"""The scorecard in a real headless browser (Debian's chromium over the DevTools protocol).

A faulty sandbox run (with a district profile, waivers and attestations, so every section shows)
renders with no console message, error or failed load; vendor markup stays inert, visible text;
printed to PDF, page one carries the verdict; a screenshot of the first screen is kept as a CI
artifact in reports/ci-artifacts/. Skipped only where no chromium is installed, and never on CI
(CI=true): there a missing browser fails.
"""
from __future__ import annotations

import io
import os
import re
import textwrap
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from edcert.fixtures.districts import generate_district
from edcert.harness.policy import load_policy
from edcert.harness.runner import RunResult, run
from edcert.harness.scorecard import Scorecard
from edcert.harness.writers.html import write_html
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from tests.browser.cdp import Browser, Page, find_chromium
from tests.sandbox_run import sandbox_config

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "reports" / "ci-artifacts"
FIXTURES = ROOT / "edcert" / "fixtures"
FAULTS = ("oneroster.paging.off-by-one", "oneroster.errors.404-plain", "oneroster.auth.token-no-expiry",
          "oneroster.integrity.dangling-enrollment-user")
MARKER = "__edcertInjected"
EVIL_NAME = f'Evil <script>window.{MARKER}=1</script><img src=x onerror="window.{MARKER}=2"> Co'
EVIL_BODY = f'{{"users": "<script>window.{MARKER}=3</script><img src=x onerror=window.{MARKER}=4>"}}'


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no chromium on this CI machine: .ci/run must install Debian's chromium "
                        "(apt-get install -y chromium)")
        pytest.skip("no chromium installed (apt-get install -y chromium, or set EDCERT_CHROMIUM)")
    return found


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with Browser(chromium) as b:
        yield b


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """A whole run against the sandbox with four faults, under a profile, waivers and attestations."""
    folder = tmp_path_factory.mktemp("faulty")
    waivers = folder / "waivers.toml"
    waivers.write_text(textwrap.dedent("""
        [[waiver]]
        check = "OR12-PAGE-002"
        justification = "Paging fix ships in release 5.2 <b>(ticket 42)</b>"
        expires = "2099-01-31"
    """))
    policy = load_policy(FIXTURES / "profiles" / "rostering-only.toml", waivers,
                         FIXTURES / "attestations" / "example.toml")
    app = create_app(generate_district("small"), faults=FAULTS, client_id=DEFAULT_CLIENT_ID,
                     client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        # OneRoster only, as before the sandbox served Ed-Fi: the assertions below are about its page layout
        return run(sandbox_config(server.base_url), out_dir=folder / "report", policy=policy, only=["oneroster-1.2"])


def _open(browser: Browser, path: Path) -> Page:
    page = browser.new_page(1280, 900)
    page.goto(path.as_uri())
    return page


def test_faulty_scorecard_renders_cleanly_and_a_screenshot_is_kept(browser: Browser, faulty_run: RunResult) -> None:
    assert faulty_run.exit_code == 1
    page = _open(browser, faulty_run.paths["scorecard.html"])
    assert page.problems == [], page.problems  # no console message, exception, CSP violation or failed load
    headline = page.evaluate("document.getElementById('verdict-headline').innerText")
    assert headline == "Not recommended yet"
    top = page.evaluate("document.getElementById('verdict').getBoundingClientRect().bottom")
    assert top < 900, "the verdict must be on the first screen"
    assert page.evaluate("document.querySelectorAll('details.check').length") == len(faulty_run.scorecard.checks)
    svg = page.evaluate("(() => { const s = document.querySelector('#standards svg');"
                        " return [s.getAttribute('role'), s.querySelector('title').textContent,"
                        " s.getBoundingClientRect().width, s.querySelectorAll('rect').length]; })()")
    assert svg[0] == "img" and "area by area" in svg[1] and svg[2] > 300 and svg[3] > 10
    assert page.evaluate("document.querySelector('#problem-OR12-PAGE-002 .badge').innerText") \
        == "waived until 2099-01-31"
    assert "attested: yes" in page.evaluate("document.getElementById('attestations').innerText")
    resources = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert resources == [], resources  # self-contained: nothing loaded beside the page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(ARTIFACTS / "scorecard.png")
    page.screenshot(ARTIFACTS / "scorecard-full.png", full_page=True)
    assert (ARTIFACTS / "scorecard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _evil(scorecard: Scorecard) -> Scorecard:
    checks = []
    for c in scorecard.checks:
        if c.id == "OR12-PAGE-003":
            evidence = [e.model_copy(update={"response_body": EVIL_BODY}) for e in c.evidence]
            c = c.model_copy(update={"message": f"found <img src=x onerror=window.{MARKER}=5>", "evidence": evidence})
        checks.append(c)
    vendor = scorecard.vendor.model_copy(update={"name": EVIL_NAME, "product": "<b>Hub</b>"})
    return scorecard.model_copy(update={"vendor": vendor, "checks": checks})


def test_vendor_markup_stays_inert_visible_text(browser: Browser, faulty_run: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "scorecard.html"
    evil = _evil(faulty_run.scorecard)
    assert evil.checks != faulty_run.scorecard.checks
    assert any(c.evidence for c in evil.checks if c.id == "OR12-PAGE-003")
    write_html(evil, path)
    page = _open(browser, path)
    assert page.evaluate(f"typeof window.{MARKER}") == "undefined"  # no script ran, no handler fired
    assert page.evaluate("document.querySelectorAll('script, img, iframe, object, embed').length") == 0
    assert page.evaluate("[...document.querySelectorAll('*')].filter(e => [...e.attributes]"
                         ".some(a => a.name.startsWith('on'))).length") == 0
    assert page.problems == [], page.problems
    assert EVIL_NAME in page.evaluate("document.querySelector('h1').innerText")
    assert EVIL_NAME in page.evaluate("document.title")
    page.evaluate("document.querySelectorAll('#problem-OR12-PAGE-003 details').forEach(d => d.open = true)")
    shown = page.evaluate("document.getElementById('problem-OR12-PAGE-003').innerText")
    assert f"found <img src=x onerror=window.{MARKER}=5>" in shown
    assert f"<script>window.{MARKER}=3</script>" in shown  # the evidence body, shown as text


def _pdf_pages(page: Page) -> list[str]:
    reader = PdfReader(io.BytesIO(page.pdf()))
    # NFKC undoes the typographic ligatures (fi, fl) the PDF text layer uses
    return [re.sub(r"\s+", " ", unicodedata.normalize("NFKC", p.extract_text())) for p in reader.pages]


def test_printed_pdf_has_the_verdict_on_page_one(browser: Browser, faulty_run: RunResult) -> None:
    page = _open(browser, faulty_run.paths["scorecard.html"])
    pages = _pdf_pages(page)
    assert len(pages) > 1
    first = pages[0]
    vendor = faulty_run.scorecard.vendor.name
    assert vendor.split(" with ")[0] in first
    assert "Not recommended yet" in first
    assert "OneRoster 1.2 Not certified" in first
    assert "District profile Rostering only" in first
    assert "Student personal data (names, emails, birth dates, identifiers) is masked" in first
    assert "Not recommended yet" not in " ".join(pages[1:])
