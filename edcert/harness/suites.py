"""Suite discovery: the harness finds suites through entry points, never by name.

A suite is a package of checks for one or more standards. It registers itself
in the ``edcert.suites`` entry-point group with a module that defines
``SUITE = Suite(...)``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from edcert.harness.errors import HarnessError

GROUP = "edcert.suites"


@dataclass(frozen=True)
class Suite:
    """A package of checks.

    Attributes:
        name: Short name, e.g. ``oneroster``.
        standards: The standards its checks belong to.
        path: The directory pytest collects the checks from.
        plugin: A module with the suite's session fixtures, registered as a pytest plugin.
        phases: The phases its checks belong to: a run of other phases neither imports nor collects it
            (the fuzz suite's imports alone, schemathesis and hypothesis, take seconds).
    """

    name: str
    standards: tuple[str, ...]
    path: Path
    plugin: str
    phases: tuple[str, ...] = ("conformance",)


def discover_suites() -> list[Suite]:
    """Every installed suite, in name order."""
    suites = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            module = importlib.import_module(ep.value)
        except ImportError as exc:
            raise HarnessError(f"suite {ep.name!r} cannot be imported: {exc}") from exc
        suite = getattr(module, "SUITE", None)
        if not isinstance(suite, Suite):
            raise HarnessError(f"suite {ep.name!r} ({ep.value}) defines no SUITE")
        suites.append(suite)
    return suites


def suites_for(standards: list[str] | tuple[str, ...], phases: tuple[str, ...]) -> list[Suite]:
    """The installed suites a run of these standards and phases needs.

    A conformance suite is always kept: its fixtures serve the other phases' checks too (its own checks are
    deselected by phase); a suite of other phases only is left out unless one of its phases runs.
    """
    return [s for s in discover_suites() if set(s.standards) & set(standards)
            and ("conformance" in s.phases or set(s.phases) & set(phases))]


def load_all_checks() -> None:
    """Import every suite's check modules so the registry is complete (for `edcert checks`)."""
    for suite in discover_suites():
        package = suite.plugin.rsplit(".", 1)[0]
        for path in sorted(suite.path.glob("*.py")):
            if not path.name.startswith("_"):
                importlib.import_module(f"{package}.{path.stem}")
