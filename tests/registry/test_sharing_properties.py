"""Sharing rules as properties: random policies, consents and requests through the service layer.

No policy, no data; the disclosed fields are exactly the policy's (or the requested subset of them);
without an active consent where one is required, no data; every request, granted or refused, is
exactly one access-log entry, naming the holder.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from issuers import sdjwt
from registry.certificates import IssueRequest
from registry.errors import NotFound
from registry.models import LogEntry, SharingGrant, db
from registry.principals import OPERATOR, Principal, holder_ref
from registry.refusals import RefusalCounter, record_refusal
from registry.sharing.grants import ShareRequest, SharingRefused
from registry.vocabulary import Role
from registry.wiring import services
from tests.factories import citizen_id, make_department, make_type

FIELDS = ("company_name", "legal_representative", "registered_capital", "established_on", "employees", "listed")
VALUES = {
    "company_name": "示例有限公司",
    "legal_representative": "王五",
    "registered_capital": 1e6,
    "established_on": "2021-03-04",
    "employees": 12,
    "listed": False,
}
DISCLOSABLE = (*FIELDS, "holder_id")
AGENCIES, TYPES, ITEMS, HOLDERS = 2, 2, 2, 2


@dataclass
class Fixture:
    agencies: list[Principal]
    agency_codes: list[str]
    types: list[str]
    items: list[str]
    holders: list[str]
    holder_principals: list[Principal]


@pytest.fixture
def fixture(app: Flask) -> Fixture:
    """Two agencies, two types (each held by both holders), two service items; committed once."""
    with app.app_context():
        svc = services()
        issuer = make_department("发证部门")
        svc.keys.create(None, actor=OPERATOR)
        svc.keys.create(issuer, actor=OPERATOR)
        agencies = [make_department(f"机关 {i}") for i in range(AGENCIES)]
        types = [make_type([issuer]).code for _ in range(TYPES)]
        items = [svc.service_items.create(f"ITEM-{i}", f"事项 {i}", actor=OPERATOR).code for i in range(ITEMS)]
        holders = [citizen_id() for _ in range(HOLDERS)]
        svc.certificates.issue(
            issuer,
            [IssueRequest(t, "person", h, "王五", dict(VALUES)) for t in types for h in holders],
            actor=OPERATOR,
        )
        db.session.commit()
        key = app.config["REGISTRY_HOLDER_KEY"]
        return Fixture(
            agencies=[Principal(role=Role.AGENCY, client_id=f"agency-{a.id}", department_id=a.id) for a in agencies],
            agency_codes=[a.credit_code for a in agencies],
            types=types,
            items=items,
            holders=holders,
            holder_principals=[Principal(role="holder", holder_ref=holder_ref(key, "person", h)) for h in holders],
        )


triple = st.tuples(st.integers(0, AGENCIES - 1), st.integers(0, TYPES - 1), st.integers(0, ITEMS - 1))
policies = st.dictionaries(
    triple,
    st.tuples(st.frozensets(st.sampled_from(DISCLOSABLE)), st.booleans()),  # fields, consent required
    max_size=6,
)
# (holder, agency, item) -> "granted" or "withdrawn"
consents = st.dictionaries(
    st.tuples(st.integers(0, HOLDERS - 1), st.integers(0, AGENCIES - 1), st.integers(0, ITEMS - 1)),
    st.sampled_from(["granted", "withdrawn"]),
    max_size=6,
)
requests = st.lists(
    st.tuples(
        st.integers(0, AGENCIES - 1),
        st.integers(0, HOLDERS - 1),
        st.integers(0, TYPES - 1),
        st.integers(0, ITEMS - 1),
        st.none() | st.frozensets(st.sampled_from(DISCLOSABLE), max_size=3),
    ),
    min_size=1,
    max_size=6,
)


def log_size() -> int:
    return int(db.session.scalar(select(func.count()).select_from(LogEntry)) or 0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policies=policies, consents=consents, requests=requests)
def test_sharing_follows_policy_and_consent(
    app: Flask,
    fixture: Fixture,
    policies: dict[tuple[int, int, int], tuple[frozenset[str], bool]],
    consents: dict[tuple[int, int, int], str],
    requests: list[tuple[int, int, int, int, frozenset[str] | None]],
) -> None:
    f = fixture
    with app.app_context():
        svc = services()
        counter = RefusalCounter()
        try:
            for (a, t, i), (fields, consent_required) in policies.items():
                svc.policies.create_policy(
                    f.agency_codes[a],
                    f.types[t],
                    f.items[i],
                    sorted(fields),
                    consent_required=consent_required,
                    copy_validity_hours=1,
                    actor=OPERATOR,
                )
            for (h, a, i), state in consents.items():
                consent, _ = svc.consents.grant(f.holder_principals[h], f.agency_codes[a], f.items[i])
                if state == "withdrawn":
                    svc.consents.withdraw(f.holder_principals[h], consent.id)
            for a, h, t, i, wanted in requests:
                policy = policies.get((a, t, i))
                before = log_size()
                request = ShareRequest(
                    "person",
                    f.holders[h],
                    f.types[t],
                    f.items[i],
                    "事由",
                    None if wanted is None else tuple(sorted(wanted)),
                )
                code = None
                try:
                    result = svc.grants.share(f.agencies[a], request)
                except (SharingRefused, NotFound) as refused:
                    code = refused.code
                    result = None
                    # What the web layer does with every refusal when the request ends.
                    record_refusal(
                        db.session, f.agencies[a], refused, action="certificate:share", path={}, counter=counter
                    )
                event(code if result is None else "granted")
                # Exactly one entry per request, naming the holder, in the request's own outcome.
                assert log_size() == before + 1
                entry = db.session.scalar(select(LogEntry).order_by(LogEntry.idx.desc()).limit(1))
                assert entry is not None and entry.action == "certificate:share"
                assert entry.holder_ref == f.holder_principals[h].holder_ref
                assert entry.actor_department_id == f.agencies[a].department_id
                if policy is None:
                    assert result is None and code == "NO_POLICY"  # no policy, no data
                    assert entry.outcome == "refused"
                    continue
                fields, consent_required = policy
                if wanted is not None and not wanted <= fields:
                    assert result is None and code == "FIELD_NOT_PERMITTED"
                    continue
                if consent_required and consents.get((h, a, i)) != "granted":
                    assert result is None and code == "CONSENT_REQUIRED"  # withdrawn or never given
                    continue
                assert result is not None and entry.outcome == "ok"
                expected = set(fields if wanted is None else wanted)
                assert len(result.copies) == 1
                for copy in result.copies:
                    assert set(sdjwt.disclosed_values(copy.signed_form)) == expected
                    assert set(copy.disclosed) == expected
                    if "holder_id" not in expected:
                        assert f.holders[h] not in copy.signed_form
        finally:
            db.session.rollback()


def test_a_refusal_records_its_entry_and_no_grant(app: Flask, fixture: Fixture) -> None:
    with app.app_context():
        request = ShareRequest("person", fixture.holders[0], fixture.types[0], fixture.items[0], "事由")
        with pytest.raises(SharingRefused):
            services().grants.share(fixture.agencies[0], request)
        assert db.session.scalar(select(func.count()).select_from(SharingGrant)) == 0
        db.session.rollback()
