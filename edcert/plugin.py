"""edcert's pytest plugin (entry point ``pytest11: edcert``).

Inert unless a run is active: either ``edcert run`` started one, or the
district runs ``pytest --edcert-config vendor.toml`` in its own repository.
Then it collects the installed suites, skips what the vendor does not claim,
turns every check's result into a scorecard entry in
``pytest_runtest_logreport`` (so the controller builds it), and writes the
outputs at the end when ``--edcert-out`` is given.
"""
from __future__ import annotations

import inspect
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from edcert.harness.errors import ConfigError, Failure, HarnessError, NotApplicable
from edcert.harness.evidence import Exchange, Recorder
from edcert.harness.registry import CheckSpec, spec_of
from edcert.harness.scorecard import STUDENT_TRACES, CheckResult, Outcome, StudentTrace
from edcert.harness.session import RunState
from edcert.harness.suites import Suite, suites_for

RUN_KEY = pytest.StashKey[RunState]()
SUITES_KEY = pytest.StashKey[list[Suite]]()
STANDALONE_KEY = pytest.StashKey[bool]()
_BUCKET = pytest.StashKey[list[Exchange]]()
_PROPERTY = "edcert.result"
_PASSED_EVIDENCE = 1
_FAILED_EVIDENCE = 5


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("edcert", "edcert certification")
    group.addoption("--edcert-config", metavar="TOML", help="vendor configuration: run edcert's suites")
    group.addoption("--edcert-only", metavar="STANDARD", action="append",
                    help="only this standard (repeatable)")
    group.addoption("--edcert-evidence", choices=("masked", "full"), default="masked",
                    help="full: keep student personal data in evidence (default: masked)")
    group.addoption("--edcert-out", metavar="DIR", help="write scorecard.json/html and junit.xml here")
    group.addoption("--edcert-profile", metavar="TOML", help="district profile: the verdicts and the gate follow it")
    group.addoption("--edcert-waivers", metavar="TOML", help="waived failures ([[waiver]] check, justification, "
                    "expires)")
    group.addoption("--edcert-attestations", metavar="TOML", help="the vendor's attestations (shown as attested)")


def active_run(config: pytest.Config) -> RunState | None:
    """The run in progress, if any."""
    return config.stash.get(RUN_KEY, None)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "edcert_check: an edcert certification check (set by @edcert.check)")
    state = active_run(config)
    if state is None and config.getoption("edcert_config"):
        from edcert.harness.config import load_config
        from edcert.harness.policy import load_policy

        try:
            vendor = load_config(config.getoption("edcert_config"))
            # check ids are validated after collection, when the district's own checks are known too
            policy = load_policy(config.getoption("edcert_profile"), config.getoption("edcert_waivers"),
                                 config.getoption("edcert_attestations"))
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
        state = RunState(vendor, only=config.getoption("edcert_only"),
                         evidence_mode=config.getoption("edcert_evidence"), policy=policy)
        config.stash[RUN_KEY] = state
        config.stash[STANDALONE_KEY] = True
    if state is None:
        return
    suites = suites_for(state.standards, state.phases)
    config.stash[SUITES_KEY] = suites
    for suite in suites:
        config.pluginmanager.import_plugin(suite.plugin)
        if config.stash.get(STANDALONE_KEY, False) and str(suite.path) not in config.args:
            config.args.append(str(suite.path))


def _suite_of(config: pytest.Config, path: Path) -> Suite | None:
    for suite in config.stash.get(SUITES_KEY, []):
        if path.is_relative_to(suite.path):
            return suite
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    if file_path.suffix != ".py" or file_path.name.startswith("_"):
        return None
    if _suite_of(parent.config, file_path) is None:
        return None
    module: pytest.Module = pytest.Module.from_parent(parent, path=file_path)
    return module


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> list[pytest.Function] | None:
    spec = spec_of(obj)
    if spec is None or not inspect.isfunction(obj):
        return None
    # One check is one test: parametrizing a check would give one id several outcomes.
    item: pytest.Function = pytest.Function.from_parent(collector, name=name, callobj=obj)
    item.add_marker(pytest.mark.edcert_check)
    return [item]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = active_run(config)
    if state is None:
        return
    if config.stash.get(STANDALONE_KEY, False):
        from edcert.harness.registry import REGISTRY

        try:
            state.policy.validate_against(REGISTRY)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
    from edcert.harness.registry import phase_of

    wanted = set(state.standards)
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        spec = spec_of(getattr(item, "obj", None))
        unwanted = spec is not None and (spec.standard not in wanted or phase_of(spec) not in state.phases)
        (drop if unwanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    state = active_run(collector.config)
    if report.failed and state is not None:
        state.harness_errors.append(f"cannot collect {report.nodeid or collector.name}: "
                                    f"{str(report.longrepr).strip().splitlines()[-1][:300]}")
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    if spec_of(getattr(item, "obj", None)) is None:
        return (yield)
    with Recorder.collecting() as bucket:
        item.stash[_BUCKET] = bucket
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    if spec_of(getattr(item, "obj", None)) is None:
        return (yield)
    with Recorder.collecting() as bucket:
        try:
            return (yield)
        finally:
            item.stash[_BUCKET] = [*item.stash.get(_BUCKET, []), *bucket]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None],
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    spec = spec_of(getattr(item, "obj", None))
    state = active_run(item.config)
    if spec is None or state is None or call.when == "teardown":
        return report
    if call.when == "setup" and report.passed:
        return report
    result = _result(spec, state, call, report, item.stash.get(_BUCKET, []))
    traces = [t for name, value in item.user_properties if name == STUDENT_TRACES and isinstance(value, list)
              for t in value]
    if traces and call.when == "call":
        result.student_traces = [StudentTrace.model_validate(t) for t in traces]
    report.user_properties.append((_PROPERTY, result.model_dump_json()))
    return report


