"""scorecard.html: self-contained (no external URL), autoescaped, verdict first."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from edcert.harness.scorecard import Outcome, Scorecard

_ENV = Environment(
    loader=PackageLoader("edcert.harness.writers", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

STANDARD_NAMES = {
    "oneroster-1.1": "OneRoster 1.1",
    "oneroster-1.2": "OneRoster 1.2",
    "oneroster-csv-1.1": "OneRoster CSV 1.1",
    "oneroster-csv-1.2": "OneRoster CSV 1.2",
    "edfi-api": "Ed-Fi API",
    "lti-1.3-tool": "LTI 1.3 tool",
    "lti-1.3-platform": "LTI 1.3 platform",
}
_LEVEL_ORDER = {"required": 0, "recommended": 1, "optional": 2}


def render_html(scorecard: Scorecard) -> str:
    problems = sorted(
        (c for c in scorecard.checks if c.outcome in (Outcome.FAILED, Outcome.ERROR)),
        key=lambda c: (_LEVEL_ORDER[c.level], c.standard, c.id),
    )
    template = _ENV.get_template("scorecard.html.j2")
    return template.render(
        sc=scorecard, problems=problems, names=STANDARD_NAMES,
        all_certified=bool(scorecard.standards) and all(s.verdict == "certified" for s in scorecard.standards),
    )


def write_html(scorecard: Scorecard, path: Path) -> None:
    path.write_text(render_html(scorecard), encoding="utf-8")
