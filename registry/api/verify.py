"""Online verification: a presented certificate, or an annotated copy, checked check by check."""

from __future__ import annotations

from typing import Any

from registry.api.parsing import RegistryBlueprint
from registry.api.schemas.verify import VerifyIn, VerifyOut
from registry.verification import VerificationResult
from registry.wiring import services

blp = RegistryBlueprint("verify", __name__, url_prefix="/api/v1", description="Online verification")


@blp.route("/verify", methods=["POST"])
@blp.arguments(VerifyIn)
@blp.response(200, VerifyOut)
@blp.doc(security=[])
def verify(body: dict[str, Any]) -> VerificationResult:
    """Check a presented certificate check by check: format, signature, issuer, key status, validity,
    status lists, disclosures; never a bare "invalid". With `annotation` and `agency`, an annotated copy
    from sharing: also the annotation's signature, its binding, the agency and the copy's expiry (public)."""
    result = services().verification.verify(body["token"], body.get("annotation"), body.get("agency"))
    return result
