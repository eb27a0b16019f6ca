"""Vendor configuration: a TOML file, one table per standard the vendor claims.

Secrets are never in the file: it names the environment variable that holds
each one (``client_secret_env``), and the value is kept as a ``SecretStr``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from edcert.harness._tomlfile import read_toml
from edcert.harness.errors import ConfigError

OR12_SCOPE_PREFIX = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
OR12_DEFAULT_SCOPES = (
    OR12_SCOPE_PREFIX + "roster-core.readonly",
    OR12_SCOPE_PREFIX + "roster.readonly",
    OR12_SCOPE_PREFIX + "roster-demographics.readonly",
)
OR11_SCOPE_PREFIX = "https://purl.imsglobal.org/spec/or/v1p1/scope/"
OR11_DEFAULT_SCOPES = (
    OR11_SCOPE_PREFIX + "roster-core.readonly",
    OR11_SCOPE_PREFIX + "roster.readonly",
    OR11_SCOPE_PREFIX + "roster-demographics.readonly",
)
# The OneRoster services a provider may offer, and the read scopes edcert asks for when it claims each one
# (1.2 OpenAPI securitySchemes.OAuth2CC). Writes ask for their own scopes (gradebook.createput/delete).
ONEROSTER_SERVICES = ("rostering", "gradebook", "resources")
OR12_SERVICE_SCOPES: dict[str, tuple[str, ...]] = {
    "rostering": OR12_DEFAULT_SCOPES,
    "gradebook": tuple(OR12_SCOPE_PREFIX + s for s in (
        "gradebook-core.readonly", "gradebook.readonly", "assessment.readonly")),
    "resources": tuple(OR12_SCOPE_PREFIX + s for s in ("resource-core.readonly", "resource.readonly")),
}
# 1.1 (OAuth 2.0 providers only; OAuth 1.0a has no scopes): gradebook.readonly and resource.readonly (v1p1).
OR11_SERVICE_SCOPES: dict[str, tuple[str, ...]] = {
    "rostering": OR11_DEFAULT_SCOPES,
    "gradebook": (OR11_SCOPE_PREFIX + "gradebook.readonly",),
    "resources": (OR11_SCOPE_PREFIX + "resource.readonly",),
}


def _scopes_for(data: Any, table: dict[str, tuple[str, ...]]) -> Any:
    """Without explicit scopes, ask for the read scopes of every claimed service."""
    if isinstance(data, dict) and "scopes" not in data and isinstance(data.get("services"), list | tuple):
        wanted = [table.get(s, ()) for s in data["services"]]
        data = {**data, "scopes": tuple(dict.fromkeys(scope for group in wanted for scope in group))}
    return data


def _services_listed(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("name at least one service (rostering, gradebook, resources)")
    if len(set(value)) != len(value):
        raise ValueError("a service is listed twice")
    return value


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


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


def _server_root(value: str) -> str:
    if "/ims/oneroster" in value:
        raise ValueError("give the server root, without the '/ims/oneroster/...' part (edcert adds the service paths)")
    return value


OneRosterService = Literal["rostering", "gradebook", "resources"]


class OneRosterConfig(HttpSettings):
    PATH_FIELDS: ClassVar[tuple[str, ...]] = ("roster_csv",)
    version: Literal["1.2"]
    # The OneRoster services claimed: each is certified as its own standard (oneroster-1.2,
    # oneroster-gradebook-1.2, oneroster-resources-1.2).
    services: tuple[OneRosterService, ...] = ("rostering",)
    base_url: str
    token_url: str
    client_id: Annotated[str, Field(min_length=1)]
    client_secret_env: Annotated[str, Field(min_length=1)]
    scopes: tuple[str, ...] = OR12_DEFAULT_SCOPES
    page_size: Annotated[int, Field(ge=1, le=10_000)] = 100
    # Pages of one collection read at the same time (within rate_limit); 1 reads them one after another.
    concurrency: Annotated[int, Field(ge=1, le=32)] = 4
    demographics: bool = True
    nested: bool = True
    allow_writes: bool = False
    # Data fidelity: the OneRoster CSV zip the district loaded into this sandbox (relative to this file), how many
    # of its students to trace one by one, and the seed that picks them (the same seed, the same students).
    roster_csv: str | None = None
    fidelity_sample: Annotated[int, Field(ge=0, le=10_000)] = 25
    fidelity_seed: int = 20261128
    client_secret: SecretStr = Field(default=SecretStr(""), exclude=True, repr=False)

    @field_validator("version", mode="before")
    @classmethod
    def _not_v1p1(cls, value: object) -> object:
        if value == "1.1" or value == 1.1:
            raise ValueError("OneRoster 1.1 has its own table: move these settings to an [oneroster_v1p1] table "
                             "(auth = \"oauth1\" or \"oauth2\"); [oneroster] is for version 1.2")
        return value

    @model_validator(mode="before")
    @classmethod
    def _scopes_cover_services(cls, data: Any) -> Any:
        return _scopes_for(data, OR12_SERVICE_SCOPES)

    @field_validator("services")
    @classmethod
    def _some_services(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _services_listed(value)

    @field_validator("base_url", "token_url")
    @classmethod
    def _http_urls(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("base_url")
    @classmethod
    def _root_not_service(cls, value: str) -> str:
        return _server_root(value)

    @property
    def standard(self) -> str:
        return f"oneroster-{self.version}"

    @property
    def standards(self) -> tuple[str, ...]:
        return tuple(self.service_standard(s) for s in self.services)

    def service_standard(self, service: str) -> str:
        """The standard one service is certified as (``oneroster-1.2``, ``oneroster-gradebook-1.2``...)."""
        return self.standard if service == "rostering" else f"oneroster-{service}-{self.version}"

    def service_url(self, service: str) -> str:
        """The base URL of one service (1.2: one root per service)."""
        return f"{self.base_url}/ims/oneroster/{service}/v1p2"

    @property
    def rostering_url(self) -> str:
        return self.service_url("rostering")


class OneRoster11Config(HttpSettings):
    """A OneRoster 1.1 provider (``[oneroster_v1p1]``): one base ``/ims/oneroster/v1p1`` for every service.

    1.1 signs each request with OAuth 1.0a (two-legged: consumer key ``client_id`` and secret, no token);
    providers that offer OAuth 2.0 client credentials with the v1p1 scopes are configured with
    ``auth = "oauth2"`` and a ``token_url``.
    """

    # The OneRoster 1.1 services claimed, each certified as its own standard (oneroster-1.1,
    # oneroster-gradebook-1.1, oneroster-resources-1.1); all are served under /ims/oneroster/v1p1.
    services: tuple[OneRosterService, ...] = ("rostering",)
    base_url: str
    auth: Literal["oauth1", "oauth2"] = "oauth1"
    client_id: Annotated[str, Field(min_length=1)]
    client_secret_env: Annotated[str, Field(min_length=1)]
    signature_method: Literal["HMAC-SHA1", "HMAC-SHA256"] = "HMAC-SHA1"
    signature_type: Literal["header", "query"] = "header"
    token_url: str | None = None
    scopes: tuple[str, ...] = OR11_DEFAULT_SCOPES
    page_size: Annotated[int, Field(ge=1, le=10_000)] = 100
    # Pages of one collection read at the same time (within rate_limit); 1 reads them one after another.
    concurrency: Annotated[int, Field(ge=1, le=32)] = 4
    demographics: bool = True
    nested: bool = True
    allow_writes: bool = False
    client_secret: SecretStr = Field(default=SecretStr(""), exclude=True, repr=False)

    @field_validator("base_url", "token_url")
    @classmethod
    def _http_urls(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("base_url")
    @classmethod
    def _root_not_service(cls, value: str) -> str:
        return _server_root(value)

    @model_validator(mode="before")
    @classmethod
    def _scopes_cover_services(cls, data: Any) -> Any:
        return _scopes_for(data, OR11_SERVICE_SCOPES)

    @field_validator("services")
    @classmethod
    def _some_services(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _services_listed(value)

    @model_validator(mode="after")
    def _token_url_for_oauth2(self) -> OneRoster11Config:
        if self.auth == "oauth2" and not self.token_url:
            raise ValueError('auth = "oauth2" needs a token_url')
        return self

    @property
    def standard(self) -> str:
        return "oneroster-1.1"

    @property
    def standards(self) -> tuple[str, ...]:
        return tuple(self.service_standard(s) for s in self.services)

    def service_standard(self, service: str) -> str:
        """The standard one service is certified as (``oneroster-1.1``, ``oneroster-gradebook-1.1``...)."""
        return self.standard if service == "rostering" else f"oneroster-{service}-1.1"

    def service_url(self, service: str) -> str:
        """The base URL of one service (1.1: the same root for every service)."""
        return f"{self.base_url}/ims/oneroster/v1p1"

    @property
    def rostering_url(self) -> str:
        return self.service_url("rostering")


class LtiToolConfig(HttpSettings):
    """An LTI 1.3 tool to certify (``[lti_tool]``): edcert plays the platform and the user's browser.

    The tool must have edcert registered as a platform: issuer ``platform_issuer`` (default: the URL of
    the platform server edcert starts for the run on ``platform_host:platform_port``), JWKS at
    ``{issuer}/.well-known/jwks.json``, OIDC auth endpoint ``{issuer}/auth``, client_id ``client_id``
    and deployment ``deployment_id``. edcert's signing keys are made for each run and never stored.
    """

    login_url: str
    redirect_uris: Annotated[tuple[str, ...], Field(min_length=1)]
    # target_link_uri of the resource link launches (default: the first redirect URI)
    launch_url: str | None = None
    # target_link_uri of the Deep Linking request (default: launch_url); deep_linking = false skips DL
    deep_link_url: str | None = None
    deep_linking: bool = True
    jwks_url: str
    client_id: Annotated[str, Field(min_length=1)]
    deployment_id: Annotated[str, Field(min_length=1, max_length=255)]
    platform_issuer: str | None = None
    platform_host: str = "127.0.0.1"
    platform_port: Annotated[int, Field(ge=0, le=65535)] = 0
    # the tool claims LTI Advantage services (NRPS, AGS): edcert's platform serves them and checks the calls
    services: bool = False
    # seconds to wait after the services launch for the tool's calls (a tool may make them in the background)
    services_wait: Annotated[float, Field(ge=0, le=600)] = 10.0
    # text only an accepted launch shows, for tools that answer a refused launch with HTTP 200
    success_marker: Annotated[str, Field(min_length=1)] | None = None

    @field_validator("login_url", "jwks_url", "launch_url", "deep_link_url", "platform_issuer")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("redirect_uris")
    @classmethod
    def _http_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            cls._http_url(url)
        return value

    @property
    def standards(self) -> tuple[str, ...]:
        return ("lti-1.3-tool",)

    @property
    def target_link_uri(self) -> str:
        return self.launch_url or self.redirect_uris[0]

    @property
    def deep_link_target(self) -> str:
        return self.deep_link_url or self.target_link_uri


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


class LtiPlatformConfig(HttpSettings):
    """An LTI 1.3 platform (LMS) to certify; edcert plays the tool (``[lti_platform]``).

    The platform's administrator registers edcert as a tool: login URL ``{tool_url}/login``, redirect
    URI ``{tool_url}/launch``, JWKS URL ``{tool_url}/jwks``, where ``tool_url`` is
    ``http://{tool_host}:{tool_port}`` (edcert serves them for the run). ``launch_start_url`` is a link
    that starts a launch of that tool (edcert follows it as a browser); ``{tool_url}`` in it is replaced
    by edcert's address. Without it (``launch_mode = "person"``) edcert waits for a person to launch.
    """

    issuer: Annotated[str, Field(min_length=1)]
    client_id: Annotated[str, Field(min_length=1)]
    deployment_id: Annotated[str, Field(min_length=1)]
    auth_url: str
    token_url: str
    jwks_url: str
    # The aud of client assertions (Security Framework §4.1.1: the authorization server's id); default token_url.
    token_audience: str | None = None
    launch_mode: Literal["url", "person"] = "url"
    launch_start_url: str | None = None
    launch_start_url_no_pii: str | None = None
    # the other 1EdTech payload variants (full instructor, student without PII) and a Deep Linking launch
    launch_start_url_instructor: str | None = None
    launch_start_url_student_no_pii: str | None = None
    deep_link_start_url: str | None = None
    # a launch of the resource link the platform created from edcert's Deep Linking response (Proof of LTI Link)
    deep_link_item_start_url: str | None = None
    # a launch in a second course (context B of the 1EdTech AGS test): line items must stay in their course
    launch_start_url_context_b: str | None = None
    # "Expected Received": the test users the district set up, by payload (full, student_no_pii, instructor,
    # no_pii) and claim; each launch must carry exactly these values
    expected_users: dict[Literal["full", "student_no_pii", "instructor", "no_pii"],
                         dict[Literal["sub", "name", "given_name", "family_name", "email"], str]] = {}
    launch_wait: Annotated[float, Field(gt=0, le=3600)] = 300.0
    tool_host: str = "127.0.0.1"
    tool_port: Annotated[int, Field(ge=0, le=65535)] = 0
    session_cookie_env: str | None = None
    session_cookie: SecretStr = Field(default=SecretStr(""), exclude=True, repr=False)
    nrps_page_limit: Annotated[int, Field(ge=1, le=100)] = 2
    max_hops: Annotated[int, Field(ge=2, le=50)] = 10
    allow_writes: bool = False

    @field_validator("auth_url", "token_url", "jwks_url", "launch_start_url", "launch_start_url_no_pii",
                     "launch_start_url_instructor", "launch_start_url_student_no_pii", "deep_link_start_url",
                     "deep_link_item_start_url", "launch_start_url_context_b")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @property
    def standards(self) -> tuple[str, ...]:
        return ("lti-1.3-platform",)


class EdFiConfig(HttpSettings):
    """An Ed-Fi API the vendor hosts (``edfi-api``): ``base_url`` is the root serving the discovery document.

    ``token_url`` and ``data_url`` are needed only when the discovery document cannot be read; otherwise the
    URLs it lists are used.
    """

    base_url: str
    client_id: Annotated[str, Field(min_length=1)]
    client_secret_env: Annotated[str, Field(min_length=1)]
    token_url: str | None = None
    data_url: str | None = None
    allow_writes: bool = False
    page_size: Annotated[int, Field(ge=1, le=500)] = 100
    client_secret: SecretStr = Field(default=SecretStr(""), exclude=True, repr=False)

    @field_validator("base_url", "token_url", "data_url")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @property
    def standards(self) -> tuple[str, ...]:
        return ("edfi-api",)


class EdFiClientConfig(HttpSettings):
    """A vendor that writes to Ed-Fi (``edfi-client``), judged through edcert's sandbox playing the Ed-Fi API.

    ``base_url`` is the sandbox's Ed-Fi root (``edcert sandbox serve --edfi-target`` prints it); ``client_id`` and
    ``client_secret_env`` are the sandbox's own credentials, used to read back the published records and the
    recording of what the vendor sent; ``sis_client_id`` is the client id the vendor's product was given.
    ``scripted_client`` (demo and tests) runs edcert's scripted SIS client against the sandbox first.
    """

    base_url: str
    client_id: Annotated[str, Field(min_length=1)]
    client_secret_env: Annotated[str, Field(min_length=1)]
    sis_client_id: Annotated[str, Field(min_length=1)] = "edcert-sis"
    scripted_client: bool = False
    client_secret: SecretStr = Field(default=SecretStr(""), exclude=True, repr=False)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @property
    def standards(self) -> tuple[str, ...]:
        return ("edfi-client",)
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
    oneroster_v1p1: OneRoster11Config | None = None
    oneroster_csv: OneRosterCsvConfig | None = None
    lti_platform: LtiPlatformConfig | None = None
    edfi: EdFiConfig | None = None
    edfi_client: EdFiClientConfig | None = None
    lti_tool: LtiToolConfig | None = None
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
