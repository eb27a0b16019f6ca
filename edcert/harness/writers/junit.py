"""junit.xml: one testsuite per standard, one testcase per check, ids as properties."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from edcert.harness.scorecard import Outcome, Scorecard


def _clean(text: str) -> str:
    # XML 1.0 cannot carry most control characters; vendor text may contain them.
    return "".join(ch if ch in "\t\n\r" or ord(ch) >= 0x20 else "\ufffd" for ch in text)


def write_junit(scorecard: Scorecard, path: Path) -> None:
    root = ET.Element("testsuites", name=f"edcert: {_clean(scorecard.vendor.name)}")
    for std in scorecard.standards:
        checks = [c for c in scorecard.checks if c.standard == std.standard]
        suite = ET.SubElement(
            root, "testsuite", name=std.standard, tests=str(len(checks)),
            failures=str(std.counts.get("failed", 0)), errors=str(std.counts.get("error", 0)),
            skipped=str(std.counts.get("skipped", 0) + std.counts.get("not_applicable", 0)),
            time=f"{sum(c.duration_ms for c in checks) / 1000:.3f}",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="verdict", value=std.verdict)
        ET.SubElement(props, "property", name="score", value=str(std.score))
        for c in checks:
            case = ET.SubElement(
                suite, "testcase", classname=f"{c.standard}.{c.category}",
                name=_clean(f"{c.id} {c.title}"), time=f"{c.duration_ms / 1000:.3f}",
            )
            cprops = ET.SubElement(case, "properties")
            ET.SubElement(cprops, "property", name="check_id", value=c.id)
            ET.SubElement(cprops, "property", name="level", value=c.level)
            ET.SubElement(cprops, "property", name="ref", value=_clean(c.ref))
            detail = _clean("\n".join(x for x in [c.message, f"expected: {c.expected}" if c.expected else "",
                                                   f"received: {c.received}" if c.received else "",
                                                   f"remediation: {c.remediation}",
                                                   f"repro: {c.repro}" if c.repro else ""] if x))
            if c.outcome is Outcome.FAILED:
                ET.SubElement(case, "failure", message=_clean(c.message), type=c.level).text = detail
            elif c.outcome is Outcome.ERROR:
                ET.SubElement(case, "error", message=_clean(c.message)).text = detail
            elif c.outcome in (Outcome.SKIPPED, Outcome.NOT_APPLICABLE):
                ET.SubElement(case, "skipped", message=_clean(f"{c.outcome.value}: {c.message}"))
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
