"""The station's side of snapshot uploads: chunked, resumable, and always behind the events.

A snapshot (a check-in photo, an answer-sheet dump) is announced with a signed description;
the centre answers how many bytes of it it holds, and the station sends the rest in chunks.
If the connection drops or the station is restarted, announcing the same snapshot again
resumes at the centre's position. `SnapshotUploader.run(should_yield)` asks `should_yield()`
before every chunk and stops when it says so, so `SyncClient` can push events that were
recorded meanwhile first: snapshots never hold up event batches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sync.crypto import KeyPair
from sync.errors import SyncError
from sync.events import canonical_json

DEFAULT_CHUNK_BYTES = 256 * 1024
# (method, path, body, content_type) -> the centre's JSON answer; retries and raises
# SyncUnavailable / SyncRefused like SyncClient._request.
Request = Callable[[str, str, bytes, str], Any]


@dataclass(frozen=True)
class PendingSnapshot:
    """A snapshot the centre does not hold yet. `key` orders them (the station's row id)."""

    key: int
    name: str
    media_type: str
    size: int
    event_seq: int | None = None


class SnapshotSource(Protocol):
    """The station's snapshots, as the uploader needs them."""

    def pending(self, limit: int) -> Sequence[PendingSnapshot]:
        """Snapshots not yet held by the centre, ascending by key, at most `limit`."""

    def data(self, key: int) -> bytes:
        """The bytes of one snapshot."""

    def uploaded(self, key: int) -> None:
        """The centre holds every snapshot up to `key` (persist it: the next pending() skips
        them)."""

    def backlog(self) -> tuple[int, int]:
        """(count, bytes) of snapshots not yet held by the centre."""


class SnapshotUploadFailed(SyncError):
    """The centre kept finding an uploaded snapshot damaged."""

    def __init__(self, name: str) -> None:
        super().__init__(
            "照片多次上传后仍校验失败，稍后会自动重试；如持续失败，请改用U盘导出数据包。",
            "A snapshot kept arriving damaged at the centre; it will be retried later. If this "
            "persists, export a USB bundle instead.",
            detail=f"snapshot {name!r}",
        )


@dataclass(frozen=True)
class UploadRun:
    uploaded: int  # snapshots the centre now holds that it did not before this run
    bytes_sent: int
    more: bool  # stopped because should_yield() said so, with snapshots still pending


def _state(answer: Any) -> dict[str, Any]:
    if (
        not isinstance(answer, dict)
        or type(answer.get("received")) is not int
        or type(answer.get("complete")) is not bool
        or not isinstance(answer.get("upload_id"), str)
    ):
        raise SyncError(
            "考试中心的应答格式不正确，稍后会自动重试。",
            "The exam centre's answer was not understood; sync will retry later.",
            detail=f"snapshot upload answer {str(answer)[:200]}",
        )
    return answer


class SnapshotUploader:
    def __init__(
        self,
        request: Request,
        station_id: str,
        keys: KeyPair,
        source: SnapshotSource,
        *,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ) -> None:
        self._request = request
        self.station_id = station_id
        self._keys = keys
        self.source = source
        self.chunk_bytes = max(1, chunk_bytes)

    def _announce(self, snap: PendingSnapshot, data: bytes) -> dict[str, Any]:
        description = {
            "name": snap.name,
            "media_type": snap.media_type,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "event_seq": snap.event_seq,
        }
        signature = self._keys.signature(canonical_json(description)).hex()
        body = json.dumps({"snapshot": description, "signature": signature}).encode()
        return _state(
            self._request(
                "POST", f"/v1/stations/{self.station_id}/snapshots", body, "application/json"
            )
        )

    def upload(self, snap: PendingSnapshot, should_yield: Callable[[], bool]) -> tuple[bool, int]:
        """Send one snapshot from where the centre stands. (complete, bytes sent)."""
        data = self.source.data(snap.key)
        state = self._announce(snap, data)
        sent = restarts = resyncs = 0
        while not state["complete"]:
            if state.get("status") == "restarted":
                restarts += 1
                if restarts > 2:
                    raise SnapshotUploadFailed(snap.name)
            if should_yield():
                return False, sent
            offset = state["received"]
            piece = data[offset : offset + self.chunk_bytes]
            path = f"/v1/stations/{self.station_id}/snapshots/{state['upload_id']}/chunks"
            try:
                state = _state(
                    self._request(
                        "POST", f"{path}?offset={offset}", piece, "application/octet-stream"
                    )
                )
            except SyncError as exc:
                # The centre holds another position (a chunk whose answer was lost, another
                # process) or forgot the upload: ask again where it stands.
                if getattr(exc, "reason", "") not in ("upload_offset", "no_upload") or resyncs >= 3:
                    raise
                resyncs += 1
                state = self._announce(snap, data)
                continue
            sent += len(piece)
        return True, sent

    def run(self, should_yield: Callable[[], bool]) -> UploadRun:
        """Upload pending snapshots in order until none is left or `should_yield()`.

        Raises SyncError (SyncUnavailable, SyncRefused, SnapshotUploadFailed) when the centre
        cannot take them now; what was completed before stays recorded as uploaded.
        """
        uploaded = sent = 0
        while True:
            batch = self.source.pending(16)
            if not batch:
                return UploadRun(uploaded, sent, False)
            for snap in batch:
                if should_yield():
                    return UploadRun(uploaded, sent, True)
                complete, size = self.upload(snap, should_yield)
                sent += size
                if not complete:
                    return UploadRun(uploaded, sent, True)
                self.source.uploaded(snap.key)
                uploaded += 1
