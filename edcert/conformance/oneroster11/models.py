"""The OneRoster 1.1 data model (1.1 information model, as LongsightGroup's ``src/v1p1/model`` reads it).

Built from the 1.2 shapes (``oneroster/models.py``) with what 1.1 has differently: a user has one
``role`` (1.1 vocabulary) and an ``orgs`` list instead of ``roles[]``/``primaryOrg``, ``username`` is
required, and the 1.2 additions (userMasterIdentifier, preferred names, pronouns, userProfiles) do
not exist; an org's ``identifier`` and a course's ``courseCode`` are optional; ``sex`` is male or
female. Where the 1.1 text could not be checked here, the looser reading is taken.
"""
from __future__ import annotations

from dataclasses import replace

from edcert.conformance.oneroster import models as v12
from edcert.conformance.oneroster.models import Kind, Prop, Shape

USER_ROLES = ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher")
SEXES = ("male", "female")
_V1P2_ONLY = ("roles", "primaryOrg", "userMasterIdentifier", "preferredFirstName", "preferredMiddleName",
              "preferredLastName", "pronouns", "userProfiles", "resources")


def _loosen(shape: Shape, *names: str) -> Shape:
    return replace(shape, props={k: replace(p, required=False) if k in names else p for k, p in shape.props.items()})


ORG = _loosen(v12.ORG, "identifier")
COURSE = _loosen(v12.COURSE, "courseCode")
USER = replace(v12.USER, props={
    **{k: p for k, p in v12.USER.props.items() if k not in _V1P2_ONLY},
    "username": Prop(Kind.STRING, required=True, personal=True),
    "role": Prop(Kind.ENUM, required=True, values=USER_ROLES, extensible=True),
    "orgs": Prop(Kind.REFS, required=True, min_items=1, ref_type="org"),
})
DEMOGRAPHICS = replace(v12.DEMOGRAPHICS, props={
    **v12.DEMOGRAPHICS.props, "sex": Prop(Kind.ENUM, values=SEXES, extensible=False, personal=True)})

SHAPES_V1P1: dict[str, Shape] = {
    **v12.SHAPES, "orgs": ORG, "schools": ORG, "courses": COURSE,
    "users": USER, "students": USER, "teachers": USER, "demographics": DEMOGRAPHICS,
}
