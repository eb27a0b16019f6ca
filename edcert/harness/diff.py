"""``edcert diff``: what changed between two scorecards of the same vendor (the renewal gate).

A *regression* is a check that passed before and now fails or cannot be decided (``failed`` or ``error``).
The gate fails (exit 1) on a regression of a must-have check, or of any check with ``strict``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from edcert.harness.scorecard import CheckResult, Outcome, Scorecard
from edcert.harness.writers.markdown import md_text, standard_name

BAD = frozenset({Outcome.FAILED.value, Outcome.ERROR.value})
EXIT_OK = 0
EXIT_REGRESSED = 1


def is_must_have(check: CheckResult) -> bool:
    """A check the gate requires: level ``required``, or as the district profile promoted or demoted it."""
    return check.must_have


@dataclass(frozen=True)
class CheckChange:
    """One check whose outcome differs between the two scorecards (``None``: absent on that side)."""

    id: str
    standard: str
    title: str
    level: str
    must_have: bool
    old: str | None
    new: str | None
    message: str = ""
    waived: bool = False
    """The new failure is covered by an active district waiver: reported, never gating."""


@dataclass(frozen=True)
class StandardChange:
    """One standard whose verdict or score differs (``None``: not in that scorecard)."""

    standard: str
    old_verdict: str | None
    new_verdict: str | None
    old_score: float | None
    new_score: float | None


@dataclass
class ScorecardDiff:
    """Everything ``edcert diff`` reports."""

    old: Scorecard
    new: Scorecard
    regressed: list[CheckChange] = field(default_factory=list)
    fixed: list[CheckChange] = field(default_factory=list)
    added: list[CheckChange] = field(default_factory=list)
    removed: list[CheckChange] = field(default_factory=list)
    other: list[CheckChange] = field(default_factory=list)
    standards: list[StandardChange] = field(default_factory=list)

    def gating(self, strict: bool = False) -> list[CheckChange]:
        """The regressions that fail the gate: must-have ones (any with ``strict``) not waived by the district."""
        return [c for c in self.regressed if not c.waived and (strict or c.must_have)]

    def exit_code(self, strict: bool = False) -> int:
        """1 when a must-have check regressed (any check with ``strict``), else 0."""
        return EXIT_REGRESSED if self.gating(strict) else EXIT_OK

    @property
    def verdict_changes(self) -> list[StandardChange]:
        return [s for s in self.standards if s.old_verdict != s.new_verdict]


def _change(check: CheckResult, old: str | None, new: str | None, must_have: bool) -> CheckChange:
    return CheckChange(id=check.id, standard=check.standard, title=check.title, level=check.level,
                       must_have=must_have, old=old, new=new, message=check.message,
                       waived=new is not None and check.waived)


def diff_scorecards(old: Scorecard, new: Scorecard) -> ScorecardDiff:
    """Compare two scorecards check by check and standard by standard."""
    result = ScorecardDiff(old=old, new=new)
    before = {c.id: c for c in old.checks}
    after = {c.id: c for c in new.checks}
    for check_id in sorted(set(before) | set(after)):
        was, now = before.get(check_id), after.get(check_id)
        if was is None and now is not None:
            result.added.append(_change(now, None, now.outcome.value, is_must_have(now)))
        elif now is None and was is not None:
            result.removed.append(_change(was, was.outcome.value, None, is_must_have(was)))
        elif was is not None and now is not None and was.outcome != now.outcome:
            change = _change(now, was.outcome.value, now.outcome.value, is_must_have(now))
            if was.outcome is Outcome.PASSED and now.outcome.value in BAD:
                result.regressed.append(change)
            elif was.outcome.value in BAD and now.outcome is Outcome.PASSED:
                result.fixed.append(change)
            else:
                result.other.append(change)
    old_std = {s.standard: s for s in old.standards}
    new_std = {s.standard: s for s in new.standards}
    for name in sorted(set(old_std) | set(new_std)):
        a, b = old_std.get(name), new_std.get(name)
        std = StandardChange(standard=name, old_verdict=a.verdict if a else None,
                             new_verdict=b.verdict if b else None, old_score=a.score if a else None,
                             new_score=b.score if b else None)
        if (std.old_verdict, std.old_score) != (std.new_verdict, std.new_score):
            result.standards.append(std)
    for items in (result.regressed, result.fixed, result.added, result.removed, result.other):
        items.sort(key=lambda c: (not c.must_have, c.standard, c.id))
    return result


def _verdict(value: str | None) -> str:
    return {"certified": "certified", "not_certified": "not certified", None: "absent"}.get(value, str(value))


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _outcome(value: str | None) -> str:
    return "absent" if value is None else value.replace("_", " ")


def _conclusion(diff: ScorecardDiff, strict: bool) -> str:
    gating = diff.gating(strict)
    if gating:
        what = "check(s)" if strict else "must-have check(s)"
        return f"REGRESSED: {len(gating)} {what} passed before and fail now (exit 1)."
    if not diff.regressed:
        return "No regression (exit 0)."
    waived = sum(1 for c in diff.regressed if c.waived)
    optional = len(diff.regressed) - waived
    parts = ([f"{waived} waived by the district"] if waived else []) + (
        [f"{optional} not must-have (--strict fails on those)"] if optional else [])
    return f"No regression fails the gate ({len(diff.regressed)} check(s) regressed: {'; '.join(parts)}) (exit 0)."


_SECTIONS = (
    ("regressed", "Regressed (passed before, fail now)"),
    ("fixed", "Fixed (failed before, pass now)"),
    ("added", "New checks"),
    ("removed", "Removed checks"),
    ("other", "Other outcome changes"),
)


def _header(diff: ScorecardDiff) -> tuple[str, str, str | None]:
    old, new = diff.old, diff.new
    old_line = f"{old.vendor.name}, tested {old.started_at:%Y-%m-%d %H:%M UTC} (edcert {old.harness.version})"
    new_line = f"{new.vendor.name}, tested {new.started_at:%Y-%m-%d %H:%M UTC} (edcert {new.harness.version})"
    warning = None
    if old.vendor.name != new.vendor.name:
        warning = "the two scorecards name different vendors"
    return old_line, new_line, warning


def render_text(diff: ScorecardDiff, strict: bool = False) -> str:
    """A readable plain-text summary for a terminal or a CI log."""
    old_line, new_line, warning = _header(diff)
    lines = [f"edcert diff: {_conclusion(diff, strict)}", f"  old: {old_line}", f"  new: {new_line}"]
    if warning:
        lines.append(f"  warning: {warning}")
    for s in diff.standards:
        lines.append(f"  {s.standard}: {_verdict(s.old_verdict)} -> {_verdict(s.new_verdict)}, "
                     f"score {_score(s.old_score)} -> {_score(s.new_score)}")
    if not diff.standards:
        lines.append("  verdicts and scores unchanged")
    for attr, title in _SECTIONS:
        items: list[CheckChange] = getattr(diff, attr)
        if not items:
            continue
        lines.append(f"{title}: {len(items)}")
        for c in items:
            flag = ("must-have" if c.must_have else c.level) + (", waived" if c.waived else "")
            lines.append(f"  {c.id:<16} {flag:<12} {_outcome(c.old)} -> {_outcome(c.new)}  {c.title}")
            if c.message and c.new in BAD:
                lines.append(f"  {'':<16} {'':<12} {c.message}")
    if not any(getattr(diff, attr) for attr, _ in _SECTIONS):
        lines.append("No check changed its outcome.")
    return "\n".join(lines) + "\n"


def render_markdown(diff: ScorecardDiff, strict: bool = False) -> str:
    """Markdown for a CI job summary (e.g. ``$GITHUB_STEP_SUMMARY``); vendor text is escaped."""
    old_line, new_line, warning = _header(diff)
    lines = ["## edcert diff", "", f"**{md_text(_conclusion(diff, strict))}**", "",
             f"- Old: {md_text(old_line)}", f"- New: {md_text(new_line)}"]
    if warning:
        lines.append(f"- Warning: {md_text(warning)}")
    lines += ["", "| Standard | Verdict before | Verdict now | Score before | Score now |",
              "| --- | --- | --- | ---: | ---: |"]
    new_std = {s.standard: s for s in diff.new.standards}
    changed = {s.standard: s for s in diff.standards}
    for name in sorted(set(new_std) | set(changed)):
        if name in changed:
            s = changed[name]
            lines.append(f"| {md_text(standard_name(name))} | {_verdict(s.old_verdict)} | "
                         f"**{_verdict(s.new_verdict)}** | {_score(s.old_score)} | {_score(s.new_score)} |")
        else:
            n = new_std[name]
            lines.append(f"| {md_text(standard_name(name))} | {_verdict(n.verdict)} | {_verdict(n.verdict)} | "
                         f"{_score(n.score)} | {_score(n.score)} |")
    for attr, title in _SECTIONS:
        items: list[CheckChange] = getattr(diff, attr)
        if not items:
            continue
        lines += ["", f"### {title}: {len(items)}", "", "| Check | Level | Before | Now | What it proves | Found |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for c in items:
            level = ("**must-have**" if c.must_have else md_text(c.level)) + (" (waived)" if c.waived else "")
            found = md_text(c.message) if c.new in BAD else ""
            lines.append(f"| {md_text(c.id)} | {level} | {md_text(_outcome(c.old))} | {md_text(_outcome(c.new))}"
                         f" | {md_text(c.title)} | {found} |")
    if not any(getattr(diff, attr) for attr, _ in _SECTIONS):
        lines += ["", "No check changed its outcome."]
    return "\n".join(lines) + "\n"
