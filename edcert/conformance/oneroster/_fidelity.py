"""Comparing the roster a district supplied (its OneRoster CSV zip) with the roster a vendor serves.

The district's file is read once per run (``edcert.fixtures.roster_csv``) into the JSON records a 1.2 provider
would serve; the vendor's records come from the suite's collection cache, so nothing is fetched twice.

Values are compared, not representations: the data-model checks judge how a value is written, these judge
whether it is the district's value. So only what the CSV and JSON bindings legitimately write differently is
normalised: dates and date-times (``...T02:00:00.000Z`` and ``...T02:00:00Z`` are one instant), string
booleans, enumerations (compared without case), comma-separated lists, and GUIDRefs (compared by the sourcedId
they name; lists of them as sets). Everything else must be equal.

A OneRoster 1.1 file is compared on what 1.1 can say (its users' single role and their orgs, see
``_roles_11``).

Bulk files: a bulk file is a snapshot of the active records, with status and dateLastModified blank. So a
record it supplied must be served active (its dateLastModified is the vendor's own), and records the vendor
marks ``tobedeleted`` that the file does not hold are the deletions the snapshot implies: they are not counted
and references to them are ignored.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from edcert.conformance.oneroster._fixtures import OneRosterSession
from edcert.fixtures.roster_csv import RosterCsvError, RosterFile, read_roster_zip
from edcert.harness.errors import HarnessError, NotApplicable
from edcert.harness.evidence import PII_KEYS, Exchange

JSON = dict[str, Any]

# Every entity of the file, in the order a reader meets them; endpoint == the file's stem == the JSON key.
ENTITIES = ("orgs", "academicSessions", "courses", "classes", "users", "demographics", "enrollments")
SINGULAR = {"orgs": "org", "academicSessions": "academic session", "courses": "course", "classes": "class",
            "users": "user", "demographics": "demographics record", "enrollments": "enrollment"}
# parent/children of orgs and sessions are the hierarchy checks' (OR12-FID-004/005), not the field check's
HIERARCHY_KEYS = ("parent", "children")
_DATE_KEYS = {"startDate", "endDate", "beginDate", "birthDate"}
_CASELESS_KEYS = {"type", "classType", "role", "roleType", "sex", "status", "enabledUser", "primary",
                  "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
                  "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
                  "hispanicOrLatinoEthnicity"}
_LIST_KEYS = {"grades", "subjects", "subjectCodes", "periods"}
PERSONAL = frozenset(PII_KEYS)


# -- the district's file, once per run ------------------------------------------------------------------


def district_roster(oneroster: OneRosterSession) -> RosterFile:
    """The roster the district supplied (``[oneroster] roster_csv``), read once per run.

    Raises:
        NotApplicable: The vendor configuration names no roster file.
        HarnessError: The file cannot be read (the district's file, not the vendor, is at fault).
    """
    path = oneroster.config.roster_csv
    if not path:
        raise NotApplicable("the vendor configuration names no roster_csv (the OneRoster CSV zip the district "
                            "loaded into the vendor's sandbox), so there is nothing to compare the served data with")
    found = oneroster.state.resource("oneroster-1.2.roster-csv", lambda: _read(Path(path)))
    if isinstance(found, str):
        raise HarnessError(found)
    roster: RosterFile = found
    return roster


def _read(path: Path) -> RosterFile | str:
    try:
        return read_roster_zip(path)
    except RosterCsvError as exc:
        return f"edcert could not read the district's roster file: {exc}"


def entities(oneroster: OneRosterSession, roster: RosterFile) -> list[str]:
    """The entities to compare: those the file holds (demographics only when the vendor offers them)."""
    return [e for e in ENTITIES if roster.mode(e) != "absent"
            and (e != "demographics" or oneroster.config.demographics)]


# -- normalising values ----------------------------------------------------------------------------------


def _date(value: str) -> str:
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text[:10], fmt).date().isoformat()
        except ValueError:
            continue
    return text


def _instant(value: str) -> str:
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        return date.isoformat(moment.date()) if len(text) == 10 else moment.isoformat()
    return moment.astimezone(UTC).isoformat()


def ref_of(value: Any) -> str | None:
    if isinstance(value, dict):
        sid = value.get("sourcedId")
        return sid if isinstance(sid, str) else None
    return None


def norm(key: str, value: Any, ignore: frozenset[str] | set[str] = frozenset()) -> Any:
    """A value as compared: the same for the CSV-read and the JSON-served form of the same datum.

    ``ignore`` holds sourcedIds dropped from reference lists (records a bulk file implicitly deleted).
    """
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        sid = ref_of(value)
        return ("ref", sid) if sid is not None else tuple(sorted((k, str(v)) for k, v in value.items()))
    if isinstance(value, list):
        if key == "roles":
            return tuple(sorted(
                (str(r.get("roleType", "")).lower(), str(r.get("role", "")).lower(), ref_of(r.get("org")) or "",
                 _date(str(r.get("beginDate", ""))), _date(str(r.get("endDate", ""))))
                for r in value if isinstance(r, dict)))
        if key == "userIds":
            return tuple(sorted((str(x.get("type", "")), str(x.get("identifier", "")))
                                for x in value if isinstance(x, dict)))
        if all(isinstance(x, dict) and "sourcedId" in x for x in value):
            ids = sorted({ref_of(x) or "" for x in value} - set(ignore))
            return ("refs", tuple(ids)) if ids else None
        return tuple(str(x).strip() for x in value)
    if isinstance(value, str):
        if key in _LIST_KEYS:
            return tuple(p.strip() for p in value.split(",") if p.strip()) or None
        if key == "dateLastModified":
            return _instant(value)
        if key in _DATE_KEYS:
            return _date(value)
        if key in _CASELESS_KEYS:
            return value.strip().lower()
        return value
    return value


# -- both sides, indexed ----------------------------------------------------------------------------------


@dataclass
class Side:
    """One side's records of one entity, by sourcedId."""

    by_id: dict[str, JSON]
    evidence: list[Exchange] = field(default_factory=list)


@dataclass
class Compared:
    """The district's file and the vendor's records of the entities compared, with the bulk rules applied."""

    roster: RosterFile
    supplied: dict[str, dict[str, JSON]]
    served: dict[str, Side]
    # sourcedIds the vendor marks tobedeleted that a bulk file does not hold: deletions the snapshot implies
    deleted: set[str]
    full_evidence: bool

    def bulk(self, entity: str) -> bool:
        return self.roster.mode(entity) == "bulk"

    def served_live(self, entity: str) -> dict[str, JSON]:
        """The vendor's records of ``entity`` that count (implied deletions of a bulk file left out)."""
        return {k: v for k, v in self.served[entity].by_id.items() if k not in self.deleted}

    def evidence(self, *names: str) -> list[Exchange]:
        return [ex for n in names if n in self.served for ex in self.served[n].evidence[:1]]

    def show(self, key: str, value: Any) -> str:
        """A value for a message: personal data only in full evidence mode."""
        if key in PERSONAL and not self.full_evidence:
            return "(personal data, masked)"
        shown = norm(key, value)
        if isinstance(shown, tuple) and shown and shown[0] in ("ref", "refs"):
            shown = shown[1]
        if isinstance(shown, tuple):
            shown = ", ".join(str(x) for x in shown)
        return "nothing" if shown is None else repr(shown)

    def field_diffs(self, entity: str, supplied: JSON, served: JSON) -> list[str]:
        """The properties of one supplied record whose served value differs (hierarchy links excepted)."""
        bulk = self.bulk(entity)
        out: list[str] = []
        for key, value in supplied.items():
            if value == served.get(key):
                continue  # the same JSON normalises the same: skip the work (most values of a faithful vendor)
            if key in ("sourcedId", "metadata") or (entity in ("orgs", "academicSessions") and key in HIERARCHY_KEYS):
                continue
            if bulk and key == "dateLastModified":
                continue
            if bulk and key == "status":
                if norm(key, served.get(key)) != "active":
                    out.append(key)
                continue
            if key == "roles" and self.roster.version == "1.1":
                (mine, my_words), (theirs, their_words) = _roles_11(value), _roles_11(served.get(key))
                if mine != theirs or not my_words <= their_words:
                    out.append(key)
                continue
            if norm(key, value, self.deleted) != norm(key, served.get(key), self.deleted):
                out.append(key)
        return out


# 1.1 has one role per user (administrator covers the 1.2 administrator roles) and no role dates: a 1.1 file
# is compared on what it can say, the orgs of the user's roles and its role word (one of the served roles).
_ADMIN_12 = {"districtadministrator", "siteadministrator", "principal", "counselor", "systemadministrator",
             "administrator"}


def _roles_11(value: Any) -> tuple[frozenset[str], frozenset[str]]:
    roles = [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []
    words = {str(r.get("role", "")).lower() for r in roles}
    return (frozenset(ref_of(r.get("org")) or "" for r in roles),
            frozenset("administrator" if w in _ADMIN_12 else w for w in words))


def compare(oneroster: OneRosterSession, roster: RosterFile, wanted: tuple[str, ...] | None = None) -> Compared:
    """Both sides of ``wanted`` (default: every entity compared), reading the vendor through the collection cache.

    Raises:
        Failure: A collection could not be read (from ``OneRosterSession.collection``).
    """
    names = [e for e in entities(oneroster, roster) if wanted is None or e in wanted]
    supplied = {e: {r["sourcedId"]: r for r in getattr(roster.district, e)} for e in names}
    served: dict[str, Side] = {}
    for e in names:
        found = oneroster.collection(e)
        served[e] = Side(found.by_id(), found.evidence())
    deleted: set[str] = set()
    for e in names:
        if roster.mode(e) == "bulk":
            deleted |= {k for k, r in served[e].by_id.items()
                        if k not in supplied[e] and norm("status", r.get("status")) == "tobedeleted"}
    return Compared(roster=roster, supplied=supplied, served=served, deleted=deleted,
                    full_evidence=oneroster.state.evidence_mode == "full")


def enrollment_key(record: JSON) -> tuple[str, str, str]:
    """What makes an enrollment the same one on both sides: this user, in this class, with this role."""
    return (ref_of(record.get("user")) or "", ref_of(record.get("class")) or "", norm("role", record.get("role")) or "")


def by_ref(records: Any, key: str) -> dict[str, list[JSON]]:
    out: dict[str, list[JSON]] = defaultdict(list)
    for r in records:
        sid = ref_of(r.get(key))
        if sid is not None:
            out[sid].append(r)
    return out
