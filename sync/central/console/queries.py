"""What the console shows, read from the central store. Plain data in, plain data out.

Lists are bounded (`LIMIT`). Check-ins, submissions and incidents are read from the
console's narrow copy (`console_facts`, see facts.py), brought up to date first, so a page
stays fast with a province's worth of events.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sync.central import hired_gun
from sync.central.console.facts import CHECKINS, INCIDENT, SUBMITTED, refresh
from sync.central.storage import CentralStore

LIMIT = 200
ONLINE_MINUTES = 5
# Counts over every check-in of a sitting (tens of thousands of rows) are shared for a
# moment by everyone polling this process: a dashboard a second or two behind is fine,
# a database scan per browser every 2 s is not.
COUNTS_TTL_S = 2.0
_counts: weakref.WeakKeyDictionary[CentralStore, dict[str, tuple[float, Any]]] = (
    weakref.WeakKeyDictionary()
)
_counts_lock = threading.Lock()


def _shared(store: CentralStore, key: str, compute: Callable[[], Any]) -> Any:
    now = time.monotonic()
    with _counts_lock:
        held = _counts.setdefault(store, {}).get(key)
    if held is not None and now - held[0] < COUNTS_TTL_S:
        return copy.deepcopy(held[1])
    value = compute()
    with _counts_lock:
        _counts.setdefault(store, {})[key] = (now, value)
    return copy.deepcopy(value)


INSPECTION = "inspection.done"
__all__ = ["CHECKINS", "INCIDENT", "SUBMITTED"]


def _ago(stamp: str | None, now: datetime) -> float | None:
    if not stamp:
        return None
    try:
        return (now - datetime.fromisoformat(stamp)).total_seconds()
    except ValueError:
        return None


def stations(store: CentralStore, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every station: venue, online (contact within ONLINE_MINUTES), last contact, events,
    missing events below the highest seen (the backlog the centre knows of), flags."""
    now = now or datetime.now(UTC)
    rows = store.read(
        "SELECT station_id, venue_id, event_count, highest_seq, acked_seq, rollback, "
        "last_received_at, sitting_id FROM stations ORDER BY venue_id, station_id"
    )
    quarantined = dict(
        store.read("SELECT station_id, COUNT(*) FROM quarantine GROUP BY station_id")
    )
    out = []
    for sid, venue, count, highest, acked, rollback, last, sitting in rows:
        ago = _ago(last, now)
        out.append(
            {
                "station_id": sid,
                "venue_id": venue,
                "events": int(count),
                "missing": int(highest) - int(count),
                "contiguous_seq": int(acked),
                "rollback": bool(rollback),
                "quarantined": int(quarantined.get(sid, 0)),
                "last_contact": last,
                "online": ago is not None and ago <= ONLINE_MINUTES * 60,
                "sitting_id": sitting,
            }
        )
    return out


def live_counts(store: CentralStore, now: datetime | None = None) -> dict[str, Any]:
    """The small document the console polls: totals and per-station counts."""
    return dict(_shared(store, "live", lambda: _live_counts(store, now)))


def _live_counts(store: CentralStore, now: datetime | None) -> dict[str, Any]:
    listed = stations(store, now)
    sittings = progress(store)  # admitted / refused per sitting and venue, shared
    return {
        "events_total": sum(s["events"] for s in listed),
        "stations_online": sum(1 for s in listed if s["online"]),
        "stations_total": len(listed),
        "admitted_total": sum(r["admitted"] for r in sittings),
        "refused_total": sum(r["refused"] for r in sittings),
        "stations": {
            s["station_id"]: {"events": s["events"], "online": s["online"], "missing": s["missing"]}
            for s in listed
        },
    }


def progress(store: CentralStore) -> list[dict[str, Any]]:
    """Check-in progress per sitting and venue: expected (from issued rosters), admitted,
    refused (and not admitted later), no-shows (expected, and no check-in in the sitting)."""
    return list(_shared(store, "progress", lambda: _progress(store)))


