"""Cross-department sharing over HTTP: the admin sets service items and policies, an agency fetches
annotated copies for a service item, the holder consents, withdraws, and sees every request in their log."""

from __future__ import annotations

import time
import types
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from issuers import sdjwt
from registry.models import LogEntry, db
from tests.factories import World, access_token, bearer, certificate_body, make_client, make_department
from verifiers import VerificationFailed, Verifier
from verifiers.cli import main as certverify

ITEM = "SH-ENT-EST-001"


def issue(client: FlaskClient, world: World, **fields: Any) -> dict[str, Any]:
    body = certificate_body(world.type_a, holder_id=world.holder_id, registered_capital=5e6, **fields)
    response = client.post("/api/v1/certificates", json=body, headers=world.headers("issuer_a"))
    assert response.status_code == 201, response.json
    return dict(response.json)


def add_item(client: FlaskClient, world: World, code: str = ITEM) -> None:
    response = client.post(
        "/api/v1/service-items", json={"code": code, "name": "企业设立登记"}, headers=world.headers("admin")
    )
    assert response.status_code == 201, response.json


def add_policy(client: FlaskClient, world: World, fields: list[str], **extra: Any) -> dict[str, Any]:
    body = {"agency": world.agency, "type": world.type_a, "service_item": ITEM, "fields": fields, **extra}
    response = client.post("/api/v1/sharing-policies", json=body, headers=world.headers("admin"))
    assert response.status_code == 201, response.json
    return dict(response.json)


def share(client: FlaskClient, world: World, who: str = "agency", **extra: Any) -> Any:
    body = {
        "holder": {"kind": "person", "id": world.holder_id},
        "type": world.type_a,
        "service_item": ITEM,
        "reason": "办理企业设立登记 case 2026-0042",
        **extra,
    }
    return client.post("/api/v1/sharing/requests", json=body, headers=world.headers(who))


@pytest.fixture
def shared(client: FlaskClient, world: World) -> dict[str, Any]:
    """A certificate, an item and a policy without consent, and the copy the agency fetched."""
    certificate = issue(client, world)
    add_item(client, world)
    policy = add_policy(client, world, ["company_name", "registered_capital"], consent_required=False)
    response = share(client, world)
    assert response.status_code == 200, response.json
    return {"certificate": certificate, "policy": policy, "result": response.json, "copy": response.json["copies"][0]}


def log_entries(app: Flask, action: str) -> list[LogEntry]:
    with app.app_context():
        return list(db.session.scalars(sa.select(LogEntry).where(LogEntry.action == action).order_by(LogEntry.idx)))


# Service items and policies -------------------------------------------------------------------------


def test_items_and_policies_are_public_and_name_personal_fields(
    client: FlaskClient, world: World, shared: dict[str, Any]
) -> None:
    items = client.get("/api/v1/service-items").json
    assert [i["code"] for i in items["items"]] == [ITEM] and items["next"] is None
    client.patch(
        f"/api/v1/sharing-policies/{shared['policy']['id']}",
        json={"fields": ["company_name", "legal_representative", "holder_id"]},
        headers=world.headers("admin"),
    )
    [policy] = client.get("/api/v1/sharing-policies").json
    assert policy["agency"]["credit_code"] == world.agency
    assert policy["service_item"]["code"] == ITEM
    assert policy["fields"] == [
        {"name": "company_name", "personal": False},
        {"name": "holder_id", "personal": True},
        {"name": "legal_representative", "personal": True},
    ]


@pytest.mark.parametrize("who", ["agency", "issuer_a", "holder"])
def test_only_the_admin_manages_items_and_policies(client: FlaskClient, world: World, who: str) -> None:
    item = client.post("/api/v1/service-items", json={"code": "X-1", "name": "x"}, headers=world.headers(who))
    assert (item.status_code, item.json["code"]) == (403, "ROLE_NOT_PERMITTED")
    add_item(client, world)
    body = {"agency": world.agency, "type": world.type_a, "service_item": ITEM, "fields": []}
    policy = client.post("/api/v1/sharing-policies", json=body, headers=world.headers(who))
    assert policy.status_code == 403
    assert client.post("/api/v1/sharing-policies", json=body).status_code == 401


