"""The OneRoster 1.2 Rostering data model, as far as the sandbox needs it.

Property lists are those of the official 1.2 OpenAPI description
(``onerosterv1p2rostersservice_openapi3_v1p0.json``, ``components.schemas``),
where every entity is ``additionalProperties: false``. The sandbox uses them
to decide which names are valid in ``filter``, ``sort`` and ``fields``.

Each property has a *kind*:

- ``str``   a string (dates, enums and string booleans included)
- ``strs``  a list of strings (``grades``, ``subjects`` ...)
- ``ref``   a GUIDRef object ``{href, sourcedId, type}``
- ``refs``  a list of GUIDRefs
- ``obj``   a nested object with a known shape (``Shape``)
- ``objs``  a list of such objects (``roles``, ``userIds`` ...)
- ``open``  an open object (``metadata``): any sub-path is accepted
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["str", "strs", "ref", "refs", "obj", "objs", "open"]


@dataclass(frozen=True)
class Prop:
    kind: Kind
    shape: Shape | None = None  # for obj / objs


@dataclass(frozen=True)
class Shape:
    name: str
    props: dict[str, Prop]

    def __contains__(self, name: object) -> bool:
        return name in self.props


_S = Prop("str")
_SS = Prop("strs")
_R = Prop("ref")
_RS = Prop("refs")
_OPEN = Prop("open")

GUIDREF = Shape("GUIDRef", {"href": _S, "sourcedId": _S, "type": _S})
CREDENTIAL = Shape("Credential", {"type": _S, "username": _S, "password": _S})
USER_PROFILE = Shape(
    "UserProfile",
    {
        "profileId": _S,
        "profileType": _S,
        "vendorId": _S,
        "applicationId": _S,
        "description": _S,
        "credentials": Prop("objs", CREDENTIAL),
    },
)
ROLE = Shape(
    "Role",
    {"roleType": _S, "role": _S, "org": _R, "userProfile": _S, "beginDate": _S, "endDate": _S},
)
USER_ID = Shape("UserId", {"type": _S, "identifier": _S})

_BASE: dict[str, Prop] = {"sourcedId": _S, "status": _S, "dateLastModified": _S, "metadata": _OPEN}

ORG = Shape(
    "org",
    {**_BASE, "name": _S, "type": _S, "identifier": _S, "parent": _R, "children": _RS},
)
ACADEMIC_SESSION = Shape(
    "academicSession",
    {
        **_BASE,
        "title": _S,
        "startDate": _S,
        "endDate": _S,
        "type": _S,
        "parent": _R,
        "children": _RS,
        "schoolYear": _S,
    },
)
COURSE = Shape(
    "course",
    {
        **_BASE,
        "title": _S,
        "schoolYear": _R,
        "courseCode": _S,
        "grades": _SS,
        "subjects": _SS,
        "org": _R,
        "subjectCodes": _SS,
        "resources": _RS,
    },
)
CLASS = Shape(
    "class",
    {
        **_BASE,
        "title": _S,
        "classCode": _S,
        "classType": _S,
        "location": _S,
        "grades": _SS,
        "subjects": _SS,
        "course": _R,
        "school": _R,
        "terms": _RS,
        "subjectCodes": _SS,
        "periods": _SS,
        "resources": _RS,
    },
)
USER = Shape(
    "user",
    {
        **_BASE,
        "userMasterIdentifier": _S,
        "username": _S,
        "userIds": Prop("objs", USER_ID),
        "enabledUser": _S,
        "givenName": _S,
        "familyName": _S,
        "middleName": _S,
        "preferredFirstName": _S,
        "preferredMiddleName": _S,
        "preferredLastName": _S,
        "pronouns": _S,
        "roles": Prop("objs", ROLE),
        "userProfiles": Prop("objs", USER_PROFILE),
        "primaryOrg": _R,
        "identifier": _S,
        "email": _S,
        "sms": _S,
        "phone": _S,
        "agents": _RS,
        "grades": _SS,
        "password": _S,
        "resources": _RS,
    },
)
ENROLLMENT = Shape(
    "enrollment",
    {
        **_BASE,
        "user": _R,
        "class": _R,
        "school": _R,
        "role": _S,
        "primary": _S,
        "beginDate": _S,
        "endDate": _S,
    },
)
DEMOGRAPHICS = Shape(
    "demographics",
    {
        **_BASE,
        "birthDate": _S,
        "sex": _S,
        "americanIndianOrAlaskaNative": _S,
        "asian": _S,
        "blackOrAfricanAmerican": _S,
        "nativeHawaiianOrOtherPacificIslander": _S,
        "white": _S,
        "demographicRaceTwoOrMoreRaces": _S,
        "hispanicOrLatinoEthnicity": _S,
        "countryOfBirthCode": _S,
        "stateOfBirthAbbreviation": _S,
        "cityOfBirth": _S,
        "publicSchoolResidenceStatus": _S,
    },
)

ENTITIES: dict[str, Shape] = {
    s.name: s for s in (ORG, ACADEMIC_SESSION, COURSE, CLASS, USER, ENROLLMENT, DEMOGRAPHICS)
}

# Scope URIs (1.2 OpenAPI, components.securitySchemes.OAuth2CC).
SCOPE_PREFIX = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
SCOPE_ROSTER_CORE = SCOPE_PREFIX + "roster-core.readonly"
SCOPE_ROSTER = SCOPE_PREFIX + "roster.readonly"
SCOPE_DEMOGRAPHICS = SCOPE_PREFIX + "roster-demographics.readonly"
ROSTERING_SCOPES: tuple[str, ...] = (SCOPE_ROSTER_CORE, SCOPE_ROSTER, SCOPE_DEMOGRAPHICS)
