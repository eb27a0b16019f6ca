"""How a check's exception becomes its outcome: only a vendor defect may fail a vendor."""
from __future__ import annotations

import pytest

from edcert.harness.errors import Failure, HarnessError
from edcert.harness.scorecard import Outcome
from edcert.plugin import _classify


def _outcome(exc: BaseException, *, builtin: bool) -> tuple[Outcome, str]:
    def boom() -> None:
        raise exc

    call = pytest.CallInfo.from_call(boom, "call", reraise=None)
    report = pytest.TestReport("x.py::t", ("x.py", 1, "t"), {}, "failed", None, "call")
    outcome, message, *_ = _classify(call, report, builtin=builtin)
    return outcome, message


def test_a_plain_assert_fails_a_districts_own_check() -> None:
    assert _outcome(AssertionError("grade level missing"), builtin=False) == (Outcome.FAILED, "grade level missing")


def test_an_assert_inside_edcerts_own_check_is_an_edcert_error_not_a_vendor_failure() -> None:
    outcome, message = _outcome(AssertionError("Expected code to be unreachable"), builtin=True)
    assert outcome is Outcome.ERROR
    assert "could not decide" in message and "AssertionError" in message


@pytest.mark.parametrize("builtin", [True, False])
def test_failure_fails_and_harness_error_errors_either_way(builtin: bool) -> None:
    assert _outcome(Failure("no 401"), builtin=builtin)[0] is Outcome.FAILED
    assert _outcome(HarnessError("timeout budget"), builtin=builtin)[0] is Outcome.ERROR
