"""The edcert command line: demo, run, checks, sandbox."""
from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from edcert import __version__
from edcert.harness.config import VendorConfig, load_config, parse_config
from edcert.harness.errors import ConfigError, HarnessError
from edcert.harness.registry import REGISTRY
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
    sc = result.scorecard
    click.echo(f"edcert {__version__}: {sc.vendor.name}"
               f"{' (' + sc.vendor.product + ')' if sc.vendor.product else ''}")
    for s in sc.standards:
        verdict = "CERTIFIED" if s.verdict == "certified" else "NOT CERTIFIED"
        c = s.counts
        click.echo(f"  {s.standard:<18} {verdict:<14} score {s.score:5.1f}  "
                   f"{c['passed']} passed, {c['failed']} failed, {c['error']} error, "
                   f"{c['skipped']} skipped, {c['not_applicable']} not applicable")
        for check_id in s.failed_required[:10]:
            check = next(x for x in sc.checks if x.id == check_id)
            click.echo(f"      {check.outcome.value}: {check.id} {check.title}")
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
    ]):
        func = option(func)
    return func


def _run_and_report(config: VendorConfig, out: Path | None, only: tuple[str, ...], evidence: str,
                    no_progress: bool) -> int:
    progress = Progress() if no_progress or not sys.stderr.isatty() else _RichProgress()
    result = run(config, only=list(only) or None, evidence_mode=evidence,  # type: ignore[arg-type]
                 out_dir=out or _default_out(), progress=progress)
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
def run_cmd(config_path: Path, out: Path | None, only: tuple[str, ...], evidence: str, no_progress: bool) -> None:
    """Certify a vendor described by a configuration file.

    Exit codes: 0 gate passed, 1 gate failed, 2 bad usage or configuration,
    3 edcert could not decide (e.g. the vendor is unreachable).
    """
    config = load_config(config_path)
    sys.exit(_run_and_report(config, out, only, evidence, no_progress))


def _sandbox_config(base_url: str, client_id: str, client_secret: str, faults: tuple[str, ...]) -> VendorConfig:
    data = {
        "vendor": {"name": "edcert reference sandbox" + (f" with {', '.join(faults)}" if faults else ""),
                   "product": "edcert sandbox", "version": __version__},
        "oneroster": {"version": "1.2", "base_url": base_url, "token_url": f"{base_url}/oauth/token",
                      "client_id": client_id, "client_secret_env": "EDCERT_SANDBOX_CLIENT_SECRET"},
    }
    return parse_config(data, source="sandbox", env={"EDCERT_SANDBOX_CLIENT_SECRET": client_secret})


def _district(value: str) -> Any:
    from edcert.fixtures.districts import generate_district, load_district

    if value in {"small", "medium", "large"}:
        return generate_district(value)
    path = Path(value)
    if not path.is_file():
        raise ConfigError(f"--district {value}: not small, medium, large or an existing file")
    try:
        return load_district(path)
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"--district {value}: not a district file ({exc})") from None


def _fault_names(faults: tuple[str, ...]) -> tuple[str, ...]:
    from edcert.sandbox import validate_faults

    try:
        validate_faults(faults)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return faults


@cli.command("demo")
@_output_options
@click.option("--fault", "faults", multiple=True, metavar="NAME", help="Start the sandbox with this fault.")
@click.option("--district", default="small", show_default=True, help="small, medium, large or a district file.")
def demo_cmd(out: Path | None, only: tuple[str, ...], evidence: str, no_progress: bool,
             faults: tuple[str, ...], district: str) -> None:
    """Start the reference sandbox, certify it, write the reports, stop it."""
    from edcert.sandbox import SandboxServer, create_app, sandbox_credentials

    client_id, client_secret = sandbox_credentials()
    app = create_app(_district(district), faults=_fault_names(faults), client_id=client_id,
                     client_secret=client_secret)
    with SandboxServer(app) as server:
        click.echo(f"sandbox listening on {server.base_url}" + (f" with {', '.join(faults)}" if faults else ""))
        config = _sandbox_config(server.base_url, client_id, client_secret, faults)
        code = _run_and_report(config, out, only, evidence, no_progress)
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


@sandbox_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Port (default: a free one).")
@click.option("--district", default="small", show_default=True, help="small, medium, large or a district file.")
@click.option("--fault", "faults", multiple=True, metavar="NAME", help="Break the sandbox on purpose.")
@click.option("--client-id", envvar="EDCERT_SANDBOX_CLIENT_ID", default=None, help="Client id it accepts.")
@click.option("--client-secret", envvar="EDCERT_SANDBOX_CLIENT_SECRET", default=None,
              help="Client secret it accepts.")
def serve_cmd(host: str, port: int, district: str, faults: tuple[str, ...], client_id: str | None,
              client_secret: str | None) -> None:
    """Serve the reference sandbox until interrupted."""
    import threading

    from edcert.sandbox import SandboxServer, create_app, sandbox_credentials

    default_id, default_secret = sandbox_credentials()
    client_id, client_secret = client_id or default_id, client_secret or default_secret
    app = create_app(_district(district), faults=_fault_names(faults), client_id=client_id,
                     client_secret=client_secret)
    with SandboxServer(app, host=host, port=port) as server:
        base = server.base_url
        click.echo(f"edcert sandbox on {base}" + (f" with faults: {', '.join(faults)}" if faults else ""))
        click.echo(f"  OneRoster 1.2 rostering: {base}/ims/oneroster/rostering/v1p2")
        click.echo(f"  token endpoint:          {base}/oauth/token")
        click.echo(f"  client id:               {client_id}")
        click.echo(f"  client secret:           {client_secret}")
        click.echo("  (Ctrl-C to stop)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("stopped")


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors, never a traceback (EDCERT_DEBUG=1 shows it)."""
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