# logreport gets no config; the active run is tracked per session (runs may nest in tests).
_CURRENT: list[RunState] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _CURRENT:
        return
    for name, value in report.user_properties:
        if name == _PROPERTY:
            _CURRENT[-1].add_result(CheckResult.model_validate_json(str(value)))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    state = active_run(session.config)
    if state is not None:
        _CURRENT.append(state)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = active_run(session.config)
    if state is None:
        return
    if _CURRENT and _CURRENT[-1] is state:
        _CURRENT.pop()
    state.close()
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        state.complete = False
    if session.config.stash.get(STANDALONE_KEY, False) and session.config.getoption("edcert_out"):
        from edcert.harness.writers import write_all

        write_all(state.scorecard(), Path(session.config.getoption("edcert_out")))


def _result(spec: CheckSpec, state: RunState, call: pytest.CallInfo[None], report: pytest.TestReport,
            bucket: list[Exchange]) -> CheckResult:
    outcome, message, expected, received, attached = _classify(call, report, builtin=spec.module.startswith("edcert."))
    redact = state.redactor.text
    limit = _PASSED_EVIDENCE if outcome is Outcome.PASSED else _FAILED_EVIDENCE
    evidence: list[Exchange] = []
    # Pages read ahead on several threads land in the bucket in the order they completed, which differs from
    # run to run: order the bucket by request (stable for repeats of one request) so the same run gives the
    # same evidence. What a check attaches itself comes first, as it chose.
    ordered = sorted(bucket, key=Exchange.order_key)  # by the URL as requested: redacting all would cost more
    kept: set[int] = set()  # a check that read the enrollments holds ~1,500 exchanges: no pairwise compare
    for ex in [*attached, *reversed(ordered)]:
        if ex.id not in kept:
            kept.add(ex.id)
            evidence.append(ex)
    # the one way evidence reaches a report: what was left unredacted (a body's excerpt) is redacted here
    evidence = [e.seal() for e in evidence[:limit]]
    data: dict[str, Any] = spec.as_dict()
    return CheckResult(
        **data,
        outcome=outcome,
        message=redact(message),
        expected=None if expected is None else redact(expected),
        received=None if received is None else redact(received),
        duration_ms=round(report.duration * 1000, 2),
        evidence=evidence,
        repro=evidence[0].repro() if evidence and outcome in (Outcome.FAILED, Outcome.ERROR) else None,
    )


def _classify(call: pytest.CallInfo[None], report: pytest.TestReport, *, builtin: bool = False
              ) -> tuple[Outcome, str, str | None, str | None, list[Exchange]]:
    """A check's outcome from what it raised.

    A plain ``assert`` is how a district's own check fails the vendor; edcert's own checks fail a vendor
    only through ``Failure``, so an AssertionError inside them is a defect of edcert: ``error``, never a
    verdict against the vendor.
    """
    excinfo = call.excinfo
    if excinfo is None:
        return Outcome.PASSED, "", None, None, []
    exc = excinfo.value
    if isinstance(exc, NotApplicable):
        return Outcome.NOT_APPLICABLE, exc.reason, None, None, []
    if isinstance(exc, pytest.skip.Exception):
        return Outcome.SKIPPED, str(exc.msg or "skipped"), None, None, []
    if isinstance(exc, Failure):
        return Outcome.FAILED, exc.message, exc.expected, exc.received, exc.exchanges
    if isinstance(exc, AssertionError) and not builtin:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else "assertion failed"
        return Outcome.FAILED, text, None, None, []
    if isinstance(exc, HarnessError):
        return Outcome.ERROR, str(exc), None, None, list(exc.exchanges)
    if isinstance(exc, pytest.fail.Exception):
        return Outcome.FAILED, str(exc.msg), None, None, []
    where = report.location[0] if report.location else "?"
    return Outcome.ERROR, f"edcert could not decide: {type(exc).__name__}: {exc} ({where})", None, None, []

