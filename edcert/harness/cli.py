"""The edcert command line: demo, run, checks, sandbox."""
from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from edcert import __version__
from edcert.harness.config import VendorConfig, load_config, parse_config
from edcert.harness.errors import ConfigError, HarnessError
from edcert.harness.registry import PHASES, REGISTRY
from edcert.harness.runner import Progress, RunResult, run
from edcert.harness.scorecard import CheckResult

EXIT_USAGE = 2
EXIT_HARNESS = 3


class _RichProgress(Progress):
    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self._bar = Bar(TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.description}"), console=Console(stderr=True), transient=True,
                        # the runner redirects stdout around pytest; rich must not capture or restore it
                        redirect_stdout=False, redirect_stderr=False)
        self._task: Any = None

    def start(self, total: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task("", total=total)

    def advance(self, result: CheckResult) -> None:
        if self._task is not None:
            self._bar.update(self._task, advance=1, description=result.id)

    def stop(self) -> None:
        self._bar.stop()


def _default_out() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = Path("reports") / stamp
    n = 1
    while out.exists():
        n += 1
        out = Path("reports") / f"{stamp}-{n}"
    return out


def _summary(result: RunResult) -> None:
    from edcert.harness.policy import closing_lines, standard_line, standard_notes, summary_lines

    sc = result.scorecard
    click.echo(f"edcert {__version__}: {sc.vendor.name}"
               f"{' (' + sc.vendor.product + ')' if sc.vendor.product else ''}")
    for line in summary_lines(sc):
        click.echo(line)
    for warning in sc.warnings:
        click.echo(f"  WARNING: {warning}")
    width = max([18, *(len(s.standard) for s in sc.standards)])
    for s in sc.standards:
        untested = standard_line(s)
        if untested is not None:
            click.echo(untested)
            continue
        verdict = "CERTIFIED" if s.verdict == "certified" else "NOT CERTIFIED"
        c = s.counts
        click.echo(f"  {s.standard:<{width}} {verdict:<14} score {s.score:5.1f}  "
                   f"{c['passed']} passed, {c['failed']} failed, {c['error']} error, "
                   f"{c['skipped']} skipped, {c['not_applicable']} not applicable")
        for check_id in s.failed_required[:10]:
            check = next(x for x in sc.checks if x.id == check_id)
            click.echo(f"      {check.outcome.value}: {check.id} {check.title}"
                       f"{' (a must-have in the district profile)' if check.promoted else ''}")
        for note in standard_notes(s):
            click.echo(note)
    for line in closing_lines(sc):
        click.echo(line)
    if not sc.complete:
        click.echo("  run INCOMPLETE: " + "; ".join(sc.gate.get("harness_errors", [])[:3]))
    click.echo(f"  {len(sc.checks)} checks, {sc.requests_sent} requests, {sc.duration_s:.1f}s")
    for name, path in result.paths.items():
        click.echo(f"  {name}: {path}")
    meaning = {0: "gate passed", 1: "gate failed", 3: "edcert could not decide"}[result.exit_code]
    click.echo(f"  exit {result.exit_code}: {meaning}")


def _output_options(func: Any) -> Any:
    for option in reversed([
        click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Report folder (default: reports/<timestamp>)."),
        click.option("--only", multiple=True, metavar="STANDARD", help="Only this standard (repeatable)."),
        click.option("--evidence", type=click.Choice(["masked", "full"]), default="masked", show_default=True,
                     help="full keeps student personal data in evidence; secrets are always redacted."),
        click.option("--no-progress", is_flag=True, help="Do not draw the progress bar."),
        click.option("--phase", "phases", multiple=True, type=click.Choice(PHASES), expose_value=False,
                     callback=_remember_phases,
                     help="Run this phase (repeatable; default: conformance). fuzz sends schemathesis-generated "
                          "requests (seeded and bounded by the [fuzz] table; read-only unless allow_writes)."),
    ]):
        func = option(func)
    return _policy_options(func)


_PHASES_META = "edcert.phases"


def _remember_phases(ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> None:
    if value:
        ctx.meta[_PHASES_META] = tuple(dict.fromkeys(value))


def _phases() -> tuple[str, ...] | None:
    ctx = click.get_current_context(silent=True)
    found = ctx.meta.get(_PHASES_META) if ctx is not None else None
    return tuple(found) if found else None


# --profile, --waivers and --attestations are loaded and validated as soon as they are parsed (a bad file is a
# one-line error before any sandbox or vendor is contacted) and kept in the click context, not in the command
# signatures, so that every command built with _output_options gets them without growing its parameter list.
_POLICY_META = "edcert.policy"


def _load_policy_file(kind: str) -> Any:
    def callback(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
        if value is None:
            return
        from edcert.harness.attestations import load_attestations
        from edcert.harness.profile import load_profile
        from edcert.harness.suites import load_all_checks
        from edcert.harness.waivers import load_waivers

        load_all_checks()
        loaded: Any
        if kind == "profile":
            loaded = load_profile(value, REGISTRY)
        elif kind == "waivers":
            loaded = load_waivers(value, REGISTRY)
        else:
            loaded = load_attestations(value)
        ctx.meta.setdefault(_POLICY_META, {})[kind] = loaded
    return callback


def _policy_options(func: Any) -> Any:
    for option in reversed([
        click.option("--profile", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
                     expose_value=False, callback=_load_policy_file("profile"),
                     help="District profile (TOML): required standards, weights, must-haves, minimum scores."),
        click.option("--waivers", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
                     expose_value=False, callback=_load_policy_file("waivers"),
                     help="Waived failures (TOML [[waiver]] check, justification, expires)."),
        click.option("--attestations", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     metavar="FILE", expose_value=False, callback=_load_policy_file("attestations"),
                     help="The vendor's attestations (TOML): shown as attested, never as passed."),
    ]):
        func = option(func)
    return func


def _policy() -> Any:
    from edcert.harness.policy import Policy
    from edcert.harness.waivers import today_for_run

    ctx = click.get_current_context(silent=True)
    files = ctx.meta.get(_POLICY_META, {}) if ctx is not None else {}
    return Policy(profile=files.get("profile"), waivers=files.get("waivers"),
                  attestations=files.get("attestations"), today=today_for_run())


def _readable_private_key(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    from edcert.harness.signing import load_private_key

    if value is not None:
        load_private_key(value)  # a bad key is a usage error before any sandbox or vendor is contacted
    return value


def _sign_option(func: Any) -> Any:
    return click.option("--sign", "sign_key", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        metavar="KEYFILE", callback=_readable_private_key,
                        help="Sign the report folder with this Ed25519 private key (edcert keygen): "
                        "writes manifest.json and signature.")(func)


# --insecure and --ca-bundle, kept in the click context like the policy files (see _POLICY_META).
_TLS_META = "edcert.tls"


def _remember_tls(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is None or value is False:
        return
    if param.name == "ca_bundle" and not Path(value).is_file():
        raise ConfigError(f"--ca-bundle {value}: no such file")
    ctx.meta.setdefault(_TLS_META, {})[param.name] = value


def _tls_options(func: Any) -> Any:
    for option in reversed([
        click.option("--ca-bundle", "ca_bundle", type=click.Path(dir_okay=False), default=None, metavar="PEM",
                     expose_value=False, callback=_remember_tls,
                     help="Also trust the certificate authorities in this PEM file (a district's own CA)."),
        click.option("--insecure", "insecure", is_flag=True, default=False, expose_value=False,
                     callback=_remember_tls,
                     help="Do NOT verify TLS certificates. Loud in the output; the run can never certify."),
    ]):
        func = option(func)
    return func


def _with_tls_options(config: VendorConfig) -> VendorConfig:
    ctx = click.get_current_context(silent=True)
    chosen = ctx.meta.get(_TLS_META, {}) if ctx is not None else {}
    if config.oneroster is not None and chosen:
        update: dict[str, Any] = {}
        if chosen.get("insecure"):
            update["verify_tls"] = False
        if chosen.get("ca_bundle"):
            update["ca_bundle"] = str(chosen["ca_bundle"])
        config = config.model_copy(update={"oneroster": config.oneroster.model_copy(update=update)})
    if config.insecure:
        click.echo("edcert: WARNING: TLS certificate verification is OFF (--insecure or verify_tls = false): "
                   "this run cannot certify anything", err=True)
    return config


def _run_and_report(config: VendorConfig, out: Path | None, only: tuple[str, ...], evidence: str,
                    no_progress: bool, *, sign_key: Path | None = None) -> int:
    from edcert.harness.signing import check_key_outside, load_private_key, sign_report

    config = _with_tls_options(config)
    out_dir = out or _default_out()
    signer = None
    if sign_key is not None:  # a bad key is a usage error before anything runs
        check_key_outside(sign_key, out_dir)
        signer = load_private_key(sign_key)
    progress = Progress() if no_progress or not sys.stderr.isatty() else _RichProgress()
    result = run(config, only=list(only) or None, evidence_mode=evidence,  # type: ignore[arg-type]
                 out_dir=out_dir, progress=progress, policy=_policy(), phases=_phases())
    if signer is not None:
        result.paths.update(sign_report(out_dir, signer))
    _summary(result)
    return result.exit_code


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="edcert")
def cli() -> None:
    """Certify that an ed-tech vendor really speaks OneRoster, Ed-Fi and LTI."""


@cli.command("run")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Vendor configuration (TOML).")
@_output_options
@_sign_option
@_tls_options
def run_cmd(config_path: Path, out: Path | None, only: tuple[str, ...], evidence: str, no_progress: bool,
            sign_key: Path | None) -> None:
    """Certify a vendor described by a configuration file.

    Exit codes: 0 gate passed, 1 gate failed, 2 bad usage or configuration,
    3 edcert could not decide (e.g. the vendor is unreachable).
    """
    config = load_config(config_path)
    sys.exit(_run_and_report(config, out, only, evidence, no_progress, sign_key=sign_key))


def _sandbox_config(base_url: str, client_id: str, client_secret: str, faults: tuple[str, ...],
                    roster_csv: Path | None = None) -> VendorConfig:
    from edcert.sandbox.vendor import SECRET_ENV, sandbox_vendor_data

    extra = {} if roster_csv is None else {"roster_csv": str(roster_csv)}
    data = sandbox_vendor_data(base_url, client_id,
                               name="edcert reference sandbox" + (f" with {', '.join(faults)}" if faults else ""),
                               product="edcert sandbox", version=__version__, **extra)
    return parse_config(data, source="sandbox", env={SECRET_ENV: client_secret})


def _district(value: str) -> Any:
    from edcert.fixtures.districts import generate_district, load_district
    from edcert.fixtures.roster_csv import RosterCsvError, load_district_zip

    if value in {"small", "medium", "large"}:
        return generate_district(value)
    path = Path(value)
    if not path.is_file():
        raise ConfigError(f"--district {value}: not small, medium, large, a OneRoster CSV zip or a district file")
    if zipfile.is_zipfile(path):
        try:
            return load_district_zip(path)
        except RosterCsvError as exc:
            raise ConfigError(f"--district {exc}") from None
    try:
        return load_district(path)
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"--district {value}: not a district file ({exc})") from None


def _district_roster(value: str, district: Any, folder: Path) -> Path | None:
    """The OneRoster CSV zip the demo's data-fidelity checks compare the sandbox with (None: the shipped one)."""
    if value == "small":
        return None
    path = Path(value)
    if path.is_file() and zipfile.is_zipfile(path):
        return path.resolve()
    from edcert.fixtures.roster_csv import district_zip

    out = folder / "district-roster.zip"
    out.write_bytes(district_zip(district))
    return out


def _fault_names(faults: tuple[str, ...]) -> tuple[str, ...]:
    from edcert.sandbox import validate_faults

    try:
        validate_faults(faults)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return faults


_HOSTILE_META = "edcert.hostile"


def _remember_hostile(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    from edcert.sandbox import validate_hostile

    if value is not None:
        try:
            validate_hostile(value)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        ctx.meta[_HOSTILE_META] = value


def _hostile_option(func: Any) -> Any:
    return click.option("--hostile", default=None, metavar="NAME", expose_value=False, callback=_remember_hostile,
                        help="Turn the sandbox against edcert (see `edcert sandbox hostile`).")(func)


def _hostile_choice() -> str | None:
    ctx = click.get_current_context(silent=True)
    found = ctx.meta.get(_HOSTILE_META) if ctx is not None else None
    return str(found) if found else None


def _hostile_limits(config: VendorConfig) -> VendorConfig:
    # A hostile demo should end in about a minute: short timeouts, a small size cap, a one-minute budget.
    assert config.oneroster is not None
    limits = {"timeout": 5.0, "max_response_bytes": 5 * 1024 * 1024, "max_retries": 1, "max_retry_wait": 5.0,
              "run_budget": 60.0, "max_pages": 50}
    return config.model_copy(update={"oneroster": config.oneroster.model_copy(update=limits)})


@cli.command("demo")
@_output_options
@click.option("--fault", "faults", multiple=True, metavar="NAME", help="Start the sandbox with this fault.")
@click.option("--district", default="small", show_default=True,
              help="small, medium, large, a OneRoster CSV zip or a district JSON file.")
@_sign_option
@_tls_options
@_hostile_option
def demo_cmd(out: Path | None, only: tuple[str, ...], evidence: str, no_progress: bool,
             faults: tuple[str, ...], district: str, sign_key: Path | None) -> None:
    """Start the reference sandbox, certify it, write the reports, stop it."""
    from edcert.sandbox import SandboxServer, create_app, sandbox_credentials

    client_id, client_secret = sandbox_credentials()
    hostile = _hostile_choice()
    served = _district(district)
    app = create_app(served, faults=_fault_names(faults), client_id=client_id,
                     client_secret=client_secret, hostile=hostile)
    with SandboxServer(app) as server, tempfile.TemporaryDirectory(prefix="edcert-demo-") as tmp:
        click.echo(f"sandbox listening on {server.base_url}" + (f" with {', '.join(faults)}" if faults else "")
                   + (f" (hostile mode {hostile})" if hostile else ""))
        config = _sandbox_config(server.base_url, client_id, client_secret, faults,
                                 _district_roster(district, served, Path(tmp)))
        if hostile:
            config = _hostile_limits(config)
        code = _run_and_report(config, out, only, evidence, no_progress, sign_key=sign_key)
    sys.exit(code)


@cli.command("checks")
@click.option("--standard", default=None, help="Only this standard.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def checks_cmd(standard: str | None, fmt: str) -> None:
    """List the check catalogue with its metadata (no network)."""
    from edcert.harness.suites import load_all_checks

    load_all_checks()
    specs = [s for s in REGISTRY if standard is None or s.standard == standard]
    if standard is not None and not specs:
        known = sorted({s.standard for s in REGISTRY})
        raise ConfigError(f"--standard {standard}: no such standard (known: {', '.join(known)})")
    if fmt == "json":
        click.echo(json.dumps([s.as_dict() for s in specs], indent=2))
        return
    for s in specs:
        click.echo(f"{s.id:<16} {s.level.value:<12} {s.category:<22} {s.title}")
    click.echo(f"{len(specs)} checks")


@cli.command("coverage")
@click.option("--standard", default=None, help="Only this standard.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def coverage_cmd(standard: str | None, fmt: str) -> None:
    """Each requirement of each standard with the checks that enforce it (no network).

    Lists, per standard, the MUSTs that no check covers and no reason excuses,
    and any check naming an unknown requirement or none. Exit 0 when that list
    is empty, 1 otherwise.
    """
    from edcert.harness.requirements import LEVELS, coverage, load_requirements
    from edcert.harness.suites import load_all_checks

    load_all_checks()
    report = coverage(load_requirements(), REGISTRY)
    if standard is not None:
        report = [c for c in report if c.standard == standard]
        if not report:
            known = sorted({c.standard for c in coverage(load_requirements(), REGISTRY)})
            raise ConfigError(f"--standard {standard}: no such standard (known: {', '.join(known)})")
    if fmt == "json":
        click.echo(json.dumps([c.as_dict() for c in report], indent=2))
    else:
        for cov in report:
            click.echo(f"{cov.standard}: {cov.title}")
            for req, checks in cov.rows:
                shown = ", ".join(checks) if checks else (f"not tested: {req.not_tested}" if req.not_tested
                                                          else "NO CHECK")
                click.echo(f"  {req.id:<44} {req.level:<6} {shown}")
            counts = cov.as_dict()["counts"]
            click.echo("  " + "; ".join(f"{lvl} {counts[lvl]['checked']} checked, {counts[lvl]['not_tested']} not "
                                        f"tested (with a reason) of {counts[lvl]['total']}" for lvl in LEVELS))
            musts = cov.uncovered_musts
            click.echo("  MUSTs with no check and no reason: " + (", ".join(r.id for r in musts) or "none"))
            for line in cov.problems[len(musts):]:
                click.echo(f"  problem: {line}")
    if any(c.problems for c in report):
        sys.exit(1)


def _csv_config(bundle: Path, version: str | None, max_file_mb: int) -> VendorConfig:
    from edcert.harness.csvbundle import peek_manifest

    if not bundle.exists():
        raise ConfigError(f"{bundle}: no such file")
    if not bundle.is_file():
        raise ConfigError(f"{bundle}: not a file (give the OneRoster CSV zip itself)")
    peek = peek_manifest(bundle)
    chosen = version or (peek.oneroster_version if peek.oneroster_version in ("1.1", "1.2") else "1.2")
    file_name = "".join(ch if ch.isprintable() else "?" for ch in bundle.name)
    product = f"OneRoster CSV bundle {file_name}" if peek.system_name else "OneRoster CSV bundle"
    data = {"vendor": {"name": peek.system_name or file_name, "product": product},
            "oneroster_csv": {"path": str(bundle.resolve()), "version": chosen,
                              "max_file_bytes": max_file_mb * 1024 * 1024}}
    return parse_config(data, source="validate-csv")


def _csv_findings(result: RunResult, limit: int = 12) -> None:
    shown = [c for c in result.scorecard.checks if c.outcome.value in ("failed", "error")]
    if not shown:
        return
    click.echo("findings (the first of each check; scorecard.html and scorecard.json list more):")
    for c in shown[:limit]:
        message = c.message if len(c.message) <= 220 else c.message[:219] + "…"
        click.echo(f"  {c.id} [{c.level}{', undecided' if c.outcome.value == 'error' else ''}] {message}")
    if len(shown) > limit:
        click.echo(f"  ... and {len(shown) - limit} more check(s) with findings")


@cli.command("validate-csv")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--version", "csv_version", type=click.Choice(["1.1", "1.2"]), default=None,
              help="OneRoster version to validate against (default: the manifest's oneroster.version, else 1.2).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Report folder (default: reports/<timestamp>).")
@click.option("--max-file-mb", type=click.IntRange(1, 1024 * 1024), default=1024, show_default=True,
              help="Read at most this many MB of any one file (a larger file leaves the verdict undecided).")
@click.option("--no-progress", is_flag=True, help="Do not draw the progress bar.")
def validate_csv_cmd(bundle: Path, csv_version: str | None, out: Path | None, max_file_mb: int,
                     no_progress: bool) -> None:
    """Validate a OneRoster CSV bundle (zip) and write its scorecard.

    The bundle is read once, streaming. Every finding names the file, line and column, never a
    student's data. A file that is not a zip is a failed check (PKG-001), not a usage error.

    Exit codes: 0 no required rule broken, 1 a required rule broken, 2 bad usage (no such file,
    not a file), 3 edcert could not decide (e.g. a file larger than --max-file-mb).
    """
    config = _csv_config(bundle, csv_version, max_file_mb)
    progress = Progress() if no_progress or not sys.stderr.isatty() else _RichProgress()
    result = run(config, out_dir=out or _default_out(), progress=progress, policy=_policy())
    _csv_findings(result)
    _summary(result)
    sys.exit(result.exit_code)


@cli.group("sandbox")
def sandbox_group() -> None:
    """The reference vendor: a conformant server with named faults."""


@sandbox_group.command("faults")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def faults_cmd(fmt: str) -> None:
    """List the fault catalogue."""
    from edcert.sandbox import FAULTS

    if fmt == "json":
        click.echo(json.dumps([{"name": f.name, "standard": f.standard, "sentence": f.sentence,
                                "trips": list(f.trips)} for f in FAULTS.values()], indent=2))
        return
    for f in FAULTS.values():
        click.echo(f"{f.name:<52} {f.sentence}")


@sandbox_group.command("hostile")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def hostile_cmd(fmt: str) -> None:
    """List the hostile-vendor modes (sandbox serve --hostile, demo --hostile)."""
    from edcert.sandbox import HOSTILE

    if fmt == "json":
        click.echo(json.dumps([{"name": m.name, "sentence": m.sentence, "expect": m.expect}
                               for m in HOSTILE.values()], indent=2))
        return
    for m in HOSTILE.values():
        click.echo(f"{m.name:<22} {m.sentence}")


@sandbox_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Port (default: a free one).")
@click.option("--district", default="small", show_default=True,
              help="small, medium, large, a OneRoster CSV zip or a district JSON file.")
@click.option("--fault", "faults", multiple=True, metavar="NAME", help="Break the sandbox on purpose.")
@click.option("--client-id", envvar="EDCERT_SANDBOX_CLIENT_ID", default=None, help="Client id it accepts.")
@click.option("--client-secret", envvar="EDCERT_SANDBOX_CLIENT_SECRET", default=None,
              help="Client secret it accepts.")
@click.option("--edfi-target", is_flag=True,
              help="Also print what a vendor's SIS needs to publish to the sandbox's Ed-Fi API (client mode) and "
                   "the [edfi_client] table that certifies it afterwards.")
@_hostile_option
def serve_cmd(host: str, port: int, district: str, faults: tuple[str, ...], client_id: str | None,
              client_secret: str | None, edfi_target: bool) -> None:
    """Serve the reference sandbox until interrupted."""
    import threading

    from edcert.sandbox import SandboxServer, create_app, sandbox_credentials

    default_id, default_secret = sandbox_credentials()
    client_id, client_secret = client_id or default_id, client_secret or default_secret
    hostile = _hostile_choice()
    app = create_app(_district(district), faults=_fault_names(faults), client_id=client_id,
                     client_secret=client_secret, hostile=hostile)
    with SandboxServer(app, host=host, port=port) as server:
        base = server.base_url
        click.echo(f"edcert sandbox on {base}" + (f" with faults: {', '.join(faults)}" if faults else "")
                   + (f" in hostile mode {hostile}" if hostile else ""))
        click.echo(f"  OneRoster 1.2 rostering: {base}/ims/oneroster/rostering/v1p2")
        if Path(district).is_file() and zipfile.is_zipfile(district):
            click.echo(f"  district (CSV roster):   {Path(district).resolve()}")
        click.echo(f"  token endpoint:          {base}/oauth/token")
        click.echo(f"  client id:               {client_id}")
        click.echo(f"  client secret:           {client_secret}")
        click.echo(f"  Ed-Fi API (discovery):   {base}/edfi/")
        click.echo(f"  LTI 1.3 tool login:      {base}/lti/tool/login (launch: /lti/tool/launch, JWKS: /lti/tool/jwks)")
        if edfi_target:
            _echo_edfi_target(base, client_id)
        click.echo("  (Ctrl-C to stop)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("stopped")


def _echo_edfi_target(base: str, client_id: str) -> None:
    from edcert.sandbox.edfi.app import SIS_CLIENT_ID, SIS_CLIENT_SECRET
    from edcert.sandbox.vendor import SECRET_ENV

    click.echo("  Ed-Fi target for the vendor's SIS (client mode): configure the product with")
    click.echo(f"    base URL:      {base}/edfi/")
    click.echo(f"    client id:     {SIS_CLIENT_ID}")
    click.echo(f"    client secret: {SIS_CLIENT_SECRET}")
    click.echo("  then let it publish, and certify it (the sandbox must still run) with this table and "
               f"{SECRET_ENV} set to the sandbox's client secret:")
    click.echo(f'    [edfi_client]\n    base_url = "{base}/edfi"\n    client_id = "{client_id}"\n'
               f'    client_secret_env = "{SECRET_ENV}"\n    sis_client_id = "{SIS_CLIENT_ID}"')


@cli.command("keygen")
@click.option("--out", "prefix", required=True, type=click.Path(path_type=Path), metavar="PREFIX",
              help="Writes PREFIX.key (private, mode 0600) and PREFIX.pub (public).")
def keygen_cmd(prefix: Path) -> None:
    """Make an Ed25519 key pair for signing reports (run --sign, demo --sign; verify --key)."""
    from edcert.harness.signing import generate_keypair, key_id, load_public_key

    private_path, public_path = generate_keypair(prefix)
    click.echo(f"private key: {private_path} (keep it secret; never put it in a report folder)")
    click.echo(f"public key:  {public_path} (for whoever verifies; key id {key_id(load_public_key(public_path))})")


@cli.command("verify")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="PUBKEY", help="The signer's public key (PREFIX.pub from edcert keygen).")
def verify_cmd(folder: Path, key_path: Path) -> None:
    """Check a signed report folder: every file unchanged, none added or removed, signed with this key.

    Exit codes: 0 verified, 1 something differs (listed), 2 bad usage.
    """
    from edcert.harness.signing import load_public_key, verify_report

    result = verify_report(folder, load_public_key(key_path))
    if result.ok:
        click.echo(f"verified: {folder} ({result.files} files, signed {result.signed_at} with key {result.key_id})")
        sys.exit(0)
    click.echo(f"NOT verified: {folder}")
    for problem in result.problems:
        click.echo(f"  {problem}")
    sys.exit(1)


@cli.command("compare")
@click.argument("scorecards", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for compare.html and compare.md (default: reports/compare-<timestamp>).")
def compare_cmd(scorecards: tuple[Path, ...], out: Path | None) -> None:
    """Set two or more vendors' scorecards side by side (scorecard.json files or report folders)."""
    from edcert.harness.compare import compare_scorecards
    from edcert.harness.scorecard_file import load_scorecards
    from edcert.harness.writers.compare import write_compare

    if len(scorecards) < 2:
        raise ConfigError(f"compare needs at least two scorecards (got {len(scorecards)})")
    comparison = compare_scorecards(load_scorecards(list(scorecards)))
    if out is None:
        default = _default_out()
        out = default.with_name("compare-" + default.name)
    for name, path in write_compare(comparison, out).items():
        click.echo(f"{name}: {path}")


@cli.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on a regression of any check, not only of must-have checks.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Also write the diff as Markdown (e.g. \"$GITHUB_STEP_SUMMARY\").")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True,
              help="What to print.")
def diff_cmd(old: Path, new: Path, strict: bool, markdown_path: Path | None, fmt: str) -> None:
    """What regressed, was fixed, is new or removed between two scorecards (OLD then NEW).

    Exit codes: 0 no must-have check regressed, 1 one did (with --strict: any check did), 2 bad usage.
    """
    from edcert.harness.diff import diff_scorecards, render_markdown, render_text
    from edcert.harness.scorecard_file import load_scorecards

    (_, before), (_, after) = load_scorecards([old, new])
    result = diff_scorecards(before, after)
    markdown = render_markdown(result, strict)
    if markdown_path is not None:
        try:
            markdown_path.write_text(markdown, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--markdown {markdown_path}: cannot write ({exc.strerror})") from None
    click.echo(markdown if fmt == "markdown" else render_text(result, strict), nl=False)
    sys.exit(result.exit_code(strict))


def _sigterm_as_interrupt(signum: int, frame: object) -> None:
    # SIGTERM (a CI job cancelled, `kill`) stops a run the way Ctrl-C does: pytest ends, the scorecard
    # is written marked incomplete, the sandbox servers stop. Further SIGTERMs wait for that cleanup.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors, never a traceback (EDCERT_DEBUG=1 shows it).

    Ctrl-C or SIGTERM during a run ends it with a scorecard marked incomplete and exit
    code 3; before a run has started (or while its reports are written) with exit code 130.
    """
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> None:
    try:
        cli.main(args=argv, prog_name="edcert", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"edcert: error: {exc.format_message()}", err=True)
        sys.exit(EXIT_USAGE)
    except click.Abort:
        click.echo("edcert: interrupted", err=True)
        sys.exit(130)
    except ConfigError as exc:
        click.echo(f"edcert: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except HarnessError as exc:
        click.echo(f"edcert: cannot run: {exc}", err=True)
        sys.exit(EXIT_HARNESS)
    except KeyboardInterrupt:
        click.echo("edcert: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("EDCERT_DEBUG"):
            raise
        click.echo(f"edcert: internal error: {type(exc).__name__}: {exc} (EDCERT_DEBUG=1 shows the traceback)",
                   err=True)
        sys.exit(EXIT_HARNESS)
