"""Run edcert's suites against a sandbox started in this process (for the tests)."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from edcert.fixtures.districts import generate_district
from edcert.harness.config import VendorConfig, parse_config
from edcert.harness.runner import RunResult, run
from edcert.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, create_app
from edcert.sandbox.vendor import SECRET_ENV, sandbox_vendor_data


def sandbox_config(base_url: str, *, fuzz: dict[str, Any] | None = None, **oneroster: object) -> VendorConfig:
    data = sandbox_vendor_data(base_url, DEFAULT_CLIENT_ID, name="edcert sandbox under test", **oneroster)
    if fuzz is not None:
        data["fuzz"] = fuzz
    return parse_config(data, env={SECRET_ENV: DEFAULT_CLIENT_SECRET})


def run_sandbox(faults: tuple[str, ...] = (), *, out_dir: Path | None = None, size: str = "small",
                keyword: str | None = None, only: list[str] | None = None, phases: tuple[str, ...] | None = None,
                fuzz: dict[str, Any] | None = None, **oneroster: object) -> RunResult:
    """Certify a sandbox with ``faults`` (every standard it serves, or ``only`` these) in ``phases``."""
    app = create_app(generate_district(size), faults=faults, client_id=DEFAULT_CLIENT_ID,
                     client_secret=DEFAULT_CLIENT_SECRET)
    with SandboxServer(app) as server:
        return run(sandbox_config(server.base_url, fuzz=fuzz, **oneroster), out_dir=out_dir, keyword=keyword,
                   only=only, phases=phases)


def vendor_toml(path: Path, base_url: str, *, secret_env: str = "EDCERT_TEST_SECRET",  # noqa: S107 - an env var name
                name: str = "edcert sandbox under test", **settings: Any) -> Path:
    """A vendor configuration for the sandbox at ``base_url`` with extra ``[oneroster]`` settings."""
    extra = "\n".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())
    path.write_text(textwrap.dedent(f"""\
        [vendor]
        name = "{name}"
        [oneroster]
        version = "1.2"
        base_url = "{base_url}"
        token_url = "{base_url}/oauth/token"
        client_id = "{DEFAULT_CLIENT_ID}"
        client_secret_env = "{secret_env}"
        """) + extra + "\n")
    return path
