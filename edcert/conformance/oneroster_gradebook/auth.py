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
        title="GET /results without a token is refused with 401" if not flavor.v1p1
        else "GET /results without a signature (or token) is refused with 401",
        why="Without this, anyone who finds the address can read every student's grades.",
        remediation="Require a valid OAuth 2.0 bearer token on every Gradebook endpoint; answer 401 without one."
        if not flavor.v1p1 else "Require an OAuth 1.0a signature (or an OAuth 2.0 bearer token) on every "
                                "Gradebook request; answer 401 without one.",
        ref=f"{SECURITY}; {flavor.binding}: 401 response",
    ))

    def wrong_scope(request: pytest.FixtureRequest, _f: Flavor = flavor) -> None:
        check_wrong_scope(session(request, _f), "results",
                          (_f.scope("roster-core.readonly"), _f.scope("roster.readonly")))

    scope_meta = dict(
        title="Grades are refused to a token holding only rostering scopes",
        why="An application the district allowed to read class lists must not be able to read students' grades.",
        remediation="Serve Gradebook reads only to tokens granted gradebook-core.readonly or gradebook.readonly "
                    "(assessment.readonly for the assessment profile); answer 403 to others.",
        ref=f"{flavor.openapi}: securitySchemes.OAuth2CC and each operation's security requirement",
    ) if not flavor.v1p1 else dict(
        title="Grades are refused to a request signed with the wrong secret (OAuth 2.0: without a gradebook "
              "scope)",
        why="Anyone who knows the district's consumer key but not its secret must not read students' grades.",
        remediation="Verify the OAuth 1.0a signature of every Gradebook request against the consumer secret and "
                    "answer 401 when it does not match (OAuth 2.0 providers: require gradebook.readonly, "
                    "answer 403 otherwise).",
        ref=f"{flavor.binding}: OAuth 1.0a request signing (IMS Security); 401 response",
    )
    register(globals(), wrong_scope, f"check_{flavor.prefix.lower()}_wrong_scope", flavor, "auth", dict(
        id=f"{flavor.prefix}-AUTH-002", level="required", tags=("privacy",),
        requirements=(flavor.requirement("AUTH-SCOPE"),), **scope_meta,
    ))


for _flavor in FLAVORS:
    _declare(_flavor)
