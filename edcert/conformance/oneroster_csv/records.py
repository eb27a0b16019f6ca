"""What the rows hold: bulk and delta rules, required fields, vocabularies, dates, booleans, sourcedIds."""
from __future__ import annotations

from edcert.conformance.oneroster_csv._rules import Rule, declare

RULES = (
    Rule(
        key="REC-001", category="data-model", level="required",
        title="Rows of bulk files leave status and dateLastModified blank",
        why="A bulk file is a full snapshot; a status or date in it means the export mixed up full and partial "
            "updates.",
        remediation="In files listed as bulk, leave status and dateLastModified empty.",
        clause="bulk processing (status and dateLastModified blank)",
        requirement="REC-BULK", expected="status and dateLastModified blank in bulk files",
        nothing="no file is listed as bulk",
    ),
    Rule(
        key="REC-002", category="data-model", level="required",
        title="Rows of delta files carry status (active or tobedeleted) and dateLastModified",
        why="A partial update without status or date cannot tell the importer what to add, change or delete.",
        remediation="In files listed as delta, fill status with active or tobedeleted and dateLastModified with "
                    "the change time.",
        clause="delta processing (status active|tobedeleted and dateLastModified on every row)",
        requirement="REC-DELTA", expected="status active|tobedeleted and a dateLastModified on every delta row",
        nothing="no file is listed as delta",
    ),
    Rule(
        key="REC-003", category="data-model", level="required",
        title="Required fields are filled in",
        why="A class without a course or a user without a name cannot be imported.",
        remediation="Fill every required column (sourcedId, and e.g. classes.courseSourcedId, users.givenName).",
        clause="data model (required fields)",
        requirement="REC-REQUIRED", expected="every required field filled in",
        nothing="no row has a required field",
    ),
    Rule(
        key="FMT-001", category="data-model", level="required",
        title="Vocabulary fields hold one of the binding's values, in its case",
        why="'Scheduled' or 'Teacher' are not the binding's words; importers drop or mis-file such rows.",
        remediation="Use the exact values (e.g. classType scheduled, role teacher); custom values start with ext:.",
        clause="data model (enumerations, case-sensitive; ext: extensions where allowed)",
        requirement="FMT-ENUM", expected="the binding's vocabulary",
        nothing="no vocabulary field is filled in",
    ),
    Rule(
        key="FMT-002", category="data-model", level="required",
        title="Dates are YYYY-MM-DD and years YYYY",
        why="'1/05/2023' means January or May depending on who reads it.",
        remediation="Write dates as YYYY-MM-DD (e.g. 2026-08-17) and school years as YYYY.",
        clause="data types (Date YYYY-MM-DD, Year YYYY)",
        requirement="FMT-DATE", expected="YYYY-MM-DD dates, YYYY years",
        nothing="no date field is filled in",
    ),
    Rule(
        key="FMT-003", category="data-model", level="required",
        title="dateLastModified is a UTC date-time YYYY-MM-DDTHH:MM:SS.sssZ",
        why="Change times in other forms break the importer's ordering of updates.",
        remediation="Write dateLastModified as e.g. 2026-11-20T13:45:00.000Z (UTC, with the Z).",
        clause="data types (DateTime YYYY-MM-DDTHH:MM:SS.sssZ, UTC)",
        requirement="FMT-DATETIME", expected="UTC date-times YYYY-MM-DDTHH:MM:SS.sssZ",
        nothing="no dateLastModified is filled in (bulk files leave it blank)",
    ),
    Rule(
        key="FMT-004", category="data-model", level="required",
        title="Boolean fields are the strings true or false",
        why="'TRUE', 'Y' or '1' are read as false, or rejected, by strict importers.",
        remediation="Write booleans (enabledUser, primary, demographic flags...) as lower-case true or false.",
        clause="data types (Boolean true|false)",
        requirement="FMT-BOOLEAN", expected="true or false",
        nothing="no boolean field is filled in",
    ),
    Rule(
        key="ID-001", category="data-model", level="recommended",
        title="sourcedIds are 1-255 characters of 0-9 A-Z a-z . / @ _ -",
        why="Identifiers with spaces or punctuation break the links between files in some importers.",
        remediation="Use sourcedIds such as GUIDs, made of letters, digits and . / @ _ - only.",
        clause="data types (GUID: 1-255 characters of 0-9 A-Z a-z . / @ _ -; reading not confirmed)",
        requirement="ID-SYNTAX", expected="GUID-shaped sourcedIds",
        nothing="no sourcedId is filled in",
    ),
    Rule(
        key="ID-002", category="data-model", level="required",
        title="sourcedIds are unique within each file",
        why="Two records with one identifier overwrite each other on import.",
        remediation="Give every record of a file its own sourcedId.",
        clause="data model (sourcedId unique within its file)",
        requirement="ID-UNIQUE", expected="one record per sourcedId",
        nothing="no sourcedId is filled in",
    ),
)

declare(RULES, globals())
