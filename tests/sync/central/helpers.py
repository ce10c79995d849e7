"""Test helpers: hash-chained events and a station outbox in a plain SQLite file.

Also imported by station_proc.py (a subprocess), so it depends on nothing but `sync`.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from sync.events import GENESIS_HASH, Event, compute_hash


def make_events(
    station_id: str,
    count: int,
    *,
    start: int = 1,
    prev_hash: str = GENESIS_HASH,
    tag: str = "",
    sitting_id: str = "S1",
) -> list[Event]:
    """`count` chained events from seq `start`; `tag` makes a different history."""
    out = []
    for seq in range(start, start + count):
        fields: dict[str, Any] = {
            "station_id": station_id,
            "seq": seq,
            "uuid": str(uuid.uuid4()),
            "type": "answer.saved",
            "wall_time": "2025-06-01T09:00:00+08:00",
            "mono_time": float(seq) / 10,
            "payload": {
                "candidate_id": f"C{seq % 50:03d}",
                "item": seq,
                "sitting_id": sitting_id,
                "tag": tag,
            },  # fmt: skip
            "prev_hash": prev_hash,
        }
        fields["hash"] = compute_hash(fields)
        prev_hash = fields["hash"]
        out.append(Event.from_dict(fields))
    return out


class SqliteOutbox:
    """A station's outbox: gapless, chained, appended in transactions (like the real store)."""

    def __init__(self, path: Path, station_id: str) -> None:
        self.station_id = station_id
        self.conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, json TEXT NOT NULL)"
        )

    def append(self, count: int, type: str = "answer.saved") -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            row = self.conn.execute(
                "SELECT seq, json FROM events ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, prev = (row[0], json.loads(row[1])["hash"]) if row else (0, GENESIS_HASH)
            for event in make_events(self.station_id, count, start=seq + 1, prev_hash=prev):
                self.conn.execute(
                    "INSERT INTO events (seq, json) VALUES (?, ?)",
                    (event.seq, json.dumps(event.to_dict())),
                )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def read(self, after_seq: int, limit: int) -> list[Event]:
        rows = self.conn.execute(
            "SELECT json FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
        ).fetchall()
        return [Event.from_dict(json.loads(r[0])) for r in rows]

    def last_seq(self) -> int:
        return int(self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])

    def all(self) -> list[Event]:
        return self.read(0, 10**9)

    def close(self) -> None:
        self.conn.close()


def signed(
    method: str,
    url: str,
    station_id: str,
    keys: Any,
    body: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    timestamp: int | None = None,
    timeout: float = 30,
) -> Any:
    """A request signed as `station_id` with `keys` (sync.reqsign), as a station sends it.
    The answer carries `.signed_by_centre(central_public_keys)`."""
    import time
    from urllib.parse import urlsplit

    import requests

    from sync.reqsign import H_ANSWER_SIGNATURE, answer_is_genuine, sign_request

    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    stamp = int(time.time()) if timestamp is None else timestamp
    request = sign_request(keys, station_id, method, target, body, stamp)
    all_headers = {**request.headers, **(headers or {})}
    if body and "Content-Type" not in all_headers:
        all_headers["Content-Type"] = "application/json"
    response = requests.request(
        method, url, data=body if body else None, headers=all_headers, timeout=timeout
    )

    def signed_by_centre(central: Any) -> bool:
        return answer_is_genuine(
            central, station_id, request.signature, response.status_code, response.content,
            response.headers.get(H_ANSWER_SIGNATURE),
        )  # fmt: skip

    response.signed_by_centre = signed_by_centre  # type: ignore[attr-defined]
    return response
