"""Data model: every Gradebook record matches its version's model (required properties, vocabularies, formats).

No request of its own: the cached collections are validated once (``oneroster/models.py``'s validator with
the Gradebook shapes of ``_models.py``) and the problems partitioned by rule, so one kind of defect fails
one check. A collection that cannot be read is left to its operation check.
"""
from __future__ import annotations

import pytest

from edcert.conformance.oneroster._service import Flavor, check_model, register
from edcert.conformance.oneroster.models import Rule, Shape
from edcert.conformance.oneroster_gradebook._fixtures import FLAVORS, entities, session
from edcert.conformance.oneroster_gradebook._models import ENTITIES

# (rules, id suffix, requirement, level, title, why, remediation)
RULE_CHECKS = (
    ((Rule.ENUM, Rule.STATUS), "VOCAB", "required", "Vocabulary values (scoreStatus, status) are the model's",
     "A score marked with a status the district's systems do not know is read as no score at all.",
     "Use the exact values: scoreStatus exempt | fully graded | not submitted | partially graded | submitted "
     "(or ext:...), status active | tobedeleted (lower case, spaces as shown)."),
    ((Rule.FORMAT,), "FORMAT", "required", "Dates are YYYY-MM-DD and date-times RFC 3339 where the model says so",
     "Due dates and score dates in the wrong format land on the wrong day, or nowhere, in the district's systems.",
     "Serve assignDate, dueDate and dateLastModified as RFC 3339 date-times (2026-09-11T23:59:00Z) and "
     "scoreDate as a date (2026-09-14)."),
    ((Rule.GUIDREF,), "GUIDREF", "required", "References are {href, sourcedId, type} with the right type",
     "A score that does not say which assignment and student it belongs to cannot be placed in a gradebook.",
     "Serve every reference (lineItem, student, class, school, category, scoreScale...) as an object with href, "
     "sourcedId and type, type being the referenced entity (lineItem, user, class, org, category...)."),
    ((Rule.BOOLEAN,), "BOOLEAN", "required", 'Flags (late, missing, inProgress, incomplete) are "true"/"false"',
     "A late or missing flag in the wrong form is silently dropped, and a teacher's note about it is lost.",
     'Serve inProgress, incomplete, late and missing as the strings "true" or "false", not JSON booleans.'),
    ((Rule.EXTRA,), "EXTRA", "recommended", "No properties outside the 1.2 model (extensions go in metadata)",
     "Strict consumers reject records with unknown properties, so extensions belong in metadata.",
     "Move vendor-specific properties into the record's metadata object."),
)


def _declare(flavor: Flavor) -> None:
    served = entities(flavor)
    shapes = {endpoint: entry[2] for endpoint, entry in served.items()}
    for n, (endpoint, (_key, _one, shape, plural, _noun)) in enumerate(ENTITIES.items(), start=1):
        if endpoint not in served:
            continue
        shape = shapes[endpoint]
        level = "recommended" if endpoint.startswith("assessment") else "required"

        def entity(request: pytest.FixtureRequest, _f: Flavor = flavor, _e: str = endpoint,
                   _s: Shape = shape) -> None:
            check_model(session(request, _f), {_e: _s}, (Rule.REQUIRED, Rule.TYPE),
                        f"every required {_e} property present, every property of its JSON type")

        required = ", ".join(name for name, prop in shape.props.items() if prop.required)
        register(globals(), entity, f"check_{flavor.prefix.lower()}_model_{endpoint}", flavor, "data-model", dict(
            id=f"{flavor.prefix}-DM-{n:03d}", level=level, tags=("gradebook",),
            requirements=(flavor.requirement(f"DM-{shape.name.upper()}"),),
            title=f"Every {shape.name} carries its required properties, each of the right JSON type",
            why=f"The district's systems cannot use {plural} that lack what the standard requires.",
            remediation=f"Serve every {shape.name} with {required}; numbers (score, weight, resultValueMin/Max) as "
                        "JSON numbers, lists as lists.",
            ref=f"{flavor.openapi}: " + (shape.name if flavor.v1p1 else
                                          f"components.schemas.{shape.name[0].upper()}{shape.name[1:]}DType"),
        ))
    for n, (rules, suffix, level, title, why, remediation) in enumerate(RULE_CHECKS, start=len(ENTITIES) + 1):
        if flavor.v1p1 and Rule.BOOLEAN in rules:
            continue  # 1.1 results have none of the 1.2 string-boolean flags
        if flavor.v1p1:
            title = title.replace("1.2", "1.1")

        def rule(request: pytest.FixtureRequest, _f: Flavor = flavor, _r: tuple[Rule, ...] = rules,
                 _t: str = title) -> None:
            check_model(session(request, _f), shapes, _r, _t)

        register(globals(), rule, f"check_{flavor.prefix.lower()}_model_{suffix.lower()}", flavor, "data-model",
                 dict(id=f"{flavor.prefix}-DM-{n:03d}", level=level, tags=("gradebook",),
                      requirements=(flavor.requirement(f"DM-{suffix}"),), title=title, why=why,
                      remediation=remediation,
                      ref=f"{flavor.openapi}" + ("" if flavor.v1p1 else ": components.schemas")))


for _flavor in FLAVORS:
    _declare(_flavor)
