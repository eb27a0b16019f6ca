"""The vendor configuration that describes the reference sandbox: what `edcert demo` and the tests certify.

One table per standard the sandbox serves; a new standard's sandbox adds its table here, so the demo and
the fault matrix both pick it up.
"""
from __future__ import annotations

from typing import Any

SECRET_ENV = "EDCERT_SANDBOX_CLIENT_SECRET"


def sandbox_vendor_data(base_url: str, client_id: str, *, name: str = "edcert reference sandbox",
                        product: str = "", version: str = "", **oneroster: Any) -> dict[str, Any]:
    """The parsed-TOML form of the sandbox's vendor configuration (secrets in ``SECRET_ENV``).

    ``oneroster`` overrides settings of the ``[oneroster]`` table (e.g. ``timeout``).
    """
    return {
        "vendor": {"name": name, "product": product, "version": version},
        "oneroster": {"version": "1.2", "base_url": base_url, "token_url": f"{base_url}/oauth/token",
                      "client_id": client_id, "client_secret_env": SECRET_ENV, **oneroster},
        "lti_tool": lti_tool_table(base_url),
    }


def lti_tool_table(base_url: str) -> dict[str, Any]:
    """The ``[lti_tool]`` table of the sandbox's LTI tool (edcert's platform runs on loopback for it)."""
    from edcert.sandbox.app import LTI_TOOL_BASE
    from edcert.sandbox.lti.tool import TOOL_CLIENT_ID, TOOL_DEPLOYMENT_ID

    tool = base_url + LTI_TOOL_BASE
    return {"login_url": f"{tool}/login", "redirect_uris": [f"{tool}/launch"], "jwks_url": f"{tool}/jwks",
            "client_id": TOOL_CLIENT_ID, "deployment_id": TOOL_DEPLOYMENT_ID, "timeout": 10.0,
            # the sandbox tool calls the services while it answers the launch: nothing to wait for after it
            "services": True, "services_wait": 0.5}
