"""`edcert validate-csv` end to end, bad input, bounded memory, and what findings may show."""
from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from edcert.conformance.oneroster_csv import _validator
from edcert.conformance.oneroster_csv._validator import BundleReport, validate_bundle
from edcert.fixtures.csv_bundles import FIXTURE_DIR, conformant, zip_bytes
from edcert.harness.cli import main

EDCERT = [sys.executable, "-m", "edcert"]
CLI = Callable[..., subprocess.CompletedProcess[str]]


def edcert(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in its own process (exit codes and stderr exactly as a shell sees them)."""
    return subprocess.run([*EDCERT, *args], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**os.environ, "EDCERT_DEBUG": ""}, check=False)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The command in this process (what main() prints and the code it exits with), without a start-up cost."""
    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        captured = capsys.readouterr()
        code = exit_info.value.code
        return subprocess.CompletedProcess(list(args), code if isinstance(code, int) else 1, captured.out,
                                           captured.err)
    return invoke


def found(report: BundleReport) -> dict[str, list[str]]:
    return {key: [f.render() for f in tally.kept] for key, tally in report.rules.items() if tally.count}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- bad input: clear findings, never a crash ------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 not really", bytes(range(256)) * 64],
                         ids=["empty-file", "zip-magic-then-garbage", "binary-garbage"])
def test_what_is_not_a_zip_is_one_clear_finding(tmp_path: Path, data: bytes) -> None:
    report = validate_bundle(write(tmp_path, "bundle.zip", data), "1.2")
    assert found(report) == {"PKG-001": ["bundle.zip: cannot be opened as a zip archive: it is not a zip file"]}
    assert report.unreadable is not None


def test_a_member_declaring_two_gigabytes_is_not_read_whole(tmp_path: Path, cli: CLI) -> None:
    # a real deflated bundle whose users.csv claims 2,000,000,000 bytes in the zip's central directory
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in conformant("1.2").members():
            zf.writestr(name, data)
    raw = bytearray(buffer.getvalue())
    entry = raw.find(b"PK\x01\x02")
    while entry != -1:
        name_len = struct.unpack("<H", raw[entry + 28: entry + 30])[0]
        if raw[entry + 46: entry + 46 + name_len] == b"users.csv":
            raw[entry + 24: entry + 28] = struct.pack("<I", 2_000_000_000)
        entry = raw.find(b"PK\x01\x02", entry + 4)
    path = write(tmp_path, "huge.zip", bytes(raw))
    report = validate_bundle(path, "1.2", max_file_bytes=1 << 20)
    assert list(found(report)) == ["PKG-006"]
    assert report.rules["PKG-006"].undecided
    assert "users.csv: declares 1.9 GB, more than the 1.0 MB edcert reads" in found(report)["PKG-006"][0]
    proc = cli("validate-csv", str(path), "--max-file-mb", "1", "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "ORCSV12-PKG-006 [required, undecided]" in proc.stdout and "exit 3: edcert could not decide" in proc.stdout


def test_reading_stops_at_the_cap_and_the_cut_row_is_never_judged(tmp_path: Path) -> None:
    bundle = conformant("1.2")
    template = bundle.tables["enrollments"][1]
    for n in range(2000):
        bundle.tables["enrollments"].append([f"extra-{n:05d}", *template[1:]])
    path = write(tmp_path, "big.zip", bundle.zip())
    data = zipfile.ZipFile(path).read("enrollments.csv")
    cap = len(data) // 3 + 17
    assert data[cap - 1: cap + 1] != b"\r\n", "the cap falls inside a row"
    report = validate_bundle(path, "1.2", max_file_bytes=cap)
    assert list(found(report)) == ["PKG-006"]
    # exactly the rows that end before the cap (the header is not a row): nothing beyond it, no partial row
    assert report.rows_read["enrollments.csv"] == data[:cap].count(b"\r\n") - 1
    assert report.rows_read["users.csv"] == len(bundle.tables["users"]) - 1


def test_an_overlong_line_is_skipped_and_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_validator, "MAX_LINE_CHARS", 2000)
    members = [(n, d + b"x" * 50_000 if n == "demographics.csv" else d) for n, d in conformant("1.2").members()]
    report = validate_bundle(write(tmp_path, "long.zip", zip_bytes(members)), "1.2")
    assert found(report) == {"CSV-001": ["demographics.csv line 5: the line is longer than 2000 characters (an "
                                         "unclosed quote or not CSV at all); skipped"]}