def test_a_policy_naming_a_field_the_type_lacks_is_refused(client: FlaskClient, world: World) -> None:
    add_item(client, world)
    body = {"agency": world.agency, "type": world.type_a, "service_item": ITEM, "fields": ["salary"]}
    response = client.post("/api/v1/sharing-policies", json=body, headers=world.headers("admin"))
    assert (response.status_code, response.json["code"]) == (422, "UNKNOWN_FIELD")


def test_one_active_policy_per_agency_type_and_item(client: FlaskClient, world: World) -> None:
    add_item(client, world)
    first = add_policy(client, world, ["company_name"])
    body = {"agency": world.agency, "type": world.type_a, "service_item": ITEM, "fields": []}
    again = client.post("/api/v1/sharing-policies", json=body, headers=world.headers("admin"))
    assert (again.status_code, again.json["code"]) == (409, "POLICY_EXISTS")
    client.patch(f"/api/v1/sharing-policies/{first['id']}", json={"active": False}, headers=world.headers("admin"))
    assert client.post("/api/v1/sharing-policies", json=body, headers=world.headers("admin")).status_code == 201
    assert len(client.get("/api/v1/sharing-policies?include_withdrawn=true").json) == 2


# Sharing ----------------------------------------------------------------------------------------


def test_the_copy_carries_exactly_the_policy_fields_and_a_masked_id(world: World, shared: dict[str, Any]) -> None:
    copy = shared["copy"]
    assert copy["certificate"] == shared["certificate"]["identifier"]
    assert copy["disclosed"] == {"company_name": "示例有限公司", "registered_capital": 5e6}
    assert set(sdjwt.disclosed_values(copy["signed_form"])) == {"company_name", "registered_capital"}
    masked = copy["holder_id_masked"]
    assert masked == world.holder_id[:6] + "*" * 8 + world.holder_id[-4:]
    assert world.holder_id not in copy["signed_form"] + copy["annotation"]
    assert shared["result"]["fields"] == ["company_name", "registered_capital"]


def test_the_full_id_number_only_where_the_policy_grants_it(
    client: FlaskClient, world: World, shared: dict[str, Any]
) -> None:
    client.patch(
        f"/api/v1/sharing-policies/{shared['policy']['id']}",
        json={"fields": ["holder_id", "company_name"]},
        headers=world.headers("admin"),
    )
    copy = share(client, world).json["copies"][0]
    assert copy["disclosed"] == {"holder_id": world.holder_id, "company_name": "示例有限公司"}


def test_refusals_have_stable_codes(client: FlaskClient, world: World) -> None:
    issue(client, world)
    add_item(client, world)
    assert share(client, world).json["code"] == "NO_POLICY"
    assert share(client, world, service_item="UNKNOWN-ITEM").json["code"] == "NO_POLICY"
    add_policy(client, world, ["company_name"], consent_required=True)
    refused = share(client, world)
    assert (refused.status_code, refused.json["code"]) == (403, "CONSENT_REQUIRED")
    wider = share(client, world, fields=["company_name", "legal_representative"])
    assert (wider.status_code, wider.json["code"]) == (403, "FIELD_NOT_PERMITTED")
    assert "legal_representative" in wider.json["detail"]


def test_no_valid_certificate_is_a_logged_404(client: FlaskClient, world: World, app: Flask) -> None:
    add_item(client, world)
    add_policy(client, world, ["company_name"], consent_required=False)
    response = share(client, world)
    assert (response.status_code, response.json["code"]) == (404, "NO_CERTIFICATE")
    [entry] = log_entries(app, "certificate:share")
    assert (entry.outcome, entry.error_code) == ("refused", "NO_CERTIFICATE")


def test_revoked_certificates_are_not_shared(client: FlaskClient, world: World, shared: dict[str, Any]) -> None:
    identifier = shared["certificate"]["identifier"]
    client.post(
        f"/api/v1/certificates/{identifier}/revoke",
        json={"reason": "license_withdrawn"},
        headers=world.headers("issuer_a"),
    )
    assert share(client, world).json["code"] == "NO_CERTIFICATE"


@pytest.mark.parametrize("who", ["issuer_a", "admin", "holder"])
def test_only_a_relying_agency_requests_sharing(
    client: FlaskClient, world: World, shared: dict[str, Any], who: str
) -> None:
    response = share(client, world, who=who)
    assert (response.status_code, response.json["code"]) == (403, "ROLE_NOT_PERMITTED")


