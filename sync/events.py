"""The event: the one unit every station records and every transport carries.

An event's hash covers every field but the hash itself, in a canonical JSON encoding, and
includes the previous event's hash, so a station's events form a chain that shows any edit,
insertion, deletion or rollback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "station_id",
    "seq",
    "uuid",
    "type",
    "wall_time",
    "mono_time",
    "payload",
    "prev_hash",
)


def canonical_json(value: Any) -> bytes:
    """The one byte encoding used for hashing and signing: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def compute_hash(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json({k: fields[k] for k in HASHED_FIELDS})).hexdigest()


@dataclass(frozen=True)
class Event:
    station_id: str
    seq: int
    uuid: str
    type: str
    wall_time: str  # ISO 8601 with offset, as the station's clock said
    mono_time: float  # time.monotonic() of the station's boot, for ordering within a boot
    payload: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "station_id": self.station_id,
            "seq": self.seq,
            "uuid": self.uuid,
            "type": self.type,
            "wall_time": self.wall_time,
            "mono_time": self.mono_time,
            "payload": dict(self.payload),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Build an event from untrusted data; raises ValueError on a missing or mistyped field."""
        try:
            event = cls(
                station_id=str(data["station_id"]),
                seq=int(data["seq"]),
                uuid=str(data["uuid"]),
                type=str(data["type"]),
                wall_time=str(data["wall_time"]),
                mono_time=float(data["mono_time"]),
                payload=dict(data["payload"]),
                prev_hash=str(data["prev_hash"]),
                hash=str(data["hash"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed event: {exc!r}") from exc
        if event.seq < 1:
            raise ValueError(f"malformed event: seq {event.seq} < 1")
        return event

    def expected_hash(self) -> str:
        return compute_hash(self.to_dict())

    def hash_ok(self) -> bool:
        return self.hash == self.expected_hash()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str  # "bad_hash" | "broken_link" | "gap" | "wrong_station"


def verify_chain(
    events: Iterable[Event], *, station_id: str | None = None, prev_hash: str | None = None
) -> list[ChainProblem]:
    """Check hashes and links of consecutive events (sorted by seq by the caller).

    `prev_hash` is the hash of the event just before the first one, when the caller knows
    it (GENESIS_HASH when the first event is seq 1). Returns the problems found; empty
    means the chain is whole.
    """
    problems: list[ChainProblem] = []
    last: Event | None = None
    for event in events:
        if station_id is not None and event.station_id != station_id:
            problems.append(ChainProblem(event.seq, "wrong_station"))
        if not event.hash_ok():
            problems.append(ChainProblem(event.seq, "bad_hash"))
        if last is None:
            expected_prev = GENESIS_HASH if event.seq == 1 else prev_hash
        elif event.seq != last.seq + 1:
            problems.append(ChainProblem(event.seq, "gap"))
            expected_prev = None
        else:
            expected_prev = last.hash
        if expected_prev is not None and event.prev_hash != expected_prev:
            problems.append(ChainProblem(event.seq, "broken_link"))
        last = event
    return problems
