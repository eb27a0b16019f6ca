"""The state of one certification run, shared by the plugin, fixtures and writers."""
from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from edcert import __version__
from edcert.harness.config import VendorConfig
from edcert.harness.evidence import EvidenceMode, Recorder, Redactor
from edcert.harness.policy import Policy
from edcert.harness.scorecard import (
    CheckResult,
    Harness,
    Scorecard,
    StandardResult,
    Vendor,
)

# gc_paused: how many blocks hold the pause now, and whether collection was on when the first began
_PAUSE_LOCK = threading.Lock()
_PAUSES = 0
_RESUME = False


class RunState:
    """What a run knows: configuration, evidence, results as they arrive.

    Args:
        config: The validated vendor configuration.
        only: Restrict the run to these standards (``None``: every claimed one).
        evidence_mode: ``masked`` (default) or ``full``.
        policy: The district profile, waivers and vendor attestations the verdicts follow.
        phases: The phases to run (``conformance`` by default; ``fuzz`` on request).
    """

    def __init__(self, config: VendorConfig, *, only: list[str] | None = None,
                 evidence_mode: EvidenceMode = "masked",
                 on_result: Callable[[CheckResult], None] | None = None,
                 policy: Policy | None = None, phases: tuple[str, ...] | None = None) -> None:
        from edcert.harness.registry import DEFAULT_PHASES

        self.config = config
        self.phases = tuple(phases) if phases else DEFAULT_PHASES
        self.policy = policy or Policy()
        self.only = set(only) if only else None
        self.evidence_mode = evidence_mode
        self.redactor = Redactor(evidence_mode, tuple(config.secrets()))
        self.recorder = Recorder(self.redactor)
        self.results: list[CheckResult] = []
        self.harness_errors: list[str] = []
        self.started_at = datetime.now(UTC)
        self.on_result = on_result
        self.complete = True
        self.warnings: list[str] = [INSECURE_WARNING] if config.insecure else []
        self._resources: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def standards(self) -> list[str]:
        claimed = self.config.claimed_standards()
        return [s for s in claimed if self.only is None or s in self.only]

    def resource(self, key: str, factory: Callable[[], Any]) -> Any:
        """One shared object per run (a client, a collection cache), made on first use."""
        with self._lock:
            if key not in self._resources:
                self._resources[key] = factory()
            return self._resources[key]

    def add_result(self, result: CheckResult) -> None:
        self.results.append(result)
        if self.on_result is not None:
            self.on_result(result)

    def close(self) -> None:
        for value in self._resources.values():
            close = getattr(value, "close", None)
            if callable(close):
                close()
        self._resources.clear()
        gc.unfreeze()  # what the run kept out of the garbage collector's scans (keep_out_of_gc) is its again

    @staticmethod
    @contextmanager
    def gc_paused() -> Iterator[None]:
        """Automatic cyclic garbage collection waits while this block (reading a collection) runs.

        Reading a collection allocates hundreds of thousands of dicts that all stay alive; every automatic
        collection on the way rescans those read so far, which more than doubles the cost of decoding them
        (measured: 200,000 records, 2.3 s decoded with collections, 0.9 s without). Nested and concurrent
        blocks (pages read on several threads) share one pause; collection resumes, if it was on, when the
        last one ends. Nothing is lost: reference counting still frees what holds no cycle, and cyclic
        garbage made meanwhile is collected afterwards (or when the run closes, if :meth:`keep_out_of_gc`
        moved it aside with the records).
        """
        global _PAUSES, _RESUME
        with _PAUSE_LOCK:
            if _PAUSES == 0:
                _RESUME = gc.isenabled()
                gc.disable()
            _PAUSES += 1
        try:
            yield
        finally:
            with _PAUSE_LOCK:
                _PAUSES -= 1
                if _PAUSES == 0 and _RESUME:
                    gc.enable()

    @staticmethod
    def keep_out_of_gc() -> None:
        """Move every object alive now out of the cyclic garbage collector's scans until the run closes.

        A run holds the vendor's records (hundreds of thousands of small dicts) until it ends; they hold no
        reference cycles, yet every full collection rescans them all: a quarter of a run's CPU on a
        60,000-record district. Called once a collection is read; :meth:`close` undoes it. Memory is still
        freed by reference counting; only cyclic garbage alive at this moment waits for the run's end.
        """
        gc.freeze()

    def requests_sent(self) -> int:
        return self.recorder.count

    def scorecard(self) -> Scorecard:
        finished = datetime.now(UTC)
        checks = sorted(self.results, key=lambda c: (c.standard, c.id))
        judged = self.policy.judge(checks, self.standards, self.config.claimed_standards(),
                                   self.complete and not self.harness_errors)
        judged.standards = withhold_certification(judged.standards, insecure=self.config.insecure,
                                                  complete=self.complete and not self.harness_errors)
        if self.config.insecure and judged.exit_code == 0:
            judged.exit_code = 1
            judged.reasons.append(INSECURE_WARNING)
        code = judged.exit_code
        vendor = self.config.vendor
        return Scorecard(
            harness=Harness(version=__version__),
            vendor=Vendor(name=vendor.name, product=vendor.product, version=vendor.version),
            started_at=self.started_at,
            finished_at=finished,
            duration_s=round((finished - self.started_at).total_seconds(), 3),
            complete=self.complete and not self.harness_errors,
            evidence_mode=self.evidence_mode,
            gate={"passed": code == 0, "exit_code": code,
                  "harness_errors": [self.redactor.text(e) for e in self.harness_errors],
                  "reasons": judged.reasons},
            requests_sent=self.requests_sent(),
            insecure=self.config.insecure,
            warnings=list(self.warnings),
            **judged.scorecard_fields(),
        )


INSECURE_WARNING = ("TLS certificate verification was OFF (--insecure or verify_tls = false): edcert could not "
                    "tell the vendor from an impostor, so this run cannot certify anything.")


def withhold_certification(standards: list[StandardResult], *, insecure: bool, complete: bool
                           ) -> list[StandardResult]:
    """No standard is certified by an insecure run or by a run that did not finish."""
    reasons = []
    if insecure:
        reasons.append("Not certifiable: TLS certificate verification was turned off (--insecure).")
    if not complete:
        reasons.append("Not certifiable: the run did not finish, so the checks that did not run are unknown.")
    if not reasons:
        return standards
    prefix = " ".join(reasons)
    return [s.model_copy(update={"verdict": "not_certified", "summary": f"{prefix} {s.summary}"})
            for s in standards]
