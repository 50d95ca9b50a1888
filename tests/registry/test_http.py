"""The HTTP surface as a whole: problem JSON everywhere, nothing internal leaks, the OpenAPI description."""

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import World


def test_unknown_paths_get_problem_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "NOT_FOUND"
    assert response.json["status"] == 404


def test_wrong_methods_get_405_with_allow(client: FlaskClient) -> None:
    response = client.delete("/api/v1/departments")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.json["code"] == "METHOD_NOT_ALLOWED"


def test_a_body_that_is_not_json_is_a_problem(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/v1/certificates",
        data="{not json",
        headers=world.headers("issuer_a") | {"Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert response.content_type == "application/problem+json"


def test_an_unexpected_error_shows_no_internals(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("SELECT secret FROM api_clients WHERE password='hunter2'")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.json == {
        "type": "about:blank",
        "title": "Internal server error",
        "status": 500,
        "code": "INTERNAL_ERROR",
        "detail": "the registry could not complete the request",
    }


def test_openapi_describes_the_whole_api(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert {
        "/oauth/token",
        "/.well-known/jwks.json",
        "/api/v1/departments",
        "/api/v1/certificate-types",
        "/api/v1/clients",
        "/api/v1/certificates",
        "/api/v1/certificates/batch",
        "/api/v1/certificates/search",
        "/api/v1/certificates/{identifier}",
        "/api/v1/service-items",
        "/api/v1/sharing-policies",
        "/api/v1/sharing/requests",
        "/api/v1/me/consents",
        "/api/v1/stats",
        "/api/v1/stamps",
        "/api/v1/stamps/verify",
        "/api/v1/ca.pem",
    } <= set(spec["paths"])
    issue = spec["paths"]["/api/v1/certificates"]["post"]
    assert "requestBody" in issue
    assert issue.get("security", spec.get("security")) == [{"bearer": []}]
    assert spec["paths"]["/.well-known/jwks.json"]["get"]["security"] == []
    assert "CertificateIn" in spec["components"]["schemas"]
    # A stamp request is one multipart body: the form fields and the file together.
    body = spec["paths"]["/api/v1/stamps"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    form = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert form["properties"]["file"]["format"] == "binary" and "page" in form["properties"]


def test_interactive_docs_are_served(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.get_data(as_text=True).lower()
