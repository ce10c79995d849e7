"""The exam packages the centre issued, kept so stations can fetch their venue's latest."""

from __future__ import annotations

import json
from typing import Any

from sync.central.storage import CentralStore, now_iso


def put_package(store: CentralStore, meta: dict[str, Any], sha256: str, data: bytes) -> None:
    with store.db.transaction() as tx:
        tx.run(
            "DELETE FROM packages WHERE exam_id = ? AND version = ? AND venue_id = ?",
            (meta["exam_id"], meta["version"], meta["venue_id"]),
        )
        tx.run(
            "INSERT INTO packages (exam_id, version, venue_id, sitting_id, meta, sha256, "
            "data, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                meta["exam_id"],
                int(meta["version"]),
                meta["venue_id"],
                meta["sitting_id"],
                json.dumps(meta, sort_keys=True),
                sha256,
                data,
                now_iso(),
            ),
        )


def latest_package(store: CentralStore, venue_id: str) -> tuple[dict[str, Any], bytes] | None:
    with store.db.transaction(write=False) as tx:
        row = tx.one(
            "SELECT meta, data FROM packages WHERE venue_id = ? "
            "ORDER BY issued_at DESC, version DESC LIMIT 1",
            (venue_id,),
        )
    return (json.loads(row[0]), bytes(row[1])) if row else None
