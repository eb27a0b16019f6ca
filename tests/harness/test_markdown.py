"""scorecard.md: written beside the HTML and JSON, verdict first, failures explained, vendor text inert."""
from __future__ import annotations

from pathlib import Path

import pytest

from edcert.harness.scorecard import Outcome
from edcert.harness.writers import WRITERS, write_all
from edcert.harness.writers.markdown import md_code_block, md_text, render_markdown
from tests.harness.md_render import render
from tests.harness.sandbox_scorecards import (
    EVIL_VENDOR,
    REQUIRED_AND_RECOMMENDED,
    evil_vendor_scorecard,
    sandbox_scorecard,
)

NASTY = [
    "plain text",
    "a | b || c",
    "`code` and ``double`` and ```fence```",
    "<script>alert(1)</script>",
    "</td></tr></table><img src=x onerror=alert(1)>",
    "[click](javascript:alert(1)) and ![img](x.png)",
    "*bold* _em_ **strong** ~~gone~~ # not a heading",
    "line one\nline two\r\nline three",
    "&lt;already escaped&gt; &amp; &#60;",
    "back\\slash \\| \\`",
    "$x^2$ and {braces}",
]


def _cell_text(markdown_cell: str) -> str:
    table = render(f"| h |\n| --- |\n| {markdown_cell} |\n").tables
    assert len(table) == 1 and len(table[0].rows) == 1 and len(table[0].rows[0]) == 1
    return table[0].rows[0][0]


@pytest.mark.parametrize("text", NASTY)
def test_md_text_renders_as_exactly_the_original_characters_in_a_table_cell(text: str) -> None:
    rendered = render(f"| h |\n| --- |\n| {md_text(text)} |\n")
    assert set(rendered.tags) <= {"table", "thead", "tbody", "tr", "th", "td", "br"}, rendered.html
    assert _cell_text(md_text(text)) == text.replace("\r\n", "\n").strip()


@pytest.mark.parametrize("text", NASTY)
def test_md_text_is_inert_in_prose(text: str) -> None:
    rendered = render(f"- **Found**: {md_text(text)}\n")
    assert set(rendered.tags) <= {"ul", "li", "strong", "br"}, rendered.html
    assert rendered.text.replace("Found: ", "", 1).strip() == text.replace("\r\n", "\n").replace("\n", "").strip()


def test_a_fenced_block_cannot_be_closed_by_its_content() -> None:
    text = "curl -sS 'http://x'\n```\n<script>alert(1)</script>\n````\nend"
    rendered = render(md_code_block(text, "sh") + "\n\nafter\n")
    assert rendered.tags.count("pre") == 1 and "script" not in rendered.tags
    assert text in rendered.text


def test_markdown_is_one_of_the_writers_and_lands_beside_html_and_json(tmp_path: Path) -> None:
    assert "scorecard.md" in WRITERS
    paths = write_all(sandbox_scorecard(), tmp_path)
    assert {"scorecard.json", "scorecard.html", "scorecard.md"} <= set(paths)
    text = (tmp_path / "scorecard.md").read_text()
    assert text.startswith("# edcert scorecard: edcert sandbox under test")
    rendered = render(text)
    verdicts = rendered.tables[0]
    assert verdicts.header[:3] == ["Standard", "Verdict", "Score"]
    assert verdicts.rows[0][:3] == ["OneRoster 1.2", "certified", "100.0"]
    assert "What needs fixing (0)" in rendered.text and "Nothing: every check that ran passed." in rendered.text


def test_failures_carry_why_remediation_and_repro() -> None:
    sc = sandbox_scorecard(REQUIRED_AND_RECOMMENDED)
    text = render_markdown(sc)
    rendered = render(text)
    assert rendered.tables[0].rows[0][:2] == ["OneRoster 1.2", "not certified"]
    failed = [c for c in sc.checks if c.outcome is Outcome.FAILED]
    assert {c.id for c in failed} == {"OR12-AUTH-001", "OR12-SORT-002"}
    assert f"What needs fixing ({len(failed)})" in rendered.text
    # the required failure comes first, then the recommended one
    assert rendered.text.index("OR12-AUTH-001") < rendered.text.index("OR12-SORT-002")
    for c in failed:
        assert c.title in rendered.text and c.why in rendered.text and c.remediation in rendered.text
        assert c.message in rendered.text
        assert c.repro, c.id
        assert f"<code class=\"language-sh\">{_html(c.repro)}\n</code>" in rendered.html
    every = rendered.tables[-1]
    assert every.header == ["Check", "Standard", "Level", "Outcome", "What it proves"]
    assert len(every.rows) == len(sc.checks)
    row = every.rows[[r[0] for r in every.rows].index("OR12-AUTH-001")]
    assert row[:4] == ["OR12-AUTH-001", "oneroster-1.2", "required", "failed"]


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def test_vendor_text_cannot_inject_markdown_or_html(tmp_path: Path) -> None:
    sc = evil_vendor_scorecard()
    write_all(sc, tmp_path)
    text = (tmp_path / "scorecard.md").read_text()
    rendered = render(text)
    assert "script" not in rendered.tags and "img" not in rendered.tags and "b" not in rendered.tags
    assert "a" not in rendered.tags, "no link may come from vendor text"
    assert not any(name.startswith("on") for name, _ in rendered.attrs)
    assert f"edcert scorecard: {EVIL_VENDOR}" in rendered.text  # shown literally, every character
    assert "<b>Hub</b>" in rendered.text
    failure = next(c for c in sc.checks if c.id == "OR12-AUTH-001")
    # the message's newline became a line break inside the same list item; nothing else changed
    assert failure.message.replace("\n", "") in rendered.text
    assert f"Received: {failure.received}" in rendered.text
    # the raw file has no tag a renderer would take as HTML
    assert "<script" not in text and "<img" not in text and "</td>" not in text
