"""Links between files: every *SourcedId names a record of the file it points into."""
from __future__ import annotations

from edcert.conformance.oneroster_csv._rules import Rule, declare

RULES = (
    Rule(
        key="REF-001", category="referential-integrity", level="required",
        title="Every *SourcedId reference names a record of the referenced file",
        why="An enrollment pointing at a student who is not in users.csv puts nobody in the class.",
        remediation="Export every record that others point to (users, classes, courses, orgs, sessions...) and "
                    "use the same sourcedIds in the references.",
        clause="data model (each *SourcedId / *SourcedIds column names records of the referenced file)",
        requirement="REF-RESOLVE", expected="every reference resolving to a record",
        nothing="no reference could be judged (references are judged only into bulk files read whole)",
    ),
)

declare(RULES, globals())
