"""scorecard.html: self-contained, printable, plain language first.

The first screen says, in words a purchasing committee understands, who was
tested, when, against what, the overall recommendation and one sentence per
standard; then come the per-standard badges, a category chart (inline SVG),
the quick wins and the detail of every check with its evidence.

Everything that came from the vendor is escaped: the environment autoescapes,
the template never marks vendor text safe, and the page forbids scripts and
every external resource in its Content-Security-Policy, so that even a
mistake could not run vendor markup or reach the network.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from jinja2 import Environment, PackageLoader, select_autoescape

from edcert.harness.scorecard import CheckResult, Outcome, Scorecard, StandardResult
from edcert.harness.writers.plain import (
    STANDARD_NAMES,
    STANDARD_PURPOSE,
    effort_of,
    must_have,
    plain_context,
    waived,
)

_ENV = Environment(
    loader=PackageLoader("edcert.harness.writers", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

_LEVEL_ORDER = {"required": 0, "recommended": 1, "optional": 2}
EVIDENCE_WORDS = {
    "masked": "Student personal data (names, emails, birth dates, identifiers) is masked in the evidence; "
              "passwords, tokens and keys are always removed.",
    "full": "FULL evidence was requested: the evidence below includes student personal data. Passwords, "
            "tokens and keys are still removed. Share this report only with people allowed to see student "
            "records.",
}


@dataclass(frozen=True)
class Badge:
    """A verdict badge: its words and its colour class."""

    text: str
    tone: Literal["ok", "caution", "bad", "unknown", "neutral"]


def standard_badge(s: StandardResult) -> Badge:
    """The badge of one standard: certified, not certified, or why it could not be judged."""
    status = getattr(s, "status", "tested")
    if status == "not_claimed":
        return Badge("Required, not offered", "bad")
    if status == "not_implemented":
        return Badge("Cannot be tested yet", "unknown")
    if s.verdict == "certified":
        return Badge("Certified with waivers", "caution") if getattr(s, "waived", []) else Badge("Certified", "ok")
    return Badge("Not certified", "bad")


def outcome_badge(c: CheckResult) -> Badge:
    """The badge of one check; a waived failure is shown as waived, never as passed."""
    if c.outcome is Outcome.FAILED and waived(c):
        expires = getattr(getattr(c, "waiver", None), "expires", None)
        return Badge(f"waived until {expires.isoformat()}" if expires else "waived", "caution")
    return {
        Outcome.PASSED: Badge("passed", "ok"),
        Outcome.FAILED: Badge("failed", "bad"),
        Outcome.ERROR: Badge("undecided", "unknown"),
        Outcome.SKIPPED: Badge("not tested", "neutral"),
        Outcome.NOT_APPLICABLE: Badge("not applicable", "neutral"),
    }[c.outcome]


def pretty(body: str) -> str:
    """A JSON body indented for reading (unchanged when it is not complete JSON, e.g. a cut excerpt)."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):  # vendor text: nested 100,000 deep, 10,000-digit numbers...
        return body


def _problem_key(c: CheckResult) -> tuple[int, int, int, str, str]:
    return (int(waived(c)), int(not must_have(c)), _LEVEL_ORDER.get(c.level, 9), c.standard, c.id)


__all__ = ["STANDARD_NAMES", "Badge", "outcome_badge", "render_html", "standard_badge", "write_html"]


def render_html(scorecard: Scorecard) -> str:
    """The scorecard as one self-contained HTML page."""
    problems = sorted((c for c in scorecard.checks if c.outcome in (Outcome.FAILED, Outcome.ERROR)),
                      key=_problem_key)
    tested = [s.standard for s in scorecard.standards]
    template = _ENV.get_template("scorecard.html.j2")
    return template.render(
        sc=scorecard, problems=problems, names=STANDARD_NAMES, purposes=STANDARD_PURPOSE, tested=tested,
        plain=plain_context(scorecard), standard_badge=standard_badge, outcome_badge=outcome_badge,
        must_have=must_have, waived=waived, effort_of=effort_of, pretty=pretty,
        evidence_words=EVIDENCE_WORDS.get(scorecard.evidence_mode, EVIDENCE_WORDS["masked"]),
        all_certified=bool(scorecard.standards) and all(s.verdict == "certified" for s in scorecard.standards),
    )


def write_html(scorecard: Scorecard, path: Path) -> None:
    """Write ``scorecard.html``."""
    path.write_text(render_html(scorecard), encoding="utf-8")