def _progress(store: CentralStore) -> list[dict[str, Any]]:
    refresh(store)
    counts: dict[tuple[str, str], dict[str, Any]] = {}

    def entry(key: tuple[str, str]) -> dict[str, Any]:
        return counts.setdefault(
            key,
            {"sitting_id": key[0], "venue_id": key[1], "expected": None, "admitted": 0,
             "refused": 0, "no_shows": None},
        )  # fmt: skip

    for sitting, venue, admitted, refused in store.read(
        "SELECT sitting_id, venue_id, SUM(a), SUM(1 - a) FROM (SELECT sitting_id, venue_id, "
        "candidate_id, MAX(CASE WHEN type = 'checkin.admitted' THEN 1 ELSE 0 END) AS a "
        "FROM console_facts WHERE type IN (?, ?) GROUP BY sitting_id, venue_id, candidate_id) t "
        "GROUP BY sitting_id, venue_id",
        CHECKINS,
    ):
        row = entry((sitting, venue))
        row["admitted"], row["refused"] = int(admitted), int(refused)
    for sitting, venue, expected in store.read(
        "SELECT sitting_id, venue_id, COUNT(*) FROM expected_candidates GROUP BY 1, 2"
    ):
        row = entry((sitting, venue))
        row["expected"], row["no_shows"] = int(expected), 0
    for sitting, venue, absent in store.read(
        "SELECT x.sitting_id, x.venue_id, COUNT(*) FROM expected_candidates x WHERE NOT EXISTS "
        "(SELECT 1 FROM console_facts f WHERE f.sitting_id = x.sitting_id AND "
        "f.candidate_id = x.candidate_id AND f.type IN (?, ?)) GROUP BY 1, 2",
        CHECKINS,
    ):
        entry((sitting, venue))["no_shows"] = int(absent)
    return [counts[k] for k in sorted(counts)]


def sitting_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`progress` rows summed over venues, one row per sitting."""
    totals: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = totals.setdefault(
            r["sitting_id"],
            {"sitting_id": r["sitting_id"], "venues": 0, "expected": None, "admitted": 0,
             "refused": 0, "no_shows": None},
        )  # fmt: skip
        t["venues"] += 1
        for k in ("admitted", "refused"):
            t[k] += r[k]
        for k in ("expected", "no_shows"):
            if r[k] is not None:
                t[k] = (t[k] or 0) + r[k]
    return [totals[k] for k in sorted(totals)]


@dataclass(frozen=True)
class Flagged:
    station_id: str
    seq: int
    kind: str  # "lookalike" | "override" | "manual"
    decision: str
    candidate_id: str
    ticket: str
    at: str
    snapshot_seq: int | None
    suspects: list[str]
    recommendation: str
    reason: str
    invigilator: str
    reviewed_by: str | None
    reviewed_at: str | None = None


def flagged_checkins(store: CentralStore, sitting: str | None = None) -> list[Flagged]:
    """Check-ins that need a second look (facts.flag_of): look-alikes, manual entries,
    admissions against the station's advice; newest first."""
    refresh(store)
    where, params = "flag IS NOT NULL", []
    if sitting:
        where += " AND sitting_id = ?"
        params.append(sitting)
    rows = store.read(
        "SELECT station_id, seq, type, candidate_id, at, flag, snapshot_seq, ticket, detail "
        f"FROM console_facts WHERE {where} ORDER BY at DESC LIMIT ?",
        (*params, LIMIT),
    )
    reviews = reviewed(store, "checkin")
    out = []
    for sid, seq, kind, cid, at, flag, snapshot_seq, ticket, detail in rows:
        p = json.loads(detail)
        out.append(
            Flagged(
                station_id=sid,
                seq=int(seq),
                kind=flag,
                decision=kind.split(".", 1)[1],
                candidate_id=cid,
                ticket=ticket,
                at=at,
                snapshot_seq=int(snapshot_seq) if snapshot_seq is not None else None,
                suspects=[str(x) for x in p.get("suspects") or []],
                recommendation=str(p.get("recommendation", "")),
                reason=str(p.get("reason", "")),
                invigilator=str(p.get("invigilator", "")),
                reviewed_by=reviews.get(f"{sid}:{seq}", (None, None))[0],
                reviewed_at=reviews.get(f"{sid}:{seq}", (None, None))[1],
            )
        )
    return out


def reviewed(store: CentralStore, kind: str) -> dict[str, tuple[str, str]]:
    """station:seq -> (who, when) of every reviewed check-in or incident."""
    return {str(r[0]): (str(r[1]), str(r[2])) for r in store.read(
        "SELECT ref, by_user, at FROM reviews WHERE kind = ?", (kind,)
    )}  # fmt: skip


def checkin_photo_of(store: CentralStore, candidate_id: str) -> tuple[str, int] | None:
    """(station, snapshot seq) of the candidate's latest check-in snapshot, if any."""
    rows = store.read(
        "SELECT station_id, snapshot_seq FROM console_facts WHERE candidate_id = ? AND "
        "type IN (?, ?) AND snapshot_seq IS NOT NULL ORDER BY at DESC LIMIT 1",
        (candidate_id, *CHECKINS),
    )
    return (str(rows[0][0]), int(rows[0][1])) if rows else None


def photo(store: CentralStore, station_id: str, event_seq: int) -> tuple[str, bytes] | None:
    rows = store.read(
        "SELECT media_type, data FROM snapshots WHERE station_id = ? AND event_seq = ?",
        (station_id, event_seq),
    )
    return (rows[0][0], bytes(rows[0][1])) if rows else None


