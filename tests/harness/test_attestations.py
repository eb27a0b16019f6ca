"""Attestations: shown as attested, never as passed; they gate only where the profile requires them."""
from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from edcert.harness.attestations import CATALOGUE, attestation_report, load_attestations
from edcert.harness.errors import ConfigError
from edcert.harness.policy import Policy
from edcert.harness.scorecard import CheckResult, Outcome
from tests.harness.policy_helpers import TODAY, attestations, judge, profile, result, write

EXAMPLE = Path(str(resources.files("edcert.fixtures").joinpath("attestations", "example.toml")))
NDPA_NO = """
    [[attestation]]
    id = "ndpa-signed"
    answer = "no"
    date = 2026-11-01
    signer = "Vendor CEO"
"""


def _checks() -> list[CheckResult]:
    return [result("OR12-AUTH-001", "required", Outcome.PASSED), result("OR12-AUTH-005", "recommended", Outcome.FAILED)]


def test_catalogue_items_have_stable_ids_and_plain_questions() -> None:
    assert {"ndpa-signed", "accessibility-conformance-report", "data-deletion-on-contract-end",
            "breach-notification"} <= set(CATALOGUE)
    for key, item in CATALOGUE.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key) and item.id == key
        assert item.question.endswith("?") and item.title


def test_the_example_file_loads_and_every_catalogue_item_is_reported() -> None:
    loaded = load_attestations(EXAMPLE)
    assert loaded.answers["ndpa-signed"].answer == "yes"
    report = attestation_report(loaded)
    assert [i.id for i in report.items] == list(CATALOGUE)
    by_id = {i.id: i for i in report.items}
    assert by_id["accessibility-conformance-report"].answer == "partial"
    assert by_id["no-sale-or-advertising"].answer == "not_answered"
    assert by_id["ndpa-signed"].evidence_url == "https://privacy.vendor.example/ndpa/2025-signed.pdf"
    assert by_id["data-deletion-on-contract-end"].evidence_url is None  # a document name, not a link
    assert report.file == "example.toml" and report.required_unmet == []
    assert all(i.meets_requirement is None and not i.required for i in report.items)


def test_attestations_never_count_as_passed_checks(tmp_path: Path) -> None:
    plain = judge(_checks())
    attested = judge(_checks(), Policy(attestations=load_attestations(EXAMPLE), today=TODAY))
    assert attested.checks == plain.checks
    assert attested.standards == plain.standards  # same counts, score and verdict
    assert attested.attestations is not None
    assert "not tested by edcert" in attested.attestations.summary
    assert all(not hasattr(i, "outcome") for i in attested.attestations.items)


def test_a_no_answer_does_not_gate_unless_the_profile_requires_it(tmp_path: Path) -> None:
    no = attestations(tmp_path, NDPA_NO)
    assert judge(_checks(), Policy(attestations=no, today=TODAY)).exit_code == 0
    p = profile(tmp_path, 'name = "privacy first"\nrequired_attestations = ["ndpa-signed"]\n')
    judged = judge(_checks(), Policy(profile=p, attestations=no, today=TODAY))
    assert judged.exit_code == 1
    assert judged.standards[0].verdict == "certified"  # the standard itself is fine; the gate is not
    assert judged.attestations is not None and judged.attestations.required_unmet == ["ndpa-signed"]
    assert any("ndpa-signed" in r and "answered no" in r for r in judged.reasons)


@pytest.mark.parametrize(("answer", "code"), [("yes", 0), ("partial", 1), ("no", 1), (None, 1)])
def test_a_required_attestation_is_met_only_by_yes(tmp_path: Path, answer: str | None, code: int) -> None:
    p = profile(tmp_path, 'name = "p"\nrequired_attestations = ["breach-notification"]\n')
    given = None
    if answer is not None:
        given = attestations(tmp_path, f"""
            [[attestation]]
            id = "breach-notification"
            answer = "{answer}"
            evidence = "Incident response policy v3"
            date = 2026-10-01
            signer = "CISO"
        """)
    judged = judge(_checks(), Policy(profile=p, attestations=given, today=TODAY))
    assert judged.exit_code == code
    assert judged.attestations is not None  # present because the profile requires attestations
    item = next(i for i in judged.attestations.items if i.id == "breach-notification")
    assert item.required and item.meets_requirement is (code == 0)
    assert item.answer == (answer or "not_answered")


def test_evidence_is_kept_as_text_and_only_plain_web_links_are_links(tmp_path: Path) -> None:
    given = attestations(tmp_path, """
        [[attestation]]
        id = "ndpa-signed"
        answer = "yes"
        evidence = "javascript:alert(1)//<script>"
        date = 2026-10-01
        signer = "<b>CEO</b>"
    """)
    item = attestation_report(given).items[0]
    assert item.evidence == "javascript:alert(1)//<script>" and item.evidence_url is None
    assert item.signer == "<b>CEO</b>"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[attestation]]\nid = "soc2"\nanswer = "yes"\nevidence = "x"\ndate = 2026-01-01\nsigner = "a"\n',
         "unknown attestation 'soc2'"),
        ('[[attestation]]\nid = "ndpa-signed"\nanswer = "maybe"\nevidence = "x"\ndate = 2026-01-01\nsigner = "a"\n',
         "'attestation[1].answer'"),
        ('[[attestation]]\nid = "ndpa-signed"\nanswer = "yes"\ndate = 2026-01-01\nsigner = "a"\n',
         "needs an evidence reference"),
        ('[[attestation]]\nid = "ndpa-signed"\nanswer = "no"\ndate = 2026-01-01\n',
         "missing key 'attestation[1].signer'"),
        ('[[attestation]]\nid = "ndpa-signed"\nanswer = "no"\ndate = "last week"\nsigner = "a"\n',
         "'attestation[1].date'"),
        (NDPA_NO + NDPA_NO, "answered twice"),
        ('[[attestation]]\nid = "ndpa-signed"\nanswer = "no"\ndate = 2026-01-01\nsigner = "a"\nurl = "x"\n',
         "unknown key 'attestation[1].url'"),
    ],
)
def test_bad_attestation_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as info:
        load_attestations(path)
    assert message in str(info.value)
    assert str(info.value).startswith(f"--attestations {path}") and "\n" not in str(info.value)
