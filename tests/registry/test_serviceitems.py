"""Service items and their filing parameters: the admin adds, changes and retires them, anyone reads them a
page at a time, every rule refuses with its own code and changes nothing, and every change is logged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from registry.errors import RegistryError
from registry.models import Department, LogEntry, ServiceItem, db
from registry.principals import OPERATOR
from registry.serviceitems import ServiceItemService
from registry.wiring import services
from tests.factories import World, credit_code

CATEGORY = "WS.2026-Y"


def add(client: FlaskClient, world: World, code: str, **body: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/service-items", json={"code": code, "name": f"事项 {code}", **body}, headers=world.headers("admin")
    )
    assert response.status_code == 201, response.json
    return dict(response.json)


def filer(world: World, **extra: Any) -> dict[str, Any]:
    """The body of an item that files type A's certificates and its documents, with department A."""
    return {
        "department": world.dept_a,
        "filing_types": [world.type_a],
        "filing_documents": True,
        "archive_category": CATEGORY,
        **extra,
    }


@pytest.fixture
def tree(client: FlaskClient, world: World) -> World:
    """ROOT; CHILD under it; FILER (department A, files type A and documents) under CHILD."""
    add(client, world, "ROOT")
    add(client, world, "CHILD", parent="ROOT")
    add(client, world, "FILER", parent="CHILD", **filer(world))
    return world


def log_entries(app: Flask, action: str | None = None) -> list[LogEntry]:
    with app.app_context():
        query = sa.select(LogEntry).order_by(LogEntry.idx)
        if action:
            query = query.where(LogEntry.action == action)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


# Creating, reading, changing, retiring ----------------------------------------------------------------


def test_the_admin_adds_an_item_with_its_filing_parameters_and_anyone_reads_it(
    client: FlaskClient, world: World
) -> None:
    add(client, world, "ROOT")
    body = filer(world, retention_years=30, retention_event="expiry", filing_deadline_days=90, parent="ROOT")
    created = add(client, world, "SH-ENT-EST-001", **body)
    assert {k: created[k] for k in body} == body
    assert created["retired_at"] is None and created["created_at"] == created["updated_at"]
    read = client.get("/api/v1/service-items/SH-ENT-EST-001")  # no token: public
    assert read.status_code == 200 and read.json == created
    assert client.get("/api/v1/service-items/NOPE").json["code"] == "SERVICE_ITEM_NOT_FOUND"


def test_what_a_new_item_leaves_out_takes_its_default(client: FlaskClient, world: World) -> None:
    created = add(client, world, "PLAIN")
    assert {k: v for k, v in created.items() if k not in ("created_at", "updated_at")} == {
        "code": "PLAIN",
        "name": "事项 PLAIN",
        "department": None,
        "parent": None,
        "filing_types": [],
        "filing_documents": False,
        "retention_years": None,  # permanent: nothing is disposed of unless a period is set
        "retention_event": "issue",
        "filing_deadline_days": 30,
        "archive_category": None,
        "retired_at": None,
    }


