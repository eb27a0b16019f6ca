"""The OpenAPI descriptions edcert ships are valid OpenAPI and agree with edcert's entity models."""
from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from edcert.conformance.fuzz._openapi import (
    GENERATORS,
    GRADEBOOK_12,
    RESOURCES_12,
    ROSTERING_11,
    ROSTERING_12,
    dumps,
    stored,
)
from edcert.conformance.oneroster import models
from edcert.conformance.oneroster_gradebook import _models as gradebook
from edcert.conformance.oneroster_resources._fixtures import RESOURCE


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_stored_document_is_generated_from_the_models(name: str) -> None:
    # regenerate with: python -m edcert.conformance.fuzz._openapi
    assert dumps(stored(name)) == dumps(GENERATORS[name]())


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_stored_document_is_valid_openapi(name: str) -> None:
    validate(stored(name))  # raises on any violation of the OpenAPI 3.0 schema


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


def _scopes(name: str) -> dict[str, list[str]]:
    operations = [op for item in stored(name)["paths"].values() for op in item.values()]
    assert all(set(item) == {"get"} for item in stored(name)["paths"].values())  # reads only
    return {op["operationId"]: [s["OAuth2CC"][0].rsplit("/", 1)[1] for s in op["security"]] for op in operations}


def test_gradebook_document_describes_its_19_reads_from_the_gradebook_models() -> None:
    scopes = _scopes(GRADEBOOK_12)
    assert len(scopes) == 19
    assert scopes["getAllLineItems"] == ["gradebook-core.readonly", "gradebook.readonly"]
    assert scopes["getAssessmentResult"] == ["assessment.readonly"]
    assert scopes["getResultsForStudentForClass"] == ["gradebook.readonly"]
    schemas = stored(GRADEBOOK_12)["components"]["schemas"]
    for _collection, single, shape, _many, _one in gradebook.ENTITIES.values():
        assert set(schemas[single]["properties"]) == set(shape.props), single
        assert set(schemas[single].get("required", [])) == {n for n, p in shape.props.items() if p.required}
    assert schemas["result"]["properties"]["score"] == {"type": "number", "nullable": True}
    assert schemas["scoreScale"]["properties"]["scoreScaleValue"]["minItems"] == 1
    assert schemas["lineItem"]["properties"]["category"] == {"$ref": "#/components/schemas/CategoryGUIDRef"}


def test_resources_document_describes_its_5_reads_from_the_resource_model() -> None:
    scopes = _scopes(RESOURCES_12)
    assert scopes == {"getAllResources": ["resource-core.readonly", "resource.readonly"],
                      "getResource": ["resource-core.readonly", "resource.readonly"],
                      "getResourcesForClass": ["resource.readonly"], "getResourcesForCourse": ["resource.readonly"],
                      "getResourcesForUser": ["resource.readonly"]}
    schema = stored(RESOURCES_12)["components"]["schemas"]["resource"]
    assert set(schema["properties"]) == set(RESOURCE.props)
    assert schema["required"] == ["sourcedId", "status", "dateLastModified", "vendorResourceId"]


def test_v1p1_document_says_oauth1_the_1p1_user_and_the_status_envelope() -> None:
    from edcert.conformance.oneroster11 import models as v1p1

    doc = stored(ROSTERING_11)
    assert doc["servers"] == [{"url": "/ims/oneroster/v1p1"}] and doc["info"]["version"] == "1.1"
    assert doc["components"]["securitySchemes"] == {"OAuth1": {
        "type": "http", "scheme": "OAuth", "description": "OAuth 1.0a signed requests (HMAC-SHA256), RFC 5849."}}
    operations = [op for item in doc["paths"].values() for op in item.values()]
    assert len(operations) == 41 and all(op["security"] == [{"OAuth1": []}] for op in operations)
    schemas = doc["components"]["schemas"]
    assert set(schemas["user"]["properties"]) == set(v1p1.USER.props)
    assert {"role", "orgs", "username"} <= set(schemas["user"]["required"])
    assert "roles" not in schemas["user"]["properties"]
    assert schemas["demographics"]["properties"]["sex"]["enum"] == ["male", "female"]
    users = doc["paths"]["/users"]["get"]["responses"]
    assert users["404" if "404" in users else "400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/imsx_StatusInfoSet"}
    assert "statusInfoSet" in users["200"]["content"]["application/json"]["schema"]["properties"]


def test_edfi_document_describes_the_model_resources_reads_and_writes() -> None:
    from edcert.conformance.fuzz._openapi_edfi import EDFI_API, MAX_LIMIT
    from edcert.fixtures.edfi import RESOURCES

    doc = stored(EDFI_API)
    assert doc["servers"] == [{"url": "/data/v3"}]
    assert set(doc["paths"]) == {p for name in RESOURCES for p in (f"/ed-fi/{name}", f"/ed-fi/{name}/{{id}}")}
    for name, resource in RESOURCES.items():
        collection, single = doc["paths"][f"/ed-fi/{name}"], doc["paths"][f"/ed-fi/{name}/{{id}}"]
        assert set(collection) == {"get", "post"} and set(single) == {"get", "put", "delete"}
        names = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in collection["get"]["parameters"]}
        assert names == {"offset", "limit", "totalCount", *resource.query_params.values()}, name
        assert set(collection["post"]["responses"]) >= {"200", "201", "400", "401", "409"}
        assert set(single["get"]["responses"]) >= {"200", "404", "401"} and "default" not in single["get"]["responses"]
        assert set(single["put"]["responses"]) >= {"204", "404", "412"}
        schemas = doc["components"]["schemas"]
        assert schemas[f"edFi_{name}"]["required"] == list(resource.required)
        assert schemas[f"edFi_{name}Item"]["required"] == ["id", *resource.required]
        assert all(op["security"] == [{"oauth2_client_credentials": []}]
                   for op in (*collection.values(), *single.values()))
    params = doc["components"]["parameters"]
    assert params["limit"]["schema"]["maximum"] == MAX_LIMIT and params["limit"]["schema"]["minimum"] == 0
    assert doc["components"]["securitySchemes"]["oauth2_client_credentials"]["flows"] == {
        "clientCredentials": {"tokenUrl": "https://edfi.example/oauth/token", "scopes": {}}}
    schemas = doc["components"]["schemas"]
    assert schemas["edFi_schools"]["properties"]["schoolId"]["type"] == "integer"
    assert schemas["edFi_students"]["properties"]["birthDate"] == {"type": "string", "format": "date"}
    assert schemas["edFi_studentSchoolAssociations"]["properties"]["schoolReference"]["required"] == ["schoolId"]
    assert "pattern" in schemas["edFi_students"]["properties"]["birthSexDescriptor"]
