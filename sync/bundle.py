"""USB bundles (.ekb): a station's events and snapshots, for the centre, on a removable drive.

A bundle is an envelope of kind "bundle", signed by the station and encrypted to the centre.
Its header metadata (no personal data) says which station, venue, sitting and sequence range
it holds, so `inspect_bundle` answers "is this whole, and what is it?" without keys.

The plaintext (layout "ekb/1") is a series of records `u8 type | u8 flags | u64 length |
body` (flags bit 0: body is zlib-compressed): events in blocks of up to 256 as a JSON array
of rows [seq, uuid, type, wall_time, mono_time, payload, prev_hash, hash], one record per
snapshot (u32 length | JSON description | data), and an end record with the counts.
Writing serialises on the calling thread while one worker compresses, encrypts and writes.
"""

from __future__ import annotations

import json
import operator
import struct
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sync.crypto import KeyPair, PublicKeys
from sync.envelope import (
    DEFAULT_CHUNK_SIZE,
    EnvelopeInfo,
    EnvelopeWriter,
    inflate_bounded,
    inspect,
    loads_strict,
    open_envelope,
)
from sync.errors import BundleCancelled, FormatError, MediaError
from sync.events import MAX_SEQ, Event, canonical_json, check_event_ranges, verify_chain
from sync.media import atomic_file, discard, drop_cached_pages, media_error

BUNDLE_KIND = "bundle"
BUNDLE_EXTENSION = ".ekb"
LAYOUT = "ekb/1"
# Small blocks: the JSON encoder holds the GIL for a whole block, and the writer thread
# (zlib, AES, file I/O) needs it between its GIL-free steps; 256 measured ~1.7x faster
# than 4096 on 2 cores with no loss in compression.
EVENTS_PER_BLOCK = 256
REC_EVENTS, REC_SNAPSHOT, REC_END = 1, 2, 0x7F
FLAG_ZLIB = 1
_RECORD = struct.Struct(">BBQ")
_U32 = struct.Struct(">I")
_MAX_EVENTS_BLOCK = 256 << 20  # decompressed bytes; a real block is a few MB
_MAX_SNAPSHOT = 2 << 30
_IN_FLIGHT = 3  # records queued for the writer thread: bounds memory, keeps both cores busy
# Already-compressed media gain nothing from zlib but would cost most of the export time.
_INCOMPRESSIBLE = tuple(
    "image/jpeg image/png image/webp image/gif image/heic video/ audio/ application/zip "
    "application/gzip application/zstd application/x-xz application/x-7z-compressed".split()
)
_ROW = operator.attrgetter(
    "seq", "uuid", "type", "wall_time", "mono_time", "payload", "prev_hash", "hash"
)


@dataclass(frozen=True)
class Snapshot:
    """A binary artefact travelling with the events (a check-in photo, an answer sheet dump)."""

    name: str
    media_type: str
    data: bytes = field(repr=False)
    event_seq: int | None = None  # the event that refers to it, when there is one


@dataclass(frozen=True)
class BundleInfo:
    station_id: str
    venue_id: str
    sitting_id: str
    first_seq: int  # 0 when the bundle holds no events
    last_seq: int
    event_count: int
    snapshot_count: int
    created_at: str
    station_key: PublicKeys  # the key that signed it; the centre checks it is the station's
    size_bytes: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**data, "station_key": self.station_key.to_dict()}


def _plain(value: Any) -> Any:
    if hasattr(value, "keys"):  # a Mapping that is not a dict (e.g. MappingProxyType)
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False, default=_plain
)


def _compressible(media_type: str) -> bool:
    return not media_type.lower().startswith(_INCOMPRESSIBLE)


def _records(
    events: Sequence[Event], snapshots: Sequence[Snapshot]
) -> Iterator[tuple[int, bytes, bool, int]]:
    for start in range(0, len(events), EVENTS_PER_BLOCK):
        block = events[start : start + EVENTS_PER_BLOCK]
        yield REC_EVENTS, _ENCODER.encode(list(map(_ROW, block))).encode("utf-8"), True, len(block)
    for snap in snapshots:
        described = canonical_json(
            {
                "name": snap.name,
                "media_type": snap.media_type,
                "event_seq": snap.event_seq,
                "size": len(snap.data),
            }
        )
        body = _U32.pack(len(described)) + described + bytes(snap.data)
        yield REC_SNAPSHOT, body, _compressible(snap.media_type), 1


