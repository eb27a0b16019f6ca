"""Vendor configuration: a TOML file, one table per standard the vendor claims.

Secrets are never in the file: it names the environment variable that holds
each one (``client_secret_env``), and the value is kept as a ``SecretStr``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from edcert.harness._tomlfile import read_toml
from edcert.harness.errors import ConfigError

OR12_SCOPE_PREFIX = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
OR12_DEFAULT_SCOPES = (
    OR12_SCOPE_PREFIX + "roster-core.readonly",
    OR12_SCOPE_PREFIX + "roster.readonly",
    OR12_SCOPE_PREFIX + "roster-demographics.readonly",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VendorInfo(_Strict):
    name: Annotated[str, Field(min_length=1)]
    product: str = ""
    version: str = ""


class HttpSettings(_Strict):
    """Settings every standard's table shares."""

    timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    rate_limit: Annotated[float | None, Field(gt=0)] = None
    max_response_bytes: Annotated[int, Field(gt=0)] = 50 * 1024 * 1024
    max_retries: Annotated[int, Field(ge=0, le=10)] = 3
    max_retry_wait: Annotated[float, Field(ge=0, le=600)] = 30.0
    verify_tls: bool = True
    # A PEM file of extra certificate authorities to trust (a district's own CA), on top of the usual ones.
    ca_bundle: str | None = None
    # Wall-clock seconds this standard's checks may spend talking to the vendor; past it, requests stop.
    run_budget: Annotated[float, Field(gt=0, le=86_400)] = 3600.0
    # Most pages edcert reads from one collection before it calls the collection endless.
    max_pages: Annotated[int, Field(ge=1, le=1_000_000)] = 10_000

    @field_validator("ca_bundle")
    @classmethod
    def _readable_bundle(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(f"no such CA bundle file: {value}")
        return value


class OneRosterConfig(HttpSettings):
    version: Literal["1.2"]
    base_url: str
    token_url: str
    client_id: Annotated[str, Field(min_length=1)]
    client_secret_env: Annotated[str, Field(min_length=1)]
    scopes: tuple[str, ...] = OR12_DEFAULT_SCOPES
    page_size: Annotated[int, Field(ge=1, le=10_000)] = 100
    demographics: bool = True
    nested: bool = True
    allow_writes: bool = False
    client_secret: SecretStr = Field(default=SecretStr(""), exclude=True, repr=False)

    @field_validator("base_url", "token_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("base_url")
    @classmethod
    def _root_not_service(cls, value: str) -> str:
        if "/ims/oneroster" in value:
            raise ValueError(
                "give the server root, without the '/ims/oneroster/...' part (edcert adds the service paths)"
            )
        return value

    @property
    def standard(self) -> str:
        return f"oneroster-{self.version}"

    @property
    def rostering_url(self) -> str:
        return f"{self.base_url}/ims/oneroster/rostering/v1p2"


CSV_MAX_FILE_BYTES = 1 << 30


class OneRosterCsvConfig(_Strict):
    """A OneRoster CSV bundle (zip) to validate: ``[oneroster_csv] path = "...zip", version = "1.2"``."""

    path: Annotated[str, Field(min_length=1)]
    version: Literal["1.1", "1.2"]
    max_file_bytes: Annotated[int, Field(gt=0)] = CSV_MAX_FILE_BYTES

    @property
    def standard(self) -> str:
        return f"oneroster-csv-{self.version}"


class VendorConfig(_Strict):
    """The whole vendor configuration file."""

    vendor: VendorInfo
    oneroster: OneRosterConfig | None = None
    oneroster_csv: OneRosterCsvConfig | None = None

    def claimed_standards(self) -> list[str]:
        claimed = []
        if self.oneroster is not None:
            claimed.append(self.oneroster.standard)
        if self.oneroster_csv is not None:
            claimed.append(self.oneroster_csv.standard)
        return claimed

    @property
    def insecure(self) -> bool:
        """TLS certificate verification is off for a claimed standard (``verify_tls = false`` or ``--insecure``)."""
        return self.oneroster is not None and not self.oneroster.verify_tls

    def secrets(self) -> list[str]:
        values = []
        if self.oneroster is not None:
            values.append(self.oneroster.client_secret.get_secret_value())
        return [v for v in values if v]


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    kind = error["type"]
    if kind == "missing":
        return f"missing key '{where}'"
    if kind == "extra_forbidden":
        return f"unknown key '{where}'"
    return f"'{where}': {error['msg']}"


def parse_config(data: dict[str, Any], *, source: str = "configuration", env: dict[str, str] | None = None
                 ) -> VendorConfig:
    """Validate a parsed TOML document and resolve its secrets from the environment."""
    environ = os.environ if env is None else env
    try:
        config = VendorConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise ConfigError(f"{source}: {_describe(dict(first))}{more}") from None
    if config.oneroster is not None:
        var = config.oneroster.client_secret_env
        secret = environ.get(var)
        if not secret:
            raise ConfigError(
                f"{source}: environment variable {var} (named by oneroster.client_secret_env) is not set"
            )
        config = config.model_copy(
            update={"oneroster": config.oneroster.model_copy(update={"client_secret": SecretStr(secret)})}
        )
    if config.oneroster_csv is not None and not Path(config.oneroster_csv.path).is_file():
        raise ConfigError(f"{source}: oneroster_csv.path {config.oneroster_csv.path}: no such file")
    if not config.claimed_standards():
        raise ConfigError(f"{source}: the vendor claims no standard (add e.g. an [oneroster] table)")
    return config


def load_config(path: str | Path, env: dict[str, str] | None = None) -> VendorConfig:
    """Read and validate a vendor configuration file.

    Raises:
        ConfigError: With a one-line message naming the problem.
    """
    p = Path(path)
    data = read_toml(p, "--config").data
    csv_table = data.get("oneroster_csv")
    if isinstance(csv_table, dict) and isinstance(csv_table.get("path"), str) and csv_table["path"]:
        # a bundle named in the file is found relative to the file, not to the working directory
        csv_table["path"] = str(p.parent / Path(csv_table["path"]).expanduser())
    return parse_config(data, source=str(p), env=env)