def test_binary_garbage_inside_a_member_is_findings_not_a_crash(tmp_path: Path) -> None:
    garbage = bytes(range(256)) * 40 + b"\r\n\x00\xff\xfe\r\n"
    members = [(n, garbage if n == "classes.csv" else d) for n, d in conformant("1.1").members()]
    report = validate_bundle(write(tmp_path, "garbage.zip", zip_bytes(members)), "1.1")
    assert {"ENC-001", "HDR-001"} <= set(found(report))
    assert all(f.file == "classes.csv" for key in ("ENC-001", "HDR-001") for f in report.rules[key].kept)


def test_a_dangling_forward_self_reference_names_its_line(tmp_path: Path) -> None:
    bundle = conformant("1.2")
    users = bundle.tables["users"]
    agents = users[0].index("agentSourcedIds")
    student = next(i for i, row in enumerate(users) if row[agents] and i > 0)
    guardian = next(i for i, row in enumerate(users) if row[0] == users[student][agents])
    assert guardian > student, "the fixture's student names a guardian further down the file"
    users[student][agents] += ",no-such-user"
    report = validate_bundle(write(tmp_path, "agents.zip", bundle.zip()), "1.2")
    assert found(report) == {"REF-001": [f"users.csv line {student + 1}, column {agents + 1} (agentSourcedIds): "
                                         "names a sourcedId that is not in users.csv"]}


def test_a_1_2_bundle_judged_as_1_1_fails_on_what_differs(tmp_path: Path) -> None:
    report = validate_bundle(FIXTURE_DIR / "conformant-1.2-bulk.zip", "1.1")
    assert {"PKG-005", "MAN-004", "MAN-005", "HDR-001"} <= set(found(report))
    assert found(report)["PKG-005"] == ["roles.csv: is not a file of the OneRoster 1.1 CSV binding "
                                        "(a OneRoster 1.2 file)"]


def test_references_into_delta_files_are_not_judged() -> None:
    report = validate_bundle(FIXTURE_DIR / "conformant-1.2-delta.zip", "1.2")
    assert report.rules["REF-001"].examined == 0 and found(report) == {}


# -- findings never show personal data -------------------------------------------------------------------


def test_findings_name_the_column_but_never_show_personal_values(tmp_path: Path, cli: CLI) -> None:
    bundle = conformant("1.2")
    bundle.cell("demographics", 1, "birthDate", "05/01/2013")
    bundle.cell("demographics", 1, "sex", "Female")
    bundle.cell("users", 1, "givenName", "")
    bundle.cell("users", 2, "sourcedId", "Student Zelda 42")
    path = write(tmp_path, "pii.zip", bundle.zip())
    out = tmp_path / "out"
    proc = cli("validate-csv", str(path), "--out", str(out), "--no-progress")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    texts = [proc.stdout, *(p.read_text("utf-8") for p in out.iterdir())]
    for secret in ("05/01/2013", "Female", "Zelda"):
        assert not any(secret in text for text in texts), secret
    card = json.loads((out / "scorecard.json").read_text("utf-8"))
    received = {c["id"]: c["received"] for c in card["checks"] if c["outcome"] == "failed"}
    assert "demographics.csv line 2, column 4 (birthDate): birthDate is (value not shown: personal data)" in \
        received["ORCSV12-FMT-002"]
    assert "column 5 (sex)" in received["ORCSV12-FMT-001"]
    assert "users.csv line 2, column 7 (givenName): givenName is blank" in received["ORCSV12-REC-003"]
    assert "users.csv line 3, column 1 (sourcedId): the sourcedId contains a space" in received["ORCSV12-ID-001"]


# -- the command line -------------------------------------------------------------------------------------


def test_validate_csv_reports_findings_and_writes_every_output(tmp_path: Path, cli: CLI) -> None:
    out = tmp_path / "out"
    proc = cli("validate-csv", str(FIXTURE_DIR / "broken-1.2-dangling-reference.zip"), "--out", str(out),
                  "--no-progress")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "ORCSV12-REF-001 [required] 1 finding(s) in enrollments.csv; first: enrollments.csv line 2, column 6 " \
           "(userSourcedId): names a sourcedId that is not in users.csv" in proc.stdout
    assert "edcert synthetic district" in proc.stdout and "oneroster-csv-1.2  NOT CERTIFIED" in proc.stdout
    assert "exit 1: gate failed" in proc.stdout
    card = json.loads((out / "scorecard.json").read_text("utf-8"))
    assert card["standards"][0]["standard"] == "oneroster-csv-1.2"
    assert card["vendor"]["name"] == "edcert synthetic district"
    junit = (out / "junit.xml").read_text("utf-8")
    assert 'name="ORCSV12-REF-001' in junit and "<failure" in junit
    html = (out / "scorecard.html").read_text("utf-8")
    assert "ORCSV12-REF-001" in html and "names a sourcedId that is not in users.csv" in html