def test_another_agency_without_a_policy_gets_nothing(
    client: FlaskClient, world: World, shared: dict[str, Any], app: Flask
) -> None:
    with app.app_context():
        other = access_token(make_client("agency", make_department("公安局")))
        db.session.commit()
    world.tokens["other_agency"] = other
    response = share(client, world, who="other_agency")
    assert (response.status_code, response.json["code"]) == (403, "NO_POLICY")
    assert "copies" not in response.json


# Consent ----------------------------------------------------------------------------------------


def test_consent_then_withdrawal(client: FlaskClient, world: World) -> None:
    issue(client, world)
    add_item(client, world)
    add_policy(client, world, ["company_name"], consent_required=True)
    body = {"agency": world.agency, "service_item": ITEM}
    granted = client.post("/api/v1/me/consents", json=body, headers=world.headers("holder"))
    assert granted.status_code == 201 and granted.json["active"]
    assert client.post("/api/v1/me/consents", json=body, headers=world.headers("holder")).status_code == 200
    assert share(client, world).status_code == 200
    consent_id = granted.json["id"]
    assert client.delete(f"/api/v1/me/consents/{consent_id}", headers=world.headers("other_holder")).status_code == 404
    withdrawn = client.delete(f"/api/v1/me/consents/{consent_id}", headers=world.headers("holder"))
    assert withdrawn.status_code == 200 and not withdrawn.json["active"]
    assert share(client, world).json["code"] == "CONSENT_REQUIRED"
    [listed] = client.get("/api/v1/me/consents", headers=world.headers("holder")).json
    assert listed["withdrawn_at"] is not None
    assert client.get("/api/v1/me/consents", headers=world.headers("other_holder")).json == []


@pytest.mark.parametrize("who", ["agency", "admin", "issuer_a"])
def test_only_holders_manage_consents(client: FlaskClient, world: World, who: str) -> None:
    add_item(client, world)
    body = {"agency": world.agency, "service_item": ITEM}
    assert client.post("/api/v1/me/consents", json=body, headers=world.headers(who)).status_code == 403
    assert client.get("/api/v1/me/consents", headers=world.headers(who)).status_code == 403


# The holder's view and the statistics ------------------------------------------------------------


def test_the_holder_sees_granted_and_refused_requests(
    client: FlaskClient, world: World, shared: dict[str, Any]
) -> None:
    share(client, world, fields=["legal_representative"])
    log = client.get("/api/v1/me/access-log", headers=world.headers("holder")).json["items"]
    shares = [e["entry"] for e in log if e["entry"]["action"] == "certificate:share"]
    assert [(e["outcome"], e["error_code"]) for e in shares] == [("refused", "FIELD_NOT_PERMITTED"), ("ok", None)]
    granted = shares[1]
    assert granted["service_item"] == ITEM and granted["reason"].startswith("办理企业设立登记")
    assert granted["certificate"] == shared["certificate"]["identifier"]
    assert granted["actor"]["department"]["credit_code"] == world.agency
    assert client.get("/api/v1/me/access-log", headers=world.headers("other_holder")).json["items"] == []


def test_stats_count_paper_submissions_avoided(client: FlaskClient, world: World, shared: dict[str, Any]) -> None:
    share(client, world)
    share(client, world, fields=["legal_representative"])  # refused: not counted
    stats = client.get("/api/v1/stats", headers=world.headers("admin")).json
    assert stats["paper_submissions_avoided"] == 2
    assert stats["by"]["agency"] == {world.agency: 2}
    assert stats["by"]["department"] == {world.dept_a: 2}
    assert stats["by"]["type"] == {world.type_a: 2}
    assert stats["by"]["service_item"] == {ITEM: 2}
    assert stats["rows"] == [
        {
            "agency": world.agency,
            "department": world.dept_a,
            "type": world.type_a,
            "service_item": ITEM,
            "paper_submissions_avoided": 2,
        }
    ]
    for who in ("agency", "issuer_a", "holder"):
        assert client.get("/api/v1/stats", headers=world.headers(who)).status_code == 403


# Verifying annotated copies ------------------------------------------------------------------------


