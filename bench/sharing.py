"""Sharing requests per second through the service layer, one transaction per request as the API does.

A granted request finds the policy and the holder's consent, selects the holder's valid certificate,
presents it with the permitted disclosures, signs an annotation with the registry's key, stores the
grant and its copy and appends one access-log entry. A refused one (no consent) stops after the
consent lookup and appends its entry. Next to them, in the same run: the annotation's ES256 JWS
alone, the one signature a granted request makes.
`python -m bench.sharing [N]`; SQLite; each figure is the median of 3 rounds.
"""

from __future__ import annotations

import contextlib
import secrets
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.common import ROUNDS, median_rate, registry_settings


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    from issuers.signing import jws_encode
    from registry import create_app
    from registry.accesslog import init_log
    from registry.certificates import IssueRequest
    from registry.errors import RegistryError
    from registry.models import db
    from registry.principals import HOLDER_ROLE, OPERATOR, Principal, holder_ref
    from registry.sharing.grants import ShareRequest
    from registry.vocabulary import Role
    from registry.wiring import services
    from tests.factories import citizen_id, make_department, make_type

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        holder_key = secrets.token_urlsafe(32)
        app = create_app(registry_settings(workdir, "sharing.sqlite3", REGISTRY_HOLDER_KEY=holder_key))
        with app.app_context():
            db.create_all()
            init_log(db.session)
            svc = services()
            issuer, agency_dept, other_dept = (make_department(name) for name in ("发证部门", "税务局", "公安局"))
            svc.keys.create(None, actor=OPERATOR)
            svc.keys.create(issuer, actor=OPERATOR)
            ctype = make_type([issuer])
            item = svc.service_items.create("BENCH-001", "企业设立登记", actor=OPERATOR)
            for agency in (agency_dept, other_dept):
                svc.policies.create_policy(
                    agency.credit_code,
                    ctype.code,
                    item.code,
                    ["company_name", "registered_capital", "established_on"],
                    consent_required=True,
                    copy_validity_hours=72,
                    actor=OPERATOR,
                )
            holders = [citizen_id() for _ in range(1000)]
            values = {"company_name": "上海示例科技有限公司", "legal_representative": "王小明"}
            svc.certificates.issue(
                issuer,
                [
                    IssueRequest(ctype.code, "person", h, "王小明", {**values, "established_on": "2021-03-04"})
                    for h in holders
                ],
                actor=OPERATOR,
            )
            for h in holders:  # every holder consents to the first agency only
                holder = Principal(role=HOLDER_ROLE, holder_ref=holder_ref(holder_key, "person", h))
                svc.consents.grant(holder, agency_dept.credit_code, item.code)
            db.session.commit()
            type_code, item_code = ctype.code, item.code
            agency = Principal(role=Role.AGENCY, client_id="bench", department_id=agency_dept.id)
            other = Principal(role=Role.AGENCY, client_id="bench-other", department_id=other_dept.id)

            def requests(who: Principal) -> Callable[[int], None]:
                def run(count: int) -> None:
                    for i in range(count):
                        db.session.expunge_all()  # as a request does: an empty session
                        request = ShareRequest("person", holders[i % len(holders)], type_code, item_code, "办理登记")
                        with contextlib.suppress(RegistryError):  # a refusal is recorded, then raised
                            services().grants.share(who, request)
                        db.session.commit()

                return run

            requests(agency)(50)  # warm-up: loads the registry's key
            granted = median_rate(n, requests(agency))
            refused = median_rate(n, requests(other))
            signer = svc.keys.signing_key(None)
            claims = {"iss": "https://registry.example", "sub": "x" * 60, "reason": "办理登记", "fields": ["a"] * 3}
            sign_only = median_rate(n, lambda count: [jws_encode(claims, signer, "x") for _ in range(count)] and None)
            db.engine.dispose()

    print(f"sharing requests through the service layer, SQLite, one transaction each, median of {ROUNDS} rounds")
    print(f"  annotation JWS alone (ES256), the one signature of a grant  {sign_only:9,.0f} /s")
    print(f"  granted: policy, consent, certificate, copy, grant, log     {granted:9,.0f} /s")
    print(f"  refused (no consent): policy, consent, log                  {refused:9,.0f} /s")


if __name__ == "__main__":
    main()