def test_validate_csv_picks_the_version_from_the_manifest_unless_told(tmp_path: Path, cli: CLI) -> None:
    bundle = str(FIXTURE_DIR / "conformant-1.1-bulk.zip")
    proc = cli("validate-csv", bundle, "--out", str(tmp_path / "a"), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "oneroster-csv-1.1  CERTIFIED" in proc.stdout and "exit 0: gate passed" in proc.stdout
    told = cli("validate-csv", bundle, "--version", "1.2", "--out", str(tmp_path / "b"), "--no-progress")
    assert told.returncode == 1
    assert "ORCSV12-MAN-004" in told.stdout and "oneroster.version is '1.1', expected '1.2'" in told.stdout


@pytest.mark.parametrize(("target", "message"), [("missing.zip", "missing.zip: no such file"),
                                                 (".", "not a file")])
def test_validate_csv_bad_usage_is_one_line_exit_2(tmp_path: Path, target: str, message: str) -> None:
    proc = edcert("validate-csv", target, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("edcert: error: ") and message in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_a_zip_is_a_failed_check_exit_1(tmp_path: Path, cli: CLI) -> None:
    path = write(tmp_path, "export.zip", b"\x89PNG\r\n\x1a\n" + bytes(500))
    proc = cli("validate-csv", str(path), "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "ORCSV12-PKG-001 [required] 1 finding(s) in export.zip; first: export.zip: cannot be opened as a zip " \
           "archive" in proc.stdout
    assert "27 not applicable" in proc.stdout


def test_a_vendor_configuration_can_claim_a_csv_bundle(tmp_path: Path, cli: CLI,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "bundle.zip").write_bytes((FIXTURE_DIR / "broken-1.1-boolean-case.zip").read_bytes())
    config = tmp_path / "vendor.toml"
    config.write_text('[vendor]\nname = "Acme SIS"\n[oneroster_csv]\npath = "drop/bundle.zip"\nversion = "1.1"\n')
    monkeypatch.chdir("/")  # the bundle's path is relative to the configuration file, not to the working directory
    proc = cli("run", "--config", str(config), "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "oneroster-csv-1.1  NOT CERTIFIED" in proc.stdout and "ORCSV11-FMT-004" in proc.stdout
    config.write_text('[vendor]\nname = "Acme SIS"\n[oneroster_csv]\npath = "nowhere.zip"\nversion = "1.1"\n')
    proc = cli("run", "--config", str(config))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"edcert: error: {config}: oneroster_csv.path {tmp_path / 'nowhere.zip'}: no such file\n"


# -- bounded memory ----------------------------------------------------------------------------------------

_STREAM_SCRIPT = textwrap.dedent("""
    import resource, sys, time, zipfile
    from edcert.conformance.oneroster_csv._validator import validate_bundle
    path, rows = sys.argv[1], int(sys.argv[2])
    files = ["academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
             "demographics", "enrollments", "lineItemLearningObjectiveIds", "lineItems", "lineItemScoreScales",
             "orgs", "resources", "resultLearningObjectiveIds", "results", "resultScoreScales", "roles",
             "scoreScales", "userProfiles", "userResources", "users"]
    header = ("sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,"
              "identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,"
              "preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns\\r\\n")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("manifest.csv", "propertyName,value\\r\\nmanifest.version,1.0\\r\\noneroster.version,1.2\\r\\n"
                    + "".join(f"file.{f},{'bulk' if f in ('users', 'orgs') else 'absent'}\\r\\n" for f in files))
        zf.writestr("orgs.csv", "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\\r\\n"
                    "org-1,,,Zel School,school,99001,\\r\\n")
        with zf.open("users.csv", "w", force_zip64=True) as fh:
            fh.write(header.encode())
            for start in range(0, rows, 10000):
                fh.write("".join(
                    f"{i:08d}-0000-4000-8000-{i:012d},,,true,given{i}.family{i},{{studentNumber:S{i:08d}}},"
                    f"Given{i},Family{i},,S{i:08d},given{i}.family{i}@example.edu,,,"
                    f"{f'{(i + 7) % rows:08d}-0000-4000-8000-{(i + 7) % rows:012d}' if i % 10 == 0 else ''},"
                    f"09,,,,,,org-1,\\r\\n" for i in range(start, min(rows, start + 10000))).encode())
        size = zf.getinfo("users.csv").file_size
    def peak_kb():
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over the exec from the (large) test worker
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    before = peak_kb()
    started = time.process_time()
    report = validate_bundle(path, "1.2")
    cpu = time.process_time() - started
    after = peak_kb()
    problems = {k: t.count for k, t in report.rules.items() if t.count}
    print(report.rows_read["users.csv"], size, (after - before) * 1024, round(cpu, 1), problems)
""")


def test_a_large_users_file_is_validated_with_bounded_memory(tmp_path: Path) -> None:
    rows = 200_000
    proc = subprocess.run([sys.executable, "-c", _STREAM_SCRIPT, str(tmp_path / "big.zip"), str(rows)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    read, size, grew, _cpu, problems = proc.stdout.split(" ", 4)
    assert int(read) == rows and problems.strip() == "{}"
    assert int(size) > 30_000_000
    # the file is never held whole: what grows is the set of sourcedIds references need (~100 bytes per id),
    # far below the file itself (a whole-file read alone would take its size twice over, as bytes and text)
    assert int(grew) < 60_000_000, f"peak memory grew by {int(grew) / 1e6:.0f} MB reading {int(size) / 1e6:.0f} MB"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('Room "A"', []),  # written by csv.writer: quoted, inner quotes doubled
        (None, ["classes.csv line 2: has a quote inside a cell that is not quoted; RFC 4180 quotes such a cell "
                'and doubles its quotes ("")']),
    ],
    ids=["quoted-properly", "bare-quote"],
)
def test_a_bare_quote_inside_an_unquoted_cell_is_reported(tmp_path: Path, cell: str | None,
                                                          expected: list[str]) -> None:
    bundle = conformant("1.2")
    if cell is not None:
        bundle.cell("classes", 1, "location", cell)
        data = bundle.zip()
    else:
        members = [(n, d.replace(b"Room ", b'Ro"om ', 1) if n == "classes.csv" else d) for n, d in bundle.members()]
        data = zip_bytes(members)
    report = validate_bundle(write(tmp_path, "quotes.zip", data), "1.2")
    assert found(report) == ({"CSV-001": expected} if expected else {})


def test_trailing_blank_lines_are_not_records_but_blank_lines_between_records_are(tmp_path: Path) -> None:
    def with_blanks(tail: bytes) -> BundleReport:
        members = [(n, d + tail if n == "orgs.csv" else d) for n, d in conformant("1.2").members()]
        return validate_bundle(write(tmp_path, "blank.zip", zip_bytes(members)), "1.2")

    assert found(with_blanks(b"\r\n\r\n")) == {}
    inside = with_blanks(b"\r\n\r\nsch-2,,,Late School,school,,\r\n")
    assert found(inside)["CSV-002"] == ["orgs.csv line 4: is a blank line; every record has the header's 7 fields",
                                        "orgs.csv line 5: is a blank line; every record has the header's 7 fields"]


def test_an_encrypted_manifest_leaves_the_manifest_rules_not_applicable(tmp_path: Path) -> None:
    data = conformant("1.2").zip()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist()[0] == "manifest.csv"
    raw = bytearray(data)
    raw[6] |= 0x01  # the manifest is the first member: its local header starts the zip
    entry = raw.find(b"PK\x01\x02")
    raw[entry + 8] |= 0x01
    report = validate_bundle(write(tmp_path, "locked.zip", bytes(raw)), "1.2")
    assert list(found(report)) == ["PKG-002"]
    assert report.manifest_problem == ("manifest.csv could not be read", "PKG-002")


def test_a_failure_counts_every_finding_and_shows_the_first_ones(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from edcert.conformance.oneroster_csv._rules import judge
    from edcert.conformance.oneroster_csv.records import RULES
    from edcert.harness.errors import Failure

    monkeypatch.setattr(_validator, "MAX_KEPT", 3)
    bundle = conformant("1.2")
    for row in bundle.tables["users"][1:]:
        row[bundle.tables["users"][0].index("enabledUser")] = "Yes"
    bundle.cell("enrollments", 1, "primary", "1")
    report = validate_bundle(write(tmp_path, "many.zip", bundle.zip()), "1.2")
    users = len(bundle.tables["users"]) - 1
    rule = next(r for r in RULES if r.key == "FMT-004")
    with pytest.raises(Failure) as failure:
        judge(report, rule, "1.2")
    assert failure.value.message.startswith(f"{users + 1} finding(s) in 2 files (users.csv: {users}, "
                                            "enrollments.csv: 1); first: users.csv line 2, column 4 (enabledUser): "
                                            "enabledUser is 'Yes', expected true or false (lower case)")
    received = (failure.value.received or "").splitlines()
    assert len(received) == 4 and received[-1] == f"... and {users + 1 - 3} more"
    assert failure.value.expected == "true or false (OneRoster 1.2 CSV binding: data types (Boolean true|false))"
