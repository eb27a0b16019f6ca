"""The check registry: one decorator carries a check's metadata.

A check is one requirement of one standard, tested one way. Built-in suites
and a district's own checks use the same public :func:`check` decorator.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
_REQUIREMENT_RE = re.compile(r"^[A-Z][A-Z0-9]*-REQ(-[A-Za-z0-9]+)+$")


class Level(StrEnum):
    """How strongly the spec asks for it: MUST, SHOULD or MAY."""

    REQUIRED = "required"
    RECOMMENDED = "recommended"
    OPTIONAL = "optional"


@dataclass(frozen=True)
class CheckSpec:
    """The metadata of one check."""

    id: str
    standard: str
    category: str
    level: Level
    title: str
    why: str
    remediation: str
    ref: str
    tags: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    module: str = ""
    qualname: str = ""
    func: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for private in ("func", "module", "qualname"):
            data.pop(private)
        data["level"] = self.level.value
        data["tags"] = list(self.tags)
        data["requirements"] = list(self.requirements)
        return data


class DuplicateCheckError(ValueError):
    """Two different functions claimed the same check id."""


class Registry:
    """Checks by id. Registering the same function twice is a no-op."""

    def __init__(self) -> None:
        self._checks: dict[str, CheckSpec] = {}

    def add(self, spec: CheckSpec) -> None:
        known = self._checks.get(spec.id)
        if known is not None and (known.module, known.qualname) != (spec.module, spec.qualname):
            raise DuplicateCheckError(
                f"check id {spec.id!r} is declared twice: {known.module}.{known.qualname} "
                f"and {spec.module}.{spec.qualname}"
            )
        self._checks[spec.id] = spec

    def get(self, check_id: str) -> CheckSpec:
        return self._checks[check_id]

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    def __iter__(self) -> Iterator[CheckSpec]:
        return iter(sorted(self._checks.values(), key=lambda spec: (spec.standard, spec.id)))

    def __len__(self) -> int:
        return len(self._checks)


REGISTRY = Registry()
_ATTR = "__edcert_check__"


def check(
    *,
    id: str,
    standard: str,
    category: str,
    level: Level | str,
    title: str,
    why: str,
    remediation: str,
    ref: str,
    tags: tuple[str, ...] | list[str] = (),
    requirements: tuple[str, ...] | list[str] = (),
) -> Callable[[F], F]:
    """Declare a function as an edcert check.

    Args:
        id: Stable, prefixed id such as ``OR12-PAGE-003``.
        standard: The standard it belongs to, e.g. ``oneroster-1.2``.
        category: auth, discovery, pagination, filtering, sorting, fields,
            errors, data-model, referential-integrity, ...
        level: ``required`` (MUST), ``recommended`` (SHOULD) or ``optional`` (MAY).
        title: One line stating the passing condition.
        why: One plain-language sentence a non-technical reader understands.
        remediation: What the vendor should change when it fails.
        ref: The spec document and section it enforces.
        tags: Free labels, e.g. ``1edtech:rostering-core``.
        requirements: The requirement ids it enforces, e.g. ``OR12-REQ-PAGE-LIMIT``
            (see ``edcert coverage``; edcert's own checks must name at least one).

    Raises:
        DuplicateCheckError: Another function already declared this id.
        ValueError: The metadata is incomplete or malformed.
    """
    if not _ID_RE.match(id):
        raise ValueError(f"check id {id!r} must look like 'OR12-PAGE-003'")
    lvl = Level(level)
    for name, value in (("title", title), ("why", why), ("remediation", remediation), ("ref", ref),
                        ("standard", standard), ("category", category)):
        if not value or not value.strip():
            raise ValueError(f"check {id}: {name} must not be empty")
    for requirement in requirements:
        if not isinstance(requirement, str) or not _REQUIREMENT_RE.match(requirement):
            raise ValueError(f"check {id}: requirement id {requirement!r} must look like 'OR12-REQ-PAGE-LIMIT'")

    def decorate(func: F) -> F:
        spec = CheckSpec(
            id=id, standard=standard, category=category, level=lvl, title=title, why=why,
            remediation=remediation, ref=ref, tags=tuple(tags), requirements=tuple(requirements),
            module=func.__module__, qualname=func.__qualname__, func=func,
        )
        REGISTRY.add(spec)
        setattr(func, _ATTR, spec)
        return func

    return decorate


def spec_of(obj: object) -> CheckSpec | None:
    """The check metadata attached to a function, if it is a check."""
    spec = getattr(obj, _ATTR, None)
    return spec if isinstance(spec, CheckSpec) else None


#: The phases of a run. ``conformance`` (the checks of the standards) runs by default; ``fuzz``
#: (property-based requests, tag ``phase:fuzz``) only when asked for (``edcert run --phase fuzz``).
PHASES = ("conformance", "fuzz")
DEFAULT_PHASES = ("conformance",)


def phase_of(spec: CheckSpec) -> str:
    """The phase a check belongs to: a ``phase:<name>`` tag, else ``conformance``."""
    for tag in spec.tags:
        if tag.startswith("phase:") and tag[6:] in PHASES:
            return tag[6:]
    return "conformance"
