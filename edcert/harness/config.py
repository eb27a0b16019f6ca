"""Vendor configuration: a TOML file, one table per standard the vendor claims.

Secrets are never in the file: it names the environment variable that holds
each one (``client_secret_env``), and the value is kept as a ``SecretStr``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

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


class StandardTable(_Strict):
    """One table of the vendor configuration: what the vendor claims for one standard (or family).

    The harness treats every table alike: ``standards`` are the standards it claims; each
    ``SecretStr`` field ``x`` is filled from the environment variable named by the field ``x_env``
    (never from the file); ``PATH_FIELDS`` name file paths read relative to the configuration file.
    """

    PATH_FIELDS: ClassVar[tuple[str, ...]] = ()

    @property
    def standards(self) -> tuple[str, ...]:
        raise NotImplementedError

    def secret_fields(self) -> list[str]:
        return [name for name, field in type(self).model_fields.items() if field.annotation is SecretStr]

    def secret_values(self) -> list[str]:
        return [v for v in (getattr(self, n).get_secret_value() for n in self.secret_fields()) if v]

    @property
    def insecure(self) -> bool:
        return getattr(self, "verify_tls", True) is False


class VendorInfo(_Strict):
    name: Annotated[str, Field(min_length=1)]
    product: str = ""
    version: str = ""


class HttpSettings(StandardTable):
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
    def standards(self) -> tuple[str, ...]:
        return (self.standard,)

    @property
    def rostering_url(self) -> str:
        return f"{self.base_url}/ims/oneroster/rostering/v1p2"


CSV_MAX_FILE_BYTES = 1 << 30


class OneRosterCsvConfig(StandardTable):
    """A OneRoster CSV bundle (zip) to validate: ``[oneroster_csv] path = "...zip", version = "1.2"``."""

    PATH_FIELDS: ClassVar[tuple[str, ...]] = ("path",)
    path: Annotated[str, Field(min_length=1)]
    version: Literal["1.1", "1.2"]
    max_file_bytes: Annotated[int, Field(gt=0)] = CSV_MAX_FILE_BYTES

    @property
    def standard(self) -> str:
        return f"oneroster-csv-{self.version}"

    @property
    def standards(self) -> tuple[str, ...]:
        return (self.standard,)


class FuzzConfig(StandardTable):
    """``[fuzz]``: how the fuzz phase (``edcert run --phase fuzz``) generates requests.

    It claims no standard: the fuzz phase fuzzes the standards the other tables claim. Generation is
    seeded (same seed, same requests), bounded per operation, and stops sending at ``time_budget``.
    """

    seed: int = 0
    max_examples: Annotated[int, Field(ge=1, le=10_000)] = 25  # generated requests per operation
    negative_examples: Annotated[int, Field(ge=0, le=10_000)] = 10  # invalid-query requests per collection
    time_budget: Annotated[float, Field(gt=0, le=86_400)] = 120.0  # seconds for the whole fuzz run
    # The vendor's own published OpenAPI document (JSON): fuzzed too, its contradictions reported apart
    # from the standard's (category own-spec). A URL on the vendor's host, or a file next to this one.
    own_spec_url: str | None = None
    own_spec_file: str | None = None

    PATH_FIELDS: ClassVar[tuple[str, ...]] = ("own_spec_file",)

    @property
    def standards(self) -> tuple[str, ...]:
        return ()


class VendorConfig(_Strict):
    """The whole vendor configuration file: ``[vendor]`` and one table per standard (family) claimed.

    A new standard adds its table here as one more optional field; everything else (claimed
    standards, secrets, TLS, paths) is handled for every table alike.
    """

    vendor: VendorInfo
    oneroster: OneRosterConfig | None = None
    oneroster_csv: OneRosterCsvConfig | None = None
    fuzz: FuzzConfig | None = None

    def tables(self) -> dict[str, StandardTable]:
        """The standard tables present, by their TOML name, in declaration order."""
        found = {name: getattr(self, name) for name in type(self).model_fields if name != "vendor"}
        return {name: table for name, table in found.items() if table is not None}

    def claimed_standards(self) -> list[str]:
        return [standard for table in self.tables().values() for standard in table.standards]

    @property
    def insecure(self) -> bool:
        """TLS certificate verification is off for a claimed standard (``verify_tls = false`` or ``--insecure``)."""
        return any(table.insecure for table in self.tables().values())

    def secrets(self) -> list[str]:
        return [v for table in self.tables().values() for v in table.secret_values()]


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
    updates: dict[str, StandardTable] = {}
    for name, table in config.tables().items():
        filled: dict[str, SecretStr] = {}
        for field in table.secret_fields():
            var = getattr(table, f"{field}_env", None)
            if not var:
                continue
            secret = environ.get(var)
            if not secret:
                raise ConfigError(
                    f"{source}: environment variable {var} (named by {name}.{field}_env) is not set"
                )
            filled[field] = SecretStr(secret)
        for field in table.PATH_FIELDS:
            value = getattr(table, field)
            if value is not None and not Path(value).is_file():
                raise ConfigError(f"{source}: {name}.{field} {value}: no such file")
        if filled:
            updates[name] = table.model_copy(update=filled)
    if updates:
        config = config.model_copy(update=updates)
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
    for name, field in VendorConfig.model_fields.items():
        table = data.get(name)
        kind = get_args(field.annotation)[0] if name != "vendor" else None
        if not isinstance(table, dict) or kind is None:
            continue
        for key in kind.PATH_FIELDS:
            # a file named in the configuration is found relative to it, not to the working directory
            if isinstance(table.get(key), str) and table[key]:
                table[key] = str(p.parent / Path(table[key]).expanduser())
    return parse_config(data, source=str(p), env=env)
