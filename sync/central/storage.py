"""The central store: stations, the events they sent, and everything refused or held back.

Every import, HTTP batch or USB bundle alike, goes through `apply`: one transaction per
batch, under the station's lock, so concurrent or repeated deliveries of the same events end
in one state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync.central.apply import Plan, plan_batch, seqs_needed
from sync.central.arrivals import MAX_DETAIL, BundleRecord, now_iso, put_snapshot, record_bundle
from sync.central.db import Database, Tx
from sync.central.errors import IdempotencyConflict, StationKeyMismatch, UnknownStation
from sync.central.migrations import migrate
from sync.central.result import ImportResult
from sync.events import Event, canonical_json

EVENT_COLUMNS = (
    "station_id",
    "seq",
    "hash",
    "prev_hash",
    "uuid",
    "type",
    "wall_time",
    "mono_time",
    "payload",
    "sitting_id",
    "candidate_id",
    "via",
    "received_at",
)
# A sparse batch is looked up seq by seq rather than by range.
_RANGE_FACTOR = 4


@dataclass(frozen=True)
class StationRecord:
    station_id: str
    venue_id: str
    sign_key: bytes
    box_key: bytes
    key_id: str
    registered_at: str
    acked_seq: int
    last_hash: str
    highest_seq: int
    event_count: int
    sitting_id: str | None
    rollback: bool
    rollback_detail: str
    last_received_at: str | None


_STATION_COLUMNS = (
    "station_id, venue_id, sign_key, box_key, key_id, registered_at, acked_seq, last_hash, "
    "highest_seq, event_count, sitting_id, rollback, rollback_detail, last_received_at"
)


def _station(row: tuple[Any, ...]) -> StationRecord:
    return StationRecord(
        station_id=str(row[0]),
        venue_id=str(row[1]),
        sign_key=bytes.fromhex(row[2]),
        box_key=bytes.fromhex(row[3]),
        key_id=str(row[4]),
        registered_at=str(row[5]),
        acked_seq=int(row[6]),
        last_hash=str(row[7]),
        highest_seq=int(row[8]),
        event_count=int(row[9]),
        sitting_id=row[10],
        rollback=bool(row[11]),
        rollback_detail=str(row[12]),
        last_received_at=row[13],
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class CentralStore:
    def __init__(self, url: str) -> None:
        self.db = Database(url)
        migrate(self.db)

    @property
    def kind(self) -> str:
        return self.db.kind

    def close(self) -> None:
        self.db.close()

    # -- stations -------------------------------------------------------------------------

    def register_station(
        self,
        station_id: str,
        venue_id: str,
        sign_key: bytes,
        box_key: bytes,
        key_id: str,
        *,
        replace: bool = False,
    ) -> bool:
        """Register (or confirm) a station; True if anything changed.

        Raises StationKeyMismatch if it is registered with other keys and not `replace`.
        """
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT venue_id, sign_key, box_key FROM stations WHERE station_id = ?"
                + tx.lock_suffix,
                (station_id,),
            )
            if row is None:
                tx.run(
                    "INSERT INTO stations (station_id, venue_id, sign_key, box_key, key_id, "
                    "registered_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (station_id, venue_id, sign_key.hex(), box_key.hex(), key_id, now_iso()),
                )
                return True
            if tuple(row) == (venue_id, sign_key.hex(), box_key.hex()):
                return False
            if (row[1], row[2]) != (sign_key.hex(), box_key.hex()) and not replace:
                raise StationKeyMismatch(station_id)
            tx.run(
                "UPDATE stations SET venue_id = ?, sign_key = ?, box_key = ?, key_id = ? "
                "WHERE station_id = ?",
                (venue_id, sign_key.hex(), box_key.hex(), key_id, station_id),
            )
            return True

    def station(self, station_id: str) -> StationRecord | None:
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                f"SELECT {_STATION_COLUMNS} FROM stations WHERE station_id = ?", (station_id,)
            )
        return _station(row) if row else None

    def stations(self) -> list[StationRecord]:
        with self.db.transaction(write=False) as tx:
            rows = tx.all(f"SELECT {_STATION_COLUMNS} FROM stations ORDER BY station_id")
        return [_station(r) for r in rows]

    # -- the one apply path -----------------------------------------------------------------

    def apply(
        self,
        station_id: str,
        events: Sequence[Event],
        via: str,
        *,
        idempotency_key: str | None = None,
        body_sha256: str = "",
        default_sitting: str | None = None,
    ) -> tuple[ImportResult, bool]:
        """Apply a batch idempotently; returns (result, replayed).

        `replayed` is True when `idempotency_key` was seen before with the same body: the
        first answer is returned and nothing is applied again. Raises UnknownStation,
        IdempotencyConflict (same key, other body).
        """
        with self.db.transaction() as tx:
            row = tx.one(
                f"SELECT {_STATION_COLUMNS} FROM stations WHERE station_id = ?" + tx.lock_suffix,
                (station_id,),
            )
            if row is None:
                raise UnknownStation(station_id)
            station = _station(row)
            if idempotency_key:
                seen = tx.one(
                    "SELECT body_sha256, response FROM idempotency WHERE station_id = ? "
                    "AND key = ?",
                    (station_id, idempotency_key),
                )
                if seen is not None:
                    if seen[0] != body_sha256:
                        raise IdempotencyConflict(idempotency_key)
                    return ImportResult.from_dict(json.loads(seen[1])), True
            result = self._apply(tx, station, events, via, default_sitting)
            if idempotency_key:
                tx.run(
                    "INSERT INTO idempotency (station_id, key, body_sha256, response, "
                    "created_at) VALUES (?, ?, ?, ?, ?)",
                    (
                        station_id,
                        idempotency_key,
                        body_sha256,
                        json.dumps(result.to_dict()),
                        now_iso(),
                    ),
                )
        return result, False

    def _held(
        self, tx: Tx, station_id: str, events: Sequence[Event]
    ) -> tuple[dict[int, tuple[str, str]], set[str], range | set[int]]:
        """Held (hash, prev_hash) by seq around the batch, the quarantined hashes, and the
        seqs the first answer covers (so a caller knows what "not held" means)."""
        low, high = seqs_needed(events)
        looked: range | set[int]
        if high - low <= _RANGE_FACTOR * len(events) + 2:
            looked = range(low, high + 1)
            rows = tx.all(
                "SELECT seq, hash, prev_hash FROM events WHERE station_id = ? AND "
                "seq BETWEEN ? AND ?",
                [station_id, low, high],
            )
        else:
            wanted = sorted({s + d for e in events for s in (e.seq,) for d in (-1, 0, 1)})
            looked = set(wanted)
            rows = []
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ", ".join("?" for _ in chunk)
                rows += tx.all(
                    "SELECT seq, hash, prev_hash FROM events WHERE station_id = ? "
                    f"AND seq IN ({marks})",
                    [station_id, *chunk],
                )
        held = {int(r[0]): (str(r[1]), str(r[2])) for r in rows}
        # Quarantined hashes anywhere up to the batch: a forked tail may follow any of them.
        tainted = {
            str(r[0])
            for r in tx.all(
                "SELECT hash FROM quarantine WHERE station_id = ? AND seq <= ?",
                (station_id, high),
            )
        }
        return held, tainted, looked

    def _apply(
        self,
        tx: Tx,
        station: StationRecord,
        events: Sequence[Event],
        via: str,
        default_sitting: str | None,
    ) -> ImportResult:
        sid = station.station_id
        received = now_iso()
        held: dict[int, tuple[str, str]] = {}
        looked: range | set[int] = range(0)
        if events:
            held, tainted, looked = self._held(tx, sid, events)
            plan = plan_batch(sid, events, held, tainted)
        else:
            plan = Plan()
        sitting = default_sitting or station.sitting_id
        rows = []
        for e in plan.accepted:
            sitting = _text(e.payload.get("sitting_id")) or sitting
            rows.append(
                (
                    sid,
                    e.seq,
                    e.hash,
                    e.prev_hash,
                    e.uuid,
                    e.type,
                    e.wall_time,
                    e.mono_time,
                    e.encoded.payload_json.decode("utf-8"),
                    _text(e.payload.get("sitting_id")) or sitting,
                    _text(e.payload.get("candidate_id")),
                    via,
                    received,
                )
            )
        tx.copy("events", EVENT_COLUMNS, rows)
        tx.many(
            "INSERT INTO quarantine (station_id, seq, hash, reason, event_json, via, "
            "received_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (station_id, seq, hash) DO NOTHING",
            [
                (sid, e.seq, e.hash, reason, canonical_json(e.to_dict()).decode(), via, received)
                for e, reason in plan.quarantined
            ],
        )
        tx.many(
            "INSERT INTO refused (station_id, reason, detail, via, at) VALUES (?, ?, ?, ?, ?)",
            [(sid, reason, detail[:MAX_DETAIL], via, received) for reason, detail in plan.refused],
        )
        acked, last_hash = station.acked_seq, station.last_hash
        if rows:
            known = {seq: h for seq, (h, _) in held.items()}
            known.update((e.seq, e.hash) for e in plan.accepted)
            advanced = advance_within(acked, known, looked)
            if advanced is None:
                acked, last_hash = self._advance(tx, sid, acked, last_hash)
            elif advanced > acked:
                acked, last_hash = advanced, known[advanced]
        highest = max([station.highest_seq] + [e.seq for e in plan.accepted])
        rollback = station.rollback or bool(plan.rollback)
        detail = station.rollback_detail or plan.rollback
        tx.run(
            "UPDATE stations SET acked_seq = ?, last_hash = ?, highest_seq = ?, "
            "event_count = event_count + ?, sitting_id = ?, rollback = ?, rollback_detail = ?, "
            "last_received_at = ? WHERE station_id = ?",
            (
                acked,
                last_hash,
                highest,
                len(rows),
                sitting,
                int(rollback),
                detail,
                received,
                sid,
            ),
        )
        gaps = gaps_of(tx, sid) if acked < highest else []
        notes = [plan.rollback] if plan.rollback else []
        return ImportResult(
            accepted=len(rows),
            duplicates=plan.duplicates,
            quarantined=len(plan.quarantined),
            refused=len(plan.refused),
            gaps=gaps,
            station_id=sid,
            acked_seq=acked,
            last_hash=last_hash,
            rollback=bool(plan.rollback),
            via=via,
            notes=notes,
        )

    def _advance(self, tx: Tx, sid: str, acked: int, last_hash: str) -> tuple[int, str]:
        """The highest seq with every seq up to it held, and its hash."""
        if (
            tx.one("SELECT 1 FROM events WHERE station_id = ? AND seq = ?", (sid, acked + 1))
            is None
        ):
            return acked, last_hash
        row = tx.one(
            "SELECT e.seq, e.hash FROM events e WHERE e.station_id = ? AND e.seq > ? AND NOT "
            "EXISTS (SELECT 1 FROM events f WHERE f.station_id = e.station_id AND "
            "f.seq = e.seq + 1) ORDER BY e.seq LIMIT 1",
            (sid, acked),
        )
        assert row is not None  # acked + 1 is held, so some run ends
        return int(row[0]), str(row[1])

    # -- refusals, bundles, snapshots -----------------------------------------------------

    def record_refused(self, station_id: str, reason: str, detail: str, via: str) -> None:
        with self.db.transaction() as tx:
            tx.run(
                "INSERT INTO refused (station_id, reason, detail, via, at) VALUES (?, ?, ?, ?, ?)",
                (station_id[:100], reason, detail[:MAX_DETAIL], via[:200], now_iso()),
            )

    def apply_bundle(
        self,
        bundle: BundleRecord,
        events: Sequence[Event],
        snapshots: Sequence[tuple[str, str, bytes, int | None]],
        via: str,
    ) -> ImportResult:
        """A bundle's events, snapshots (name, media type, data, event seq) and its record,
        in ONE transaction: all of it is held afterwards, or (on any error) none of it.
        Raises UnknownStation."""
        with self.db.transaction() as tx:
            row = tx.one(
                f"SELECT {_STATION_COLUMNS} FROM stations WHERE station_id = ?" + tx.lock_suffix,
                (bundle.station_id,),
            )
            if row is None:
                raise UnknownStation(bundle.station_id)
            result = self._apply(tx, _station(row), events, via, bundle.sitting_id or None)
            stored = 0
            for name, media_type, data, event_seq in snapshots:
                digest = hashlib.sha256(data).hexdigest()
                outcome = put_snapshot(
                    tx, bundle.station_id, name, media_type, data, digest, event_seq, via
                )
                stored += outcome == "accepted"
            result = ImportResult(**{**result.__dict__, "snapshots": stored})
            record_bundle(tx, bundle, result)
        return result

    def record_bundle(
        self,
        sha256: str,
        station_id: str,
        sitting_id: str,
        first_seq: int,
        last_seq: int,
        event_count: int,
        result: ImportResult,
    ) -> None:
        bundle = BundleRecord(sha256, station_id, sitting_id, first_seq, last_seq, event_count)
        with self.db.transaction() as tx:
            record_bundle(tx, bundle, result)

    def put_snapshot(
        self,
        station_id: str,
        name: str,
        media_type: str,
        data: bytes,
        sha256: str,
        event_seq: int | None,
        via: str,
    ) -> str:
        """Store a snapshot once; "accepted", "duplicate" or "conflict" (kept, refused)."""
        with self.db.transaction() as tx:
            return put_snapshot(tx, station_id, name, media_type, data, sha256, event_seq, via)

    # -- reading back -----------------------------------------------------------------------

    def events(self, station_id: str, *, after_seq: int = 0, limit: int = 1000) -> list[Event]:
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT station_id, seq, uuid, type, wall_time, mono_time, payload, prev_hash, "
                "hash FROM events WHERE station_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (station_id, after_seq, limit),
            )
        return [
            Event(
                station_id=r[0],
                seq=int(r[1]),
                uuid=r[2],
                type=r[3],
                wall_time=r[4],
                mono_time=float(r[5]),
                payload=json.loads(r[6]),
                prev_hash=r[7],
                hash=r[8],
            )
            for r in rows
        ]

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read-only query for reports (SQL written for both dialects)."""
        with self.db.transaction(write=False) as tx:
            return tx.all(sql, params)


