"""Plain language for the scorecard's first screen: words a purchasing committee understands.

Everything here is derived from the check results, by category: a table says
what each category means when it works and when it does not, another estimates
how much work fixing a category usually is (the "quick wins" are the failed
checks whose fix is small). The writers (HTML, Markdown) render what these
functions return; none of the wording lives in a template.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from edcert.harness.profile import KNOWN_STANDARDS
from edcert.harness.scorecard import CheckResult, Outcome, Scorecard

STANDARD_NAMES = KNOWN_STANDARDS  # one table of standard names, kept with the profile's vocabulary
# What each standard is for, in one phrase (the first screen's "tested against").
STANDARD_PURPOSE = {
    "oneroster-1.1": "class rosters from the student information system",
    "oneroster-1.2": "class rosters from the student information system",
    "oneroster-csv-1.1": "class rosters as CSV files",
    "oneroster-csv-1.2": "class rosters as CSV files",
    "edfi-api": "state and district reporting data",
    "edfi-client": "sending student records into the state or district Ed-Fi API",
    "lti-1.3-tool": "launching the tool from the district's learning platform",
    "lti-1.3-platform": "launching tools from the learning platform",
}


@dataclass(frozen=True)
class CategoryWords:
    """What one category of checks means, in plain language.

    Attributes:
        topic: A short heading (the chart's row label).
        works: A clause for when every check of the category passed.
        fails: A clause for when some failed (a count is appended).
    """

    topic: str
    works: str
    fails: str


# Ordered by what matters most to a district: protecting student data, then getting the roster at all,
# then getting it right, then the conveniences.
CATEGORY_WORDS: dict[str, CategoryWords] = {
    "security": CategoryWords("Security", "no security problem was found", "security problems were found"),
    "auth": CategoryWords("Access control", "student data is locked down",
                          "student data is not fully locked down"),
    "operations": CategoryWords("Roster lists", "every roster list can be read",
                                "some roster lists cannot be read"),
    "data-model": CategoryWords("Record format", "records arrive complete and well formatted",
                                "some records are incomplete or wrongly formatted"),
    "referential-integrity": CategoryWords(
        "Links between records", "students, classes and schools link up correctly",
        "some records point to people, classes or schools that do not exist"),
    "pagination": CategoryWords("Long lists", "long lists arrive complete",
                                "long lists lose or repeat records"),
    "filtering": CategoryWords("Asking for some records", "applications can ask for only what changed",
                               "asking for only some records (such as what changed) returns the wrong ones"),
    "fields": CategoryWords("Asking for some details", "applications can ask for only the details they need",
                            "asking for only some details does not work"),
    "sorting": CategoryWords("Sorted lists", "lists come back in the order asked for",
                             "lists do not come back in the order asked for"),
    "errors": CategoryWords("Error messages", "problems are reported clearly",
                            "problems are not reported the standard way"),
    "fuzz": CategoryWords("Unexpected requests", "thousands of generated requests are answered as documented",
                          "some generated requests get answers the specification does not allow"),
}

EffortSize = Literal["small", "medium", "large"]


@dataclass(frozen=True)
class Effort:
    """A rough estimate of the work a fix takes."""

    size: EffortSize
    words: str


SMALL = Effort("small", "small (usually under a day: a change to how answers are labelled or formatted)")
MEDIUM = Effort("medium", "medium (usually a few days: a change to how queries are answered)")
LARGE = Effort("large", "large (a week or more: a change to how the data itself is kept or linked)")

# Usual effort per category, from what fixing that kind of failure takes in a typical provider.
EFFORT_BY_CATEGORY: dict[str, Effort] = {
    "errors": SMALL,
    "data-model": SMALL,
    "security": MEDIUM,
    "auth": MEDIUM,
    "operations": MEDIUM,
    "pagination": MEDIUM,
    "filtering": MEDIUM,
    "fields": MEDIUM,
    "sorting": MEDIUM,
    "referential-integrity": LARGE,
}
# Checks whose fix is smaller than their category's usual: a header, a status code or one more field.
EFFORT_BY_CHECK: dict[str, Effort] = {
    "OR12-AUTH-005": SMALL,  # answer 403 instead of 401
    "OR12-AUTH-007": SMALL,  # add token_type / expires_in to the token response
    "OR12-AUTH-008": SMALL,  # add the status payload to the 401
    "OR12-PAGE-004": SMALL,  # X-Total-Count header
    "OR12-PAGE-005": SMALL,  # Link header
    "OR12-PAGE-006": SMALL,  # a default limit of 100
    "OR12-PAGE-007": SMALL,  # an empty page past the end
    "OR12-FILT-011": SMALL,  # 400 for an unknown filter field
    "OR12-FLD-004": SMALL,  # 400 for an unknown field name
}
QUICK_WINS = 8


def words_for(category: str) -> CategoryWords:
    """The plain-language words of a category (a neutral fallback for categories not in the table)."""
    known = CATEGORY_WORDS.get(category)
    if known is not None:
        return known
    topic = category.replace("-", " ").capitalize()
    return CategoryWords(topic, f"the {topic.lower()} checks pass", f"some {topic.lower()} checks fail")


def effort_of(check: CheckResult) -> Effort:
    """The estimated effort of fixing a failed check: its own estimate, else its category's."""
    return EFFORT_BY_CHECK.get(check.id) or EFFORT_BY_CATEGORY.get(check.category, MEDIUM)


def must_have(check: CheckResult) -> bool:
    """The check gates its standard's verdict (required, or promoted by the district profile)."""
    return bool(getattr(check, "must_have", check.level == "required"))


def waived(check: CheckResult) -> bool:
    """A failure the district has waived (shown as waived, never as passed)."""
    return bool(getattr(check, "waived", False))


def _order(category: str) -> tuple[int, str]:
    keys = list(CATEGORY_WORDS)
    return (keys.index(category) if category in keys else len(keys), category)


@dataclass
class CategoryTally:
    """One category's outcomes in one standard."""

    category: str
    topic: str
    passed: int = 0
    failed: int = 0
    waived: int = 0
    error: int = 0
    not_tested: int = 0
    must_have_failed: int = 0
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def decided(self) -> int:
        return self.passed + self.failed + self.waived + self.error

    @property
    def total(self) -> int:
        return self.decided + self.not_tested


def tally(checks: Iterable[CheckResult]) -> list[CategoryTally]:
    """Outcomes per category, most important category first."""
    by: dict[str, CategoryTally] = {}
    for c in checks:
        t = by.setdefault(c.category, CategoryTally(c.category, words_for(c.category).topic))
        t.checks.append(c)
        if c.outcome is Outcome.PASSED:
            t.passed += 1
        elif c.outcome is Outcome.FAILED and waived(c):
            t.waived += 1
        elif c.outcome is Outcome.FAILED:
            t.failed += 1
            t.must_have_failed += must_have(c)
        elif c.outcome is Outcome.ERROR:
            t.error += 1
            t.must_have_failed += must_have(c)
        else:
            t.not_tested += 1
    return [by[k] for k in sorted(by, key=_order)]


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def standard_sentence(checks: Sequence[CheckResult], *, max_works: int = 3, max_fails: int = 3) -> str:
    """One sentence on what works and what does not, from the checks of one standard.

    Example: "Every roster list can be read and student data is locked down; but long lists lose
    or repeat records (2 of 7 checks) and some records are incomplete or wrongly formatted (1 of 14)."
    """
    tallies = [t for t in tally(checks) if t.decided]
    if not tallies:
        return "Nothing could be tested."
    works = [words_for(t.category).works for t in tallies if t.passed == t.decided]
    broken = sorted((t for t in tallies if t.failed or t.waived), key=lambda t: (t.must_have_failed == 0,
                                                                                  _order(t.category)))
    undecided = [t for t in tallies if t.error and not (t.failed or t.waived)]
    fails: list[str] = []
    for t in broken:
        n = t.failed + t.waived
        note = ", waived by the district" if t.waived and not t.failed else ""
        fails.append(f"{words_for(t.category).fails} ({n} of {t.decided}{' checks' if not fails else ''}{note})")
    if len(fails) > max_fails:
        rest = len(fails) - max_fails
        fails = [*fails[:max_fails], f"{rest} more area{'s have' if rest > 1 else ' has'} problems"]
    fails += [f"edcert could not tell whether {t.topic.lower()} work ({t.error} of {t.decided} undecided)"
              for t in undecided]
    more = len(works) - max_works
    if not fails:
        tail = f", and {more} more area{'s' if more > 1 else ''} work as the standard lays out" if more > 0 else ""
        return _capital(f"everything edcert tested works: {_join(works[:max_works])}{tail}.")
    if not works:
        return _capital(f"{_join(fails)}.")
    shown = works[:max_works] + ([f"{more} more area{'s work' if more > 1 else ' works'}"] if more > 0 else [])
    return _capital(f"{_join(shown)}; but {_join(fails)}.")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Recommendation:
    """The overall recommendation on the first screen."""

    tone: Literal["ok", "caution", "bad", "unknown"]
    headline: str
    detail: str


def recommendation(scorecard: Scorecard) -> Recommendation:
    """The overall recommendation, from the gate (the same decision as the exit code)."""
    code = int(scorecard.gate.get("exit_code", 1))
    who = scorecard.vendor.product or scorecard.vendor.name
    tested = _join([_name(s.standard) for s in scorecard.standards]) or "the standards it claims"
    waived_count = sum(1 for c in scorecard.checks if waived(c))
    if bool(getattr(scorecard, "insecure", False)):
        return Recommendation("bad", "Not recommended: tested without checking the connection's security",
                              "Certificate checking was turned off, so edcert cannot vouch for whom it talked to. "
                              "Test again with certificate checking on.")
    if not scorecard.complete or code == 3:
        return Recommendation("unknown", "No recommendation yet: the test could not finish",
                              f"edcert could not decide some checks of {who} (for example the product did not "
                              "answer). Test again before deciding: an unfinished test is never a pass.")
    if code == 0:
        if waived_count:
            plural = waived_count > 1
            return Recommendation(
                "caution", "Recommended, with conditions",
                f"{who} meets the district's requirements for {tested}, but {waived_count} known "
                f"problem{'s are' if plural else ' is'} accepted only for a limited time (see Waivers); the "
                f"vendor is expected to fix {'them' if plural else 'it'} before the waiver ends.")
        return Recommendation("ok", "Recommended",
                              f"{who} meets every required part of {tested} that edcert tested.")
    blocking = [c for c in scorecard.checks if must_have(c) and c.outcome is Outcome.FAILED and not waived(c)]
    if blocking:
        quick = sum(1 for c in blocking if effort_of(c).size == "small")
        detail = (f"{who} does not meet every required part of {tested}: {len(blocking)} required "
                  f"problem{'s' if len(blocking) != 1 else ''} must be fixed first")
        detail += f", {quick} of them usually quick to fix." if quick else "."
    else:
        reasons = scorecard.gate.get("reasons")
        detail = (" ".join(str(r) for r in reasons[:2]) if isinstance(reasons, list) and reasons
                  else f"{who} does not meet the district's requirements yet.")
    return Recommendation("bad", "Not recommended yet", detail)


def _name(standard: str) -> str:
    return STANDARD_NAMES.get(standard, standard)


def quick_wins(checks: Iterable[CheckResult], limit: int = QUICK_WINS) -> list[tuple[CheckResult, Effort]]:
    """Failed (not waived) checks whose fix is small, must-haves first."""
    found = [(c, effort_of(c)) for c in checks if c.outcome is Outcome.FAILED and not waived(c)]
    small = [(c, e) for c, e in found if e.size == "small"]
    small.sort(key=lambda pair: (not must_have(pair[0]), pair[0].standard, pair[0].id))
    return small[:limit]


@dataclass(frozen=True)
class ChartSegment:
    kind: str
    label: str
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class ChartRow:
    topic: str
    y: float
    segments: tuple[ChartSegment, ...]
    text: str


@dataclass(frozen=True)
class Chart:
    """Geometry of the category chart; the template draws it as inline SVG (labels autoescaped)."""

    width: float
    height: float
    label_width: float
    bar_width: float
    row_height: float
    rows: tuple[ChartRow, ...]
    description: str
    legend: tuple[tuple[str, str], ...] = ()


_SEGMENTS = (("passed", "passed"), ("failed", "failed"), ("waived", "failed but waived"),
             ("error", "undecided"), ("not_tested", "not tested"))


def category_chart(checks: Sequence[CheckResult], *, width: float = 720, label_width: float = 200,
                   text_width: float = 150, row_height: float = 30) -> Chart:
    """Pass/fail per category as bar geometry, with a text description for screen readers."""
    bar_width = width - label_width - text_width
    rows = []
    lines = []
    for i, t in enumerate(tally(checks)):
        x = label_width
        segments = []
        for kind, label in _SEGMENTS:
            count = int(getattr(t, kind))
            if not count:
                continue
            w = bar_width * count / t.total
            segments.append(ChartSegment(kind, label, count, round(x, 2), round(w, 2)))
            x += w
        text = f"{t.passed} of {t.total} pass"
        rows.append(ChartRow(t.topic, i * row_height, tuple(segments), text))
        parts = ", ".join(f"{s.count} {s.label}" for s in segments)
        lines.append(f"{t.topic}: {parts}")
    kinds = tuple(kind for kind, _ in _SEGMENTS if any(seg.kind == kind for row in rows for seg in row.segments))
    return Chart(width=width, height=max(1, len(rows)) * row_height, label_width=label_width,
                 bar_width=bar_width, row_height=row_height, rows=tuple(rows), description="; ".join(lines) + ".",
                 legend=tuple((kind, label) for kind, label in _SEGMENTS if kind in kinds))


def plain_context(scorecard: Scorecard) -> dict[str, Any]:
    """Everything the first screen needs in plain language, per standard and overall."""
    per_standard = {}
    for s in scorecard.standards:
        mine = [c for c in scorecard.checks if c.standard == s.standard]
        per_standard[s.standard] = {"sentence": standard_sentence(mine) if mine else s.summary,
                                    "chart": category_chart(mine) if mine else None}
    return {"recommendation": recommendation(scorecard), "per_standard": per_standard,
            "quick_wins": quick_wins(scorecard.checks)}
