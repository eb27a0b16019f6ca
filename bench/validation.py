"""P3 validation: edcert's models against JSON decoding (the floor) and jsonschema (the naive peer).

``python -m bench.validation [SIZE]`` (default: large). Every record of the district's flat collections is
serialised as the sandbox pages it (100 records a page), then timed three ways on the same data:

- floor: ``json.loads`` of every page's bytes;
- edcert: ``models.validate`` of every decoded record (its date memo emptied first, so no run is warmer
  than a real one);
- jsonschema: the same rules written as JSON Schema 2020-12 (types, required, enumerations, patterns,
  ``additionalProperties: false``, typed GUIDRefs) validated by ``jsonschema`` with its format checker,
  on every Nth record (it is too slow for all), compared per record with edcert on the same sample.
"""
from __future__ import annotations

import json
import sys
from typing import Any

import jsonschema

from bench._support import best_of, ratio, save
from edcert.conformance.oneroster import _fastcheck, models
from edcert.conformance.oneroster.models import Kind, Prop, Shape
from edcert.fixtures.districts import generate_district

ENDPOINTS = {"orgs": "orgs", "academicSessions": "academicSessions", "courses": "courses", "classes": "classes",
             "users": "users", "enrollments": "enrollments", "demographics": "demographics"}
PAGE = 100
SAMPLE_EVERY = 25


def ref_schema(ref_type: str) -> dict[str, Any]:
    nonempty = {"type": "string", "pattern": r"\S"}
    return {"type": "object", "required": ["href", "sourcedId", "type"], "additionalProperties": False,
            "properties": {"href": nonempty, "sourcedId": nonempty, "type": {"const": ref_type}}}


def prop_schema(prop: Prop) -> dict[str, Any]:
    kind = prop.kind
    if kind is Kind.STRING:
        return {"type": "string"}
    if kind is Kind.ID:
        return {"type": "string", "pattern": r"\S"}
    if kind is Kind.STRINGS:
        return {"type": "array", "items": {"type": "string"}, "minItems": prop.min_items}
    if kind is Kind.REF:
        return ref_schema(prop.ref_type)
    if kind is Kind.REFS:
        return {"type": "array", "items": ref_schema(prop.ref_type), "minItems": prop.min_items}
    if kind is Kind.DATE:
        return {"type": "string", "format": "date"}
    if kind is Kind.DATETIME:
        return {"type": "string", "format": "date-time"}
    if kind is Kind.YEAR:
        return {"type": "string", "pattern": r"^\d{4}$"}
    if kind is Kind.ENUM:
        allowed: list[dict[str, Any]] = [{"enum": list(prop.values)}]
        if prop.extensible:
            allowed.append({"type": "string", "pattern": r"^ext:[a-zA-Z0-9.\-_]+$"})
        return {"anyOf": allowed}
    if kind is Kind.BOOL:
        return {"enum": ["true", "false"]}
    if kind is Kind.STATUS:
        return {"enum": list(models.STATUSES)}
    if kind is Kind.OBJECT:
        return shape_schema(prop.shape) if prop.shape else {"type": "object"}
    if kind is Kind.OBJECTS:
        items = shape_schema(prop.shape) if prop.shape else {"type": "object"}
        return {"type": "array", "items": items, "minItems": prop.min_items}
    return {"type": "object"}


def shape_schema(shape: Shape) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": shape.open,
            "required": [n for n, p in shape.props.items() if p.required],
            "properties": {n: prop_schema(p) for n, p in shape.props.items()}}


def pages_of(records: list[dict[str, Any]], key: str) -> list[bytes]:
    return [json.dumps({key: records[i:i + PAGE]}).encode() for i in range(0, len(records), PAGE)]


def main(size: str = "large") -> dict[str, Any]:
    district = generate_district(size).to_dict()
    data = {e: district[e] for e in ENDPOINTS}
    pages = {e: pages_of(rs, e) for e, rs in data.items()}
    n_records = sum(len(rs) for rs in data.values())
    n_bytes = sum(len(p) for ps in pages.values() for p in ps)
    shapes = {e: models.SHAPES[e] for e in ENDPOINTS}

    def decode() -> None:
        for ps in pages.values():
            for p in ps:
                json.loads(p)

    def validate_all(sample: dict[str, list[dict[str, Any]]]) -> int:
        _fastcheck._good_dates.clear()
        _fastcheck._good_datetimes.clear()
        issues = 0
        for e, rs in sample.items():
            shape = shapes[e]
            for r in rs:
                issues += len(models.validate(r, shape))
        return issues

    assert validate_all(data) == 0, "the conformant district must validate clean"
    decode_s = best_of(3, decode)
    edcert_s = best_of(3, lambda: validate_all(data))

    sample = {e: rs[::SAMPLE_EVERY] for e, rs in data.items()}
    n_sample = sum(len(rs) for rs in sample.values())
    validators = {e: jsonschema.Draft202012Validator(shape_schema(s), format_checker=jsonschema.FormatChecker())
                  for e, s in shapes.items()}

    def jsonschema_all() -> None:
        for e, rs in sample.items():
            v = validators[e]
            for r in rs:
                if not v.is_valid(r):
                    raise AssertionError(f"jsonschema rejects a conformant {e} record")

    peer_s = best_of(1, jsonschema_all)
    edcert_sample_s = best_of(3, lambda: validate_all(sample))
    figures = {
        "size": size, "records": n_records, "bytes": n_bytes,
        "decode_s": round(decode_s, 3), "edcert_s": round(edcert_s, 3),
        "decode_us_per_record": round(decode_s / n_records * 1e6, 2),
        "edcert_us_per_record": round(edcert_s / n_records * 1e6, 2),
        "vs_decode": ratio(edcert_s, decode_s), "vs_decode_target": 2.0,
        "jsonschema_sample_records": n_sample,
        "jsonschema_us_per_record": round(peer_s / n_sample * 1e6, 2),
        "edcert_sample_us_per_record": round(edcert_sample_s / n_sample * 1e6, 2),
        "jsonschema_over_edcert": ratio(peer_s, edcert_sample_s), "jsonschema_over_edcert_target": 10.0,
    }
    figures["met"] = figures["vs_decode"] <= 2.0 and figures["jsonschema_over_edcert"] >= 10.0
    save("validation", figures)
    return figures


if __name__ == "__main__":
    main(*sys.argv[1:])
