"""Who may read which certificates: the issuing department, the holder and the admin, nobody else."""

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import World, certificate_body, citizen_id


@pytest.fixture
def issued(client: FlaskClient, world: World) -> dict[str, Any]:
    """A certificate of department A held by the world's holder."""
    body = certificate_body(world.type_a, holder_id=world.holder_id)
    response = client.post("/api/v1/certificates", json=body, headers=world.headers("issuer_a"))
    assert response.status_code == 201
    return response.json


def read(client: FlaskClient, world: World, who: str, identifier: str) -> Any:
    return client.get(f"/api/v1/certificates/{identifier}", headers=world.headers(who))


@pytest.mark.parametrize("who", ["issuer_a", "holder", "admin"])
def test_issuer_holder_and_admin_read_the_certificate(
    client: FlaskClient, world: World, issued: dict[str, Any], who: str
) -> None:
    response = read(client, world, who, issued["identifier"])
    assert response.status_code == 200
    assert response.json["signed_form"] == issued["signed_form"]


def test_another_department_cannot_read_it(client: FlaskClient, world: World, issued: dict[str, Any]) -> None:
    response = read(client, world, "issuer_b", issued["identifier"])
    assert response.status_code == 404
    assert response.json["code"] == "CERTIFICATE_NOT_FOUND"


def test_another_holder_cannot_read_it(client: FlaskClient, world: World, issued: dict[str, Any]) -> None:
    response = read(client, world, "other_holder", issued["identifier"])
    assert response.status_code == 404
    assert response.json["code"] == "CERTIFICATE_NOT_FOUND"


def test_an_agency_cannot_read_certificates_directly(client: FlaskClient, world: World, issued: dict[str, Any]) -> None:
    assert read(client, world, "agency", issued["identifier"]).status_code == 403
    assert client.get("/api/v1/certificates", headers=world.headers("agency")).status_code == 403


def test_reading_without_a_token_is_401(client: FlaskClient, issued: dict[str, Any]) -> None:
    assert client.get(f"/api/v1/certificates/{issued['identifier']}").status_code == 401


def test_responses_show_the_holder_id_masked_only(client: FlaskClient, world: World, issued: dict[str, Any]) -> None:
    body = read(client, world, "holder", issued["identifier"]).get_data(as_text=True)
    masked = world.holder_id[:6] + "********" + world.holder_id[-4:]
    assert issued["holder"]["id_masked"] == masked
    # The full number travels only inside the signed form's disclosure, base64url-encoded.
    assert world.holder_id not in body


def issue_many(client: FlaskClient, world: World, who: str, type_code: str, n: int, holder: str | None = None) -> None:
    items = [certificate_body(type_code, holder_id=holder) for _ in range(n)]
    response = client.post("/api/v1/certificates/batch", json={"certificates": items}, headers=world.headers(who))
    assert response.status_code == 201


def identifiers(page: Any) -> list[str]:
    return [c["identifier"] for c in page.json["items"]]


def test_each_reader_lists_only_what_it_may_see(client: FlaskClient, world: World) -> None:
    issue_many(client, world, "issuer_a", world.type_a, 3, holder=world.holder_id)
    issue_many(client, world, "issuer_a", world.type_a, 2)
    issue_many(client, world, "issuer_b", world.type_b, 4)
    readers = ("admin", "issuer_a", "issuer_b", "holder", "other_holder")
    seen = {who: client.get("/api/v1/certificates", headers=world.headers(who)).json["items"] for who in readers}
    assert len(seen["admin"]) == 9
    assert len(seen["issuer_a"]) == 5 and {c["issuer"]["credit_code"] for c in seen["issuer_a"]} == {world.dept_a}
    assert len(seen["issuer_b"]) == 4
    assert len(seen["holder"]) == 3
    assert seen["other_holder"] == []


def test_the_list_pages_newest_first_with_a_cursor(client: FlaskClient, world: World) -> None:
    issue_many(client, world, "issuer_a", world.type_a, 7)
    headers = world.headers("issuer_a")
    first = client.get("/api/v1/certificates?limit=5", headers=headers)
    second = client.get(f"/api/v1/certificates?limit=5&after={first.json['next_cursor']}", headers=headers)
    assert len(identifiers(first)) == 5 and len(identifiers(second)) == 2
    assert second.json["next_cursor"] is None
    everything = identifiers(client.get("/api/v1/certificates?limit=50", headers=headers))
    assert identifiers(first) + identifiers(second) == everything


def test_the_list_filters_by_type_and_status(client: FlaskClient, world: World) -> None:
    issue_many(client, world, "issuer_a", world.type_a, 2)
    issue_many(client, world, "issuer_b", world.type_b, 3)
    admin = world.headers("admin")
    assert len(client.get(f"/api/v1/certificates?type={world.type_b}", headers=admin).json["items"]) == 3
    assert len(client.get("/api/v1/certificates?status=valid", headers=admin).json["items"]) == 5
    assert client.get("/api/v1/certificates?status=revoked", headers=admin).json["items"] == []
    assert client.get("/api/v1/certificates?status=bogus", headers=admin).status_code == 422


def test_search_by_holder_keeps_the_id_out_of_the_url(client: FlaskClient, world: World) -> None:
    other = citizen_id()
    issue_many(client, world, "issuer_a", world.type_a, 2, holder=other)
    issue_many(client, world, "issuer_a", world.type_a, 3)
    response = client.post(
        "/api/v1/certificates/search",
        json={"holder": {"kind": "person", "id": other}},
        headers=world.headers("issuer_a"),
    )
    assert response.status_code == 200
    assert len(response.json["items"]) == 2
    # Department B issued nothing to this holder, and sees nothing of department A's.
    response = client.post(
        "/api/v1/certificates/search",
        json={"holder": {"kind": "person", "id": other}},
        headers=world.headers("issuer_b"),
    )
    assert response.json["items"] == []
