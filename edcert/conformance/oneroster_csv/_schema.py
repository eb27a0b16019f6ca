"""The OneRoster CSV binding as data: files, exact headers and what each column holds, per version.

Sources (see oneroster.md §5): the 1.2 headers, required columns, vocabularies and formats follow
LongsightGroup's reading of the 1.2 CSV binding (``one-roster-csv-*-schema.ts`` and the record engines);
the 1.1 headers follow the Moodle 1.1 fixtures, the bergerb generator and vendor documentation. The exact
order of the 1.1 gradebook headers (categories, lineItems, results) is [unconfirmed]. Where sources
disagree edcert takes the lenient reading (e.g. ``lineItems.assignDate`` may be a date or a date-time).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from edcert.harness.evidence import PII_KEYS

Version = Literal["1.1", "1.2"]
VERSIONS: tuple[Version, ...] = ("1.1", "1.2")
Kind = Literal["id", "text", "ref", "refs", "enum", "enums", "date", "date_or_datetime", "datetime", "year",
               "bool", "list"]

MANIFEST = "manifest.csv"
MANIFEST_HEADER = ("propertyName", "value")
MANIFEST_VERSION = "1.0"
MODES = ("bulk", "delta", "absent")
STATUSES = ("active", "tobedeleted")
METADATA_PREFIX = "metadata."

# Columns whose values are a person's data: findings name them but never show their value.
PERSONAL_COLUMNS = frozenset(PII_KEYS) | {"password", "userIds", "grades", "score", "textScore", "comment"}


@dataclass(frozen=True)
class Column:
    """One column of one file.

    Attributes:
        name: The exact header text.
        kind: What the column holds (``ref``/``refs``: sourcedId(s) of ``target``; ``enum``/``enums``: one or a
            comma-separated list of ``values``, ``ext:`` extensions allowed when ``ext``).
        required: The cell must not be blank (except on ``tobedeleted`` delta rows).
        target: The file a reference resolves into.
        values: The vocabulary of an enumeration.
        ext: Whether ``ext:`` extension values are allowed.
    """

    name: str
    kind: Kind = "text"
    required: bool = False
    target: str | None = None
    values: tuple[str, ...] = ()
    ext: bool = False

    @property
    def personal(self) -> bool:
        return self.name in PERSONAL_COLUMNS


def _text(name: str, required: bool = False) -> Column:
    return Column(name, "text", required)


def _ref(name: str, target: str, required: bool = False) -> Column:
    return Column(name, "ref", required, target=target)


def _refs(name: str, target: str, required: bool = False) -> Column:
    return Column(name, "refs", required, target=target)


def _enum(name: str, values: tuple[str, ...], required: bool = False, ext: bool = True) -> Column:
    return Column(name, "enum", required, values=values, ext=ext)


def _kind(name: str, kind: Kind, required: bool = False) -> Column:
    return Column(name, kind, required)


COMMON = (Column("sourcedId", "id", True), _text("status"), _kind("dateLastModified", "datetime"))

ORG_TYPES = ("department", "district", "local", "national", "school", "state")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
ROLE_TYPES = ("primary", "secondary")
ROLES_12 = ("aide", "counselor", "districtAdministrator", "guardian", "parent", "principal", "proctor", "relative",
            "siteAdministrator", "student", "systemAdministrator", "teacher")
ROLES_11 = ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher")
ENROLLMENT_ROLES = ("administrator", "proctor", "student", "teacher")
SEX_12 = ("male", "female", "unspecified", "other")
SEX_11 = ("male", "female")
SCORE_STATUSES = ("exempt", "fully graded", "not submitted", "partially graded", "submitted")
RESOURCE_ROLES = ROLES_11
IMPORTANCE = ("primary", "secondary")
LO_SOURCES = ("case", "unknown")
RACE_FLAGS = ("americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican", "nativeHawaiianOrOtherPacificIslander",
              "white", "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity")


def _demographics(sex: tuple[str, ...]) -> tuple[Column, ...]:
    return (_kind("birthDate", "date"), _enum("sex", sex), *(_kind(f, "bool") for f in RACE_FLAGS),
            _text("countryOfBirthCode"), _text("stateOfBirthAbbreviation"), _text("cityOfBirth"),
            _text("publicSchoolResidenceStatus"))


_SHARED: dict[str, tuple[Column, ...]] = {
    "orgs": (_text("name", True), _enum("type", ORG_TYPES, True), _text("identifier"),
             _ref("parentSourcedId", "orgs")),
    "academicSessions": (_text("title", True), _enum("type", SESSION_TYPES, True), _kind("startDate", "date", True),
                         _kind("endDate", "date", True), _ref("parentSourcedId", "academicSessions"),
                         _kind("schoolYear", "year", True)),
    "courses": (_ref("schoolYearSourcedId", "academicSessions"), _text("title", True), _text("courseCode"),
                _kind("grades", "list"), _ref("orgSourcedId", "orgs", True), _kind("subjects", "list"),
                _kind("subjectCodes", "list")),
    "classes": (_text("title", True), _kind("grades", "list"), _ref("courseSourcedId", "courses", True),
                _text("classCode"), _enum("classType", CLASS_TYPES, True), _text("location"),
                _ref("schoolSourcedId", "orgs", True), _refs("termSourcedIds", "academicSessions", True),
                _kind("subjects", "list"), _kind("subjectCodes", "list"), _kind("periods", "list")),
    "enrollments": (_ref("classSourcedId", "classes", True), _ref("schoolSourcedId", "orgs", True),
                    _ref("userSourcedId", "users", True), _enum("role", ENROLLMENT_ROLES, True),
                    _kind("primary", "bool"), _kind("beginDate", "date"), _kind("endDate", "date")),
    "resources": (_text("vendorResourceId", True), _text("title"),
                  Column("roles", "enums", values=RESOURCE_ROLES, ext=True), _enum("importance", IMPORTANCE),
                  _text("vendorId"), _text("applicationId")),
    "classResources": (_text("title"), _ref("classSourcedId", "classes", True),
                       _ref("resourceSourcedId", "resources", True)),
    "courseResources": (_text("title"), _ref("courseSourcedId", "courses", True),
                        _ref("resourceSourcedId", "resources", True)),
}

_V11: dict[str, tuple[Column, ...]] = {
    "users": (_kind("enabledUser", "bool", True), _refs("orgSourcedIds", "orgs", True),
              _enum("role", ROLES_11, True), _text("username", True), _text("userIds"), _text("givenName", True),
              _text("familyName", True), _text("middleName"), _text("identifier"), _text("email"), _text("sms"),
              _text("phone"), _refs("agentSourcedIds", "users"), _kind("grades", "list"), _text("password")),
    "demographics": _demographics(SEX_11),
    "categories": (_text("title", True),),
    "lineItems": (_text("title", True), _text("description"), _kind("assignDate", "date_or_datetime", True),
                  _kind("dueDate", "date_or_datetime", True), _ref("classSourcedId", "classes", True),
                  _ref("categorySourcedId", "categories", True),
                  _ref("gradingPeriodSourcedId", "academicSessions", True), _text("resultValueMin"),
                  _text("resultValueMax")),
    "results": (_ref("lineItemSourcedId", "lineItems", True), _ref("studentSourcedId", "users", True),
                _enum("scoreStatus", SCORE_STATUSES, True), _text("score"), _kind("scoreDate", "date", True),
                _text("comment")),
}

_V12: dict[str, tuple[Column, ...]] = {
    "users": (_kind("enabledUser", "bool", True), _text("username", True), _text("userIds"),
              _text("givenName", True), _text("familyName", True), _text("middleName"), _text("identifier"),
              _text("email"), _text("sms"), _text("phone"), _refs("agentSourcedIds", "users"),
              _kind("grades", "list"), _text("password"), _text("userMasterIdentifier"),
              _text("preferredGivenName"), _text("preferredMiddleName"), _text("preferredFamilyName"),
              _ref("primaryOrgSourcedId", "orgs"), _text("pronouns")),
    "roles": (_ref("userSourcedId", "users", True), _enum("roleType", ROLE_TYPES, True, ext=False),
              _enum("role", ROLES_12, True), _kind("beginDate", "date"), _kind("endDate", "date"),
              _ref("orgSourcedId", "orgs", True), _ref("userProfileSourcedId", "userProfiles")),
    "userProfiles": (_ref("userSourcedId", "users", True), _text("profileType", True), _text("vendorId", True),
                     _text("applicationId"), _text("description"), _text("credentialType", True),
                     _text("username", True), _text("password")),
    "demographics": _demographics(SEX_12),
    "categories": (_text("title", True), _text("weight")),
    "scoreScales": (_text("title", True), _text("type", True), _ref("orgSourcedId", "orgs", True),
                    _ref("courseSourcedId", "courses", True), _ref("classSourcedId", "classes", True),
                    _kind("scoreScaleValue", "list", True)),
    "lineItems": (_text("title", True), _text("description"), _kind("assignDate", "date_or_datetime", True),
                  _kind("dueDate", "date_or_datetime", True), _ref("classSourcedId", "classes", True),
                  _ref("categorySourcedId", "categories", True),
                  _ref("academicSessionSourcedId", "academicSessions", True), _text("resultValueMin"),
                  _text("resultValueMax"), _ref("schoolSourcedId", "orgs", True)),
    "results": (_ref("lineItemSourcedId", "lineItems", True), _ref("studentSourcedId", "users", True),
                _enum("scoreStatus", SCORE_STATUSES, True), _text("score"), _kind("scoreDate", "date", True),
                _text("comment"), _text("textScore"), _ref("classSourcedId", "classes"),
                _kind("inProgress", "bool"), _kind("incomplete", "bool"), _kind("late", "bool"),
                _kind("missing", "bool")),
    "lineItemLearningObjectiveIds": (_ref("lineItemSourcedId", "lineItems", True),
                                     _enum("source", LO_SOURCES, True), _text("learningObjectiveId", True)),
    "lineItemScoreScales": (_text("title"), _ref("lineItemSourcedId", "lineItems", True),
                            _ref("scoreScaleSourcedId", "scoreScales", True)),
    "resultLearningObjectiveIds": (_ref("resultSourcedId", "results", True), _enum("source", LO_SOURCES, True),
                                   _text("learningObjectiveId", True), _text("score"), _text("textScore")),
    "resultScoreScales": (_text("title"), _ref("resultSourcedId", "results", True),
                          _ref("scoreScaleSourcedId", "scoreScales", True)),
    "userResources": (_ref("userSourcedId", "users", True), _ref("orgSourcedId", "orgs"),
                      _ref("classSourcedId", "classes"), _ref("resourceSourcedId", "resources", True)),
}

# Files in reading order: every file comes after the files it references (only self-references point
# forward), so one pass resolves every cross-file reference as it reads.
_ORDER = ("orgs", "academicSessions", "courses", "classes", "users", "userProfiles", "roles", "enrollments",
          "demographics", "categories", "scoreScales", "lineItems", "results", "lineItemLearningObjectiveIds",
          "lineItemScoreScales", "resultLearningObjectiveIds", "resultScoreScales", "resources", "classResources",
          "courseResources", "userResources")


@dataclass(frozen=True)
class FileSpec:
    """One data file of one version: its name, its columns in header order."""

    stem: str
    columns: tuple[Column, ...]

    @property
    def name(self) -> str:
        return f"{self.stem}.csv"

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def manifest_property(self) -> str:
        return f"file.{self.stem}"


def files(version: Version) -> tuple[FileSpec, ...]:
    """The data files of a version, in reading order."""
    own = _V11 if version == "1.1" else _V12
    table = {**_SHARED, **own}
    return tuple(FileSpec(stem, COMMON + table[stem]) for stem in _ORDER if stem in table)


def file_names(version: Version) -> tuple[str, ...]:
    """The data file names of a version (``users.csv``...), in reading order."""
    return tuple(f.name for f in files(version))


def reference_targets(version: Version) -> frozenset[str]:
    """The stems of the files some reference points into."""
    return frozenset(c.target for f in files(version) for c in f.columns if c.target)
