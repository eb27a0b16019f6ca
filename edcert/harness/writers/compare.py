"""compare.html and compare.md: the side-by-side matrix of ``edcert compare``.

The HTML is self-contained (inline CSS, no external URL) and autoescaped; the Markdown escapes every
value with :func:`~edcert.harness.writers.markdown.md_text`.
"""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from edcert import __version__
from edcert.harness.compare import Comparison, Row
from edcert.harness.writers.markdown import md_text

_ENV = Environment(
    loader=PackageLoader("edcert.harness.writers", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_MARK = {"good": "✅ ", "bad": "❌ ", "warn": "⚠️ ", "none": ""}


def render_compare_html(comparison: Comparison) -> str:
    """The matrix as one self-contained HTML page."""
    return _ENV.get_template("compare.html.j2").render(cmp=comparison, version=__version__)


def _md_row(row: Row, label: str) -> str:
    cells = " | ".join(f"{_MARK[c.status]}{md_text(c.text)}" for c in row.cells)
    return f"| {label} | {cells} |"


def render_compare_markdown(comparison: Comparison) -> str:
    """The matrix as Markdown tables."""
    cmp = comparison
    header = "| | " + " | ".join(f"**{md_text(c.vendor)}**" for c in cmp.columns) + " |"
    rule = "| --- |" + " --- |" * len(cmp.columns)
    lines = [f"# edcert vendor comparison ({len(cmp.columns)} vendors)", "",
             f"Generated {cmp.generated_at} by edcert {__version__}.", "", "## Vendors", "",
             "| Vendor | Product | Tested | District profile | edcert | Scorecard |",
             "| --- | --- | --- | --- | --- | --- |"]
    for c in cmp.columns:
        product = " ".join(x for x in (c.product, c.version) if x)
        tested = c.tested_at + ("" if c.complete else " (incomplete)")
        lines.append(f"| {md_text(c.vendor)} | {md_text(product)} | {md_text(tested)} | {md_text(c.profile or '-')}"
                     f" | {md_text(c.harness_version)} | {md_text(c.source)} |")
    lines += ["", "## Verdicts", "", header, rule, _md_row(cmp.overall, "**Overall**")]
    lines += [_md_row(r, f"{md_text(r.label)} ({md_text(r.detail)})") for r in cmp.standards]
    lines += ["", "## Categories (checks passed of those decided)", "", header, rule]
    lines += [_md_row(r, f"{md_text(r.label)} ({md_text(r.detail)})") for r in cmp.categories]
    lines += ["", f"## Must-have checks ({len(cmp.must_haves)}; every vendor passed {cmp.must_haves_all_passed})",
              "", header, rule]
    lines += [_md_row(r, f"{md_text(r.label)} ({md_text(r.detail)})") for r in cmp.must_haves]
    lines.append("")
    return "\n".join(lines)


def write_compare(comparison: Comparison, out_dir: Path) -> dict[str, Path]:
    """Write ``compare.html`` and ``compare.md`` into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, md_path = out_dir / "compare.html", out_dir / "compare.md"
    html_path.write_text(render_compare_html(comparison), encoding="utf-8")
    md_path.write_text(render_compare_markdown(comparison), encoding="utf-8")
    return {"compare.html": html_path, "compare.md": md_path}
