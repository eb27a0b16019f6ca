"""The zip itself: readable, plain, flat, exact file names, nothing foreign, within the size edcert reads."""
from __future__ import annotations

from edcert.conformance.oneroster_csv._rules import Rule, declare

RULES = (
    Rule(
        key="PKG-001", category="package", level="required",
        title="The bundle is a readable zip archive",
        why="A district's systems can only import a roster delivered as an intact zip file.",
        remediation="Deliver the CSV files in one standard zip archive; check that the export is not truncated "
                    "or corrupted on the way (re-zip it and compare checksums).",
        clause="package (one zip archive holding manifest.csv and the data files)",
        requirement="PKG-ZIP", expected="a zip archive whose every file reads back intact",
        nothing="the bundle was not examined",
    ),
    Rule(
        key="PKG-002", category="package", level="required",
        title="No file in the bundle is encrypted",
        why="An encrypted file cannot be opened by the district's systems without a password nobody agreed on.",
        remediation="Zip the files without a password; protect the bundle in transit instead (SFTP, HTTPS).",
        clause="package (a plain zip archive)",
        requirement="PKG-PLAIN", expected="no member with the zip 'encrypted' flag",
        nothing="the zip holds no file",
    ),
    Rule(
        key="PKG-003", category="package", level="required",
        title="Every file sits once at the root of the zip, not in a folder",
        why="Importers look for manifest.csv and the data files at the top of the zip and skip anything in folders.",
        remediation="Zip the files themselves, not the folder that contains them, and add each file once.",
        clause="package (manifest.csv and the data files at the root of the zip)",
        requirement="PKG-ROOT", expected="every file at the root of the zip, each name once",
        nothing="the zip holds no file",
    ),
    Rule(
        key="PKG-004", category="package", level="required",
        title="File names have exactly the binding's case (users.csv, userProfiles.csv ...)",
        why="File names are case-sensitive: an importer looking for users.csv does not find Users.csv.",
        remediation="Name each file exactly as the binding spells it, e.g. academicSessions.csv, not "
                    "academicsessions.csv.",
        clause="file names (exact, case-sensitive)",
        requirement="FILE-NAMES", expected="file names spelled exactly as in the binding",
        nothing="the zip holds no file at its root",
    ),
    Rule(
        key="PKG-005", category="package", level="recommended",
        title="The bundle holds only manifest.csv and the binding's data files",
        why="Extra files are ignored at best and confuse importers at worst.",
        remediation="Leave out files the binding does not define (notes, logs, other versions' files).",
        clause="package (the binding's files only)",
        requirement="FILE-SET", expected="only manifest.csv and the version's data files",
        nothing="the zip holds no file at its root",
    ),
    Rule(
        key="PKG-006", category="package", level="required",
        title="Every file is small enough for edcert to read whole",
        why="edcert only certifies what it has read; a file larger than its limit is validated only in part.",
        remediation="Raise edcert's limit (--max-file-mb, or max_file_bytes in [oneroster_csv]) so the whole "
                    "file is read; the vendor need not change anything.",
        clause="package (edcert reads every file whole)",
        requirement="PKG-ZIP", expected="every file within the size edcert reads",
        nothing="the zip holds none of the binding's files",
    ),
)

declare(RULES, globals())
