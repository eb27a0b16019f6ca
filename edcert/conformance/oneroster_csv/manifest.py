"""manifest.csv: present, header propertyName,value, versions, every file listed once as bulk/delta/absent."""
from __future__ import annotations

from edcert.conformance.oneroster_csv._rules import Rule, declare

RULES = (
    Rule(
        key="MAN-001", category="manifest", level="required",
        title="The bundle has a manifest.csv at its root",
        why="The manifest tells the importer which version this is and which files are full or partial updates.",
        remediation="Add manifest.csv at the root of the zip.",
        clause="manifest.csv (present in every package)",
        requirement="MAN-PRESENT", expected="manifest.csv at the root of the zip",
        nothing="the bundle was not examined",
    ),
    Rule(
        key="MAN-002", category="manifest", level="required",
        title="manifest.csv starts with the header propertyName,value",
        why="Importers find the manifest's entries by this exact header.",
        remediation="Make the first line of manifest.csv exactly 'propertyName,value'.",
        clause="manifest.csv (header row propertyName,value)",
        requirement="MAN-HEADER", expected="the header 'propertyName,value'",
        nothing="manifest.csv was not read",
    ),
    Rule(
        key="MAN-003", category="manifest", level="required",
        title="manifest.csv says manifest.version 1.0",
        why="The manifest format version tells importers how to read the manifest itself.",
        remediation="Add the row 'manifest.version,1.0'.",
        clause="manifest.csv (manifest.version = 1.0)",
        requirement="MAN-VERSION", expected="the row manifest.version,1.0",
        nothing="manifest.csv was not read",
    ),
    Rule(
        key="MAN-004", category="manifest", level="required",
        title="manifest.csv names the OneRoster version the bundle is checked against",
        why="An importer reads 1.1 and 1.2 files differently; a wrong version garbles the whole import.",
        remediation="Set the row 'oneroster.version' to the version the files follow (1.1 or 1.2).",
        clause="manifest.csv (oneroster.version)",
        requirement="MAN-OR-VERSION", expected="the row oneroster.version with the bundle's version",
        nothing="manifest.csv was not read",
    ),
    Rule(
        key="MAN-005", category="manifest", level="required",
        title="manifest.csv lists every file of the binding as bulk, delta or absent",
        why="Without the mode an importer cannot tell a full snapshot from a partial update, or a missing file "
            "from an empty one.",
        remediation="Add one 'file.<name>' row per data file of the version, with bulk, delta or absent.",
        clause="manifest.csv (one file.<name> row per data file: bulk, delta or absent)",
        requirement="MAN-FILES", expected="a file.<name> row with bulk, delta or absent for every data file",
        nothing="manifest.csv was not read",
    ),
    Rule(
        key="MAN-006", category="manifest", level="required",
        title="Every manifest.csv entry appears once and has a value",
        why="An empty or repeated entry leaves the importer guessing.",
        remediation="Give every manifest row a value and list each property once.",
        clause="manifest.csv (each property once, with a value)",
        requirement="MAN-VALUES", expected="each property once, none empty",
        nothing="manifest.csv has no entries",
    ),
    Rule(
        key="MAN-007", category="manifest", level="required",
        title="Files the manifest lists as bulk or delta are in the zip, and files listed absent are not",
        why="A manifest that disagrees with the zip makes the importer delete or skip data by mistake.",
        remediation="Make the manifest match the zip: list shipped files as bulk or delta, the others as absent.",
        clause="manifest.csv (bulk and delta files present, absent files missing)",
        requirement="MAN-CONSISTENT", expected="the manifest's modes matching the files in the zip",
        nothing="the manifest gives no file a valid mode",
    ),
)

declare(RULES, globals())
