"""The OpenAPI descriptions edcert ships are valid OpenAPI and agree with edcert's entity models."""
from __future__ import annotations

from openapi_spec_validator import validate

from edcert.conformance.fuzz._openapi import ROSTERING_12, dumps, rostering_12, stored
from edcert.conformance.oneroster import models


def test_stored_rostering_document_is_generated_from_the_models() -> None:
    # regenerate with: python -m edcert.conformance.fuzz._openapi
    assert dumps(stored(ROSTERING_12)) == dumps(rostering_12())


def test_rostering_document_is_valid_openapi() -> None:
    validate(stored(ROSTERING_12))  # raises on any violation of the OpenAPI 3.0 schema


def test_rostering_document_describes_the_41_operations_with_scopes() -> None:
    doc = stored(ROSTERING_12)
    operations = [op for item in doc["paths"].values() for op in item.values()]
    assert len(operations) == 41
    scopes = {op["operationId"]: [s["OAuth2CC"][0].rsplit("/", 1)[1] for s in op["security"]] for op in operations}
    assert scopes["getAllUsers"] == ["roster-core.readonly", "roster.readonly"]
    assert scopes["getAllDemographics"] == ["roster-demographics.readonly"]
    assert scopes["getStudentsForClass"] == ["roster.readonly"]
    assert "default" not in {code for op in operations for code in op["responses"]}


def test_every_model_property_and_requirement_is_in_the_document() -> None:
    schemas = stored(ROSTERING_12)["components"]["schemas"]
    for entity, shape in {"user": models.USER, "class": models.CLASS, "org": models.ORG,
                          "enrollment": models.ENROLLMENT, "demographics": models.DEMOGRAPHICS,
                          "academicSession": models.ACADEMIC_SESSION, "course": models.COURSE}.items():
        schema = schemas[entity]
        assert set(schema["properties"]) == set(shape.props), entity
        assert set(schema.get("required", [])) == {n for n, p in shape.props.items() if p.required}, entity
        assert schema["additionalProperties"] is False
    assert schemas["user"]["properties"]["enabledUser"]["enum"] == ["true", "false"]
    assert schemas["class"]["properties"]["terms"]["minItems"] == 1
