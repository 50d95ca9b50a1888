"""Service items over HTTP: anyone reads them, a page at a time; the admin adds, changes and retires them."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from registry.api.auth import principal, requires
from registry.api.parsing import RegistryBlueprint
from registry.api.schemas.serviceitems import (
    CODE_PARAMETER,
    ServiceItemIn,
    ServiceItemListArgs,
    ServiceItemOut,
    ServiceItemPage,
    ServiceItemUpdate,
)
from registry.models import ServiceItem
from registry.vocabulary import Action, Role
from registry.wiring import services

blp = RegistryBlueprint(
    "serviceitems",
    __name__,
    url_prefix="/api/v1",
    description="Administrative service items: owning department, parent and filing parameters",
)


@blp.route("/service-items")
class ServiceItems(MethodView):
    @blp.arguments(ServiceItemListArgs, location="query")
    @blp.response(200, ServiceItemPage)
    @blp.doc(security=[])
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Service items in code order, a page at a time: pass `next` as `after` for the next page (public)."""
        page = services().service_items.page(**args)
        return {"items": page.items, "next": page.next}

    @requires(Role.ADMIN, action=Action.SERVICE_ITEM_CREATE)
    @blp.arguments(ServiceItemIn)
    @blp.response(201, ServiceItemOut)
    def post(self, data: dict[str, Any]) -> ServiceItem:
        """Add a service item; what is left out takes its default (admin)."""
        item = services().service_items.create(data.pop("code"), data.pop("name"), actor=principal(), **data)
        return item


@blp.route("/service-items/<code>", parameters=[CODE_PARAMETER])
class Item(MethodView):
    @blp.response(200, ServiceItemOut)
    @blp.doc(security=[])
    def get(self, code: str) -> ServiceItem:
        """One service item (public)."""
        return services().service_items.get(code)

    @requires(Role.ADMIN, action=Action.SERVICE_ITEM_UPDATE)
    @blp.arguments(ServiceItemUpdate)
    @blp.response(200, ServiceItemOut)
    def patch(self, data: dict[str, Any], code: str) -> ServiceItem:
        """Change what the body gives; the rest stays (admin)."""
        item = services().service_items.update(code, actor=principal(), **data)
        return item


@blp.route("/service-items/<code>/retire", methods=["POST"], parameters=[CODE_PARAMETER])
@requires(Role.ADMIN, action=Action.SERVICE_ITEM_RETIRE)
@blp.response(200, ServiceItemOut)
def retire(code: str) -> ServiceItem:
    """Retire a service item: it stays, and files no new records; 409 SERVICE_ITEM_RETIRED the second time
    (admin)."""
    item = services().service_items.retire(code, actor=principal())
    return item
