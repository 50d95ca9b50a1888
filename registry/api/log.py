"""The access log over HTTP: signed checkpoints and proofs for anyone, entries for those they concern."""

from __future__ import annotations

from typing import Any

from registry.accesslog import EntryFilter, InclusionProof
from registry.api.auth import principal, requires
from registry.api.parsing import RegistryBlueprint
from registry.api.schemas.log import (
    CheckpointOut,
    ConsistencyArgs,
    ConsistencyOut,
    CosignatureIn,
    CosignatureOut,
    EntryArgs,
    EntryPage,
    HolderEntryPage,
    HolderLogArgs,
    InclusionArgs,
    InclusionOut,
)
from registry.models import LogCosignature
from registry.principals import HOLDER_ROLE
from registry.vocabulary import Action, Role
from registry.wiring import services

blp = RegistryBlueprint("log", __name__, url_prefix="/api/v1", description="The tamper-evident access log")


def _checkpoint() -> dict[str, Any]:
    """The checkpoint of the log as it is now, signed and stored if new."""
    return services().checkpoint()


@blp.route("/log/checkpoint", methods=["GET"])
@blp.response(200, CheckpointOut)
@blp.doc(security=[])
def checkpoint() -> dict[str, Any]:
    """The registry-signed checkpoint of the log as it is now (public)."""
    return _checkpoint()


@blp.route("/log/checkpoints/<int:size>", methods=["GET"])
@blp.response(200, CheckpointOut)
@blp.doc(security=[])
def checkpoint_at(size: int) -> dict[str, Any]:
    """The checkpoint the registry signed at `size`, with the witnesses' cosignatures it has (public)."""
    return services().checkpoint(size)


@blp.route("/log/cosignatures", methods=["POST"])
@blp.arguments(CosignatureIn)
@blp.response(201, CosignatureOut)
@blp.doc(security=[])
def add_cosignature(body: dict[str, Any]) -> LogCosignature:
    """A witness hands in its cosignature (C2SP tlog-cosignature) of a checkpoint; kept only when it
    verifies under the key of a witness this registry is configured with (public: the signature is
    the credential)."""
    return services().cosignatures.add(body["size"], body["cosignature"])


@blp.route("/log/proof/inclusion", methods=["GET"])
@blp.arguments(InclusionArgs, location="query")
@blp.response(200, InclusionOut)
@blp.doc(security=[])
def inclusion(args: dict[str, Any]) -> InclusionProof:
    """The audit path of entry `index` in the tree of the first `size` entries (public, RFC 9162 2.1.3)."""
    return services().access_log.inclusions([args["index"]], args["size"])[0]


@blp.route("/log/proof/consistency", methods=["GET"])
@blp.arguments(ConsistencyArgs, location="query")
@blp.response(200, ConsistencyOut)
@blp.doc(security=[])
def consistency(args: dict[str, Any]) -> dict[str, Any]:
    """The proof that the tree of `old` entries is a prefix of the tree of `new` (public, RFC 9162 2.1.4)."""
    path = services().access_log.consistency(args["old"], args["new"])
    return {"old": args["old"], "new": args["new"], "consistency_path": [p.hex() for p in path]}


@blp.route("/log/entries", methods=["GET"])
@requires(Role.ADMIN, Role.ISSUER, action=Action.LOG_READ)
@blp.arguments(EntryArgs, location="query")
@blp.response(200, EntryPage)
def entries(args: dict[str, Any]) -> dict[str, Any]:
    """Entries newest first: the admin's all, a department's about the certificates it issued (admin, issuer)."""
    svc = services()
    department = svc.catalog.get_department(args["department"]).id if args.get("department") else None
    log = svc.access_log
    filters = log.visible_filter(
        principal(),
        EntryFilter(
            args.get("certificate"),
            department,
            Action(args["action"]) if "action" in args else None,
            args.get("since"),
            args.get("until"),
        ),
    )
    items = log.entries(filters, limit=args["limit"], before=args.get("before"))
    return {"items": items, "next_cursor": items[-1].idx if len(items) == args["limit"] else None}


@blp.route("/me/access-log", methods=["GET"])
@requires(HOLDER_ROLE, action=Action.LOG_READ_OWN)
@blp.arguments(HolderLogArgs, location="query")
@blp.response(200, HolderEntryPage)
def my_access_log(args: dict[str, Any]) -> dict[str, Any]:
    """Every access to the holder's certificates, newest first, with inclusion proofs on request (holder)."""
    log = services().access_log
    items = log.entries(EntryFilter(holder_ref=principal().holder_ref), limit=args["limit"], before=args.get("before"))
    page: dict[str, Any] = {
        "items": [{"entry": e, "inclusion": None} for e in items],
        "next_cursor": items[-1].idx if len(items) == args["limit"] else None,
    }
    if args["proofs"] and items:
        checkpoint = _checkpoint()
        proofs = log.inclusions([e.idx for e in items], checkpoint["size"])
        page["items"] = [{"entry": e, "inclusion": p} for e, p in zip(items, proofs, strict=True)]
        page["checkpoint"] = checkpoint
    return page
