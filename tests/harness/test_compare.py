"""edcert compare: vendors side by side (standards, categories, must-haves), as HTML and Markdown."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from edcert.harness.compare import compare_scorecards
from edcert.harness.scorecard import Scorecard, Vendor
from edcert.harness.writers.compare import render_compare_html, render_compare_markdown
from edcert.harness.writers.json import write_json
from tests.harness.md_render import render
from tests.harness.sandbox_scorecards import (
    EVIL_VENDOR,
    RECOMMENDED_ONLY,
    REQUIRED_AND_RECOMMENDED,
    evil_vendor_scorecard,
    invoke,
    sandbox_scorecard,
)


def edcert(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edcert", *args], capture_output=True, text=True, timeout=120,
                          env=os.environ.copy(), check=False)


def named(sc: Scorecard, name: str) -> Scorecard:
    return sc.model_copy(update={"vendor": Vendor(name=name, product="Hub", version="1")})


def three_vendors() -> list[tuple[Path, Scorecard]]:
    return [(Path("a/scorecard.json"), named(sandbox_scorecard(), "Alpha Learning")),
            (Path("b/scorecard.json"), named(sandbox_scorecard(REQUIRED_AND_RECOMMENDED), "Beta Rosters")),
            (Path("c/scorecard.json"), named(sandbox_scorecard(RECOMMENDED_ONLY), "Gamma Class"))]


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_matrix_rows_and_columns() -> None:
    cmp = compare_scorecards(three_vendors())
    assert [c.vendor for c in cmp.columns] == ["Alpha Learning", "Beta Rosters", "Gamma Class"]
    assert [c.text for c in cmp.overall.cells] == ["recommended", "not recommended", "recommended"]
    assert [r.label for r in cmp.standards] == ["OneRoster 1.2"]
    std = [c.text for c in cmp.standards[0].cells]
    assert std[0] == "certified · 100/100" and std[1].startswith("not certified · ") and std[2].startswith("certified")
    cats = {r.label: [c.text for c in r.cells] for r in cmp.categories}
    assert cats["auth"] == ["8 of 8 (100%)", "7 of 8 (88%)", "8 of 8 (100%)"]
    assert cats["sorting"] == ["2 of 2 (100%)", "1 of 2 (50%)", "1 of 2 (50%)"]
    assert [c.status for c in cmp.categories[[r.label for r in cmp.categories].index("sorting")].cells] == [
        "good", "bad", "bad"]
    must = {c.id for c in sandbox_scorecard().checks if c.must_have}
    assert {r.detail for r in cmp.must_haves} == must and len(cmp.must_haves) == len(must)
    first = cmp.must_haves[0]  # problems first
    assert first.detail == "OR12-AUTH-001" and [c.text for c in first.cells] == ["passed", "failed", "passed"]
    passed_by_all = {c.id for c in sandbox_scorecard().checks if c.must_have and c.outcome.value == "passed"}
    passed_by_all -= {"OR12-AUTH-001"}
    assert cmp.must_haves_all_passed == len(passed_by_all)
    assert "OR12-SORT-002" not in must  # recommended: not a must-have row


def test_markdown_matrix() -> None:
    rendered = render(render_compare_markdown(compare_scorecards(three_vendors())))
    vendors, verdicts, categories, must = rendered.tables
    assert [r[0] for r in vendors.rows] == ["Alpha Learning", "Beta Rosters", "Gamma Class"]
    assert verdicts.header == ["", "Alpha Learning", "Beta Rosters", "Gamma Class"]
    assert verdicts.rows[0] == ["Overall", "✅ recommended", "❌ not recommended", "✅ recommended"]
    assert ["auth (OneRoster 1.2)", "✅ 8 of 8 (100%)", "⚠️ 7 of 8 (88%)", "✅ 8 of 8 (100%)"] in categories.rows
    assert must.rows[0] == ["A request without a token is refused with 401 (OR12-AUTH-001)", "✅ passed",
                            "❌ failed", "✅ passed"]


def test_cli_writes_self_contained_html_and_markdown(tmp_path: Path) -> None:
    paths = []
    for source, sc in three_vendors():
        path = tmp_path / source
        path.parent.mkdir()
        write_json(sc, path)
        paths.append(str(path))
    out = tmp_path / "cmp"
    proc = edcert("compare", *paths, "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [f"compare.html: {out / 'compare.html'}", f"compare.md: {out / 'compare.md'}"]
    html = (out / "compare.html").read_text()
    page = parse(html)
    assert not {"script", "link", "img", "iframe", "object"} & set(page.tags)
    assert not re.search(r"https?://|@import|url\(", html), "compare.html must not load anything"
    text = " ".join(page.text)
    for vendor in ("Alpha Learning", "Beta Rosters", "Gamma Class"):
        assert vendor in text
    assert "not recommended" in text and "OR12-AUTH-001" in text and "7 of 8 (88%)" in text
    assert render((out / "compare.md").read_text()).tables[1].header[1:] == [
        "Alpha Learning", "Beta Rosters", "Gamma Class"]
    # report folders work as well as scorecard.json files
    proc = edcert("compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "cmp2"))
    assert proc.returncode == 0 and (tmp_path / "cmp2" / "compare.md").is_file()


def test_vendor_text_is_escaped_in_html_and_markdown() -> None:
    vendors = [(Path("ok.json"), sandbox_scorecard()), (Path("evil.json"), evil_vendor_scorecard())]
    cmp = compare_scorecards(vendors)
    html = render_compare_html(cmp)
    page = parse(html)
    assert not {"script", "b", "img", "a"} & set(page.tags)
    assert EVIL_VENDOR in "".join(page.text) and "<b>Hub</b>" in "".join(page.text)
    assert "<script>" not in html
    rendered = render(render_compare_markdown(cmp))
    assert not {"script", "b", "img", "a"} & set(rendered.tags)
    assert rendered.tables[1].header == ["", "edcert sandbox under test", EVIL_VENDOR]
    assert rendered.tables[0].rows[1][:2] == [EVIL_VENDOR, "<b>Hub</b>"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["ok"], "compare needs at least two scorecards (got 1)"),
        (["ok", "junk"], "not an edcert scorecard"),
        (["ok", "v2"], "different schema_version"),
        (["ok", "missing"], "no such file"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, files: list[str], message: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    write_json(sandbox_scorecard(), tmp_path / "ok")
    (tmp_path / "junk").write_text("<html>not a scorecard</html>")
    (tmp_path / "v2").write_text('{"schema_version": 2, "checks": []}')
    proc = invoke(capsys, "compare", *[str(tmp_path / f) for f in files], "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("edcert: error: ") and message in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
