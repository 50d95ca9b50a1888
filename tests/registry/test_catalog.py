"""Departments, certificate types and API clients: anyone reads them, only the admin changes them."""

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import World, credit_code


def post(client: FlaskClient, world: World, who: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/{path}", json=body, headers=world.headers(who))


def type_body(issuers: list[str], **overrides: Any) -> dict[str, Any]:
    return {
        "code": credit_code() + "002",
        "name": "食品经营许可证",
        "fields": [{"name": "operator", "type": "string", "required": True}],
        "issuers": issuers,
        "default_validity_days": 1825,
        **overrides,
    }


def test_the_admin_registers_a_department(client: FlaskClient, world: World) -> None:
    code = credit_code()
    response = post(client, world, "admin", "departments", {"credit_code": code, "name": "应急管理局"})
    assert response.status_code == 201
    assert client.get(f"/api/v1/departments/{code}").json["name"] == "应急管理局"
    assert code in {d["credit_code"] for d in client.get("/api/v1/departments").json}


def test_an_invalid_credit_code_is_a_422_naming_the_field(client: FlaskClient, world: World) -> None:
    response = post(client, world, "admin", "departments", {"credit_code": "9144030071526726XA", "name": "x"})
    assert response.status_code == 422
    assert response.json["code"] == "VALIDATION_FAILED"
    assert response.json["errors"] == {"credit_code": ["not a valid credit code: check character does not match"]}


def test_a_department_is_registered_once(client: FlaskClient, world: World) -> None:
    response = post(client, world, "admin", "departments", {"credit_code": world.dept_a, "name": "again"})
    assert response.status_code == 409
    assert response.json["code"] == "DEPARTMENT_EXISTS"


@pytest.mark.parametrize("who", ["issuer_a", "agency", "holder"])
def test_only_the_admin_changes_the_catalog(client: FlaskClient, world: World, who: str) -> None:
    assert post(client, world, who, "departments", {"credit_code": credit_code(), "name": "x"}).status_code == 403
    assert post(client, world, who, "certificate-types", type_body([world.dept_a])).status_code == 403
    assert post(client, world, who, "clients", {"name": "x", "role": "admin"}).status_code == 403
    assert client.get("/api/v1/clients", headers=world.headers(who)).status_code == 403


def test_the_catalog_cannot_be_changed_anonymously(client: FlaskClient) -> None:
    assert client.post("/api/v1/departments", json={}).status_code == 401
    assert client.get("/api/v1/clients").status_code == 401


def test_the_admin_defines_a_type_and_its_issuers_can_issue_it(client: FlaskClient, world: World) -> None:
    body = type_body([world.dept_b])
    response = post(client, world, "admin", "certificate-types", body)
    assert response.status_code == 201
    assert response.json["defining_authority"] == body["code"][:18]
    assert response.json["issuers"] == [world.dept_b]
    assert response.json["fields"] == [{"name": "operator", "type": "string", "required": True, "personal": False}]
    assert client.get(f"/api/v1/certificate-types/{body['code']}").status_code == 200
    certificate = {
        "type": body["code"],
        "holder": {"kind": "organization", "id": "9144030071526726XG", "name": "某公司"},
        "fields": {"operator": "某公司"},
    }
    assert post(client, world, "issuer_b", "certificates", certificate).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "9144030071526726XG01"}, "code"),
        ({"code": "9144030071526726XA001"}, "code"),
        ({"fields": [{"name": "x", "type": "blob"}]}, "fields"),
        ({"issuers": ["bad"]}, "issuers"),
        ({"default_validity_days": 0}, "default_validity_days"),
    ],
)
def test_bad_type_definitions_are_422_naming_the_field(
    client: FlaskClient, world: World, overrides: dict[str, Any], field: str
) -> None:
    response = post(client, world, "admin", "certificate-types", type_body([world.dept_a]) | overrides)
    assert response.status_code == 422
    assert field in response.json["errors"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"name": "holder_id", "type": "string"}], "reserved"),
        ([{"name": "Bad-Name", "type": "string"}], "lower-case"),
        ([{"name": "a", "type": "string"}, {"name": "a", "type": "date"}], "twice"),
    ],
)
def test_field_names_must_be_usable_as_claims(
    client: FlaskClient, world: World, fields: list[dict[str, Any]], message: str
) -> None:
    response = post(client, world, "admin", "certificate-types", type_body([world.dept_a], fields=fields))
    assert response.status_code == 422
    assert message in str(response.json["errors"]["fields"])


def test_a_type_naming_an_unknown_issuer_is_refused(client: FlaskClient, world: World) -> None:
    response = post(client, world, "admin", "certificate-types", type_body([credit_code()]))
    assert response.status_code == 422
    assert response.json["errors"] == {"issuers": {"0": ["unknown department"]}}


def test_the_admin_registers_a_client_and_sees_its_secret_once(client: FlaskClient, world: World) -> None:
    response = post(
        client, world, "admin", "clients", {"name": "税务系统", "role": "agency", "department": world.agency}
    )
    assert response.status_code == 201
    secret = response.json["client_secret"]
    token = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(response.json["client_id"], secret)
    )
    assert token.status_code == 200
    listing = client.get("/api/v1/clients", headers=world.headers("admin"))
    assert secret not in listing.get_data(as_text=True)
    assert response.json["client_id"] in {c["client_id"] for c in listing.json}


def test_an_issuer_client_needs_a_department(client: FlaskClient, world: World) -> None:
    response = post(client, world, "admin", "clients", {"name": "x", "role": "issuer"})
    assert response.status_code == 422
    assert response.json["errors"] == {"department": ["required"]}
