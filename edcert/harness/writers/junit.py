"""junit.xml: one testsuite per standard, one testcase per check, ids as properties."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from edcert.harness.scorecard import Outcome, Scorecard, StandardResult


def _clean(text: str) -> str:
    # XML 1.0 cannot carry most control characters; vendor text may contain them.
    return "".join(ch if ch in "\t\n\r" or ord(ch) >= 0x20 else "\ufffd" for ch in text)


def write_junit(scorecard: Scorecard, path: Path) -> None:
    root = ET.Element("testsuites", name=f"edcert: {_clean(scorecard.vendor.name)}")
    for std in scorecard.standards:
        checks = [c for c in scorecard.checks if c.standard == std.standard]
        suite = ET.SubElement(
            root, "testsuite", name=std.standard, tests=str(len(checks)),
            failures=str(std.counts.get("failed", 0) - len(std.waived)), errors=str(std.counts.get("error", 0)),
            skipped=str(std.counts.get("skipped", 0) + std.counts.get("not_applicable", 0) + len(std.waived)),
            time=f"{sum(c.duration_ms for c in checks) / 1000:.3f}",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="verdict", value=std.verdict)
        ET.SubElement(props, "property", name="score", value=str(std.score))
        _policy_properties(props, scorecard, std)
        for c in checks:
            case = ET.SubElement(
                suite, "testcase", classname=f"{c.standard}.{c.category}",
                name=_clean(f"{c.id} {c.title}"), time=f"{c.duration_ms / 1000:.3f}",
            )
            cprops = ET.SubElement(case, "properties")
            ET.SubElement(cprops, "property", name="check_id", value=c.id)
            ET.SubElement(cprops, "property", name="level", value=c.level)
            ET.SubElement(cprops, "property", name="ref", value=_clean(c.ref))
            ET.SubElement(cprops, "property", name="must_have", value=str(c.must_have).lower())
            if c.waiver is not None:
                ET.SubElement(cprops, "property", name="waiver", value=c.waiver.status)
                ET.SubElement(cprops, "property", name="waiver_expires", value=c.waiver.expires.isoformat())
            # one property per requirement id (JUnit allows a name to repeat), plus the joined list
            for requirement in c.requirements:
                ET.SubElement(cprops, "property", name="requirement", value=_clean(requirement))
            ET.SubElement(cprops, "property", name="requirements", value=_clean(" ".join(c.requirements)))
            detail = _clean("\n".join(x for x in [c.message, f"expected: {c.expected}" if c.expected else "",
                                                   f"received: {c.received}" if c.received else "",
                                                   f"remediation: {c.remediation}",
                                                   f"repro: {c.repro}" if c.repro else ""] if x))
            if c.waived and c.waiver is not None:
                # A waived failure does not fail the gate, so CI must not show it red: skipped, saying why.
                ET.SubElement(case, "skipped", message=_clean(
                    f"waived until {c.waiver.expires.isoformat()}: {c.waiver.justification}")).text = detail
            elif c.outcome is Outcome.FAILED:
                ET.SubElement(case, "failure", message=_clean(c.message), type=c.level).text = detail
            elif c.outcome is Outcome.ERROR:
                ET.SubElement(case, "error", message=_clean(c.message)).text = detail
            elif c.outcome in (Outcome.SKIPPED, Outcome.NOT_APPLICABLE):
                ET.SubElement(case, "skipped", message=_clean(f"{c.outcome.value}: {c.message}"))
        _untested_case(suite, std)
    _attestation_suite(root, scorecard)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _policy_properties(props: ET.Element, scorecard: Scorecard, std: StandardResult) -> None:
    ET.SubElement(props, "property", name="gates", value=str(std.required).lower())
    if std.status != "tested":
        ET.SubElement(props, "property", name="status", value=std.status)
    if std.minimum_score is not None:
        ET.SubElement(props, "property", name="minimum_score", value=f"{std.minimum_score:g}")
    if scorecard.profile is not None:
        ET.SubElement(props, "property", name="profile", value=_clean(scorecard.profile.name))
        ET.SubElement(props, "property", name="profile_sha256", value=scorecard.profile.sha256)


def _untested_case(suite: ET.Element, std: StandardResult) -> None:
    # A standard the profile requires but the run could not test still needs a visible entry in CI.
    if std.status == "tested":
        return
    suite.set("tests", "1")
    case = ET.SubElement(suite, "testcase", classname=f"{std.standard}.profile", name=f"{std.standard} {std.status}",
                         time="0.000")
    kind = "failure" if std.status == "not_claimed" else "error"
    suite.set("failures" if kind == "failure" else "errors", "1")
    ET.SubElement(case, kind, message=_clean(std.summary))


def _attestation_suite(root: ET.Element, scorecard: Scorecard) -> None:
    # Only the attestations the profile requires gate; a met one is "skipped" (attested, never passed).
    if scorecard.attestations is None:
        return
    required = [i for i in scorecard.attestations.items if i.required]
    if not required:
        return
    unmet = [i for i in required if not i.meets_requirement]
    suite = ET.SubElement(root, "testsuite", name="attestations", tests=str(len(required)),
                          failures=str(len(unmet)), errors="0", skipped=str(len(required) - len(unmet)), time="0.000")
    for item in required:
        case = ET.SubElement(suite, "testcase", classname="attestations", name=_clean(f"{item.id} {item.title}"),
                             time="0.000")
        if item.meets_requirement:
            ET.SubElement(case, "skipped", message=_clean(f"attested (not tested): {item.summary}"))
        else:
            ET.SubElement(case, "failure", message=_clean(item.summary), type="attestation")
