"""The outbox: every fact the station records, hash-chained, gapless, in the same
transaction as the state change it describes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from sync.events import GENESIS_HASH, Event, compute_hash


def append_event(
    conn: Any,
    *,
    station_id: str,
    type: str,
    payload: Mapping[str, Any],
    wall_time: str,
    mono_time: float,
) -> Event:
    """Append one event inside the caller's open write transaction.

    The caller's BEGIN IMMEDIATE makes seq allocation race-free and the event commits or
    rolls back together with the state change.
    """
    row = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (int(row[0]) + 1, str(row[1])) if row else (1, GENESIS_HASH)
    fields: dict[str, Any] = {
        "station_id": station_id,
        "seq": seq,
        "uuid": str(uuid.uuid4()),
        "type": type,
        "wall_time": wall_time,
        "mono_time": mono_time,
        "payload": dict(payload),
        "prev_hash": prev_hash,
    }
    fields["hash"] = compute_hash(fields)
    conn.execute(
        "INSERT INTO events (seq, uuid, type, wall_time, mono_time, payload_json, prev_hash, "
        "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            fields["uuid"],
            type,
            wall_time,
            mono_time,
            json.dumps(fields["payload"], ensure_ascii=False, sort_keys=True),
            prev_hash,
            fields["hash"],
        ),
    )
    return Event.from_dict(fields)


def _row_to_event(station_id: str, row: Any) -> Event:
    return Event(
        station_id=station_id,
        seq=int(row[0]),
        uuid=str(row[1]),
        type=str(row[2]),
        wall_time=str(row[3]),
        mono_time=float(row[4]),
        payload=json.loads(row[5]),
        prev_hash=str(row[6]),
        hash=str(row[7]),
    )


def iter_events(
    conn: Any, station_id: str, *, after_seq: int = 0, limit: int | None = None
) -> Iterator[Event]:
    sql = (
        "SELECT seq, uuid, type, wall_time, mono_time, payload_json, prev_hash, hash "
        "FROM events WHERE seq > ? ORDER BY seq"
    )
    params: tuple[Any, ...] = (after_seq,)
    if limit is not None:
        sql += " LIMIT ?"
        params = (after_seq, limit)
    for row in conn.execute(sql, params).fetchall():
        yield _row_to_event(station_id, row)


def last_seq(conn: Any) -> int:
    row = conn.execute("SELECT max(seq) FROM events").fetchone()
    return int(row[0] or 0)