def _emit(writer: EnvelopeWriter, rtype: int, body: bytes, compress: bool) -> None:
    flags = 0
    if compress:
        packed = zlib.compress(body, 1)
        if len(packed) < len(body):
            body, flags = packed, FLAG_ZLIB
    writer.write(_RECORD.pack(rtype, flags, len(body)))
    writer.write(body)


def _check_input(events: Sequence[Event], snapshots: Sequence[Snapshot], station_id: str) -> None:
    last = 0
    for event in events:
        if event.station_id != station_id:
            raise ValueError(f"event {event.seq} belongs to station {event.station_id!r}")
        if event.seq <= last:
            raise ValueError(f"events not in increasing seq order at {event.seq}")
        last = event.seq
    for snap in snapshots:
        if not snap.name or not snap.media_type:
            raise ValueError("a snapshot needs a name and a media type")


def _write_body(
    writer: EnvelopeWriter,
    events: Sequence[Event],
    snapshots: Sequence[Snapshot],
    progress: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> None:
    total = len(events) + len(snapshots)
    pending: deque[tuple[Future[None], int]] = deque()
    done = 0

    def settle(wait_all: bool) -> None:
        nonlocal done
        while pending and (wait_all or len(pending) > _IN_FLIGHT or pending[0][0].done()):
            future, units = pending.popleft()
            future.result()  # re-raises the writer thread's OSError here
            done += units
            if progress is not None:
                progress(done, total)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bundle-writer")
    try:
        for rtype, body, compress, units in _records(events, snapshots):
            if cancelled is not None and cancelled():
                raise BundleCancelled(detail=f"after {done} of {total} items")
            pending.append((pool.submit(_emit, writer, rtype, body, compress), units))
            settle(False)
        settle(True)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    end = canonical_json({"events": len(events), "snapshots": len(snapshots)})
    _emit(writer, REC_END, end, False)
    if progress is not None and total == 0:
        progress(0, 0)


def write_bundle(
    path: Path,
    events: Sequence[Event],
    snapshots: Sequence[Snapshot],
    *,
    station_id: str,
    venue_id: str,
    sitting_id: str,
    station: KeyPair,
    central: PublicKeys,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    created_at: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> BundleInfo:
    """Write a bundle atomically and verify it by reading it back from the drive.

    `events` are one station's, in increasing seq order (gaps allowed; ValueError otherwise).
    `progress(done, total)` counts events and snapshots written; `cancelled()` is polled
    between records and once more before the file is put in place; both are called on the
    calling thread (run the export off the GUI thread). On BundleCancelled,
    MediaError (read-only, full, removed drive, or read-back mismatch) or any other error,
    neither the bundle nor a temporary file is left behind.
    """
    path = Path(path)
    _check_input(events, snapshots, station_id)
    metadata = {
        "layout": LAYOUT,
        "station_id": station_id,
        "venue_id": venue_id,
        "sitting_id": sitting_id,
        "first_seq": events[0].seq if events else 0,
        "last_seq": events[-1].seq if events else 0,
        "event_count": len(events),
        "snapshot_count": len(snapshots),
        "created_at": created_at or datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    with atomic_file(path) as out:
        writer = EnvelopeWriter(
            out, BUNDLE_KIND, metadata, station, [central], chunk_size=chunk_size
        )
        _write_body(writer, events, snapshots, progress, cancelled)
        sealed = writer.finish()
        if cancelled is not None and cancelled():
            raise BundleCancelled(detail="before the file was put in place")
    try:
        return _read_back(path, sealed.sha256, station.public())
    except OSError as exc:
        discard(path)
        raise media_error(exc, path) from exc
    except BaseException:
        discard(path)
        raise


def _read_back(path: Path, sha256: str, station_key: PublicKeys) -> BundleInfo:
    with open(path, "rb") as stream:
        drop_cached_pages(stream.fileno())  # so the check reads what the drive holds
        envelope: EnvelopeInfo | None = None
        try:
            envelope = inspect(stream, expected_signer=station_key)
            problem = "sha256 mismatch on read-back"
        except FormatError as exc:
            problem = exc.detail
    if envelope is None or envelope.sha256 != sha256:
        raise MediaError(
            "校验失败：从U盘读回的数据与写入的不一致，U盘可能已损坏。已删除该文件，请换一个U盘后再导出。",
            "Verification failed: the data read back from the drive differs from what was "
            "written, so the drive may be faulty. The file was removed; use another drive and "
            "export again.",
            problem="io",
            detail=problem,
        )
    return _bundle_info(envelope)


# --- reading -------------------------------------------------------------------------------


_META_TYPES: dict[str, type] = dict.fromkeys(
    ("station_id", "venue_id", "sitting_id", "created_at"), str
) | dict.fromkeys(("first_seq", "last_seq", "event_count", "snapshot_count"), int)


# Counts beyond anything a station holds (a venue's sitting is ~10^6 events at most).
_MAX_COUNT = 50_000_000


def _field(metadata: dict[str, Any], name: str, kind: type) -> Any:
    value: Any = metadata.get(name)
    if type(value) is not kind:
        raise FormatError(detail=f"bundle metadata field {name!r} missing or mistyped")
    if isinstance(value, int):
        top = MAX_SEQ if name.endswith("_seq") else _MAX_COUNT
        if not 0 <= value <= top:
            raise FormatError(detail=f"bundle metadata field {name!r} = {value} out of range")
    elif isinstance(value, str) and len(value) > 200:
        raise FormatError(detail=f"bundle metadata field {name!r} is too long")
    return value


def _bundle_info(envelope: EnvelopeInfo) -> BundleInfo:
    if envelope.kind != BUNDLE_KIND:
        raise FormatError(
            "该文件不是考点数据包。请选择考点导出的 .ekb 文件。",
            "This file is not a venue data bundle. Choose the .ekb file exported at the venue.",
            detail=f"envelope kind {envelope.kind!r}",
        )
    meta = envelope.metadata
    if meta.get("layout") != LAYOUT:
        raise FormatError(detail=f"unknown bundle layout {meta.get('layout')!r}")
    values = {name: _field(meta, name, kind) for name, kind in _META_TYPES.items()}
    info = BundleInfo(
        **values, station_key=envelope.signer, size_bytes=envelope.size, sha256=envelope.sha256
    )
    if not info.station_id:
        raise FormatError(detail="bundle has no station id")
    if info.event_count == 0 and (info.first_seq or info.last_seq):
        raise FormatError(detail="empty bundle with a sequence range")
    if info.event_count and not 1 <= info.first_seq <= info.last_seq:
        raise FormatError(detail="bundle sequence range invalid")
    if info.event_count > max(0, info.last_seq - info.first_seq + 1):
        raise FormatError(detail="more events than the sequence range holds")
    return info


def inspect_bundle(path: Path | bytes) -> BundleInfo:
    """Check a bundle without keys: whole, signed by the key it carries, and what it holds.

    Raises FormatError when it is not (damaged, truncated, tampered, not a bundle) and
    MediaError when the file cannot be read at all.
    """
    source = path if isinstance(path, bytes) else Path(path)
    try:
        return _bundle_info(inspect(source))
    except OSError as exc:
        raise media_error(exc, "bundle file" if isinstance(path, bytes) else path) from exc


def _json(raw: bytes | memoryview) -> Any:
    return loads_strict(raw, "bundle record")


def _event_rows(rows: Any, station_id: str, out: list[Event]) -> None:
    if type(rows) is not list:
        raise FormatError(detail="events block is not a list")
    for row in rows:
        if type(row) is not list or len(row) != 8:
            raise FormatError(detail="event row malformed")
        seq, uid, etype, wall, mono, payload, prev, digest = row
        if (
            type(seq) is not int
            or seq < 1
            or type(mono) not in (int, float)
            or type(payload) is not dict
            or not all(type(v) is str for v in (uid, etype, wall, prev, digest))
        ):
            raise FormatError(detail=f"event row {seq!r} has mistyped fields")
        event = Event(station_id, seq, uid, etype, wall, mono, payload, prev, digest)
        try:
            check_event_ranges(event)
        except ValueError as exc:
            raise FormatError(detail=str(exc)[:300]) from None
        out.append(event)


def _snapshot(body: bytes | memoryview) -> Snapshot:
    if len(body) < _U32.size:
        raise FormatError(detail="snapshot record too short")
    (length,) = _U32.unpack_from(body)
    if _U32.size + length > len(body):
        raise FormatError(detail="snapshot description overruns its record")
    described = _json(body[_U32.size : _U32.size + length])
    data = bytes(body[_U32.size + length :])
    if (
        type(described) is not dict
        or type(described.get("name")) is not str
        or type(described.get("media_type")) is not str
        or described.get("size") != len(data)
        or not (described.get("event_seq") is None or type(described.get("event_seq")) is int)
    ):
        raise FormatError(detail="snapshot description malformed")
    event_seq = described["event_seq"]
    if (
        not 1 <= len(described["name"]) <= 200
        or not 1 <= len(described["media_type"]) <= 100
        or (event_seq is not None and not 1 <= event_seq <= MAX_SEQ)
    ):
        raise FormatError(detail="snapshot name, media type or event seq out of range")
    return Snapshot(described["name"], described["media_type"], data, described["event_seq"])


def _parse(plaintext: bytes, info: BundleInfo) -> tuple[list[Event], list[Snapshot]]:
    view = memoryview(plaintext)
    events: list[Event] = []
    snapshots: list[Snapshot] = []
    position, counts = 0, None
    while position < len(view):
        if counts is not None:
            raise FormatError(detail="data after the end record")
        if position + _RECORD.size > len(view):
            raise FormatError(detail="record header cut short")
        rtype, flags, length = _RECORD.unpack_from(view, position)
        position += _RECORD.size
        if flags & ~FLAG_ZLIB or position + length > len(view):
            raise FormatError(detail=f"record at {position} malformed")
        body: bytes | memoryview = view[position : position + length]
        position += length
        if flags & FLAG_ZLIB:
            limit = _MAX_EVENTS_BLOCK if rtype == REC_EVENTS else _MAX_SNAPSHOT
            body = inflate_bounded(memoryview(body), limit, "record")
        if rtype == REC_EVENTS:  # hashing below re-encodes every field: no check here
            _event_rows(loads_strict(body, "events", check=False), info.station_id, events)
        elif rtype == REC_SNAPSHOT:
            snapshots.append(_snapshot(body))
        elif rtype == REC_END:
            counts = _json(body)
        else:
            raise FormatError(detail=f"unknown record type {rtype}")
    expected = {"events": info.event_count, "snapshots": info.snapshot_count}
    if counts != expected or len(events) != info.event_count:
        raise FormatError(detail=f"counts {counts!r} do not match the header {expected!r}")
    if len(snapshots) != info.snapshot_count:
        raise FormatError(detail="snapshot count does not match the header")
    if events and (events[0].seq != info.first_seq or events[-1].seq != info.last_seq):
        raise FormatError(detail="sequence range does not match the header")
    for before, after in zip(events, events[1:], strict=False):
        if after.seq <= before.seq:
            raise FormatError(detail=f"events out of order at seq {after.seq}")
    # Gaps are allowed (a bundle may hold one sitting's events); hashes and the links
    # between consecutive seqs are not negotiable.
    try:
        problems = verify_chain(events, station_id=info.station_id)
    except (ValueError, RecursionError) as exc:  # text that is not valid Unicode, say
        raise FormatError(detail=f"event cannot be hashed: {str(exc)[:80]}") from None
    problems = [p for p in problems if p.problem != "gap"]
    if problems:
        shown = ", ".join(f"{p.seq}:{p.problem}" for p in problems[:5])
        raise FormatError(detail=f"event chain broken ({len(problems)} problems: {shown})")
    return events, snapshots


def open_bundle(
    path: Path | bytes, *, central: KeyPair, station_key: PublicKeys | None = None
) -> tuple[BundleInfo, list[Event], list[Snapshot]]:
    """Verify, decrypt and check a bundle; all or nothing.

    Checks the signature (and that it is `station_key`'s when given), decrypts with the
    centre's key, then every event's hash and the links between consecutive events. Raises
    FormatError on any problem (UnexpectedSigner / NotARecipient are FormatErrors too) and
    MediaError when the file cannot be read.
    """
    source = path if isinstance(path, bytes) else Path(path)
    try:
        envelope, plaintext = open_envelope(source, recipient=central, expected_signer=station_key)
    except OSError as exc:
        raise media_error(exc, "bundle file" if isinstance(path, bytes) else path) from exc
    info = _bundle_info(envelope)
    events, snapshots = _parse(plaintext, info)
    return info, events, snapshots