def advance_within(acked: int, known: dict[int, str], looked: range | set[int]) -> int | None:
    """The new acked seq decided from what this batch saw, or None if it cannot tell.

    `acked` is the station's acked seq before the batch (every seq up to it held, acked + 1
    not held: storage keeps that true under the station's lock); `known` holds the hashes by
    seq held now within `looked`, the seqs the batch's lookup covered. The run from acked + 1
    is followed while it stays inside `looked`; leaving it means asking the database.
    """
    seq = acked
    while seq + 1 in known:
        seq += 1
    return seq if (seq + 1) in looked else None


def gaps_of(tx: Tx, station_id: str) -> list[tuple[int, int]]:
    """Missing seq ranges (inclusive) below the station's highest held seq."""
    first = tx.one("SELECT min(seq) FROM events WHERE station_id = ?", (station_id,))
    gaps: list[tuple[int, int]] = []
    if first and first[0] is not None and int(first[0]) > 1:
        gaps.append((1, int(first[0]) - 1))
    for seq, nxt in tx.all(
        "SELECT seq, nxt FROM (SELECT seq, LEAD(seq) OVER (ORDER BY seq) AS nxt FROM events "
        "WHERE station_id = ?) t WHERE nxt > seq + 1 ORDER BY seq",
        (station_id,),
    ):
        gaps.append((int(seq) + 1, int(nxt) - 1))
    return gaps
