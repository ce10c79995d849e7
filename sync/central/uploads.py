"""Snapshots sent over HTTP in chunks: one resumable upload per (station, snapshot).

A station announces a snapshot with its signed description (name, media type, size,
SHA-256, event seq). The upload id is derived from that description, so a station that was
restarted or lost its connection announces the same snapshot again, gets the same upload and
continues at `received`. Chunks are appended strictly in order; a repeated chunk (a retry
whose answer was lost) is a no-op. When the last byte arrives the whole is checked against
the signed SHA-256 and stored through the same `put_snapshot` as a bundle's snapshots, so a
snapshot that came on a USB stick too is recognised as a duplicate, whichever came first.

Each call is one short transaction that locks only its upload row, never the station's row:
snapshot traffic never holds up event batches (on SQLite the transactions are short).
Chunks live in the database, so several central processes can share one PostgreSQL.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any

from sync.central.arrivals import now_iso, put_snapshot
from sync.central.errors import CentralError, MalformedRequest
from sync.central.storage import CentralStore
from sync.events import canonical_json

MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024
MAX_CHUNK_BYTES = 8 * 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class UploadNotFound(CentralError):
    reason = "no_upload"
    status = 404

    def __init__(self, upload_id: str) -> None:
        super().__init__(
            "中心没有该照片的上传记录，请重新开始上传。",
            "The centre has no such snapshot upload; announce the snapshot again.",
            detail=f"upload {upload_id[:40]!r}",
        )


class UploadOffsetMismatch(CentralError):
    reason = "upload_offset"
    status = 409

    def __init__(self, offset: int, received: int) -> None:
        super().__init__(
            "上传位置与中心已收到的不一致，请从中心给出的位置继续。",
            f"The chunk starts at byte {offset} but the centre holds {received} bytes; "
            "continue from the centre's position.",
            detail=f"received={received}",
        )
        self.received = received


@dataclass(frozen=True)
class SnapshotDescription:
    """What a station signs when it announces a snapshot."""

    name: str
    media_type: str
    size: int
    sha256: str
    event_seq: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> SnapshotDescription:
        """Raises MalformedRequest unless every field is present and of the right type."""
        if not isinstance(data, dict):
            raise MalformedRequest("snapshot description is not an object")
        name, media_type = data.get("name"), data.get("media_type")
        size, sha256, event_seq = data.get("size"), data.get("sha256"), data.get("event_seq")
        if not isinstance(name, str) or not 0 < len(name) <= 200:
            raise MalformedRequest("snapshot name must be 1-200 characters")
        if not isinstance(media_type, str) or not 0 < len(media_type) <= 100:
            raise MalformedRequest("snapshot media_type must be 1-100 characters")
        if type(size) is not int or not 0 <= size <= MAX_SNAPSHOT_BYTES:
            raise MalformedRequest(f"snapshot size must be 0-{MAX_SNAPSHOT_BYTES} bytes")
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise MalformedRequest("snapshot sha256 must be 64 lower-case hex digits")
        if event_seq is not None and (type(event_seq) is not int or event_seq < 1):
            raise MalformedRequest("snapshot event_seq must be a positive integer or null")
        return cls(name, media_type, size, sha256, event_seq)


@dataclass(frozen=True)
class UploadState:
    """Where an upload stands. `status`: "pending" (send from `received`), "accepted" (stored),
    "duplicate" (already held), "conflict" (another content is held under that name; kept,
    reported), "restarted" (the assembled bytes did not match the SHA-256: send again from 0)."""

    upload_id: str
    name: str
    size: int
    received: int
    complete: bool
    status: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def upload_id_of(station_id: str, description: SnapshotDescription) -> str:
    return hashlib.sha256(
        canonical_json([station_id, description.name, description.size, description.sha256])
    ).hexdigest()[:32]


_UPLOAD_COLUMNS = "upload_id, name, media_type, event_seq, size, sha256, received, status"


def _state(row: tuple[Any, ...]) -> UploadState:
    status = str(row[7])
    return UploadState(
        upload_id=str(row[0]),
        name=str(row[1]),
        size=int(row[4]),
        received=int(row[6]),
        complete=status != "pending",
        status=status,
    )


class SnapshotUploads:
    def __init__(self, store: CentralStore) -> None:
        self.store = store

    def begin(self, station_id: str, description: SnapshotDescription) -> UploadState:
        """Open (or find again) the upload of an authenticated station's snapshot."""
        upload_id = upload_id_of(station_id, description)
        now = now_iso()
        with self.store.db.transaction() as tx:
            row = tx.one(
                f"SELECT {_UPLOAD_COLUMNS} FROM snapshot_uploads WHERE station_id = ? "
                "AND upload_id = ?" + tx.lock_suffix,
                (station_id, upload_id),
            )
            if row is not None:
                return _state(row)
            held = tx.one(
                "SELECT sha256 FROM snapshots WHERE station_id = ? AND name = ?",
                (station_id, description.name),
            )
            # A pending upload of the same name with other content is abandoned: only the
            # latest announcement of a name is resumed.
            for (stale,) in tx.all(
                "SELECT upload_id FROM snapshot_uploads WHERE station_id = ? AND name = ? "
                "AND status = 'pending'",
                (station_id, description.name),
            ):
                tx.run(
                    "DELETE FROM snapshot_chunks WHERE station_id = ? AND upload_id = ?",
                    (station_id, stale),
                )
                tx.run(
                    "DELETE FROM snapshot_uploads WHERE station_id = ? AND upload_id = ?",
                    (station_id, stale),
                )
            status, received = "pending", 0
            if held is not None:  # already here (a bundle, or an earlier upload): no data needed
                status = put_snapshot(
                    tx, station_id, description.name, description.media_type, b"",
                    description.sha256, description.event_seq, "http",
                )  # fmt: skip
                received = description.size
            elif description.size == 0:
                if description.sha256 != _EMPTY_SHA256:
                    raise MalformedRequest("an empty snapshot must carry the SHA-256 of nothing")
                status = put_snapshot(
                    tx, station_id, description.name, description.media_type, b"",
                    description.sha256, description.event_seq, "http",
                )  # fmt: skip
            tx.run(
                "INSERT INTO snapshot_uploads (station_id, upload_id, name, media_type, "
                "event_seq, size, sha256, received, status, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    station_id,
                    upload_id,
                    description.name,
                    description.media_type,
                    description.event_seq,
                    description.size,
                    description.sha256,
                    received,
                    status,
                    now,
                    now,
                ),
            )
        return UploadState(
            upload_id, description.name, description.size, received, status != "pending", status
        )

    def chunk(self, station_id: str, upload_id: str, offset: int, data: bytes) -> UploadState:
        """Append `data` at `offset`; completes the snapshot when its last byte arrives.

        A chunk that lies wholly within what is held already is a no-op (a retry). Raises
        UploadNotFound, UploadOffsetMismatch (the answer carries `received`), MalformedRequest.
        """
        if not _UPLOAD_ID.match(upload_id):
            raise UploadNotFound(upload_id)
        if offset < 0 or len(data) > MAX_CHUNK_BYTES:
            raise MalformedRequest(f"chunk offset must be >= 0 and at most {MAX_CHUNK_BYTES} B")
        with self.store.db.transaction() as tx:
            row = tx.one(
                f"SELECT {_UPLOAD_COLUMNS} FROM snapshot_uploads WHERE station_id = ? "
                "AND upload_id = ?" + tx.lock_suffix,
                (station_id, upload_id),
            )
            if row is None:
                raise UploadNotFound(upload_id)
            state = _state(row)
            if state.complete or (offset + len(data) <= state.received and offset < state.size):
                return state
            if offset != state.received:
                raise UploadOffsetMismatch(offset, state.received)
            if not data or offset + len(data) > state.size:
                raise MalformedRequest(
                    f"chunk of {len(data)} bytes at {offset} does not fit a snapshot of "
                    f"{state.size} bytes"
                )
            tx.run(
                "INSERT INTO snapshot_chunks (station_id, upload_id, offset_bytes, data) "
                "VALUES (?, ?, ?, ?)",
                (station_id, upload_id, offset, data),
            )
            received = offset + len(data)
            status = answer = "pending"
            if received == state.size:
                status, received = self._complete(tx, station_id, row, received)
                # "restarted" is only an answer: the upload itself is pending again from 0.
                answer, status = status, ("pending" if status == "restarted" else status)
            tx.run(
                "UPDATE snapshot_uploads SET received = ?, status = ?, updated_at = ? "
                "WHERE station_id = ? AND upload_id = ?",
                (received, status, now_iso(), station_id, upload_id),
            )
        return UploadState(upload_id, state.name, state.size, received, status != "pending", answer)

    @staticmethod
    def _complete(tx: Any, station_id: str, row: tuple[Any, ...], size: int) -> tuple[str, int]:
        upload_id, name, media_type, event_seq, _size, sha256 = row[:6]
        parts = tx.all(
            "SELECT data FROM snapshot_chunks WHERE station_id = ? AND upload_id = ? "
            "ORDER BY offset_bytes",
            (station_id, upload_id),
        )
        data = b"".join(bytes(p[0]) for p in parts)
        tx.run(
            "DELETE FROM snapshot_chunks WHERE station_id = ? AND upload_id = ?",
            (station_id, upload_id),
        )
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
            # Damaged on the way: start over rather than store what the station did not sign.
            return "restarted", 0
        outcome = put_snapshot(tx, station_id, name, media_type, data, sha256, event_seq, "http")
        return outcome, size
