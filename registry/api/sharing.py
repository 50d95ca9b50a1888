"""Sharing over HTTP: sharing policies (public to read, the admin changes them), sharing
requests by relying agencies, holders' consents, and the paper-avoided statistics for the admin."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from registry.api.auth import principal, requires
from registry.api.parsing import RegistryBlueprint
from registry.api.schemas.sharing import (
    ConsentIn,
    ConsentOut,
    PolicyIn,
    PolicyListArgs,
    PolicyOut,
    PolicyUpdate,
    ShareIn,
    ShareOut,
    StatsOut,
)
from registry.models import Consent, SharingPolicy
from registry.principals import HOLDER_ROLE
from registry.sharing.grants import ShareRequest, SharingResult
from registry.vocabulary import Action, Role
from registry.wiring import services

blp = RegistryBlueprint(
    "sharing", __name__, url_prefix="/api/v1", description="Cross-department sharing by service item"
)


@blp.route("/sharing-policies")
class Policies(MethodView):
    @blp.arguments(PolicyListArgs, location="query")
    @blp.response(200, PolicyOut(many=True))
    @blp.doc(security=[])
    def get(self, args: dict[str, Any]) -> list[SharingPolicy]:
        """Which agency may fetch which fields of which type, for which service item (public)."""
        return services().policies.list_policies(include_withdrawn=args["include_withdrawn"])

    @requires(Role.ADMIN, action=Action.SHARING_POLICY_CREATE)
    @blp.arguments(PolicyIn)
    @blp.response(201, PolicyOut)
    def post(self, data: dict[str, Any]) -> SharingPolicy:
        """Add a sharing policy (admin)."""
        policy = services().policies.create_policy(
            data["agency"],
            data["type"],
            data["service_item"],
            data["fields"],
            consent_required=data["consent_required"],
            copy_validity_hours=data["copy_validity_hours"],
            actor=principal(),
        )
        return policy


@blp.route("/sharing-policies/<int:policy_id>")
class Policy(MethodView):
    @blp.response(200, PolicyOut)
    @blp.doc(security=[])
    def get(self, policy_id: int) -> SharingPolicy:
        """One sharing policy (public)."""
        return services().policies.get_policy(policy_id)

    @requires(Role.ADMIN, action=Action.SHARING_POLICY_UPDATE)
    @blp.arguments(PolicyUpdate)
    @blp.response(200, PolicyOut)
    def patch(self, data: dict[str, Any], policy_id: int) -> SharingPolicy:
        """Change or withdraw (`active: false`) a policy; later requests follow it (admin)."""
        policy = services().policies.update_policy(policy_id, actor=principal(), **data)
        return policy


@blp.route("/sharing/requests", methods=["POST"])
@requires(Role.AGENCY, action=Action.CERTIFICATE_SHARE)
@blp.arguments(ShareIn)
@blp.response(200, ShareOut)
def share(data: dict[str, Any]) -> SharingResult:
    """Fetch a holder's certificates of a type for a service item, as annotated copies with the fields the
    policy permits (relying agency). Refusals: 403 NO_POLICY, FIELD_NOT_PERMITTED, CONSENT_REQUIRED;
    404 NO_CERTIFICATE. Every request, granted or refused, is in the holder's access log."""
    request = ShareRequest(
        holder_kind=data["holder"]["kind"],
        holder_id=data["holder"]["id"],
        type_code=data["type"],
        service_item=data["service_item"],
        reason=data["reason"],
        fields=tuple(data["fields"]) if "fields" in data else None,
    )
    return services().grants.share(principal(), request)


@blp.route("/me/consents")
class Consents(MethodView):
    @requires(HOLDER_ROLE, action=Action.CONSENT_LIST)
    @blp.response(200, ConsentOut(many=True))
    def get(self) -> list[Consent]:
        """The holder's consents, withdrawn ones included, newest first (holder)."""
        return services().consents.of_holder(principal())

    @requires(HOLDER_ROLE, action=Action.CONSENT_GRANT)
    @blp.arguments(ConsentIn)
    @blp.response(201, ConsentOut)
    @blp.alt_response(200, schema=ConsentOut, description="the consent was already given")
    def post(self, data: dict[str, Any]) -> tuple[Consent, int]:
        """Consent that an agency fetch your certificates for a service item, until you withdraw it (holder)."""
        consent, created = services().consents.grant(principal(), data["agency"], data["service_item"])
        return consent, 201 if created else 200


@blp.route("/me/consents/<int:consent_id>", methods=["DELETE"])
@requires(HOLDER_ROLE, action=Action.CONSENT_WITHDRAW)
@blp.response(200, ConsentOut)
def withdraw(consent_id: int) -> Consent:
    """Withdraw a consent; every later request is judged without it (holder)."""
    consent = services().consents.withdraw(principal(), consent_id)
    return consent


@blp.route("/stats", methods=["GET"])
@requires(Role.ADMIN, action=Action.SHARING_STATS_READ)
@blp.response(200, StatsOut)
def stats() -> dict[str, Any]:
    """Paper submissions avoided: granted sharing requests, per agency, department, type and item (admin)."""
    return services().sharing_statistics.stats()