def verify_online(client: FlaskClient, copy: dict[str, Any], agency: str) -> dict[str, Any]:
    body = {"token": copy["signed_form"], "annotation": copy["annotation"], "agency": agency}
    response = client.post("/api/v1/verify", json=body)
    assert response.status_code == 200
    return dict(response.json)


def codes(result: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["code"] for c in result["checks"]}


def with_extra_disclosure(client: FlaskClient, world: World, shared: dict[str, Any]) -> str:
    """The copy's signed form with one more disclosure of the same certificate, as a holder's full form has."""
    full = client.get(
        f"/api/v1/certificates/{shared['certificate']['identifier']}", headers=world.headers("holder")
    ).json["signed_form"]
    extra = sdjwt.present(full, {"legal_representative"}).split("~")[1]
    return str(shared["copy"]["signed_form"]) + extra + "~"


def test_a_copy_verifies_online_for_its_agency(client: FlaskClient, world: World, shared: dict[str, Any]) -> None:
    result = verify_online(client, shared["copy"], world.agency)
    assert result["valid"], result
    assert list(codes(result))[-4:] == ["annotation", "copy_binding", "copy_agency", "copy_validity"]
    assert result["disclosed"] == {"company_name": "示例有限公司", "registered_capital": 5e6}


def test_a_copy_used_by_another_agency_fails(client: FlaskClient, world: World, shared: dict[str, Any]) -> None:
    result = verify_online(client, shared["copy"], world.dept_b)
    assert not result["valid"] and codes(result)["copy_agency"] == "WRONG_AGENCY"


def test_a_copy_with_an_extra_disclosure_fails(client: FlaskClient, world: World, shared: dict[str, Any]) -> None:
    copy = {**shared["copy"], "signed_form": with_extra_disclosure(client, world, shared)}
    result = verify_online(client, copy, world.agency)
    assert not result["valid"] and codes(result)["copy_binding"] == "DISCLOSURE_NOT_ANNOTATED"
    assert codes(result)["disclosures"] == "OK"  # the disclosure itself is genuine; the copy did not carry it


