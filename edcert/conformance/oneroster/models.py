"""The OneRoster 1.2 Rostering entities, as edcert reads them, and a validator.

Source: the official 1.2 OpenAPI description
(``onerosterv1p2rostersservice_openapi3_v1p0.json``, ``components.schemas``):
every entity is ``additionalProperties: false`` (``metadata`` is the one open
object), GUIDRefs are typed (``OrgGUIDRefDType.type`` is ``"org"`` ...),
booleans are the strings ``"true"``/``"false"``, dates are ``format: date``,
``dateLastModified`` is ``format: date-time``, extensible enumerations accept
``ext:[a-zA-Z0-9.-_]+``.

The validator reports every problem as an :class:`Issue` tagged with the
:class:`Rule` it breaks. The checks partition on that tag, so one kind of
defect fails one check: a missing required field is ``REQUIRED``, a boolean
served as JSON ``true`` is ``BOOLEAN`` (never ``TYPE``), a GUIDRef without
its ``type`` is ``GUIDREF`` (never ``REQUIRED``), and so on.

Choices where the schema leaves room (lenient on purpose):

- ``null`` for an *optional* property is read as "absent" (many providers
  send it; the schema does not allow it, but no consumer is hurt by it).
  ``null`` for a required property counts as missing.
- ``href`` must be a non-empty string; it is not required to be absolute
  (relative hrefs are common and harmless).
- date-times accept any RFC 3339 offset (``Z`` or ``+hh:mm``) and fractions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    STRING = "string"
    ID = "id"  # a non-empty string (sourcedId)
    STRINGS = "strings"
    REF = "ref"
    REFS = "refs"
    DATE = "date"
    DATETIME = "datetime"
    YEAR = "year"
    ENUM = "enum"
    BOOL = "bool"
    STATUS = "status"
    OBJECT = "object"
    OBJECTS = "objects"
    OPEN = "open"
    NUMBER = "number"  # a JSON number (Gradebook: score, weight, resultValueMin/Max)


class Rule(StrEnum):
    """Which requirement an issue breaks (one check per rule)."""

    REQUIRED = "required"  # a required property is absent, null or an empty required list
    TYPE = "type"  # a plain property has the wrong JSON type
    ENUM = "enum"  # a value outside its enumeration
    FORMAT = "format"  # a date, date-time or year in the wrong format
    GUIDREF = "guidref"  # a reference that is not {href, sourcedId, type} with the right type
    BOOLEAN = "boolean"  # a boolean that is not the string "true" or "false"
    STATUS = "status"  # status outside active|tobedeleted
    EXTRA = "extra"  # a property outside the 1.2 model (outside metadata)


@dataclass(frozen=True)
class Prop:
    """One property of an entity (or of a nested object)."""

    kind: Kind
    required: bool = False
    min_items: int = 0
    ref_type: str = ""  # REF / REFS: the GUIDRef type it must carry
    values: tuple[str, ...] = ()  # ENUM
    extensible: bool = False  # ENUM: also accepts ext:...
    shape: Shape | None = None  # OBJECT / OBJECTS
    personal: bool = False  # never show its value in a message


@dataclass(frozen=True)
class Shape:
    name: str
    props: dict[str, Prop]
    open: bool = False  # additionalProperties: true

    def __contains__(self, name: object) -> bool:
        return name in self.props


@dataclass(frozen=True)
class Issue:
    """One problem of one record.

    ``path`` names the property (``roles[].org.type``), ``problem`` says what
    is wrong without any value, ``shown`` is an example value safe to show
    (never the value of a personal property), or None.
    """

    rule: Rule
    path: str
    problem: str
    shown: str | None = None

    @property
    def key(self) -> tuple[Rule, str, str]:
        return (self.rule, self.path, self.problem)


# -- vocabularies (1.2 OpenAPI) ---------------------------------------------------------

STATUSES = ("active", "tobedeleted")
ORG_TYPES = ("department", "district", "local", "national", "school", "state")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
ROLE_TYPES = ("primary", "secondary")
USER_ROLES = (
    "aide", "counselor", "districtAdministrator", "guardian", "parent", "principal", "proctor", "relative",
    "siteAdministrator", "student", "systemAdministrator", "teacher",
)
ENROLLMENT_ROLES = ("administrator", "proctor", "student", "teacher")
SEXES = ("male", "female", "unspecified", "other")
GUIDREF_TYPES = (
    "org", "user", "class", "course", "academicSession", "resource", "category", "lineItem", "scoreScale",
    "assessmentLineItem",
)
EXT_RE = re.compile(r"^ext:[a-zA-Z0-9.\-_]+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
YEAR_RE = re.compile(r"^\d{4}$")

# -- shapes ------------------------------------------------------------------------------

_S = Prop(Kind.STRING)
_P = Prop(Kind.STRING, personal=True)
_SS = Prop(Kind.STRINGS)


def _ref(ref_type: str, required: bool = False) -> Prop:
    return Prop(Kind.REF, required=required, ref_type=ref_type)


def _refs(ref_type: str, min_items: int = 0, required: bool = False) -> Prop:
    return Prop(Kind.REFS, required=required, min_items=min_items, ref_type=ref_type)


def _enum(values: tuple[str, ...], *, required: bool = False, extensible: bool = True,
          personal: bool = False) -> Prop:
    return Prop(Kind.ENUM, required=required, values=values, extensible=extensible, personal=personal)


def _bool(required: bool = False, personal: bool = False) -> Prop:
    return Prop(Kind.BOOL, required=required, personal=personal)


_DATE = Prop(Kind.DATE)

BASE: dict[str, Prop] = {
    "sourcedId": Prop(Kind.ID, required=True),
    "status": Prop(Kind.STATUS, required=True),
    "dateLastModified": Prop(Kind.DATETIME, required=True),
    "metadata": Prop(Kind.OPEN),
}

GUIDREF = Shape("GUIDRef", {"href": _S, "sourcedId": _S, "type": _S})
CREDENTIAL = Shape(
    "Credential",
    {"type": Prop(Kind.STRING, required=True), "username": Prop(Kind.STRING, required=True, personal=True),
     "password": _P},
    open=True,
)
USER_PROFILE = Shape(
    "UserProfile",
    {
        "profileId": Prop(Kind.STRING, required=True),
        "profileType": Prop(Kind.STRING, required=True),
        "vendorId": Prop(Kind.STRING, required=True),
        "applicationId": _S,
        "description": _S,
        "credentials": Prop(Kind.OBJECTS, shape=CREDENTIAL),
    },
)
ROLE = Shape(
    "Role",
    {
        "roleType": _enum(ROLE_TYPES, required=True, extensible=False),
        "role": _enum(USER_ROLES, required=True),
        "org": _ref("org", required=True),
        "userProfile": _S,
        "beginDate": _DATE,
        "endDate": _DATE,
    },
)
USER_ID = Shape(
    "UserId", {"type": Prop(Kind.STRING, required=True), "identifier": Prop(Kind.STRING, required=True, personal=True)}
)

ORG = Shape(
    "org",
    {
        **BASE,
        "name": Prop(Kind.STRING, required=True),
        "type": _enum(ORG_TYPES, required=True),
        "identifier": Prop(Kind.STRING, required=True),
        "parent": _ref("org"),
        "children": _refs("org"),
    },
)
ACADEMIC_SESSION = Shape(
    "academicSession",
    {
        **BASE,
        "title": Prop(Kind.STRING, required=True),
        "startDate": Prop(Kind.DATE, required=True),
        "endDate": Prop(Kind.DATE, required=True),
        "type": _enum(SESSION_TYPES, required=True),
        "parent": _ref("academicSession"),
        "children": _refs("academicSession"),
        "schoolYear": Prop(Kind.YEAR, required=True),
    },
)
COURSE = Shape(
    "course",
    {
        **BASE,
        "title": Prop(Kind.STRING, required=True),
        "schoolYear": _ref("academicSession"),
        "courseCode": Prop(Kind.STRING, required=True),
        "grades": _SS,
        "subjects": _SS,
        "org": _ref("org"),
        "subjectCodes": _SS,
        "resources": _refs("resource"),
    },
)
CLASS = Shape(
    "class",
    {
        **BASE,
        "title": Prop(Kind.STRING, required=True),
        "classCode": _S,
        "classType": _enum(CLASS_TYPES),
        "location": _S,
        "grades": _SS,
        "subjects": _SS,
        "course": _ref("course", required=True),
        "school": _ref("org", required=True),
        "terms": _refs("academicSession", min_items=1, required=True),
        "subjectCodes": _SS,
        "periods": _SS,
        "resources": _refs("resource"),
    },
)
USER = Shape(
    "user",
    {
        **BASE,
        "userMasterIdentifier": _P,
        "username": _P,
        "userIds": Prop(Kind.OBJECTS, shape=USER_ID),
        "enabledUser": _bool(required=True),
        "givenName": Prop(Kind.STRING, required=True, personal=True),
        "familyName": Prop(Kind.STRING, required=True, personal=True),
        "middleName": _P,
        "preferredFirstName": _P,
        "preferredMiddleName": _P,
        "preferredLastName": _P,
        "pronouns": _P,
        "roles": Prop(Kind.OBJECTS, required=True, min_items=1, shape=ROLE),
        "userProfiles": Prop(Kind.OBJECTS, shape=USER_PROFILE),
        "primaryOrg": _ref("org"),
        "identifier": _P,
        "email": _P,
        "sms": _P,
        "phone": _P,
        "agents": _refs("user"),
        "grades": _SS,
        "password": _P,
        "resources": _refs("resource"),
    },
)
ENROLLMENT = Shape(
    "enrollment",
    {
        **BASE,
        "user": _ref("user", required=True),
        "class": _ref("class", required=True),
        "school": _ref("org", required=True),
        "role": _enum(ENROLLMENT_ROLES, required=True),
        "primary": _bool(),
        "beginDate": _DATE,
        "endDate": _DATE,
    },
)
DEMOGRAPHICS = Shape(
    "demographics",
    {
        **BASE,
        "birthDate": Prop(Kind.DATE, personal=True),
        "sex": _enum(SEXES, personal=True),
        "americanIndianOrAlaskaNative": _bool(personal=True),
        "asian": _bool(personal=True),
        "blackOrAfricanAmerican": _bool(personal=True),
        "nativeHawaiianOrOtherPacificIslander": _bool(personal=True),
        "white": _bool(personal=True),
        "demographicRaceTwoOrMoreRaces": _bool(personal=True),
        "hispanicOrLatinoEthnicity": _bool(personal=True),
        "countryOfBirthCode": _P,
        "stateOfBirthAbbreviation": _P,
        "cityOfBirth": _P,
        "publicSchoolResidenceStatus": _P,
    },
)

# The shape of the records of each flat collection endpoint.
SHAPES: dict[str, Shape] = {
    "orgs": ORG, "schools": ORG,
    "academicSessions": ACADEMIC_SESSION, "terms": ACADEMIC_SESSION, "gradingPeriods": ACADEMIC_SESSION,
    "courses": COURSE, "classes": CLASS,
    "users": USER, "students": USER, "teachers": USER,
    "enrollments": ENROLLMENT, "demographics": DEMOGRAPHICS,
}

# -- primitive format tests ----------------------------------------------------------------


def is_date(value: object) -> bool:
    """``YYYY-MM-DD`` and a real calendar date."""
    if not isinstance(value, str) or not DATE_RE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_datetime(value: object) -> bool:
    """An RFC 3339 date-time (``2026-06-01T02:00:00Z``, fractions and offsets allowed)."""
    if not isinstance(value, str):
        return False
    match = DATETIME_RE.match(value)
    if not match:
        return False
    day, hh, mm, ss = match.group(1), int(match.group(2)), int(match.group(3)), int(match.group(4))
    if not is_date(day) or hh > 23 or mm > 59 or ss > 60:
        return False
    offset = match.group(6)
    if offset not in ("Z", "z") and (int(offset[1:3]) > 23 or int(offset[4:6]) > 59):
        return False
    try:
        datetime.fromisoformat(f"{day}T{hh:02d}:{mm:02d}:{min(ss, 59):02d}")
    except ValueError:
        return False
    return True


def is_year(value: object) -> bool:
    return isinstance(value, str) and bool(YEAR_RE.match(value))


def in_enum(value: object, prop: Prop) -> bool:
    if not isinstance(value, str):
        return False
    return value in prop.values or (prop.extensible and bool(EXT_RE.match(value)))


def json_type(value: object) -> str:
    """The JSON type name of a value (for messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a JSON boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def show(value: object, prop: Prop | None = None) -> str:
    """A value as it may appear in a message: quoted and cut short, or only its type when personal."""
    if prop is not None and prop.personal:
        return json_type(value)  # the kind of value only, never the value
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    return json_type(value)


# -- the validator -------------------------------------------------------------------------------


@dataclass
class _Walk:
    issues: list[Issue] = field(default_factory=list)

    def add(self, rule: Rule, path: str, problem: str, shown: str | None = None) -> None:
        self.issues.append(Issue(rule, path, problem, shown))

    def shape(self, record: dict[str, Any], shape: Shape, prefix: str) -> None:
        for name, prop in shape.props.items():
            path = prefix + name
            if name not in record or record[name] is None:
                if prop.required:
                    self.add(Rule.REQUIRED, path, "missing")
                continue
            self.value(record[name], prop, path)
        if not shape.open:
            for name in record:
                if name not in shape.props:
                    self.add(Rule.EXTRA, prefix + str(name), "is not a OneRoster 1.2 property")

    def value(self, value: Any, prop: Prop, path: str) -> None:
        kind = prop.kind
        if kind is Kind.STRING:
            if not isinstance(value, str):
                self.add(Rule.TYPE, path, "is not a string", json_type(value))
        elif kind is Kind.ID:
            if not isinstance(value, str):
                self.add(Rule.TYPE, path, "is not a string", json_type(value))
            elif not value.strip():
                self.add(Rule.REQUIRED, path, "empty")
        elif kind is Kind.STRINGS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.add(Rule.TYPE, path, "is not a list of strings", json_type(value))
            elif len(value) < prop.min_items:
                self.add(Rule.REQUIRED, path, "empty")
        elif kind is Kind.REF:
            self.ref(value, prop.ref_type, path)
        elif kind is Kind.REFS:
            if not isinstance(value, list):
                self.add(Rule.GUIDREF, path, "is not a list of references", json_type(value))
                return
            if len(value) < prop.min_items:
                self.add(Rule.REQUIRED, path, "empty")
            for item in value:
                self.ref(item, prop.ref_type, path + "[]")
        elif kind is Kind.DATE:
            if not is_date(value):
                self.add(Rule.FORMAT, path, "is not a YYYY-MM-DD date", self.example(value, prop))
        elif kind is Kind.DATETIME:
            if not is_datetime(value):
                self.add(Rule.FORMAT, path, "is not an RFC 3339 date-time", show(value, prop))
        elif kind is Kind.YEAR:
            if not is_year(value):
                self.add(Rule.FORMAT, path, "is not a 4-digit year (YYYY)", show(value, prop))
        elif kind is Kind.ENUM:
            if not in_enum(value, prop):
                allowed = "|".join(prop.values) + ("|ext:..." if prop.extensible else "")
                self.add(Rule.ENUM, path, f"is not one of {allowed}", self.example(value, prop))
        elif kind is Kind.BOOL:
            if value not in ("true", "false"):
                self.add(Rule.BOOLEAN, path, 'is not the string "true" or "false"', self.example(value, prop))
        elif kind is Kind.STATUS:
            if value not in STATUSES:
                self.add(Rule.STATUS, path, "is not active|tobedeleted", show(value, prop))
        elif kind is Kind.OBJECT:
            if not isinstance(value, dict):
                self.add(Rule.TYPE, path, "is not an object", json_type(value))
            elif prop.shape is not None:
                self.shape(value, prop.shape, path + ".")
        elif kind is Kind.OBJECTS:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                self.add(Rule.TYPE, path, "is not a list of objects", json_type(value))
                return
            if len(value) < prop.min_items:
                self.add(Rule.REQUIRED, path, "empty")
            if prop.shape is not None:
                for item in value:
                    self.shape(item, prop.shape, path + "[].")
        elif kind is Kind.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.add(Rule.TYPE, path, "is not a number", json_type(value))
        elif kind is Kind.OPEN and not isinstance(value, dict):
            self.add(Rule.TYPE, path, "is not an object", json_type(value))

    @staticmethod
    def example(value: Any, prop: Prop) -> str | None:
        """What a message may show of a wrong value: the value itself, or for a personal
        property only its JSON type when that is not a string (nothing at all otherwise)."""
        if prop.personal:
            return None if isinstance(value, str) else json_type(value)
        return show(value, prop)

    def ref(self, value: Any, ref_type: str, path: str) -> None:
        if not isinstance(value, dict):
            self.add(Rule.GUIDREF, path, "is not a reference object {href, sourcedId, type}", json_type(value))
            return
        for key in ("href", "sourcedId", "type"):
            item = value.get(key)
            if item is None:
                self.add(Rule.GUIDREF, f"{path}.{key}", "missing")
            elif not isinstance(item, str) or not item.strip():
                self.add(Rule.GUIDREF, f"{path}.{key}", "is not a non-empty string", json_type(item))
        kind = value.get("type")
        if isinstance(kind, str) and kind.strip() and kind != ref_type:
            self.add(Rule.GUIDREF, f"{path}.type", f"is not '{ref_type}'", show(kind))
        for key in value:
            if key not in GUIDREF:
                self.add(Rule.EXTRA, f"{path}.{key}", "is not a OneRoster 1.2 property")


def validate(record: dict[str, Any], shape: Shape) -> list[Issue]:
    """Every problem of one record against its 1.2 shape."""
    if _fastcheck.clean_test(shape)(record):
        return []  # the compiled test found nothing: no need to walk the record
    return _walked(record, shape)


def _walked(record: dict[str, Any], shape: Shape) -> list[Issue]:
    walk = _Walk()
    walk.shape(record, shape, "")
    return walk.issues


def validate_all(records: list[dict[str, Any]], shape: Shape, dirty: list[int] | None = None) -> dict[int, list[Issue]]:
    """The problems of every record that has any, by its index in ``records`` (clean records are left out).

    Nearly every record of a working provider is clean: each costs one compiled test, and the checks that
    group problems afterwards look at the few records that have any, not at every record again. ``dirty``:
    the indices of the records that failed the compiled test of ``shape`` already (tested while reading);
    only those are walked.
    """
    if dirty is None:
        clean = _fastcheck.clean_test(shape)
        dirty = [i for i, record in enumerate(records) if not clean(record)]
    return {i: found for i in dirty if (found := _walked(records[i], shape))}


def ref_id(record: dict[str, Any], key: str) -> str | None:
    """The sourcedId a GUIDRef property points at, when it is readable."""
    ref = record.get(key)
    if isinstance(ref, dict):
        value = ref.get("sourcedId")
        if isinstance(value, str) and value:
            return value
    return None


def user_roles(user: dict[str, Any]) -> list[tuple[str, str | None]]:
    """A user's (role, org sourcedId) pairs: its 1.2 ``roles[]``, or 1.1's one ``role`` at each of its ``orgs``."""
    roles = user.get("roles")
    if isinstance(roles, list):
        return [(r["role"], ref_id(r, "org")) for r in roles if isinstance(r, dict) and isinstance(r.get("role"), str)]
    role = user.get("role")
    if isinstance(role, str):
        return [(role, org) for org in ref_ids(user, "orgs")] or [(role, None)]
    return []


def ref_ids(record: dict[str, Any], key: str) -> list[str]:
    """The sourcedIds a list-of-GUIDRefs property points at (unreadable items skipped)."""
    refs = record.get(key)
    if not isinstance(refs, list):
        return []
    out: list[str] = []
    for ref in refs:
        if isinstance(ref, dict):
            value = ref.get("sourcedId")
            if isinstance(value, str) and value:
                out.append(value)
    return out


def record_id(record: dict[str, Any], index: int) -> str:
    """How a message names a record: its sourcedId, else its position."""
    value = record.get("sourcedId")
    return value if isinstance(value, str) and value else f"#{index + 1}"


# -- messages ---------------------------------------------------------------------------------

MAX_IDS = 3
MAX_GROUPS = 4


def plural(word: str, count: int = 2) -> str:
    """``class`` → ``classes``; ``school`` → ``schools`` (the words the messages use)."""
    if count == 1:
        return word
    return word + ("es" if word.endswith(("s", "ss", "x")) else "s")


def id_list(ids: list[str], total: int | None = None, limit: int = MAX_IDS) -> str:
    """``a, b, c…`` — at most ``limit`` sourcedIds, with an ellipsis when there are more."""
    count = len(ids) if total is None else total
    shown = ", ".join(ids[:limit])
    return shown + ("…" if count > limit else "")


def join_groups(parts: list[str], limit: int = MAX_GROUPS) -> str:
    """Several problem summaries in one message, capped."""
    text = "; ".join(parts[:limit])
    if len(parts) > limit:
        more = len(parts) - limit
        text += f"; and {more} more kind{'s' if more > 1 else ''} of problem"
    return text


# at the end: the compiler reads this module's shapes and format tests
from edcert.conformance.oneroster import _fastcheck  # noqa: E402
