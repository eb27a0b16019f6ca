"""What the district and the vendor add to a run: profile, waivers, attestations.

:class:`Policy` bundles the three files a run may be given and turns the raw
check results into verdicts, the gate and the scorecard's ``profile``,
``retest_by``, ``waivers`` and ``attestations`` sections. With an empty
policy the verdicts and the gate are exactly those of a run without one.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from edcert.harness.attestations import AttestationReport, Attestations, attestation_report, load_attestations
from edcert.harness.profile import KNOWN_STANDARDS, Profile, ProfileInfo, load_profile
from edcert.harness.registry import CheckSpec
from edcert.harness.scorecard import (
    CheckResult,
    Scorecard,
    StandardResult,
    exit_code_for,
    gate_reasons,
    score_standard,
    untested_standard,
)
from edcert.harness.waivers import WaiverReport, Waivers, apply_waivers, load_waivers, today_for_run


@dataclass
class Judgement:
    """The verdicts of one run under a policy, ready for the scorecard."""

    checks: list[CheckResult]
    standards: list[StandardResult]
    exit_code: int
    reasons: list[str]
    profile: ProfileInfo | None = None
    retest_by: date | None = None
    waivers: WaiverReport | None = None
    attestations: AttestationReport | None = None

    def scorecard_fields(self) -> dict[str, Any]:
        """The keyword arguments the scorecard takes from the judgement."""
        return {"standards": self.standards, "checks": self.checks, "profile": self.profile,
                "retest_by": self.retest_by, "waivers": self.waivers, "attestations": self.attestations}


@dataclass(frozen=True)
class Policy:
    """A district profile, the district's waivers and the vendor's attestations (each optional).

    Attributes:
        profile: The district profile (``--profile``).
        waivers: The district's waivers (``--waivers``).
        attestations: The vendor's attestations (``--attestations``).
        today: The date waiver expiry and ``retest_by`` are counted from
            (``None``: the local date when the scorecard is built).
    """

    profile: Profile | None = None
    waivers: Waivers | None = None
    attestations: Attestations | None = None
    today: date | None = field(default=None)

    def validate_against(self, specs: Iterable[CheckSpec]) -> None:
        """Check the check ids and categories the files name against the installed checks.

        Raises:
            ConfigError: A file names a check or category that does not exist.
        """
        specs = list(specs)
        if self.profile is not None:
            self.profile.validate_against(specs)
        if self.waivers is not None:
            self.waivers.validate_against(specs)

    def judge(self, checks: list[CheckResult], tested: list[str], claimed: list[str], complete: bool,
              implemented: Iterable[str] | None = None) -> Judgement:
        """Verdicts, gate and scorecard sections for a run's results.

        Args:
            checks: The results, in scorecard order.
            tested: The standards this run tested.
            claimed: Every standard the vendor claims.
            complete: The run finished and the harness had no error.
            implemented: Standards edcert has checks for (default: the installed suites').
        """
        profile = self.profile
        today = self.today or date.today()
        if profile is not None:
            checks = profile.apply(checks)
        waiver_report = None
        if self.waivers is not None:
            checks, waiver_report = apply_waivers(checks, self.waivers, today)
        standards = [score_standard(s, [c for c in checks if c.standard == s], profile) for s in tested]
        if profile is not None and profile.required_standards:
            if implemented is None:
                from edcert.harness.suites import discover_suites

                implemented = {s for suite in discover_suites() for s in suite.standards}
            can_test = set(implemented)
            for s in profile.required_standards:
                if s not in can_test:
                    standards.append(untested_standard(s, "not_implemented", profile))
                elif s not in claimed:
                    standards.append(untested_standard(s, "not_claimed", profile))
        report = None
        if self.attestations is not None or (profile is not None and profile.required_attestations):
            report = attestation_report(self.attestations, profile.required_attestations if profile else ())
        code = exit_code_for(standards, checks, complete, attestations=report)
        retest_by = profile.retest_by(today) if profile is not None else None
        return Judgement(
            checks=checks, standards=standards, exit_code=code, reasons=gate_reasons(standards, report),
            profile=profile.info(retest_by) if profile is not None else None, retest_by=retest_by,
            waivers=waiver_report, attestations=report,
        )


def load_policy(profile: str | Path | None = None, waivers: str | Path | None = None,
                attestations: str | Path | None = None, *, today: date | None = None,
                specs: Iterable[CheckSpec] | None = None) -> Policy:
    """Load and validate whichever of the three files are given.

    Args:
        profile: ``--profile`` file.
        waivers: ``--waivers`` file.
        attestations: ``--attestations`` file.
        today: The date expiry is judged against (default: ``EDCERT_TODAY`` or the local date).
        specs: The installed checks to validate check ids against (``None``: not validated here).

    Raises:
        ConfigError: One line naming the bad file and its problem.
    """
    specs = list(specs) if specs is not None else None
    return Policy(
        profile=load_profile(profile, specs) if profile is not None else None,
        waivers=load_waivers(waivers, specs) if waivers is not None else None,
        attestations=load_attestations(attestations) if attestations is not None else None,
        today=today or today_for_run(),
    )


def _plain(text: str) -> str:
    # District and vendor text goes to a terminal: no control characters (escape sequences).
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def summary_lines(sc: Scorecard) -> list[str]:
    """What the one-screen CLI summary says about the profile, waivers and attestations."""
    lines: list[str] = []
    if sc.profile is not None:
        p = sc.profile
        line = f"  profile: {_plain(p.name)} ({p.file}, sha256 {p.sha256[:12]})"
        if sc.retest_by is not None:
            line += f"; re-test by {sc.retest_by.isoformat()}"
        lines.append(line)
    return lines


def standard_line(s: StandardResult) -> str | None:
    """The summary line for a standard the run could not test, or a note for one that does not gate."""
    name = f"  {s.standard:<18} "
    if s.status == "not_claimed":
        return name + f"{'NOT CERTIFIED':<14} not claimed by the vendor (the district profile requires it)"
    if s.status == "not_implemented":
        return name + f"{'NOT TESTED':<14} edcert cannot test this standard yet (the district profile requires it)"
    return None


def standard_notes(s: StandardResult) -> list[str]:
    """Extra summary lines under a tested standard: minimum score, waivers, not gating."""
    notes: list[str] = []
    if s.minimum_score is not None:
        notes.append(f"      minimum score {s.minimum_score:g}: " + ("NOT met" if s.below_minimum_score else "met"))
    if s.waived:
        notes.append(f"      waived failures: {', '.join(s.waived)}")
    if not s.required:
        notes.append("      not required by the district profile: does not count for the gate")
    return notes


def closing_lines(sc: Scorecard) -> list[str]:
    """Summary lines about waivers, attestations and why the gate failed."""
    lines: list[str] = []
    if sc.waivers is not None:
        w = sc.waivers
        parts = [f"{len(w.active)} active"]
        if w.expired:
            parts.append(f"{len(w.expired)} EXPIRED and ignored ({', '.join(w.expired)})")
        if w.now_passing:
            parts.append(f"{len(w.now_passing)} now passing, remove them ({', '.join(w.now_passing)})")
        if w.unused:
            parts.append(f"{len(w.unused)} unused ({', '.join(w.unused)})")
        lines.append(f"  waivers ({w.file}, as of {w.today.isoformat()}): " + ", ".join(parts))
    if sc.attestations is not None:
        a = sc.attestations
        answered = [i for i in a.items if i.answer != "not_answered"]
        text = f"  attestations{f' ({a.file})' if a.file else ''}: {len(answered)} of {len(a.items)} answered " \
               "(attested, not tested)"
        required = [i for i in a.items if i.required]
        if required:
            text += "; required: " + ", ".join(
                f"{i.id} {i.answer.replace('_', ' ')}{'' if i.meets_requirement else ' (NOT met)'}" for i in required)
        lines.append(text)
    return lines


__all__ = ["KNOWN_STANDARDS", "Judgement", "Policy", "closing_lines", "load_policy", "standard_line",
           "standard_notes", "summary_lines"]
