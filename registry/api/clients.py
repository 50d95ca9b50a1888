"""API clients: the systems of departments and agencies that call the API, registered by the admin."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from registry.api.auth import principal, requires
from registry.api.parsing import RegistryBlueprint
from registry.api.schemas.clients import ClientCreated, ClientIn, ClientOut
from registry.models import ApiClient
from registry.vocabulary import Action, Role
from registry.wiring import services

blp = RegistryBlueprint("clients", __name__, url_prefix="/api/v1", description="API clients")


@blp.route("/clients")
class Clients(MethodView):
    @requires(Role.ADMIN, action=Action.CLIENT_LIST)
    @blp.response(200, ClientOut(many=True))
    def get(self) -> list[ApiClient]:
        """List API clients (admin)."""
        return services().clients.list()

    @requires(Role.ADMIN, action=Action.CLIENT_CREATE)
    @blp.arguments(ClientIn)
    @blp.response(201, ClientCreated)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register an API client; its secret is in this response only (admin)."""
        svc = services()
        department = svc.catalog.get_department(data["department"]) if data["department"] else None
        client, secret = svc.clients.create(data["name"], data["role"], department, actor=principal())
        return {**ClientOut().dump(client), "client_secret": secret}