def test_a_copy_past_its_expiry_fails_online(
    client: FlaskClient, world: World, shared: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    later = time.time() + shared["policy"]["copy_validity_hours"] * 3600 + 60
    monkeypatch.setattr("verifiers.verify.time", types.SimpleNamespace(time=lambda: later))
    result = verify_online(client, shared["copy"], world.agency)
    assert not result["valid"] and codes(result)["copy_validity"] == "COPY_EXPIRED"


def test_an_annotation_for_another_certificate_fails(client: FlaskClient, world: World, shared: dict[str, Any]) -> None:
    other = issue(client, world)
    copies = share(client, world).json["copies"]
    other_copy = next(c for c in copies if c["certificate"] == other["identifier"])
    mixed = {**shared["copy"], "annotation": other_copy["annotation"]}
    assert codes(verify_online(client, mixed, world.agency))["copy_binding"] == "COPY_NOT_BOUND"


def test_copy_verification_is_logged_for_the_holder(client: FlaskClient, world: World, shared: dict[str, Any]) -> None:
    verify_online(client, shared["copy"], world.agency)
    log = client.get("/api/v1/me/access-log", headers=world.headers("holder")).json["items"]
    assert log[0]["entry"]["action"] == "copy:verify"


def test_a_copy_verifies_offline_with_the_bundle_only(
    client: FlaskClient, world: World, shared: dict[str, Any]
) -> None:
    verifier = Verifier.from_bundle(client.get("/api/v1/verifier-bundle").get_data(as_text=True))
    copy = shared["copy"]
    verified = verifier.verify_copy(copy["signed_form"], copy["annotation"], world.agency)
    assert verified.annotation.service_item == ITEM and verified.annotation.agency == world.agency
    assert verified.disclosed == {"company_name": "示例有限公司", "registered_capital": 5e6}
    expiry = verified.annotation.expires_at

    def failure(signed_form: str, agency: str | None, now: float | None = None) -> dict[str, str]:
        with pytest.raises(VerificationFailed) as failed:
            verifier.verify_copy(signed_form, copy["annotation"], agency, now)
        return {c.name: c.code for c in failed.value.checks}

    assert failure(copy["signed_form"], world.agency, now=expiry)["copy_validity"] == "COPY_EXPIRED"
    assert failure(copy["signed_form"], world.dept_b)["copy_agency"] == "WRONG_AGENCY"
    assert failure(copy["signed_form"], None)["copy_agency"] == "AGENCY_NOT_GIVEN"
    extra = with_extra_disclosure(client, world, shared)
    assert failure(extra, world.agency)["copy_binding"] == "DISCLOSURE_NOT_ANNOTATED"
    # The annotation is not a certificate seal's to make: a registry key must have signed it.
    with pytest.raises(VerificationFailed) as failed:
        verifier.verify_copy(copy["signed_form"], copy["signed_form"].split("~")[0], world.agency)
    assert failed.value.code == "MALFORMED_ANNOTATION"


def test_certverify_checks_a_copy(
    client: FlaskClient, world: World, shared: dict[str, Any], served: str, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.json"
    assert certverify(["bundle", "fetch", served, "-o", str(bundle)]) == 0
    copy_file, note_file = tmp_path / "copy.sdjwt", tmp_path / "annotation.jwt"
    copy_file.write_text(shared["copy"]["signed_form"])
    note_file.write_text(shared["copy"]["annotation"])
    args = ["check", str(copy_file), "--bundle", str(bundle), "--annotation", str(note_file)]
    assert certverify([*args, "--agency", world.agency]) == 0
    assert certverify([*args, "--agency", world.dept_b]) == 1


def test_tokens_of_the_wrong_kind_are_refused(client: FlaskClient, world: World, shared: dict[str, Any]) -> None:
    assert client.post("/api/v1/sharing/requests", json={}).status_code == 401
    response = client.post("/api/v1/sharing/requests", json={}, headers=bearer("not-a-token"))
    assert response.status_code == 401


def test_the_operator_manages_sharing_from_the_command_line(app: Flask, client: FlaskClient, world: World) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sharing", "item-add", ITEM, "企业设立登记"]).exit_code == 0
    again = runner.invoke(args=["sharing", "item-add", ITEM, "企业设立登记"])
    assert again.exit_code != 0 and "SERVICE_ITEM_EXISTS" in again.output
    policy_add = ["sharing", "policy-add", "--agency", world.agency, "--type", world.type_a, "--item", ITEM]
    added = runner.invoke(
        args=[*policy_add, "--fields", "company_name,holder_id", "--no-consent", "--copy-hours", "24"]
    )
    assert added.exit_code == 0, added.output
    assert "fields=company_name,holder_id" in added.output and "no consent needed" in added.output
    bad = runner.invoke(args=[*policy_add, "--fields", "salary"])
    assert bad.exit_code != 0 and "UNKNOWN_FIELD" in bad.output
    issue(client, world)
    assert share(client, world).status_code == 200
    stats = runner.invoke(args=["sharing", "stats"])
    assert "paper submissions avoided: 1" in stats.output
    policy_id = client.get("/api/v1/sharing-policies").json[0]["id"]
    assert runner.invoke(args=["sharing", "policy-withdraw", str(policy_id)]).exit_code == 0
    assert runner.invoke(args=["sharing", "policies"]).output == ""
    assert "withdrawn" in runner.invoke(args=["sharing", "policies", "--all"]).output
    assert share(client, world).json["code"] == "NO_POLICY"


@pytest.mark.parametrize("who", ["agency", "issuer_a", "holder"])
def test_only_the_admin_changes_a_policy(client: FlaskClient, world: World, shared: dict[str, Any], who: str) -> None:
    url = f"/api/v1/sharing-policies/{shared['policy']['id']}"
    response = client.patch(url, json={"active": False}, headers=world.headers(who))
    assert (response.status_code, response.json["code"]) == (403, "ROLE_NOT_PERMITTED")
    assert client.patch(url, json={"active": False}).status_code == 401
    assert client.get(url).json["active"] is True


@pytest.mark.parametrize("who", ["agency", "admin", "issuer_a"])
def test_only_the_holder_withdraws_a_consent(client: FlaskClient, world: World, who: str) -> None:
    add_item(client, world)
    body = {"agency": world.agency, "service_item": ITEM}
    consent = client.post("/api/v1/me/consents", json=body, headers=world.headers("holder")).json
    response = client.delete(f"/api/v1/me/consents/{consent['id']}", headers=world.headers(who))
    assert response.status_code == 403
    assert client.get("/api/v1/me/consents", headers=world.headers("holder")).json[0]["active"] is True
