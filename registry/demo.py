"""The demo world for `make run`: DEMO departments, types, clients and holders with fixed, public credentials.

Everything here is made up and clearly marked; the loader refuses to run outside development.
"""

from __future__ import annotations

from registry.models import db
from registry.principals import OPERATOR
from registry.vocabulary import RetentionEvent, Role
from registry.wiring import Services

MARKET = ("11310000002418230T", "上海市市场监督管理局 (DEMO)")
PROPERTY = ("11310000MB2F05123H", "上海市规划和自然资源局 (DEMO)")
TAX = ("113100000024238565", "上海市税务局 (DEMO)")
PUDONG_HR = ("11310115MB2F77881T", "浦东新区人力资源和社会保障局 (DEMO)")

ESTABLISHMENT = ("SH-MKT-EST-001", "企业设立登记 Enterprise establishment registration (DEMO)")
DECISIONS = ("SH-MKT-EST-001.01", "准予设立登记决定 Establishment approval decisions (DEMO)")
BUSINESS_LICENSE = "11310000002418230T001"
PROPERTY_CERTIFICATE = "11310000MB2F05123H001"

CLIENTS = (
    ("demo-admin", "demo-admin-secret", "DEMO registry operator", Role.ADMIN, None),
    ("demo-market-issuer", "demo-market-secret", "DEMO market regulation system", Role.ISSUER, MARKET[0]),
    ("demo-property-issuer", "demo-property-secret", "DEMO property registration system", Role.ISSUER, PROPERTY[0]),
    ("demo-tax-agency", "demo-tax-secret", "DEMO tax service system", Role.AGENCY, TAX[0]),
    ("demo-archivist", "demo-archivist-secret", "DEMO municipal archives", Role.ARCHIVIST, None),
)
STAFF = (  # username, password, name, role, department
    ("demo-clerk", "demo-clerk-password", "王丽 (DEMO clerk)", Role.ISSUER, MARKET[0]),
    ("demo-archivist", "demo-archivist-password", "陈静 (DEMO archivist)", Role.ARCHIVIST, None),
)
HOLDERS = (
    ("person", "11010519491231002X", "张三"),
    ("organization", "91310000MA1FL7XJ50", "上海示例科技有限公司"),
)


def load_demo(svc: Services) -> str:
    """Create the demo world unless it is there, then return the text that tells how to use it."""
    catalog = svc.catalog
    if catalog.find_department(MARKET[0]) is None:
        departments = {
            code: catalog.create_department(code, name, actor=OPERATOR)
            for code, name in (MARKET, PROPERTY, TAX, PUDONG_HR)
        }
        for code in (MARKET[0], PROPERTY[0]):
            svc.keys.create(departments[code], actor=OPERATOR)
        catalog.create_type(
            BUSINESS_LICENSE,
            "营业执照 Business license (DEMO)",
            [
                {
                    "name": "company_name",
                    "type": "string",
                    "required": True,
                    "personal": False,
                    "label": "企业名称",
                    "label_en": "Company name",
                },
                {
                    "name": "legal_representative",
                    "type": "string",
                    "required": True,
                    "personal": True,
                    "label": "法定代表人",
                    "label_en": "Legal representative",
                },
                {
                    "name": "registered_capital",
                    "type": "number",
                    "required": False,
                    "personal": False,
                    "label": "注册资本",
                    "label_en": "Registered capital",
                },
                {
                    "name": "business_scope",
                    "type": "string",
                    "required": False,
                    "personal": False,
                    "label": "经营范围",
                    "label_en": "Business scope",
                },
                {
                    "name": "established_on",
                    "type": "date",
                    "required": True,
                    "personal": False,
                    "label": "成立日期",
                    "label_en": "Date of establishment",
                },
                {
                    "name": "address",
                    "type": "string",
                    "required": False,
                    "personal": False,
                    "label": "住所",
                    "label_en": "Address",
                },
            ],
            [MARKET[0]],
            default_validity_days=None,
            retention_years=30,
            actor=OPERATOR,
        )
        catalog.create_type(
            PROPERTY_CERTIFICATE,
            "不动产权证书 Real estate certificate (DEMO)",
            [
                {
                    "name": "property_address",
                    "type": "string",
                    "required": True,
                    "personal": False,
                    "label": "坐落",
                    "label_en": "Location",
                },
                {
                    "name": "area_m2",
                    "type": "number",
                    "required": True,
                    "personal": False,
                    "label": "面积（平方米）",
                    "label_en": "Area (m²)",
                },
                {
                    "name": "usage",
                    "type": "string",
                    "required": False,
                    "personal": False,
                    "label": "用途",
                    "label_en": "Usage",
                },
                {
                    "name": "ownership_share",
                    "type": "string",
                    "required": False,
                    "personal": True,
                    "label": "共有情况",
                    "label_en": "Share of ownership",
                },
            ],
            [PROPERTY[0]],
            default_validity_days=None,
            retention_years=100,
            actor=OPERATOR,
        )
        # Filing: business licences under the establishment item, kept 30 years from issue; the market
        # department's licensing decisions (stamped or handed over) permanently, from the decision.
        items = svc.service_items
        items.create(
            ESTABLISHMENT[0],
            ESTABLISHMENT[1],
            actor=OPERATOR,
            department=MARKET[0],
            filing_types=[BUSINESS_LICENSE],
            retention_years=30,
            archive_category="XK.DJ",
        )
        items.create(
            DECISIONS[0],
            DECISIONS[1],
            actor=OPERATOR,
            department=MARKET[0],
            parent=ESTABLISHMENT[0],
            filing_documents=True,
            retention_event=RetentionEvent.DECISION,
            archive_category="XK.JD",
        )
        for client_id, secret, name, role, owner in CLIENTS:
            department = departments[owner] if owner else None
            svc.clients.create(name, role, department, actor=OPERATOR, client_id=client_id, secret=secret)
        for username, password, name, role, owner in STAFF:
            svc.staff.create(username, name, role, departments[owner] if owner else None, password, actor=OPERATOR)
        db.session.commit()
        loaded = "Loaded the DEMO world (made-up departments, types and clients; development only)."
    else:
        loaded = "The DEMO world is loaded."
    lines = [loaded, "API clients (client_id / client_secret):"]
    lines += [f"  {cid:22} {secret:22} {role:7} {code or ''}" for cid, secret, _, role, code in CLIENTS]
    lines += ["Staff sign-in (/console/, /archive/; username / password):"]
    lines += [f"  {user:22} {password:22} {role}" for user, password, _, role, _ in STAFF]
    base = svc.config["REGISTRY_ISSUER"]
    lines += [
        "Get a token:",
        f"  curl -s -u demo-market-issuer:demo-market-secret -d grant_type=client_credentials {base}/oauth/token",
        "A holder's ID token: REGISTRY_ENV=development .venv/bin/flask --app wsgi idp mint-holder-token "
        "--id 11010519491231002X --name 张三",
        f"API docs: {base}/docs    Keys: {base}/.well-known/jwks.json",
    ]
    return "\n".join(lines)
