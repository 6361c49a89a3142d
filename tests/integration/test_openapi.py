"""The OpenAPI document is generated from the code, valid, and complete."""

import re

from openapi_spec_validator import validate


def test_the_document_validates(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    validate(response.json)


def test_every_api_route_is_documented_with_its_methods(app, client):
    spec = client.get("/api/openapi.json").json
    documented = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    routes = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == documented


def test_errors_are_documented_with_the_envelope_of_api_md(client):
    spec = client.get("/api/openapi.json").json
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    create_unit = spec["paths"]["/api/v1/units"]["post"]
    assert {"401", "403", "409", "422"} <= set(create_unit["responses"])
    assert create_unit["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
