"""The exam packages the centre issued, kept so stations can fetch their venue's latest."""

from __future__ import annotations

import json
from typing import Any

from sync.central.arrivals import now_iso
from sync.central.storage import CentralStore


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


def put_roster(store: CentralStore, meta: dict[str, Any], roster: Any) -> int:
    """Remember who is expected at the package's sitting and venue (the console's
    "expected" and "no-shows"); a later package for the same venue and sitting replaces
    its list. Returns the number of candidates kept."""
    rows = [
        (
            str(c.get("sitting_id") or meta["sitting_id"]),
            str(c["candidate_id"]),
            str(meta["venue_id"]),
            str(c.get("ticket", "")),
            str(c.get("name", "")),
        )
        for c in (roster if isinstance(roster, list) else [])
        if isinstance(c, dict) and c.get("candidate_id")
    ]
    with store.db.transaction() as tx:
        tx.run(
            "DELETE FROM expected_candidates WHERE venue_id = ? AND sitting_id = ?",
            (meta["venue_id"], meta["sitting_id"]),
        )
        tx.many(
            "INSERT INTO expected_candidates (sitting_id, candidate_id, venue_id, ticket, name) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (sitting_id, candidate_id) DO UPDATE SET "
            "venue_id = excluded.venue_id, ticket = excluded.ticket, name = excluded.name",
            rows,
        )
    return len(rows)
