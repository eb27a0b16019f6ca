"""A fast yes/no answer to "does this record have no issue at all?", compiled once per shape.

Almost every record of a real roster is clean, and walking it property by property to find nothing
costs most of a large district's run. So each :class:`~edcert.conformance.oneroster.models.Shape` is
compiled into straight-line Python (one function, no calls per property) that answers True only when
:func:`~edcert.conformance.oneroster.models.validate` would find no issue. Anything unusual (an
extension value, an unexpected type, an exception) answers False, and the full walk then says what is
wrong: the compiled test may be stricter than the walk, never more lenient.

Dates and date-times repeat a lot (a district's records share a few hundred modification stamps), so
the ones that passed the calendar test are remembered.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_never

from edcert.conformance.oneroster import models
from edcert.conformance.oneroster.models import Kind, Prop, Shape

_MEMO_CAP = 200_000
_good_dates: set[str] = set()
_good_datetimes: set[str] = set()


def _date_ok(value: object) -> bool:
    if models.is_date(value):
        if len(_good_dates) < _MEMO_CAP:
            _good_dates.add(value)  # type: ignore[arg-type]  # is_date says it is a str
        return True
    return False


def _datetime_ok(value: object) -> bool:
    if models.is_datetime(value):
        if len(_good_datetimes) < _MEMO_CAP:
            _good_datetimes.add(value)  # type: ignore[arg-type]  # is_datetime says it is a str
        return True
    return False


class _Compiler:
    def __init__(self) -> None:
        self.names: dict[str, Any] = {
            "str": str, "list": list, "dict": dict, "type": type,
            "GOOD_DATES": _good_dates, "GOOD_DATETIMES": _good_datetimes,
            "date_ok": _date_ok, "datetime_ok": _datetime_ok, "is_year": models.is_year,
            "STATUSES": frozenset(models.STATUSES),
        }
        self.counter = 0

    def constant(self, value: object) -> str:
        self.counter += 1
        name = f"C{self.counter}"
        self.names[name] = value
        return name

    def var(self) -> str:
        self.counter += 1
        return f"v{self.counter}"

    def shape(self, rec: str, shape: Shape, out: list[str], indent: str) -> None:
        if not shape.open:
            out.append(f"{indent}if not {rec}.keys() <= {self.constant(frozenset(shape.props))}: return False")
        for name, prop in shape.props.items():
            v = self.var()
            out.append(f"{indent}{v} = {rec}.get({name!r})")
            if prop.required:
                # no "is None" test of its own: every value test below refuses None (a missing property)
                self.value(v, prop, out, indent)
            else:
                inner: list[str] = []
                self.value(v, prop, inner, indent + "    ")
                if inner:
                    out.append(f"{indent}if {v} is not None:")
                    out.extend(inner)

    def ref(self, v: str, ref_type: str, out: list[str], indent: str) -> None:
        # as many keys as a reference has: with type, href and sourcedId required below, no other key (cheaper
        # than ``keys() <= {...}``; were GUIDRef's properties ever to change, this test would only grow stricter)
        out.append(f"{indent}if type({v}) is not dict or len({v}) != {len(models.GUIDREF.props)} or {v}.get('type') != "
                   f"{ref_type!r}: return False")
        for key in ("href", "sourcedId"):
            w = self.var()
            out.append(f"{indent}{w} = {v}.get({key!r})")
            out.append(f"{indent}if type({w}) is not str or not {w}.strip(): return False")

    def value(self, v: str, prop: Prop, out: list[str], indent: str) -> None:
        kind = prop.kind
        if kind is Kind.STRING:
            out.append(f"{indent}if type({v}) is not str: return False")
        elif kind is Kind.ID:
            out.append(f"{indent}if type({v}) is not str or not {v}.strip(): return False")
        elif kind is Kind.STRINGS:
            w = self.var()
            out.append(f"{indent}if type({v}) is not list or len({v}) < {prop.min_items}: return False")
            out.append(f"{indent}for {w} in {v}:")
            out.append(f"{indent}    if type({w}) is not str: return False")
        elif kind is Kind.REF:
            self.ref(v, prop.ref_type, out, indent)
        elif kind is Kind.REFS:
            w = self.var()
            out.append(f"{indent}if type({v}) is not list or len({v}) < {prop.min_items}: return False")
            out.append(f"{indent}for {w} in {v}:")
            self.ref(w, prop.ref_type, out, indent + "    ")
        elif kind is Kind.DATE:
            out.append(f"{indent}if type({v}) is not str or ({v} not in GOOD_DATES and not date_ok({v})): "
                       "return False")
        elif kind is Kind.DATETIME:
            out.append(f"{indent}if type({v}) is not str or ({v} not in GOOD_DATETIMES and not datetime_ok({v})): "
                       "return False")
        elif kind is Kind.YEAR:
            out.append(f"{indent}if not is_year({v}): return False")
        elif kind is Kind.ENUM:
            # extension values (ext:...) are rare: the full walk judges them
            out.append(f"{indent}if type({v}) is not str or {v} not in {self.constant(frozenset(prop.values))}: "
                       "return False")
        elif kind is Kind.BOOL:
            out.append(f"{indent}if {v} != 'true' and {v} != 'false': return False")
        elif kind is Kind.STATUS:
            out.append(f"{indent}if type({v}) is not str or {v} not in STATUSES: return False")
        elif kind is Kind.NUMBER:
            out.append(f"{indent}if type({v}) is not int and type({v}) is not float: return False")
        elif kind in (Kind.OBJECT, Kind.OPEN):
            out.append(f"{indent}if type({v}) is not dict: return False")
            if kind is Kind.OBJECT and prop.shape is not None:
                self.shape(v, prop.shape, out, indent)
        elif kind is Kind.OBJECTS:
            w = self.var()
            out.append(f"{indent}if type({v}) is not list or len({v}) < {prop.min_items}: return False")
            out.append(f"{indent}for {w} in {v}:")
            out.append(f"{indent}    if type({w}) is not dict: return False")
            if prop.shape is not None:
                self.shape(w, prop.shape, out, indent + "    ")
        else:  # a new Kind must be compiled here too (mypy sees every Kind handled above)
            assert_never(kind)


def compile_shape(shape: Shape) -> Callable[[dict[str, Any]], bool]:
    """``clean(record)``: True only if ``validate(record, shape)`` finds nothing (False may still be clean)."""
    compiler = _Compiler()
    body: list[str] = []
    compiler.shape("r", shape, body, "        ")
    source = "def clean(r):\n    try:\n        if type(r) is not dict: return False\n" + "\n".join(body) + \
        "\n    except Exception:\n        return False\n    return True\n"
    namespace = dict(compiler.names)
    exec(compile(source, f"<edcert clean {shape.name}>", "exec"), namespace)  # noqa: S102 - our own generated code
    clean: Callable[[dict[str, Any]], bool] = namespace["clean"]
    return clean


_COMPILED: dict[int, tuple[Shape, Callable[[dict[str, Any]], bool]]] = {}


def clean_test(shape: Shape) -> Callable[[dict[str, Any]], bool]:
    """The compiled test of ``shape`` (compiled on first use)."""
    found = _COMPILED.get(id(shape))
    if found is None or found[0] is not shape:
        found = _COMPILED[id(shape)] = (shape, compile_shape(shape))
    return found[1]
