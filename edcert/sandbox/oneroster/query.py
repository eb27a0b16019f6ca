"""Parsing and evaluation of the OneRoster 1.2 collection query parameters.

Pure functions, no HTTP and no faults: the app decides what to do with what is
parsed here (that is where the faults hook in).

``filter`` grammar (1.2 REST binding, section 3.4.1)::

    filter  := clause [ SP logical SP clause ]
    clause  := field predicate "'" value "'"
    logical := "AND" | "OR"                          (upper case)
    predicate := "=" | "!=" | ">" | ">=" | "<" | "<=" | "~"

Whitespace around a predicate is tolerated; a quote inside a value is written
twice (``'O''Hara'``). At most one logical operator (two clauses).

Extensions (documented, harmless for conformant clients):

- dotted paths: one level into a GUIDRef (``school.sourcedId``), into
  elements of object lists (``roles.role``, ``roles.org.sourcedId``,
  ``userIds.identifier``) and anywhere below ``metadata``; a list matches
  when any of its elements matches (``!=`` when none equals);
- a bare GUIDRef field (``school='x'``) compares its sourcedId;
- ``sort`` accepts the same paths (the first value is the sort key).

Comparisons are on strings (ISO dates and RFC 3339 date-times in one format
compare correctly as strings); ``~`` is a case-insensitive substring test.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from edcert.sandbox.oneroster.model import GUIDREF, Shape

JSON = dict[str, Any]

INVALID_FILTER_FIELD = "invalid_filter_field"
INVALID_SELECTION_FIELD = "invalid_selection_field"
INVALID_DATA = "invaliddata"


class QueryError(Exception):
    """A 400 answer: codeMinor + description."""

    def __init__(self, code_minor: str, description: str) -> None:
        super().__init__(description)
        self.code_minor = code_minor
        self.description = description


@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    value: str

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.field.split("."))


@dataclass(frozen=True)
class Filter:
    clauses: tuple[Clause, ...]
    logical: str | None  # "AND" | "OR" | None


_FIELD = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_CLAUSE = rf"({_FIELD})\s*(!=|>=|<=|=|>|<|~)\s*'((?:[^']|'')*)'"
_FILTER_RE = re.compile(rf"\s*{_CLAUSE}(?:\s+(AND|OR)\s+{_CLAUSE})?\s*", re.DOTALL)


def parse_filter(text: str) -> Filter:
    """Parse a filter expression; raise ``QueryError(invalid_filter_field)`` when malformed."""
    m = _FILTER_RE.fullmatch(text)
    if m is None:
        raise QueryError(
            INVALID_FILTER_FIELD,
            f"malformed filter {text!r}: expected field<op>'value' [AND|OR field<op>'value'] "
            "with op one of = != > >= < <= ~",
        )
    first = Clause(m.group(1), m.group(2), m.group(3).replace("''", "'"))
    if m.group(4) is None:
        return Filter((first,), None)
    second = Clause(m.group(5), m.group(6), m.group(7).replace("''", "'"))
    return Filter((first, second), m.group(4))


def valid_path(shape: Shape, parts: Sequence[str], *, leaf_objects: bool = False) -> bool:
    """Is ``parts`` (a dotted path) a comparable property of ``shape``?"""
    if not parts:
        return False
    prop = shape.props.get(parts[0])
    if prop is None:
        return False
    rest = parts[1:]
    if prop.kind == "open":
        return bool(rest) or leaf_objects
    if not rest:
        return prop.kind in ("str", "strs", "ref", "refs") or leaf_objects
    if prop.kind in ("ref", "refs"):
        return len(rest) == 1 and rest[0] in GUIDREF
    if prop.kind in ("obj", "objs") and prop.shape is not None:
        return valid_path(prop.shape, rest, leaf_objects=leaf_objects)
    return False


def values_at(node: Any, parts: Sequence[str]) -> list[str]:
    """The string values found at ``parts`` below ``node`` (lists are flattened)."""
    if isinstance(node, list):
        out: list[str] = []
        for item in node:
            out.extend(values_at(item, parts))
        return out
    if not parts:
        if isinstance(node, str):
            return [node]
        if isinstance(node, dict):
            ref_id = node.get("sourcedId")
            return [ref_id] if isinstance(ref_id, str) else []
        return []
    if isinstance(node, dict) and parts[0] in node:
        return values_at(node[parts[0]], parts[1:])
    return []


def clause_matches(
    record: JSON, clause: Clause, *, gt_inclusive: bool = False, contains_exact: bool = False
) -> bool:
    values = values_at(record, clause.parts)
    op, want = clause.op, clause.value
    if op == "=":
        return want in values
    if op == "!=":
        return want not in values
    if op == "~" and contains_exact:
        return want in values
    if op == "~":
        needle = want.casefold()
        return any(needle in v.casefold() for v in values)
    if op == ">":
        return any(v >= want for v in values) if gt_inclusive else any(v > want for v in values)
    if op == ">=":
        return any(v >= want for v in values)
    if op == "<":
        return any(v < want for v in values)
    if op == "<=":
        return any(v <= want for v in values)
    raise AssertionError(f"unknown predicate {op!r}")  # the parser admits no other


def filter_matches(
    record: JSON, flt: Filter, *, gt_inclusive: bool = False, or_as_and: bool = False,
    contains_exact: bool = False,
) -> bool:
    results = (
        clause_matches(record, c, gt_inclusive=gt_inclusive, contains_exact=contains_exact) for c in flt.clauses
    )
    if flt.logical == "OR" and not or_as_and:
        return any(results)
    return all(results)


def sort_key(record: JSON, parts: Sequence[str]) -> tuple[str, str]:
    values = values_at(record, parts)
    return (values[0] if values else "", str(record.get("sourcedId", "")))


_INT_RE = re.compile(r"[0-9]{1,10}")


def parse_int(raw: str | None, name: str, *, default: int, minimum: int) -> int:
    if raw is None:
        return default
    if not _INT_RE.fullmatch(raw) or int(raw) < minimum or int(raw) > 2**31 - 1:
        raise QueryError(INVALID_DATA, f"{name} must be an integer >= {minimum}, got {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class FieldSelection:
    known: tuple[str, ...]
    unknown: tuple[str, ...]
    repeated: bool  # given as fields=a&fields=b rather than fields=a,b


def parse_fields(raw_values: Sequence[str], shape: Shape) -> FieldSelection:
    """Parse ``fields`` given comma-separated, repeated, or both; blank names are an error."""
    names: list[str] = []
    for raw in raw_values:
        for name in raw.split(","):
            name = name.strip()
            if not name:
                raise QueryError(INVALID_SELECTION_FIELD, f"blank field name in fields={raw!r}")
            if name not in names:
                names.append(name)
    known = tuple(n for n in names if n in shape.props)
    unknown = tuple(n for n in names if n not in shape.props)
    return FieldSelection(known, unknown, repeated=len(raw_values) > 1)
