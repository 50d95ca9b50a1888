"""An access-log entry's leaf, recomputed from what the registry's API shows: anyone can check that the
entry a holder reads is the one an inclusion proof proves, without the registry's database.

A leaf is SHA-256(0x00 || entry bytes) (RFC 9162). The entry bytes are the 13 fields below as compact
JSON (sorted keys, no spaces, UTF-8 as is), the time in ISO 8601 UTC as Python's `isoformat` writes
it, and `"v": 2` for entries of leaf format 2. Entries of format 1 (appended before the actions were
renamed `object:verb`) have no `v` and hash the action's legacy name from `LEGACY_ACTION_NAMES`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from verifiers.merkle import leaf_hash

FIELDS = (
    "idx",
    "at",
    "actor_kind",
    "actor_id",
    "actor_department_id",
    "action",
    "certificate",
    "holder_ref",
    "subject_department_id",
    "service_item",
    "reason",
    "outcome",
    "error_code",
)

# The action names of leaf format 1, by their names since. Pinned forever: a format-1 leaf is
# recomputable only with this exact table.
LEGACY_ACTION_NAMES: dict[str, str] = {
    "certificate:issue": "issue",
    "certificate:issue_replay": "issue_replayed",
    "certificate:list": "list",
    "certificate:read": "read",
    "certificate:qr": "qr",
    "certificate:suspend": "suspend",
    "certificate:reinstate": "reinstate",
    "certificate:revoke": "revoke",
    "certificate:amend": "amend",
    "certificate:reidentify": "reidentify",
    "certificate:supersede": "superseded",
    "certificate:verify": "verify",
    "certificate:share": "share",
    "copy:verify": "verify_copy",
    "consent:grant": "consent.grant",
    "consent:withdraw": "consent.withdraw",
    "consent:list": "consent.list",
    "service_item:create": "service_item.create",
    "sharing_policy:create": "sharing_policy.create",
    "sharing_policy:update": "sharing_policy.update",
    "sharing_stats:read": "stats",
    "stamp:create": "stamp",
    "stamp:revoke": "stamp.revoke",
    "stamp:verify": "stamp.verify",
    "key:create": "key.create",
    "key:retire": "key.retire",
    "key:compromise": "key.compromise",
    "key:picture": "key.picture",
    "key:certify": "key.certify",
    "department:create": "department.create",
    "type:create": "type.create",
    "client:create": "client.create",
    "client:list": "client.list",
    "log:read": "log.entries",
    "log:read_own": "me.access_log",
}

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_bytes(values: Mapping[str, Any]) -> bytes:
    """The bytes a leaf hashes, from the 13 fields and `leaf_format` (`at` a datetime or its ISO text)."""
    canonical = {k: values[k] for k in FIELDS}
    at = values["at"]
    canonical["at"] = at.astimezone(dt.UTC).isoformat() if isinstance(at, dt.datetime) else at
    leaf_format = values["leaf_format"]
    if leaf_format == 1:
        canonical["action"] = LEGACY_ACTION_NAMES.get(canonical["action"], canonical["action"])
    else:
        canonical["v"] = leaf_format
    return _CANONICAL.encode(canonical).encode("utf-8")


def fields_of(shown: Mapping[str, Any]) -> dict[str, Any]:
    """The stored fields of an entry as `GET /api/v1/me/access-log` and `/api/v1/log/entries` show it."""
    actor = shown["actor"]
    return {
        "idx": shown["index"],
        "at": shown["at"],
        "actor_kind": actor["kind"],
        "actor_id": actor["id"],
        "actor_department_id": actor["department_id"],
        "action": shown["action"],
        "certificate": shown["certificate"],
        "holder_ref": shown["holder_ref"],
        "subject_department_id": shown["subject_department_id"],
        "service_item": shown["service_item"],
        "reason": shown["reason"],
        "outcome": shown["outcome"],
        "error_code": shown["error_code"],
        "leaf_format": shown["leaf_format"],
    }


def leaf_of(shown: Mapping[str, Any]) -> bytes:
    """The Merkle leaf hash of an entry as the API shows it."""
    return leaf_hash(entry_bytes(fields_of(shown)))
