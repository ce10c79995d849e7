"""The event: the one unit every station records and every transport carries.

An event's hash covers every field but the hash itself, in a canonical JSON encoding, and
includes the previous event's hash, so a station's events form a chain that shows any edit,
insertion, deletion or rollback.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from sync.jsonlimits import json_depth

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


# Range limits of an event from outside (a bundle, an HTTP batch): what a station can
# really produce, with room to spare. seq stays within what every database and JSON reader
# holds exactly (2**53 - 1).
MAX_SEQ = 2**53 - 1
MAX_MONO_TIME = 1e12  # seconds: about 31,000 years of uptime
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_PAYLOAD_DEPTH = 16
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_STATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_event_ranges(event: Event) -> None:
    """Raise ValueError, naming the field, unless every field of `event` is in range: ids and
    hashes well-formed, seq 1..MAX_SEQ, a finite mono_time, an ISO 8601 wall_time with an
    offset between the years 2000 and 2100, a payload of bounded size and depth."""
    if not _STATION_ID.match(event.station_id):
        raise ValueError(f"event station_id {event.station_id[:80]!r} is not a station id")
    if type(event.seq) is not int or not 1 <= event.seq <= MAX_SEQ:
        raise ValueError(f"event seq {str(event.seq)[:30]} is not in 1..{MAX_SEQ}")
    if not 1 <= len(event.uuid) <= 64 or not 1 <= len(event.type) <= 100:
        raise ValueError(f"event {event.seq}: uuid or type has a bad length")
    mono = event.mono_time
    if type(mono) not in (int, float) or not math.isfinite(mono) or abs(mono) > MAX_MONO_TIME:
        raise ValueError(f"event {event.seq}: mono_time {str(mono)[:30]} is out of range")
    try:
        wall = datetime.fromisoformat(event.wall_time) if len(event.wall_time) <= 40 else None
    except ValueError:
        wall = None
    if wall is None or wall.tzinfo is None or not 2000 <= wall.year <= 2100:
        raise ValueError(
            f"event {event.seq}: wall_time {event.wall_time[:40]!r} is not an ISO 8601 time "
            "with an offset between 2000 and 2100"
        )
    if not _HEX64.match(event.prev_hash) or not _HEX64.match(event.hash):
        raise ValueError(f"event {event.seq}: prev_hash or hash is not 64 hex digits")
    if json_depth(event.payload, MAX_PAYLOAD_DEPTH) > MAX_PAYLOAD_DEPTH:
        raise ValueError(f"event {event.seq}: payload nested deeper than {MAX_PAYLOAD_DEPTH}")
    try:
        size = len(event.encoded.payload_json)
    except (ValueError, TypeError, RecursionError) as exc:  # NaN, Infinity, bad text
        raise ValueError(f"event {event.seq}: payload cannot be encoded: {exc}") from None
    if size > MAX_PAYLOAD_BYTES:
        raise ValueError(f"event {event.seq}: payload of {size} bytes is over {MAX_PAYLOAD_BYTES}")


def canonical_json(value: Any) -> bytes:
    """The one byte encoding used for hashing and signing: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def compute_hash(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json({k: fields[k] for k in HASHED_FIELDS})).hexdigest()


def fast_canonical_json(value: Any) -> bytes | None:
    """orjson's sorted-key encoding of `value`, or None where orjson cannot encode it.

    For almost all data these are exactly canonical_json's bytes, several times faster (the
    centre encodes every event it receives two or three times). They differ for floats with
    an exponent (orjson writes 1e-6, json 1e-06), and orjson refuses integers beyond 64 bits
    and broken text. So it is only ever a first try whose bytes are checked against a hash or
    signature made over canonical_json, with canonical_json itself as the fallback: a match
    proves the bytes are the ones the station hashed or signed (see `verify_encoded`), as
    long as the fast bytes are a faithful encoding of `value` (hence the null rule below).
    """
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError
        return None
    # orjson writes NaN and Infinity as null where canonical_json refuses them: data with a
    # null (rare in events) always goes to the reference encoder.
    return None if b"null" in encoded else encoded


def verify_encoded(value: Any, check: Callable[[bytes], bool]) -> bool:
    """True if `check` accepts the canonical encoding of `value`: tried on the fast bytes
    first, then on canonical_json's. Raises ValueError/TypeError if `value` has no canonical
    encoding at all (NaN, a lone surrogate...)."""
    fast = fast_canonical_json(value)
    if fast is not None and check(fast):
        return True
    reference = canonical_json(value)
    return reference != fast and check(reference)


class Encoded(NamedTuple):
    """An event's canonical payload bytes and the hash of its canonical form."""

    payload_json: bytes
    hash: str


def _encode(event: Event) -> Encoded:
    payload = event.payload if type(event.payload) is dict else dict(event.payload)
    fast = fast_canonical_json(payload)
    if fast is not None:
        body = fast_canonical_json(
            {
                "station_id": event.station_id,
                "seq": event.seq,
                "uuid": event.uuid,
                "type": event.type,
                "wall_time": event.wall_time,
                "mono_time": event.mono_time,
                "payload": orjson.Fragment(fast),
                "prev_hash": event.prev_hash,
            }
        )
        digest = hashlib.sha256(body).hexdigest() if body is not None else ""
        # Equal to the claimed hash: these are the bytes the station hashed (and so its
        # canonical_json bytes); otherwise the reference encoder decides.
        if digest == event.hash:
            return Encoded(fast, digest)
    return Encoded(canonical_json(payload), compute_hash(event.to_dict()))


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

    @classmethod
    def from_untrusted(cls, data: Any) -> Event:
        """An event from outside (an HTTP batch): exact types and every range checked
        (check_event_ranges); raises ValueError naming the field."""
        if not isinstance(data, Mapping):
            raise ValueError("malformed event: not an object")
        get = data.get
        if type(get("seq")) is not int or type(get("mono_time")) not in (int, float):
            raise ValueError("malformed event: seq must be an integer, mono_time a number")
        texts = (get(k) for k in ("station_id", "uuid", "type", "wall_time", "prev_hash", "hash"))
        if not isinstance(get("payload"), dict) or not all(type(t) is str for t in texts):
            raise ValueError("malformed event: a text field or the payload is mistyped")
        event = cls.from_dict(data)
        check_event_ranges(event)
        return event

    @property
    def encoded(self) -> Encoded:
        """Canonical payload bytes and true hash, computed once (fast path first). Raises
        ValueError/TypeError if the payload has no canonical encoding."""
        # Kept in the instance's __dict__ by hand: Python 3.11's functools.cached_property
        # takes one lock shared by every Event, and the centre's request threads queued on
        # it (a third of a busy server's time).
        found = self.__dict__.get("_encoded")
        if found is None:
            found = self.__dict__["_encoded"] = _encode(self)
        return found

    def expected_hash(self) -> str:
        return self.encoded.hash

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
