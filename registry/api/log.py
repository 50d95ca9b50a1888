"""The access log over HTTP: signed checkpoints and proofs for anyone, entries for those they concern."""

from __future__ import annotations

import re
from typing import Any

from flask import Response

from registry.accesslog import TILE_WIDTH, EntryFilter, InclusionProof
from registry.api.auth import principal, requires
from registry.api.documents import file_response
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
from registry.errors import NotFound
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


TILE_PATH = re.compile(r"((?:x\d{3}/)*)(\d{3})(?:\.p/([1-9]\d{0,2}))?")


def tile_index_path(number: int) -> str:
    """A tile index as C2SP tlog-tiles writes it: 3-digit groups, every one but the last prefixed x."""
    groups = []
    while True:
        groups.append(f"{number % 1000:03d}")
        number //= 1000
        if number == 0:
            break
    return "/".join([f"x{g}" for g in reversed(groups[1:])] + [groups[0]])


@blp.route("/log/tile/<int:level>/<path:index>", methods=["GET"])
@blp.doc(
    security=[],
    parameters=[
        {
            "in": "path",
            "name": "index",
            "required": True,
            "schema": {"type": "string", "pattern": r"^(x\d{3}/)*\d{3}(\.p/[1-9]\d{0,2})?$"},
            "description": "the tile's index in 3-digit path elements, all but the last starting with x "
            "(1234067 is x001/x234/067), then .p/<width> for a partial tile",
        }
    ],
    **file_response("application/octet-stream", "the tile: its hashes, 32 bytes each"),
)
def tile(level: int, index: str) -> Response:
    """A hash tile of the log's Merkle tree (C2SP tlog-tiles): enough for a client to compute any proof
    itself. Immutable once served (public). Entry bundles are not served: entries are not public."""
    found = TILE_PATH.fullmatch(index)
    if found is None or (found.group(3) is not None and int(found.group(3)) > 255):
        raise NotFound("no such tile path", code="TILE_NOT_FOUND")
    number = int(found.group(1).replace("x", "").replace("/", "") + found.group(2))
    if index.split(".p/")[0] != tile_index_path(number):
        raise NotFound("tile indexes are written one way only (1234067 is x001/x234/067)", code="TILE_NOT_FOUND")
    width = int(found.group(3)) if found.group(3) else TILE_WIDTH
    data = services().access_log.tile(level, number, width)
    response = Response(data, mimetype="application/octet-stream")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


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
