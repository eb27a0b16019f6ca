"""Small builders shared by the profile, waiver and attestation tests (no network)."""
from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

from edcert.harness.attestations import Attestations, load_attestations
from edcert.harness.policy import Judgement, Policy
from edcert.harness.profile import Profile, load_profile
from edcert.harness.scorecard import CheckResult, Outcome
from edcert.harness.waivers import Waivers, load_waivers

STD = "oneroster-1.2"
TODAY = date(2026, 11, 28)


def result(check_id: str, level: str, outcome: Outcome, *, category: str = "auth", standard: str = STD
           ) -> CheckResult:
    return CheckResult(id=check_id, standard=standard, category=category, level=level,  # type: ignore[arg-type]
                       title=f"title {check_id}", why="why", remediation="fix it", ref="spec §1", outcome=outcome)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def profile(tmp_path: Path, text: str) -> Profile:
    return load_profile(write(tmp_path, "profile.toml", text))


def waivers(tmp_path: Path, text: str) -> Waivers:
    return load_waivers(write(tmp_path, "waivers.toml", text))


def attestations(tmp_path: Path, text: str) -> Attestations:
    return load_attestations(write(tmp_path, "attestations.toml", text))


def judge(checks: list[CheckResult], policy: Policy | None = None, *, claimed: tuple[str, ...] = (STD,),
          complete: bool = True) -> Judgement:
    """Judge results of the one implemented standard (oneroster-1.2) as a run would."""
    return (policy or Policy(today=TODAY)).judge(checks, list(claimed), list(claimed), complete, implemented={STD})
