"""Valid launches a tool must accept: the 1EdTech valid teacher and student variants (cert guide §6.1.2-6.1.3)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edcert.conformance.lti_tool._fixtures import CORE, STANDARD, Launch, LtiToolSession
from edcert.harness import check
from edcert.harness.errors import Failure
from edcert.lti import claims as c

PERSON = {"name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace", "email": "ada@example.edu"}
CONTEXT = {"id": "edcert-course-1", "label": "MATH-7", "title": "Grade 7 Mathematics", "type": [c.CONTEXT_COURSE]}


def _variant(roles: list[str], *, names: bool = True, email: bool = True, context: bool = True
             ) -> Callable[[dict[str, Any]], None]:
    def mutate(claims: dict[str, Any]) -> None:
        claims[c.ROLES] = roles
        if names:
            claims.update({k: PERSON[k] for k in ("name", "given_name", "family_name")})
        if email:
            claims["email"] = PERSON["email"]
        if context:
            claims[c.CONTEXT] = CONTEXT
    return mutate


def variants(main: str, short: str, institution: str) -> dict[str, Callable[[dict[str, Any]], None]]:
    """The nine 1EdTech valid launch variants for one role (main role URI, short name, institution role)."""
    return {
        "full": _variant([main]),
        "with roles": _variant([main, institution, c.ROLE_OTHER]),
        "short role": _variant([short]),
        "unknown role": _variant([c.ROLE_UNKNOWN]),
        'no role ([""])': _variant([""]),
        "email only": _variant([main], names=False),
        "names only": _variant([main], email=False),
        "no PII": _variant([main], names=False, email=False),
        "email without context": _variant([main], names=False, context=False),
    }


def _all_accepted(lti_tool: LtiToolSession, who: str, cases: dict[str, Callable[[dict[str, Any]], None]]) -> None:
    refused: list[tuple[str, Launch]] = []
    for name, mutate in cases.items():
        launch = lti_tool.launch(mutate)
        if launch.verdict != "accepted":
            refused.append((name, launch))
    if refused:
        names = ", ".join(f"{n} (HTTP {launch.response.status_code})" for n, launch in refused)
        raise Failure(f"{len(refused)} of {len(cases)} valid {who} launches were not accepted: {names}",
                      expected=f"every valid {who} launch accepted", received=names,
                      exchanges=[e for _, launch in refused[:3] for e in launch.evidence()])


REMEDIATE = ("Accept every valid launch: roles may be short names, unknown URIs or [\"\"], and name, email and "
             "context are optional claims; never require personal data the district may withhold.")


@check(id="LTIT-LAUNCH-001", standard=STANDARD, category="launch", level="required",
       requirements=("LTIT-REQ-LAUNCH-VALID",),
       title="Valid teacher launches are accepted (the nine 1EdTech Instructor variants)",
       why="A teacher whose LMS sends no email, an unusual role or no course must still be able to open the tool.",
       remediation=REMEDIATE, ref=f"{CORE} §5.3-5.4, Appendix A.2; LTI Advantage Conformance Guide §6.1.2")
def check_teacher_launches(lti_tool: LtiToolSession) -> None:
    _all_accepted(lti_tool, "teacher", variants(c.ROLE_INSTRUCTOR, "Instructor", c.ROLE_STAFF))


@check(id="LTIT-LAUNCH-003", standard=STANDARD, category="launch", level="required",
       requirements=("LTIT-REQ-LAUNCH-VALID",),
       title="A student launch to a resource link only students see (its own resource_link id) is accepted",
       why="Teachers add activities only students open; a tool that waits for a teacher to open each link "
           "first leaves those students with an error.",
       remediation="Accept a valid Learner launch for a resource_link.id the tool has never seen: create the "
                   "activity on first launch, whoever launches it.",
       ref=f"{CORE} §5.3.5 (resource_link); LTI Advantage Conformance Guide §6.1.3 (Student Only Resource Link)",
       tags=("1edtech:student-only-resource-link",))
def check_student_only_resource_link(lti_tool: LtiToolSession) -> None:
    def mutate(claims: dict[str, Any]) -> None:
        _variant([c.ROLE_LEARNER])(claims)
        claims[c.RESOURCE_LINK] = {"id": "edcert-student-only-link", "title": "edcert student-only activity"}

    launch = lti_tool.launch(mutate)
    if launch.verdict != "accepted":
        raise Failure(f"a student launch to a student-only resource link was not accepted "
                      f"(HTTP {launch.response.status_code})", expected="the launch accepted",
                      received=f"{launch.verdict} (HTTP {launch.response.status_code})", exchanges=launch.evidence())


@check(id="LTIT-LAUNCH-002", standard=STANDARD, category="launch", level="required",
       requirements=("LTIT-REQ-LAUNCH-VALID",),
       title="Valid student launches are accepted (the nine 1EdTech Learner variants)",
       why="A student whose LMS withholds personal data or launches outside a course must still be able to work.",
       remediation=REMEDIATE, ref=f"{CORE} §5.3-5.4, Appendix A.2; LTI Advantage Conformance Guide §6.1.3")
def check_student_launches(lti_tool: LtiToolSession) -> None:
    _all_accepted(lti_tool, "student", variants(c.ROLE_LEARNER, "Learner", c.ROLE_STUDENT))
