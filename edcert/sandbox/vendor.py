"""The vendor configuration that describes the reference sandbox: what `edcert demo` and the tests certify.

One table per standard the sandbox serves; a new standard's sandbox adds its table here, so the demo and
the fault matrix both pick it up.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edcert.fixtures.roster_csv import SANDBOX_ROSTER

if TYPE_CHECKING:  # the LTI platform is imported late (where its table is made), as the other sandboxes are
    from edcert.sandbox.lti.platform import Member

SECRET_ENV = "EDCERT_SANDBOX_CLIENT_SECRET"


def sandbox_vendor_data(base_url: str, client_id: str, *, name: str = "edcert reference sandbox",
                        product: str = "", version: str = "", v1p1: dict[str, Any] | None = None,
                        edfi_writes: bool = True, **oneroster: Any) -> dict[str, Any]:
    """The parsed-TOML form of the sandbox's vendor configuration (secrets in ``SECRET_ENV``).

    ``oneroster`` overrides settings of the ``[oneroster]`` table (e.g. ``timeout``), ``v1p1`` those of the
    ``[oneroster_v1p1]`` table (e.g. ``{"auth": "oauth2"}``: its token endpoint is ``/oauth/v1p1/token``).
    The data-fidelity checks compare the sandbox with ``roster_csv``: by default the bundle of the default
    (small) district it serves; a sandbox serving another district passes that district's bundle
    (``roster_csv=...``). The Ed-Fi API is certified as a host (``[edfi]``, writes allowed: the sandbox is
    edcert's own) and as the target of the scripted SIS client (``[edfi_client]``, the client-mode
    scenarios); ``edfi_writes=False`` makes the host run read-only.
    """
    return {
        "vendor": {"name": name, "product": product, "version": version},
        # every OneRoster service the sandbox serves, writes allowed (they stay in the sandbox's memory)
        "oneroster": {"version": "1.2", "base_url": base_url, "token_url": f"{base_url}/oauth/token",
                      "client_id": client_id, "client_secret_env": SECRET_ENV, "roster_csv": str(SANDBOX_ROSTER),
                      "fidelity_sample": 25, "fidelity_seed": 20261128,
                      "services": ["rostering", "gradebook", "resources"], "allow_writes": True, **oneroster},
        "oneroster_v1p1": {"base_url": base_url, "auth": "oauth1", "client_id": client_id,
                           "client_secret_env": SECRET_ENV, "signature_method": "HMAC-SHA256",
                           "token_url": f"{base_url}/oauth/v1p1/token",
                           "services": ["rostering", "gradebook", "resources"], "allow_writes": True, **(v1p1 or {})},
        "edfi": {"base_url": f"{base_url}/edfi", "client_id": client_id, "client_secret_env": SECRET_ENV,
                 "allow_writes": edfi_writes},
        "edfi_client": {"base_url": f"{base_url}/edfi", "client_id": client_id, "client_secret_env": SECRET_ENV,
                        "scripted_client": True},
        "lti_platform": _lti_platform(base_url),
        "lti_tool": lti_tool_table(base_url),
    }


def _lti_platform(base_url: str) -> dict[str, Any]:
    """The sandbox LTI platform; it launches the tool whose address its launch-start link names ({tool_url})."""
    from edcert.sandbox.lti.platform import DEPLOYMENT_ID, PLATFORM_PATH, TOOL_CLIENT_ID, USERS

    platform = base_url + PLATFORM_PATH
    return {"issuer": platform, "client_id": TOOL_CLIENT_ID, "deployment_id": DEPLOYMENT_ID,
            "auth_url": f"{platform}/auth", "token_url": f"{platform}/token", "jwks_url": f"{platform}/jwks",
            "launch_start_url": f"{platform}/launch?tool_url={{tool_url}}&user=student",
            "launch_start_url_no_pii": f"{platform}/launch?tool_url={{tool_url}}&user=instructor&pii=none",
            "launch_start_url_instructor": f"{platform}/launch?tool_url={{tool_url}}&user=instructor",
            "launch_start_url_student_no_pii": f"{platform}/launch?tool_url={{tool_url}}&user=student&pii=none",
            "deep_link_start_url": f"{platform}/launch?tool_url={{tool_url}}&user=instructor&message=deep_link",
            "deep_link_item_start_url": f"{platform}/launch?tool_url={{tool_url}}&user=student&link=latest",
            "launch_start_url_context_b": f"{platform}/launch?tool_url={{tool_url}}&user=student&context=b",
            "expected_users": {"full": _person(USERS["student"]), "instructor": _person(USERS["instructor"]),
                               "student_no_pii": {"sub": USERS["student"].user_id},
                               "no_pii": {"sub": USERS["instructor"].user_id}},
            "allow_writes": True}


def _person(member: Member) -> dict[str, str]:
    """The claims a launch by ``member`` carries, as the district would list its test user (expected_users)."""
    return {"sub": member.user_id, "name": f"{member.given_name} {member.family_name}",
            "given_name": member.given_name, "family_name": member.family_name, "email": member.email}


def lti_tool_table(base_url: str) -> dict[str, Any]:
    """The ``[lti_tool]`` table of the sandbox's LTI tool (edcert's platform runs on loopback for it)."""
    from edcert.sandbox.app import LTI_TOOL_BASE
    from edcert.sandbox.lti.tool import TOOL_CLIENT_ID, TOOL_DEPLOYMENT_ID

    tool = base_url + LTI_TOOL_BASE
    return {"login_url": f"{tool}/login", "redirect_uris": [f"{tool}/launch"], "jwks_url": f"{tool}/jwks",
            "client_id": TOOL_CLIENT_ID, "deployment_id": TOOL_DEPLOYMENT_ID, "timeout": 10.0,
            # the sandbox tool calls the services while it answers the launch: nothing to wait for after it
            "services": True, "services_wait": 0.5}
