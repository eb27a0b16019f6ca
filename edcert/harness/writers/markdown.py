"""scorecard.md: the verdict and what needs fixing, as Markdown (a CI job summary, a pull request, a ticket).

Everything that may come from the vendor (its name, messages, expected/received values, URLs) goes through
:func:`md_text` or :func:`md_code_block`, so a vendor string cannot open a link, a table column, an HTML tag
or a code span in the rendered Markdown.
"""
from __future__ import annotations

import re
from pathlib import Path

from edcert.harness.scorecard import CheckResult, Outcome, Scorecard, StandardResult
from edcert.harness.writers.html import STANDARD_NAMES

_LEVEL_ORDER = {"required": 0, "recommended": 1, "optional": 2}
# Characters with a meaning to CommonMark/GFM (and GitHub's $math$) anywhere inside a line: backslash-escaped.
_ESCAPED = re.compile(r"([\\`*_\[\]{}#|~$!])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def md_text(text: object) -> str:
    """Escape text for Markdown prose or a table cell: it renders as exactly these characters.

    ``&``, ``<`` and ``>`` become entities (no raw HTML, no autolinks); Markdown punctuation, ``|`` and
    backticks are backslash-escaped; line breaks become ``<br>`` so a cell or list item stays on one line.
    """
    value = _CONTROL.sub("\ufffd", str(text))
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _ESCAPED.sub(r"\\\1", value)
    return _NEWLINES.sub("<br>", value)


def md_code_block(text: str, info: str = "") -> str:
    """A fenced code block whose fence no line of ``text`` can close (rendered literally, never as HTML)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = _CONTROL.sub("\ufffd", text).rstrip("\n")
    return f"{fence}{info}\n{body}\n{fence}"


def standard_name(standard: str) -> str:
    """A standard's display name (``oneroster-1.2`` → ``OneRoster 1.2``)."""
    return STANDARD_NAMES.get(standard, standard)


def _verdict_word(s: StandardResult) -> str:
    if s.status == "not_claimed":
        return "**required, not claimed**"
    if s.status == "not_implemented":
        return "cannot be tested yet"
    word = "**certified**" if s.verdict == "certified" else "**not certified**"
    return word if s.required else word + " (not required)"


def _outcome_word(c: CheckResult) -> str:
    return "failed (waived)" if c.waived else c.outcome.value.replace("_", " ")


def _problems(scorecard: Scorecard) -> list[CheckResult]:
    return sorted((c for c in scorecard.checks if c.outcome in (Outcome.FAILED, Outcome.ERROR)),
                  key=lambda c: (_LEVEL_ORDER.get(c.level, 9), c.standard, c.id))


def _problem_section(number: int, c: CheckResult) -> list[str]:
    lines = [f"### {number}. {md_text(c.title)}", "",
             f"- **Check**: {md_text(c.id)} · {md_text(standard_name(c.standard))} · {md_text(c.level)}"
             f"{' (must-have)' if c.must_have and c.level != 'required' else ''}"
             f" · {md_text(c.category)} · **{md_text(_outcome_word(c))}**",
             f"- **Why it matters**: {md_text(c.why)}"]
    if c.message:
        lines.append(f"- **Found**: {md_text(c.message)}")
    if c.expected is not None:
        lines.append(f"- **Expected**: {md_text(c.expected)}")
    if c.received is not None:
        lines.append(f"- **Received**: {md_text(c.received)}")
    if c.waiver is not None:
        lines.append(f"- **Waiver** ({md_text(c.waiver.status.replace('_', ' '))}): {md_text(c.waiver.summary)}")
    lines.append(f"- **How to fix**: {md_text(c.remediation)}")
    lines.append(f"- **Spec**: {md_text(c.ref)}")
    for e in c.evidence[:3]:
        answer = e.status if e.status is not None else (e.error or "no answer")
        lines.append(f"- **Evidence**: {md_text(e.method)} {md_text(e.url)} → {md_text(answer)}"
                     f" ({e.elapsed_ms:.0f} ms)")
    lines.append("")
    if c.repro:
        lines += ["Reproduce:", "", md_code_block(c.repro, "sh"), ""]
    return lines


def _fidelity_section(sc: Scorecard) -> list[str]:
    """The data-fidelity checks and, starting with the student, each sampled student's trace."""
    checks = [c for c in sc.checks if c.category == "data-fidelity"]
    if not checks:
        return []
    lines = ["## Data fidelity: does the district's own roster arrive intact?", "",
             "| Check | What was compared | Outcome |", "| --- | --- | --- |"]
    lines += [f"| {md_text(c.id)} | {md_text(c.title)} | {md_text(_outcome_word(c))} |" for c in checks]
    lines.append("")
    for c in checks:
        if not c.student_traces:
            continue
        intact = sum(t.matched for t in c.student_traces)
        lines += [f"### Start with the student: {intact} of {len(c.student_traces)} students arrive intact", "",
                  "| Student | Grade | School | Result | What matches, what does not |",
                  "| --- | --- | --- | --- | --- |"]
        for t in c.student_traces:
            lines.append(f"| {md_text(t.student)} | {md_text(t.grade)} | {md_text(t.school)}"
                         f" | {'intact' if t.matched else '**differs**'}"
                         f" | {md_text('; '.join(t.mismatches) or 'nothing: ' + ', '.join(t.matches))} |")
        lines.append("")
    return lines


def render_markdown(scorecard: Scorecard) -> str:
    """The whole scorecard as Markdown."""
    sc = scorecard
    passed = bool(sc.gate.get("passed", bool(sc.standards) and all(s.verdict == "certified" for s in sc.standards)))
    reasons = [str(r) for r in sc.gate.get("reasons", [])]
    product = " ".join(x for x in (sc.vendor.product, sc.vendor.version) if x)
    lines = [
        f"# edcert scorecard: {md_text(sc.vendor.name)}", "",
        (f"{md_text(product)} · " if product else "")
        + f"tested {sc.started_at.strftime('%Y-%m-%d %H:%M UTC')} by {md_text(sc.harness.name)}"
          f" {md_text(sc.harness.version)} · {len(sc.checks)} checks · {sc.requests_sent} requests", "",
        ("**Recommended: the product meets everything the district profile requires.**" if sc.profile is not None
         else "**Recommended: the product meets every required check of the standards it claims.**") if passed
        else "**Not recommended yet: the product does not meet every required check.**", "",
    ]
    lines += [f"- {md_text(reason)}" for reason in reasons] + ([""] if reasons else [])
    if not sc.complete:
        lines += ["**This run is incomplete**: edcert could not finish every check.", ""]
    if sc.profile is not None:
        lines += [md_text(sc.profile.summary)
                  + (f" Re-test by {sc.retest_by.isoformat()}." if sc.retest_by else ""), ""]
    lines += ["## Verdict per standard", "",
              "| Standard | Verdict | Score | Passed | Failed | Undecided | Not tested |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for s in sc.standards:
        n = s.counts
        lines.append(f"| {md_text(standard_name(s.standard))} | {_verdict_word(s)} | {s.score:.1f}"
                     f" | {n.get('passed', 0)} | {n.get('failed', 0)} | {n.get('error', 0)}"
                     f" | {n.get('skipped', 0) + n.get('not_applicable', 0)} |")
    lines.append("")
    for s in sc.standards:
        lines.append(f"- {md_text(standard_name(s.standard))}: {md_text(s.summary)}")
    lines.append("")
    problems = _problems(sc)
    lines += [f"## What needs fixing ({len(problems)})", ""]
    if not problems:
        lines += ["Nothing: every check that ran passed.", ""]
    for number, c in enumerate(problems, 1):
        lines += _problem_section(number, c)
    lines += _fidelity_section(sc)
    if sc.waivers is not None:
        lines += ["## Waivers", "", md_text(sc.waivers.summary), "", "| Check | Status | Expires | Waiver |",
                  "| --- | --- | --- | --- |"]
        for w in sc.waivers.entries:
            lines.append(f"| {md_text(w.check)} | {md_text(w.status.replace('_', ' '))} | {w.expires.isoformat()}"
                         f" | {md_text(w.summary)} |")
        lines.append("")
    if sc.attestations is not None:
        lines += ["## Attestations (the vendor's word, not tested)", "", md_text(sc.attestations.summary), "",
                  "| Item | Answer | Required | Details |", "| --- | --- | --- | --- |"]
        for a in sc.attestations.items:
            lines.append(f"| {md_text(a.title)} | {md_text(a.answer.replace('_', ' '))}"
                         f" | {'yes' if a.required else 'no'} | {md_text(a.summary)} |")
        lines.append("")
    lines += ["## Every check", "", "| Check | Standard | Level | Outcome | What it proves |",
              "| --- | --- | --- | --- | --- |"]
    for c in sc.checks:
        lines.append(f"| {md_text(c.id)} | {md_text(c.standard)} | {md_text(c.level)}"
                     f" | {md_text(_outcome_word(c))} | {md_text(c.title)} |")
    evidence = ("full (student personal data included at the operator's request)" if sc.evidence_mode == "full"
                else "student personal data masked; secrets redacted")
    lines += ["", f"Evidence: {md_text(evidence)}. The full evidence is in scorecard.html and scorecard.json.", ""]
    return "\n".join(lines)


def write_markdown(scorecard: Scorecard, path: Path) -> None:
    """Write ``scorecard.md``."""
    path.write_text(render_markdown(scorecard), encoding="utf-8")
