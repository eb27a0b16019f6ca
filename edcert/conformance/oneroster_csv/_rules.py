"""A CSV rule is declared once and becomes one check per OneRoster version (ORCSV11-*, ORCSV12-*).

Every check reads the same :class:`BundleReport` (the bundle is read once per run by the session fixture)
and passes, fails with the rule's findings, is not applicable (nothing of its kind in the bundle), or
is undecided (outcome ``error``: edcert did not read the whole bundle).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from edcert.conformance.oneroster_csv._schema import VERSIONS, Version
from edcert.conformance.oneroster_csv._validator import MANIFEST_RULES, BundleReport
from edcert.harness import check
from edcert.harness.errors import Failure, HarnessError, NotApplicable

SHOWN_IN_MESSAGE = 1


class NotReadWhole(HarnessError):
    """A file was larger than edcert reads: the bundle could not be judged whole."""


@dataclass(frozen=True)
class Rule:
    """One rule of the CSV binding, tested one way, for both versions.

    Attributes:
        key: The id without its version prefix, e.g. ``HDR-001``.
        category: package, manifest, file-format, data-model or referential-integrity.
        level: ``required`` (MUST) or ``recommended`` (SHOULD, or a reading we could not confirm).
        title: The passing condition, one line.
        why: One plain-language sentence.
        remediation: What the vendor should change.
        clause: The part of the CSV binding it enforces.
        requirement: The requirement id's suffix (``HEADER-EXACT`` → ``ORCSV12-REQ-HEADER-EXACT``).
        expected: What a conformant bundle does, one line.
        nothing: Why it does not apply when the bundle has nothing of its kind.
        versions: The versions it exists in.
    """

    key: str
    category: str
    level: Literal["required", "recommended"]
    title: str
    why: str
    remediation: str
    clause: str
    requirement: str
    expected: str
    nothing: str
    versions: tuple[Version, ...] = VERSIONS


def prefix(version: Version) -> str:
    """``ORCSV11`` or ``ORCSV12``."""
    return "ORCSV" + version.replace(".", "")


def standard(version: Version) -> str:
    """``oneroster-csv-1.1`` or ``oneroster-csv-1.2``."""
    return f"oneroster-csv-{version}"


def check_id(rule: Rule, version: Version) -> str:
    """``ORCSV12-HDR-001``."""
    return f"{prefix(version)}-{rule.key}"


def judge(report: BundleReport, rule: Rule, version: Version) -> None:
    """Pass, or raise what the bundle's findings for ``rule`` mean."""
    pfx = prefix(version)
    if report.unreadable is not None and rule.key != "PKG-001":
        raise NotApplicable(f"{report.unreadable} (see {pfx}-PKG-001)")
    if rule.key in MANIFEST_RULES and not report.manifest_found:
        why, rule_key = report.manifest_problem
        raise NotApplicable(f"{why} (see {pfx}-{rule_key})")
    tally = report.rules[rule.key]
    if tally.count:
        rendered = [f.render() for f in tally.kept]
        if len(tally.files) == 1:
            where = f"in {next(iter(tally.files))}"
        else:
            where = f"in {len(tally.files)} files"
            if len(tally.files) < tally.count:  # some file has several: say which have most
                where += " (" + ", ".join(f"{name}: {n}" for name, n in tally.files.most_common(3)) + \
                    (", ..." if len(tally.files) > 3 else "") + ")"
        message = f"{tally.count} finding(s) {where}; first: " + "; ".join(rendered[:SHOWN_IN_MESSAGE])
        if tally.undecided:
            raise NotReadWhole(message)
        more = tally.count - len(rendered)
        received = "\n".join(rendered) + (f"\n... and {more} more" if more else "")
        raise Failure(message, expected=f"{rule.expected} ({ref(rule, version)})", received=received)
    if not tally.examined:
        raise NotApplicable(rule.nothing)


def ref(rule: Rule, version: Version) -> str:
    """The spec clause the rule enforces, as the check's ``ref``."""
    return f"OneRoster {version} CSV binding: {rule.clause}"


def declare(rules: tuple[Rule, ...], namespace: dict[str, Any]) -> None:
    """Turn each rule into one check per version, defined in the module whose ``globals()`` is ``namespace``."""
    module = str(namespace["__name__"])
    for rule in rules:
        for version in rule.versions:
            func = _make(rule, version, module)
            namespace[func.__name__] = func


def _make(rule: Rule, version: Version, module: str) -> Callable[..., None]:
    def run_check(csv_bundle: BundleReport) -> None:
        judge(csv_bundle, rule, version)

    name = f"check_{check_id(rule, version).lower().replace('-', '_')}"
    run_check.__name__ = run_check.__qualname__ = name
    run_check.__module__ = module
    run_check.__doc__ = rule.title
    decorate = check(
        id=check_id(rule, version), standard=standard(version), category=rule.category, level=rule.level,
        title=rule.title, why=rule.why, remediation=rule.remediation, ref=ref(rule, version),
        requirements=(f"{prefix(version)}-REQ-{rule.requirement}",),
    )
    return decorate(run_check)
