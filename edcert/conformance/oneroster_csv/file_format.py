"""How each file is written: UTF-8 without a BOM, RFC 4180 CSV, the exact header row."""
from __future__ import annotations

from edcert.conformance.oneroster_csv._rules import Rule, declare

RULES = (
    Rule(
        key="ENC-001", category="file-format", level="required",
        title="Every file is valid UTF-8",
        why="Bytes in another encoding turn accented names into garbage or stop the import.",
        remediation="Export the files as UTF-8 (not Windows-1252 or Latin-1).",
        clause="character encoding (UTF-8)",
        requirement="ENC-UTF8", expected="UTF-8 text",
        nothing="no file could be read",
    ),
    Rule(
        key="ENC-002", category="file-format", level="recommended",
        title="No file starts with a UTF-8 byte-order mark",
        why="Many importers read a byte-order mark as part of the first column's name and then miss sourcedId.",
        remediation="Save the files as UTF-8 without BOM.",
        clause="character encoding (UTF-8, no byte-order mark)",
        requirement="ENC-NO-BOM", expected="no byte-order mark",
        nothing="no file could be read",
    ),
    Rule(
        key="CSV-001", category="file-format", level="required",
        title="Quotes follow RFC 4180 in every file",
        why="An unbalanced quote makes the importer swallow the following rows into one cell.",
        remediation="Quote cells that contain commas, quotes or line breaks, double inner quotes (\"\"), and "
                    "close every quote.",
        clause="CSV syntax (RFC 4180 quoting)",
        requirement="CSV-QUOTING", expected="RFC 4180 quoting",
        nothing="no file could be read",
    ),
    Rule(
        key="CSV-002", category="file-format", level="required",
        title="Every record has as many fields as its header",
        why="A row with a field too many or too few shifts every value into the wrong column.",
        remediation="Quote cells that contain commas (lists such as grades are written \"09,10\") and write "
                    "every column, empty or not; no blank lines.",
        clause="CSV syntax (RFC 4180: every record has the header's number of fields)",
        requirement="CSV-FIELDS", expected="the header's number of fields on every record",
        nothing="no file could be read",
    ),
    Rule(
        key="HDR-001", category="file-format", level="required",
        title="Every data file has the binding's exact header row",
        why="Importers find each value by its column name; a misspelt, missing or reordered column loses data.",
        remediation="Write the header exactly as the binding lists it for this version: every column, in order, "
                    "same case; extension columns only at the end, named metadata.<name>.",
        clause="file headers (exact, case-sensitive, in order; metadata.* extension columns at the end)",
        requirement="HDR-EXACT", expected="the binding's header row for each file",
        nothing="the bundle holds none of the binding's data files",
    ),
)

declare(RULES, globals())
