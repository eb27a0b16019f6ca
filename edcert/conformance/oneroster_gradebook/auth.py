"""Auth: Gradebook data is refused without a token and to a token without a gradebook scope."""
from __future__ import annotations

import pytest

from edcert.conformance.oneroster._service import Flavor, check_no_token, check_wrong_scope, register
from edcert.conformance.oneroster_gradebook._fixtures import FLAVORS, session

SECURITY = "1EdTech Security Framework 1.0 §4 (OAuth 2.0 client credentials, bearer tokens)"


def _declare(flavor: Flavor) -> None:
    def no_token(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_no_token(session(request, _f), "results")

    register(globals(), no_token, f"check_{flavor.prefix.lower()}_no_token", flavor, "auth", dict(
        id=f"{flavor.prefix}-AUTH-001", level="required", tags=("privacy",),
        requirements=(flavor.requirement("AUTH-BEARER"),),
        title="GET /results without a token is refused with 401",
        why="Without this, anyone who finds the address can read every student's grades.",
        remediation="Require a valid OAuth 2.0 bearer token on every Gradebook endpoint; answer 401 without one.",
        ref=f"{SECURITY}; {flavor.binding}: 401 response",
    ))

    def wrong_scope(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_wrong_scope(session(request, _f), "results",
                          (_f.scope("roster-core.readonly"), _f.scope("roster.readonly")))

    register(globals(), wrong_scope, f"check_{flavor.prefix.lower()}_wrong_scope", flavor, "auth", dict(
        id=f"{flavor.prefix}-AUTH-002", level="required", tags=("privacy",),
        requirements=(flavor.requirement("AUTH-SCOPE"),),
        title="Grades are refused to a token holding only rostering scopes",
        why="An application the district allowed to read class lists must not be able to read students' grades.",
        remediation="Serve Gradebook reads only to tokens granted gradebook-core.readonly or gradebook.readonly "
                    "(assessment.readonly for the assessment profile); answer 403 to others.",
        ref=f"{flavor.openapi}: securitySchemes.OAuth2CC and each operation's security requirement",
    ))


for _flavor in FLAVORS:
    _declare(_flavor)