def test_a_change_sets_what_it_gives_and_leaves_the_rest(client: FlaskClient, tree: World) -> None:
    before = client.get("/api/v1/service-items/FILER").json
    changed = client.patch(
        "/api/v1/service-items/FILER", json={"retention_years": 10, "name": "新名称"}, headers=tree.headers("admin")
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["retention_years"] == 10 and changed.json["name"] == "新名称"
    unchanged = {k for k in before if k not in ("retention_years", "name", "updated_at")}
    assert {k: changed.json[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert changed.json["updated_at"] > before["updated_at"]
    # null: permanent retention, no parent
    cleared = client.patch(
        "/api/v1/service-items/FILER", json={"retention_years": None, "parent": None}, headers=tree.headers("admin")
    )
    assert (cleared.json["retention_years"], cleared.json["parent"]) == (None, None)


def test_an_empty_change_changes_nothing_and_logs_nothing(app: Flask, client: FlaskClient, tree: World) -> None:
    before = client.get("/api/v1/service-items/FILER").json
    entries = len(log_entries(app))
    same = client.patch("/api/v1/service-items/FILER", json={"retention_event": "issue"}, headers=tree.headers("admin"))
    assert same.status_code == 200 and same.json == before
    assert len(log_entries(app)) == entries


def test_a_retired_item_stays_readable_and_frees_its_types(client: FlaskClient, tree: World) -> None:
    retired = client.post("/api/v1/service-items/FILER/retire", headers=tree.headers("admin"))
    assert retired.status_code == 200 and retired.json["retired_at"] is not None
    assert client.get("/api/v1/service-items/FILER").json["retired_at"] == retired.json["retired_at"]
    again = client.post("/api/v1/service-items/FILER/retire", headers=tree.headers("admin"))
    assert (again.status_code, again.json["code"]) == (409, "SERVICE_ITEM_RETIRED")
    listed = client.get("/api/v1/service-items").json["items"]
    assert [i["code"] for i in listed] == ["CHILD", "ROOT"]
    with_retired = client.get("/api/v1/service-items?include_retired=true").json["items"]
    assert [i["code"] for i in with_retired] == ["CHILD", "FILER", "ROOT"]
    add(client, tree, "SUCCESSOR", **filer(tree))  # type A was FILER's; a retired item files nothing


# Listing ----------------------------------------------------------------------------------------------


def test_items_are_listed_in_code_order_a_page_at_a_time(app: Flask, client: FlaskClient, world: World) -> None:
    with app.app_context():
        for i in range(25):
            services().service_items.create(f"I-{i:02d}", f"事项 {i}", actor=OPERATOR)
        db.session.commit()
    codes, after, pages = [], None, 0
    while True:
        query = "?limit=10" + (f"&after={after}" if after else "")
        page = client.get(f"/api/v1/service-items{query}").json
        codes += [i["code"] for i in page["items"]]
        pages += 1
        if page["next"] is None:
            break
        assert page["next"] == page["items"][-1]["code"]
        after = page["next"]
    assert codes == [f"I-{i:02d}" for i in range(25)] and pages == 3
    exact = client.get("/api/v1/service-items?limit=25").json
    assert len(exact["items"]) == 25 and exact["next"] is None  # no empty page after a full last one
    for limit in (0, 1001):
        refused = client.get(f"/api/v1/service-items?limit={limit}")
        assert refused.status_code == 422 and "limit" in refused.json["errors"]


def test_the_listing_filters_by_department_and_parent(client: FlaskClient, tree: World) -> None:
    add(client, tree, "OTHER", department=tree.dept_b, parent="ROOT")

    def codes(query: str) -> list[str]:
        response = client.get(f"/api/v1/service-items?{query}")
        assert response.status_code == 200, response.json
        return [i["code"] for i in response.json["items"]]

    assert codes(f"department={tree.dept_a}") == ["FILER"]
    assert codes(f"department={tree.dept_b}") == ["OTHER"]
    assert codes("parent=ROOT") == ["CHILD", "OTHER"]
    assert codes(f"parent=ROOT&department={tree.dept_b}") == ["OTHER"]
    assert codes("parent=NOPE") == []


# Rules: each refused with its code, nothing changed ---------------------------------------------------


@pytest.fixture
def svc(app: Flask, tree: World) -> Iterator[ServiceItemService]:
    with app.app_context():
        yield services().service_items


def _snapshot() -> list[tuple[Any, ...]]:
    columns = [getattr(ServiceItem, c.key) for c in sa.inspect(ServiceItem).columns]
    return [tuple(row) for row in db.session.execute(sa.select(*columns).order_by(ServiceItem.code))]


Call = Callable[[ServiceItemService, World], object]
RULES: list[tuple[str, Call]] = [
    ("INVALID_ITEM_CODE", lambda s, w: s.create("-starts-badly", "x", actor=OPERATOR)),
    ("INVALID_ITEM_CODE", lambda s, w: s.create("a/b", "x", actor=OPERATOR)),
    ("INVALID_ITEM_CODE", lambda s, w: s.create("x" * 65, "x", actor=OPERATOR)),
    ("INVALID_ITEM_CODE", lambda s, w: s.create("ok\n", "x", actor=OPERATOR)),
    ("SERVICE_ITEM_EXISTS", lambda s, w: s.create("ROOT", "x", actor=OPERATOR)),
    ("SERVICE_ITEM_NOT_FOUND", lambda s, w: s.update("NOPE", name="x", actor=OPERATOR)),
    ("SERVICE_ITEM_NOT_FOUND", lambda s, w: s.retire("NOPE", actor=OPERATOR)),
    ("INVALID_NAME", lambda s, w: s.create("NEW", "", actor=OPERATOR)),
    ("INVALID_NAME", lambda s, w: s.update("ROOT", name="x" * 201, actor=OPERATOR)),
    ("UNKNOWN_DEPARTMENT", lambda s, w: s.create("NEW", "x", department=credit_code(), actor=OPERATOR)),
    ("UNKNOWN_PARENT", lambda s, w: s.create("NEW", "x", parent="NOPE", actor=OPERATOR)),
    ("PARENT_IS_SELF", lambda s, w: s.update("ROOT", parent="ROOT", actor=OPERATOR)),
    ("PARENT_IS_SELF", lambda s, w: s.create("NEW", "x", parent="NEW", actor=OPERATOR)),
    ("PARENT_CYCLE", lambda s, w: s.update("ROOT", parent="FILER", actor=OPERATOR)),
    ("PARENT_CYCLE", lambda s, w: s.update("CHILD", parent="FILER", actor=OPERATOR)),
    ("UNKNOWN_TYPE", lambda s, w: s.update("FILER", filing_types=[credit_code() + "001"], actor=OPERATOR)),
    ("TYPE_ALREADY_FILED", lambda s, w: s.create("NEW", "x", actor=OPERATOR, **_filing(w))),
    ("TYPE_ALREADY_FILED", lambda s, w: s.update("ROOT", actor=OPERATOR, **_filing(w, [w.type_b, w.type_a]))),
    ("RETENTION_YEARS", lambda s, w: s.update("ROOT", retention_years=0, actor=OPERATOR)),
    ("RETENTION_YEARS", lambda s, w: s.update("ROOT", retention_years=101, actor=OPERATOR)),
    ("FILING_DEADLINE", lambda s, w: s.update("ROOT", filing_deadline_days=0, actor=OPERATOR)),
    ("FILING_DEADLINE", lambda s, w: s.update("ROOT", filing_deadline_days=3651, actor=OPERATOR)),
    ("ARCHIVE_CATEGORY", lambda s, w: s.update("ROOT", archive_category="WS/2026", actor=OPERATOR)),
    ("ARCHIVE_CATEGORY", lambda s, w: s.update("ROOT", archive_category="W" * 33, actor=OPERATOR)),
    ("ARCHIVE_CATEGORY", lambda s, w: s.update("ROOT", archive_category="", actor=OPERATOR)),
    ("FILING_NEEDS_DEPARTMENT", lambda s, w: s.update("FILER", department=None, actor=OPERATOR)),
    (
        "FILING_NEEDS_DEPARTMENT",
        lambda s, w: s.create("NEW", "x", filing_documents=True, archive_category=CATEGORY, actor=OPERATOR),
    ),
    ("FILING_NEEDS_CATEGORY", lambda s, w: s.update("FILER", archive_category=None, actor=OPERATOR)),
    (
        "FILING_NEEDS_CATEGORY",
        lambda s, w: s.create("NEW", "x", filing_types=[w.type_b], department=w.dept_b, actor=OPERATOR),
    ),
]


def _filing(world: World, types: list[str] | None = None) -> dict[str, Any]:
    return {"department": world.dept_b, "archive_category": CATEGORY, "filing_types": types or [world.type_a]}


@pytest.mark.parametrize(("code", "call"), RULES, ids=[f"{code}-{i}" for i, (code, _) in enumerate(RULES)])
def test_each_rule_refuses_with_its_code_and_changes_nothing(
    svc: ServiceItemService, tree: World, code: str, call: Call
) -> None:
    before, entries = _snapshot(), db.session.scalar(sa.select(sa.func.count()).select_from(LogEntry))
    with pytest.raises(RegistryError) as refused:
        call(svc, tree)
    assert refused.value.code == code
    assert _snapshot() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LogEntry)) == entries


def test_the_same_type_may_move_from_one_item_to_another(svc: ServiceItemService, tree: World) -> None:
    svc.update("FILER", filing_types=[], actor=OPERATOR)
    moved = svc.update("ROOT", actor=OPERATOR, **_filing(tree))
    assert moved.filing_types == [tree.type_a]
    assert svc.update("ROOT", actor=OPERATOR, filing_types=[tree.type_a, tree.type_a]).filing_types == [tree.type_a]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("post", "", {"code": "ROOT", "name": "x"}, 409, "SERVICE_ITEM_EXISTS"),
        ("post", "", {"code": "N", "name": "x", "parent": "NOPE"}, 422, "UNKNOWN_PARENT"),
        ("post", "", {"code": "N", "name": "x", "department": "11310000002418230T"}, 422, "UNKNOWN_DEPARTMENT"),
        ("post", "", {"code": "N", "name": "x", "filing_documents": True}, 422, "FILING_NEEDS_DEPARTMENT"),
        ("patch", "/ROOT", {"parent": "ROOT"}, 422, "PARENT_IS_SELF"),
        ("patch", "/ROOT", {"parent": "FILER"}, 422, "PARENT_CYCLE"),
        ("patch", "/FILER", {"archive_category": None}, 422, "FILING_NEEDS_CATEGORY"),
        ("patch", "/FILER", {"filing_types": ["11310000002418230T001"]}, 422, "UNKNOWN_TYPE"),
        ("patch", "/NOPE", {"name": "x"}, 404, "SERVICE_ITEM_NOT_FOUND"),
        ("patch", "/ROOT", {"retention_years": 0}, 422, "VALIDATION_FAILED"),
        ("patch", "/ROOT", {"retention_years": "5"}, 422, "VALIDATION_FAILED"),
        ("patch", "/ROOT", {"filing_deadline_days": 3651}, 422, "VALIDATION_FAILED"),
        ("patch", "/ROOT", {"archive_category": "类目"}, 422, "VALIDATION_FAILED"),
        ("patch", "/ROOT", {"retention_event": "birth"}, 422, "VALIDATION_FAILED"),
        ("patch", "/ROOT", {"filing_documents": "yes"}, 422, "VALIDATION_FAILED"),
        ("patch", "/ROOT", {"colour": "red"}, 422, "VALIDATION_FAILED"),
        ("post", "/NOPE/retire", None, 404, "SERVICE_ITEM_NOT_FOUND"),
    ],
)
def test_refusals_over_http_carry_their_status_and_code(
    client: FlaskClient, tree: World, method: str, path: str, body: Any, status: int, code: str
) -> None:
    response = getattr(client, method)(f"/api/v1/service-items{path}", json=body, headers=tree.headers("admin"))
    assert (response.status_code, response.json["code"]) == (status, code), response.json