def events_of_type(
    store: CentralStore, kind: str, sitting: str | None = None
) -> list[dict[str, Any]]:
    """The latest LIMIT submissions or incidents (a type in facts.FACT_TYPES)."""
    refresh(store)
    where, params = "type = ?", [kind]
    if sitting:
        where += " AND sitting_id = ?"
        params.append(sitting)
    rows = store.read(
        "SELECT station_id, seq, candidate_id, sitting_id, at, detail FROM console_facts "
        f"WHERE {where} ORDER BY at DESC LIMIT ?",
        (*params, LIMIT),
    )
    return [
        {
            "station_id": r[0],
            "seq": int(r[1]),
            "candidate_id": r[2],
            "sitting_id": r[3],
            "at": r[4],
            "payload": json.loads(r[5]),
        }
        for r in rows
    ]


def count_of_type(store: CentralStore, kind: str) -> int:
    refresh(store)
    row = store.read("SELECT COUNT(*) FROM console_facts WHERE type = ?", (kind,))
    return int(row[0][0]) if row else 0


def last_inspections(store: CentralStore) -> list[dict[str, Any]]:
    """The latest `inspection.done` event of each station."""
    rows = store.read(
        "SELECT e.station_id, e.wall_time, e.payload FROM events e WHERE e.type = ? AND "
        "e.seq = (SELECT MAX(f.seq) FROM events f WHERE f.station_id = e.station_id AND "
        "f.type = ?) ORDER BY e.station_id",
        (INSPECTION, INSPECTION),
    )
    return [{"station_id": r[0], "at": r[1], "payload": json.loads(r[2])} for r in rows]


def unknown_transfer_keys(store: CentralStore) -> list[dict[str, Any]]:
    """Attempts moved in from a station the centre does not know, or signed by another key."""
    keys = dict(store.read("SELECT station_id, key_id FROM stations"))
    out = []
    for sid, seq, cid, at, payload in store.read(
        "SELECT station_id, seq, candidate_id, wall_time, payload FROM events WHERE type = ? "
        "ORDER BY wall_time DESC LIMIT ?",
        ("attempt.transferred_in", LIMIT),
    ):
        r = {"station_id": sid, "seq": int(seq), "candidate_id": cid or "", "at": at}
        p = json.loads(payload)
        source, key = str(p.get("from_station", "")), str(p.get("from_station_key", ""))
        if keys.get(source) != key:
            out.append({**r, "from_station": source, "from_station_key": key})
    return out


def timeline(store: CentralStore, candidate_id: str) -> list[dict[str, Any]]:
    """Everything the stations recorded about one candidate, in time order."""
    rows = store.read(
        "SELECT station_id, seq, type, sitting_id, wall_time, payload FROM events "
        "WHERE candidate_id = ? ORDER BY wall_time, station_id, seq LIMIT 1000",
        (candidate_id,),
    )
    out = []
    for sid, seq, kind, sitting, at, payload in rows:
        p = json.loads(payload)
        p.pop("face_encoding", None)  # 128 numbers say nothing to a person
        out.append(
            {"station_id": sid, "seq": int(seq), "type": kind, "sitting_id": sitting or "",
             "at": at, "payload": p, "snapshot_seq": p.get("snapshot_seq")}
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class Snap:
    station_id: str
    seq: int
    candidate_id: str
    venue_id: str
    snapshot_seq: int | None
    at: str


@dataclass(frozen=True)
class HiredGunPair:
    a: Snap
    b: Snap
    distance: float


def hired_guns(store: CentralStore, sitting: str) -> tuple[int, list[HiredGunPair]]:
    """(snapshots compared, flagged pairs) for one sitting, across every venue."""
    rows = store.read(
        "SELECT e.station_id, e.seq, e.candidate_id, s.venue_id, e.wall_time, e.payload "
        "FROM events e JOIN stations s ON s.station_id = e.station_id "
        "WHERE e.sitting_id = ? AND e.type IN (?, ?) AND e.payload LIKE ?",
        (sitting, *CHECKINS, '%"face_encoding":[%'),
    )
    snaps: list[Snap] = []
    vectors: list[list[float]] = []
    for sid, seq, cid, venue, at, payload in rows:
        p = json.loads(payload)
        enc = p.get("face_encoding")
        if not cid or not isinstance(enc, list) or len(enc) != hired_gun.DIMS:
            continue
        seq_s = p.get("snapshot_seq")
        snaps.append(Snap(sid, int(seq), cid, venue, seq_s if isinstance(seq_s, int) else None, at))
        vectors.append(enc)
    pairs = hired_gun.find_pairs(vectors, [s.candidate_id for s in snaps])
    return len(snaps), [HiredGunPair(snaps[p.a], snaps[p.b], p.distance) for p in pairs]


def sittings(store: CentralStore) -> list[str]:
    refresh(store)
    rows = store.read(
        "SELECT DISTINCT sitting_id FROM console_facts "
        "UNION SELECT DISTINCT sitting_id FROM expected_candidates ORDER BY 1"
    )
    return [r[0] for r in rows if r[0]]


def since(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="seconds")
