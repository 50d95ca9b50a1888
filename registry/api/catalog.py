"""Departments and certificate types: read by anyone, changed by the admin."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from registry.api.auth import principal, requires
from registry.api.parsing import RegistryBlueprint
from registry.api.schemas.catalog import CertificateTypeIn, CertificateTypeOut, DepartmentIn, DepartmentOut
from registry.models import CertificateType, Department
from registry.vocabulary import Action, Role
from registry.wiring import services

blp = RegistryBlueprint("catalog", __name__, url_prefix="/api/v1", description="Departments and certificate types")


@blp.route("/departments")
class Departments(MethodView):
    @blp.response(200, DepartmentOut(many=True))
    @blp.doc(security=[])
    def get(self) -> list[Department]:
        """List departments (public)."""
        return services().catalog.list_departments()

    @requires(Role.ADMIN, action=Action.DEPARTMENT_CREATE)
    @blp.arguments(DepartmentIn)
    @blp.response(201, DepartmentOut)
    def post(self, data: dict[str, Any]) -> Department:
        """Register a department (admin)."""
        department = services().catalog.create_department(data["credit_code"], data["name"], actor=principal())
        return department


@blp.route("/departments/<credit_code>")
@blp.response(200, DepartmentOut)
@blp.doc(security=[])
def department(credit_code: str) -> Department:
    """One department (public)."""
    return services().catalog.get_department(credit_code)


@blp.route("/certificate-types")
class CertificateTypes(MethodView):
    @blp.response(200, CertificateTypeOut(many=True))
    @blp.doc(security=[])
    def get(self) -> list[CertificateType]:
        """List certificate types with their fields and issuers (public)."""
        return services().catalog.list_types()

    @requires(Role.ADMIN, action=Action.TYPE_CREATE)
    @blp.arguments(CertificateTypeIn)
    @blp.response(201, CertificateTypeOut)
    def post(self, data: dict[str, Any]) -> CertificateType:
        """Define a certificate type (admin)."""
        ctype = services().catalog.create_type(
            data["code"],
            data["name"],
            data["fields"],
            data["issuers"],
            default_validity_days=data["default_validity_days"],
            retention_years=data["retention_years"],
            actor=principal(),
        )
        return ctype


@blp.route("/certificate-types/<code>")
@blp.response(200, CertificateTypeOut)
@blp.doc(security=[])
def certificate_type(code: str) -> CertificateType:
    """One certificate type (public)."""
    return services().catalog.get_type(code)
