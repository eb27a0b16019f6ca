"""The three ways a check can end badly, kept apart (STYLE.md habit 4).

* :class:`Failure` — the vendor broke a requirement. Outcome ``failed``.
* :class:`NotApplicable` — the data has nothing to test. Outcome ``not_applicable``.
* :class:`HarnessError` and subclasses — edcert itself could not decide.
  Outcome ``error``, never ``passed``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from edcert.harness.evidence import Exchange


class Failure(AssertionError):
    """The vendor broke the requirement the check enforces.

    Args:
        message: One sentence saying what is wrong, without student personal data.
        expected: What the requirement asks for.
        received: What the vendor did instead.
        exchanges: The recorded HTTP exchanges that prove it.
    """

    def __init__(
        self,
        message: str,
        *,
        expected: Any = None,
        received: Any = None,
        exchanges: list[Exchange] | tuple[Exchange, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.expected = None if expected is None else str(expected)
        self.received = None if received is None else str(received)
        self.exchanges = list(exchanges)


class VendorTimeout(Failure):
    """The vendor did not answer within the configured timeout."""


class NotApplicable(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """The vendor's data has nothing this check can test.

    Subclassing pytest's skip exception keeps pytest's own bookkeeping right;
    the plugin tells it apart from a plain skip.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(msg=reason)
        self.reason = reason


class HarnessError(Exception):
    """edcert could not decide (outcome ``error``).

    Args:
        message: What went wrong.
        exchanges: The recorded HTTP exchanges behind it, if any (kept as evidence).
    """

    def __init__(self, message: str = "", *, exchanges: list[Exchange] | tuple[Exchange, ...] = ()) -> None:
        super().__init__(message)
        self.exchanges = list(exchanges)


class ConfigError(HarnessError):
    """The vendor configuration or command line is wrong (exit code 2)."""


class VendorUnreachable(HarnessError):
    """No connection could be made to the vendor."""


class TokenError(HarnessError):
    """The vendor's token endpoint refused the configured credentials."""


class TLSRejected(VendorUnreachable):
    """The vendor's TLS certificate does not verify (self-signed, unknown CA, wrong host, expired)."""


class WriteRefused(HarnessError):
    """edcert refused to send a write (POST, PUT, PATCH, DELETE) the vendor configuration does not allow."""


class BudgetExhausted(HarnessError):
    """The run's time budget (``run_budget``) is spent: edcert sends no more requests to this vendor."""


class VendorBrokeConnection(Failure):
    """The vendor dropped the connection in the middle of an answer (the body is incomplete)."""