def test_a_type_filed_elsewhere_is_a_conflict_naming_the_item(client: FlaskClient, tree: World) -> None:
    body = {"code": "NEW", "name": "x", **filer(tree)}
    response = client.post("/api/v1/service-items", json=body, headers=tree.headers("admin"))
    assert (response.status_code, response.json["code"]) == (409, "TYPE_ALREADY_FILED")
    assert response.json["errors"] == {"filing_types": [f"{tree.type_a} is filed under FILER"]}


# Who may change items ---------------------------------------------------------------------------------

CHANGES = [
    ("post", "/api/v1/service-items", {"code": "NEW", "name": "x"}),
    ("patch", "/api/v1/service-items/ROOT", {"name": "x"}),
    ("post", "/api/v1/service-items/ROOT/retire", None),
]


@pytest.mark.parametrize("who", ["issuer_a", "agency", "holder", None])
@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_only_the_admin_changes_items(
    client: FlaskClient, tree: World, who: str | None, method: str, path: str, body: Any
) -> None:
    before = client.get("/api/v1/service-items?include_retired=true").json
    headers = tree.headers(who) if who else {}
    response = getattr(client, method)(path, json=body, headers=headers)
    expected = (403, "ROLE_NOT_PERMITTED") if who else (401, "MISSING_TOKEN")
    assert (response.status_code, response.json["code"]) == expected
    assert client.get("/api/v1/service-items?include_retired=true").json == before


# The access log ---------------------------------------------------------------------------------------


def test_every_change_is_in_the_access_log(app: Flask, client: FlaskClient, tree: World) -> None:
    created = log_entries(app, "service_item:create")
    assert [e.service_item for e in created] == ["ROOT", "CHILD", "FILER"]
    client.patch("/api/v1/service-items/FILER", json={"retention_years": 10}, headers=tree.headers("admin"))
    client.post("/api/v1/service-items/FILER/retire", headers=tree.headers("admin"))
    [updated] = log_entries(app, "service_item:update")
    [retired] = log_entries(app, "service_item:retire")
    with app.app_context():
        dept_a = db.session.scalar(sa.select(Department.id).where(Department.credit_code == tree.dept_a))
    for entry in (created[2], updated, retired):
        assert (entry.service_item, entry.actor_kind, entry.actor_id) == ("FILER", "admin", tree.client_ids["admin"])
        assert entry.subject_department_id == dept_a  # on the owning department's record
    assert updated.reason == "retention_years=10"
    assert f"filing_types={tree.type_a}" in (created[2].reason or "") and "parent=CHILD" in (created[2].reason or "")
