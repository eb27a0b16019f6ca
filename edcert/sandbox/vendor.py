"""The vendor configuration that describes the reference sandbox: what `edcert demo` and the tests certify.

One table per standard the sandbox serves; a new standard's sandbox adds its table here, so the demo and
the fault matrix both pick it up.
"""
from __future__ import annotations

from typing import Any

SECRET_ENV = "EDCERT_SANDBOX_CLIENT_SECRET"


def sandbox_vendor_data(base_url: str, client_id: str, *, name: str = "edcert reference sandbox",
                        product: str = "", version: str = "", edfi_writes: bool = True,
                        **oneroster: Any) -> dict[str, Any]:
    """The parsed-TOML form of the sandbox's vendor configuration (secrets in ``SECRET_ENV``).

    ``oneroster`` overrides settings of the ``[oneroster]`` table (e.g. ``timeout``). The Ed-Fi API is
    certified as a host (``[edfi]``, writes allowed: the sandbox is edcert's own) and as the target of the
    scripted SIS client (``[edfi_client]``, the client-mode scenarios); ``edfi_writes=False`` makes the host
    run read-only.
    """
    return {
        "vendor": {"name": name, "product": product, "version": version},
        "oneroster": {"version": "1.2", "base_url": base_url, "token_url": f"{base_url}/oauth/token",
                      "client_id": client_id, "client_secret_env": SECRET_ENV, **oneroster},
        "edfi": {"base_url": f"{base_url}/edfi", "client_id": client_id, "client_secret_env": SECRET_ENV,
                 "allow_writes": edfi_writes},
        "edfi_client": {"base_url": f"{base_url}/edfi", "client_id": client_id, "client_secret_env": SECRET_ENV,
                        "scripted_client": True},
    }
