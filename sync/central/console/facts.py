"""The console's narrow copy of the events it lists, kept up to date incrementally.

A check-in event carries a face encoding (about 2 KB of JSON); reading and parsing 50,000 of
them per page view would take seconds. So the console copies what it shows (who, where,
when, the flag, the photo's seq, a small detail document) into `console_facts`, once per
event, and every page reads that table.

Incremental and safe with several processes: `stations.event_count` only grows, in the
same transaction as the events, so a station whose count is above the one recorded in
`console_seen` has new events; only those stations are scanned (anti-join on the primary
key), and inserts ignore rows another process added first. Out-of-order arrivals (a gap
filled later) are found because the scan is by absence, not by seq.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from typing import Any

from sync.central.storage import CentralStore

CHECKINS = ("checkin.admitted", "checkin.refused")
SUBMITTED = "attempt.submitted"
INCIDENT = "proctor.incident"
FACT_TYPES = (*CHECKINS, SUBMITTED, INCIDENT)
MIN_INTERVAL_S = 1.0  # at most one look for new events per second and process
CHUNK = 200  # stations per scan query
_last: weakref.WeakKeyDictionary[CentralStore, float] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def flag_of(kind: str, payload: dict[str, Any]) -> str | None:
    """Why a check-in needs a second look, the most telling first: a live face that matched
    another candidate (look-alike), manual entry, an admission against the station's advice."""
    if kind not in CHECKINS:
        return None
    if payload.get("suspects"):
        return "lookalike"
    if payload.get("method") == "manual":
        return "manual"
    if kind == "checkin.admitted" and payload.get("recommendation") != "admit":
        return "override"
    return None


def _fact(row: tuple[Any, ...], venues: dict[str, str]) -> tuple[Any, ...]:
    station_id, seq, kind, sitting, candidate, at, payload_text = row
    payload = json.loads(payload_text)
    payload.pop("face_encoding", None)
    snapshot = payload.get("snapshot_seq")
    return (
        station_id,
        int(seq),
        kind,
        sitting or "",
        venues.get(station_id, ""),
        candidate or "",
        at,
        flag_of(kind, payload),
        snapshot if isinstance(snapshot, int) else None,
        str(payload.get("ticket", "")),
        json.dumps(payload, ensure_ascii=False, sort_keys=True),
    )


def refresh(store: CentralStore, *, force: bool = False) -> int:
    """Copy events not yet in `console_facts`; returns how many. Cheap when nothing is new
    (one query over `stations`); skipped if this process looked less than a second ago."""
    now = time.monotonic()
    with _lock:
        if not force and now - _last.get(store, -1e9) < MIN_INTERVAL_S:
            return 0
        _last[store] = now
    changed = store.read(
        "SELECT s.station_id, s.venue_id, s.event_count FROM stations s "
        "LEFT JOIN console_seen c ON c.station_id = s.station_id "
        "WHERE c.event_count IS NULL OR c.event_count < s.event_count"
    )
    added = 0
    for start in range(0, len(changed), CHUNK):
        part = changed[start : start + CHUNK]
        venues = {str(r[0]): str(r[1]) for r in part}
        marks = ", ".join("?" for _ in part)
        kinds = ", ".join("?" for _ in FACT_TYPES)
        rows = store.read(
            "SELECT e.station_id, e.seq, e.type, e.sitting_id, e.candidate_id, e.wall_time, "
            f"e.payload FROM events e WHERE e.station_id IN ({marks}) AND e.type IN ({kinds}) "
            "AND NOT EXISTS (SELECT 1 FROM console_facts f WHERE f.station_id = e.station_id "
            "AND f.seq = e.seq)",
            (*venues, *FACT_TYPES),
        )
        facts = [_fact(r, venues) for r in rows]
        with store.db.transaction() as tx:
            tx.many(
                "INSERT INTO console_facts (station_id, seq, type, sitting_id, venue_id, "
                "candidate_id, at, flag, snapshot_seq, ticket, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (station_id, seq) DO NOTHING",
                facts,
            )
            tx.many(
                "INSERT INTO console_seen (station_id, event_count) VALUES (?, ?) "
                "ON CONFLICT (station_id) DO UPDATE SET event_count = excluded.event_count "
                "WHERE excluded.event_count > console_seen.event_count",
                [(str(r[0]), int(r[2])) for r in part],
            )
        added += len(facts)
    return added
