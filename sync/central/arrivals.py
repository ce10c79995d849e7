"""What arrives beside events, kept in the same transactions: snapshots (from bundles or
uploaded over HTTP) and the record of each imported bundle."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sync.central.db import Tx
from sync.central.result import ImportResult

MAX_DETAIL = 500


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def put_snapshot(
    tx: Tx,
    station_id: str,
    name: str,
    media_type: str,
    data: bytes,
    sha256: str,
    event_seq: int | None,
    via: str,
) -> str:
    """Inside `tx`: store a snapshot once, whether it came in a bundle or over HTTP.

    "accepted" (new), "duplicate" (same name, same content: no-op) or "conflict" (same name,
    other content: the held one is kept and the arrival recorded as refused).
    """
    row = tx.one(
        "SELECT sha256 FROM snapshots WHERE station_id = ? AND name = ?", (station_id, name)
    )
    if row is not None:
        if row[0] == sha256:
            return "duplicate"
        tx.run(
            "INSERT INTO refused (station_id, reason, detail, via, at) VALUES (?, ?, ?, ?, ?)",
            (
                station_id,
                "snapshot_conflict",
                f"snapshot {name[:100]!r} arrived again with other content",
                via,
                now_iso(),
            ),
        )
        return "conflict"
    tx.run(
        "INSERT INTO snapshots (station_id, name, sha256, media_type, event_seq, size, "
        "data, via, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (station_id, name, sha256, media_type, event_seq, len(data), data, via, now_iso()),
    )
    return "accepted"


@dataclass(frozen=True)
class BundleRecord:
    """What the centre keeps of an imported bundle (its `bundles` row)."""

    sha256: str
    station_id: str
    sitting_id: str
    first_seq: int
    last_seq: int
    event_count: int


def record_bundle(tx: Tx, bundle: BundleRecord, result: ImportResult) -> None:
    changed = tx.run(
        "UPDATE bundles SET times_imported = times_imported + 1 WHERE sha256 = ?",
        (bundle.sha256,),
    )
    if not changed:
        tx.run(
            "INSERT INTO bundles (sha256, station_id, sitting_id, first_seq, last_seq, "
            "event_count, imported_at, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                bundle.sha256,
                bundle.station_id,
                bundle.sitting_id,
                bundle.first_seq,
                bundle.last_seq,
                bundle.event_count,
                now_iso(),
                json.dumps(result.to_dict()),
            ),
        )
