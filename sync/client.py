"""The station's side of HTTP sync: push the outbox to the centre, exactly once in effect.

Delivery is at-least-once: the client resumes after the seq the centre acknowledges and
re-sends anything whose answer it did not see; the centre applies by (station_id, seq) and
hash, so repeats are no-ops. Each batch is signed by the station key and carries an
Idempotency-Key derived from its bytes, so a retried batch is recognised as such.

`SyncClient.sync_once()` is one pass (the `examkiosk sync push` command);
`sync.worker.SyncWorker` runs passes on its own thread and keeps the status the station shows.
Headless: no Qt here; `on_status` is called on the worker thread.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from sync.crypto import KeyPair, PublicKeys
from sync.errors import SyncError
from sync.events import GENESIS_HASH, Event, canonical_json
from sync.jsonlimits import JsonLimitError, loads_bounded
from sync.reqsign import H_ANSWER_SIGNATURE, H_CENTRE_TIME, answer_is_genuine, sign_request
from sync.snapshot_upload import DEFAULT_CHUNK_BYTES, SnapshotSource, SnapshotUploader

# (after_seq, limit) -> the outbox's events with seq > after_seq, ascending, at most `limit`.
ReadEvents = Callable[[int, int], Sequence[Event]]
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Answers are small JSON (acks, batch results, upload positions); a package is the exception.
MAX_ANSWER_BYTES = 1024 * 1024
MAX_PACKAGE_BYTES = 512 * 1024 * 1024


class SyncUnavailable(SyncError):
    """The centre could not be reached, or kept failing, after the retries."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "暂时无法连接考试中心，数据仍安全保存在本机，网络恢复后会自动上传。"
            "如急需上传，可改用U盘导出数据包。",
            "The exam centre cannot be reached right now. The data is safe on this station and "
            "will be sent when the network returns; export a USB bundle if it is urgent.",
            detail=detail,
        )


class SyncRefused(SyncError):
    """The centre answered but refused the request (unregistered station, bad signature...)."""

    def __init__(self, reason: str, zh: str, en: str, detail: str = "") -> None:
        super().__init__(
            zh or "考试中心拒收了本机的数据。请联系中心管理员。",
            en
            or "The exam centre refused this station's data. Contact the centre's administrator.",
            detail=detail,
        )
        self.reason = reason


class InsecureCentre(SyncError):
    """Plain http:// to anything but this machine, or without the development switch."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"考试中心地址 {url} 未使用 HTTPS，不予连接。只有本机（127.0.0.1）在开启开发开关后"
            "才可使用 http://。",
            f"The exam centre address {url} does not use HTTPS and is not used. Plain http:// "
            "is allowed only to this machine (127.0.0.1) with the development switch on.",
        )


class AnswerNotTrusted(SyncError):
    """An answer without the centre's valid signature: nothing is marked as received."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "收到的应答没有考试中心的有效签名，未将任何数据标记为已送达。请检查中心地址是否正确、"
            "网络是否被劫持；数据仍安全保存在本机。",
            "The answer did not carry the exam centre's valid signature, so nothing was "
            "marked as received. Check the centre address and the network; the data is "
            "safe on this station.",
            detail=detail,
        )
        self.reason = "answer_not_signed"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_transport(url: str, allow_plain_http: bool) -> None:
    """Raises InsecureCentre unless `url` is https, or http to loopback with the switch on."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_plain_http and is_loopback(parts.hostname):
        return
    raise InsecureCentre(url)


@dataclass(frozen=True)
class Ack:
    acked_seq: int
    last_hash: str
    highest_seq: int = 0
    rollback: bool = False


@dataclass(frozen=True)
class PassResult:
    """One sync pass. `ok`: the centre was reached and every batch answered. `complete`: the
    centre holds everything up to the station's last event. `diverged`: the centre holds
    another history for this station (restored database): an administrator must act."""

    ok: bool
    complete: bool
    diverged: bool
    batches: int
    sent_events: int
    accepted: int
    duplicates: int
    quarantined: int
    refused: int
    acked_seq: int
    local_seq: int
    error: str = ""
    error_zh: str = ""
    # Snapshots go after the events and never make the pass fail: a problem with them is
    # reported here and they are retried on the next pass.
    snapshots_uploaded: int = 0
    snapshot_bytes: int = 0
    snapshots_pending: bool = False
    snapshot_error: str = ""
    snapshot_error_zh: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def full_jitter(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """AWS-style full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng.uniform(0.0, min(cap, base * (2 ** min(attempt, 30))))


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header (delta seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def batch_key(station_id: str, events: Sequence[Event], body: bytes) -> str:
    """Idempotency-Key of a batch: the same events give the same key, across restarts."""
    digest = hashlib.sha256(body).hexdigest()[:32]
    return f"{station_id}:{events[0].seq}-{events[-1].seq}:{digest}"


class SyncClient:
    """HTTP client of one station. Not thread-safe: one pass at a time (SyncWorker ensures it)."""

    def __init__(
        self,
        base_url: str,
        station_id: str,
        keys: KeyPair,
        read_events: ReadEvents,
        *,
        central_keys: PublicKeys,
        allow_plain_http: bool = False,
        last_seq: Callable[[], int] | None = None,
        ca_file: str | Path | None = None,
        batch_events: int = 500,
        batch_bytes: int = 4 * 1024 * 1024,
        probe_timeout: float = 2.0,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        attempts: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        snapshots: SnapshotSource | None = None,
        snapshot_chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        check_transport(self.base_url, allow_plain_http)
        self._base_path = urlsplit(self.base_url).path
        self.station_id = station_id
        self._keys = keys
        self.central_keys = central_keys
        # Seconds to add to this station's clock when signing: learnt from the centre after a
        # clock_skew refusal, so a station whose clock drifted still gets its data through.
        self._clock_offset = 0
        self._read = read_events
        self._last_seq = last_seq
        self.batch_events = max(1, batch_events)
        self.batch_bytes = batch_bytes
        self.probe_timeout = probe_timeout
        self.timeout = (connect_timeout, read_timeout)
        self.attempts = max(1, attempts)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.session = requests.Session()
        # Only the configured centre: no proxies or CA bundles from the environment.
        self.session.trust_env = False
        self.session.verify = str(ca_file) if ca_file else True
        self.session.headers["User-Agent"] = f"examkiosk-station/{station_id}"
        # The centre's HTTP Date header of its last answer: the station compares its own
        # clock with it (the inspection reports the drift).
        self.centre_date: str | None = None
        self.snapshots = (
            SnapshotUploader(
                lambda method, path, body, ctype: self._request(
                    method, path, body=body, content_type=ctype
                ),
                station_id,
                keys,
                snapshots,
                chunk_bytes=snapshot_chunk_bytes,
            )
            if snapshots is not None
            else None
        )

    # -- HTTP with retries ----------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        key: str = "",
        content_type: str = "application/json",
        raw: bool = False,
    ) -> Any:
        """One signed request, retried with backoff; the centre's verified answer (JSON, or
        bytes when `raw`). Raises SyncUnavailable, SyncRefused, AnswerNotTrusted."""
        payload = body if body is not None else b""
        last_problem = ""
        skew_retried = False
        for attempt in range(self.attempts):
            wait: float | None = None
            signed = sign_request(
                self._keys,
                self.station_id,
                method,
                self._base_path + path,
                payload,
                int(time.time()) + self._clock_offset,
            )
            headers = dict(signed.headers)
            if body is not None:
                headers["Content-Type"] = content_type
            if key:
                headers["Idempotency-Key"] = key
            try:
                response = self.session.request(
                    method,
                    self.base_url + path,
                    data=body,
                    headers=headers,
                    timeout=self.timeout,
                    stream=True,
                    allow_redirects=False,
                )
                try:
                    content = self._read_bounded(response, raw)
                finally:
                    response.close()
            except requests.exceptions.SSLError as exc:
                raise SyncRefused(
                    "tls",
                    "无法验证考试中心的证书，未发送任何数据。请检查本机配置的中心证书（CA 文件）。",
                    "The exam centre's certificate could not be verified; nothing was sent. "
                    "Check the centre CA file configured on this station.",
                    detail=repr(exc),
                ) from exc
            except requests.RequestException as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    if not answer_is_genuine(
                        self.central_keys,
                        self.station_id,
                        signed.signature,
                        response.status_code,
                        content,
                        response.headers.get(H_ANSWER_SIGNATURE),
                    ):
                        raise AnswerNotTrusted(f"{method} {path}: HTTP {response.status_code}")
                    # Only a genuine answer's Date counts (issue 12's clock drift).
                    self.centre_date = response.headers.get("Date") or self.centre_date
                    if raw:
                        return content
                    try:
                        return loads_bounded(content, max_bytes=MAX_ANSWER_BYTES, max_depth=16)
                    except JsonLimitError:
                        last_problem = "answer is not JSON"
                elif response.status_code in RETRY_STATUSES:
                    last_problem = f"HTTP {response.status_code}"
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                else:
                    refusal = self._refusal(response.status_code, content)
                    if refusal.reason == "clock_skew" and not skew_retried:
                        skew_retried = True
                        if self._learn_clock(response.headers.get(H_CENTRE_TIME)):
                            continue
                    raise refusal
            if attempt + 1 < self.attempts:
                delay = full_jitter(attempt, self.backoff_base, self.backoff_cap, self._rng)
                if wait is not None:
                    delay = max(delay, min(wait, self.backoff_cap))
                self._sleep(delay)
        raise SyncUnavailable(f"{method} {path}: {last_problem}")

    @staticmethod
    def _read_bounded(response: requests.Response, raw: bool) -> bytes:
        """The answer's bytes, at most MAX_ANSWER_BYTES (MAX_PACKAGE_BYTES when `raw`)."""
        cap = MAX_PACKAGE_BYTES if raw and response.status_code < 300 else MAX_ANSWER_BYTES
        parts, size = [], 0
        for part in response.iter_content(64 * 1024):
            size += len(part)
            if size > cap:
                raise requests.exceptions.ContentDecodingError(f"answer over {cap} bytes")
            parts.append(part)
        return b"".join(parts)

    def _learn_clock(self, centre_time: str | None) -> bool:
        """Adopt the centre's clock for signing (only the offset; the station's own clock is
        untouched). True when it changed the offset."""
        if not centre_time or not centre_time.isdigit():
            return False
        offset = int(centre_time) - int(time.time())
        if offset == self._clock_offset:
            return False
        self._clock_offset = offset
        return True

    @staticmethod
    def _refusal(status: int, content: bytes) -> SyncRefused:
        """A refusal as the centre worded it. Unsigned, so it is only ever shown: a refusal
        never marks anything as received."""
        try:
            data = loads_bounded(content, max_bytes=MAX_ANSWER_BYTES, max_depth=4)
        except JsonLimitError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return SyncRefused(
            str(data.get("reason", f"http_{status}"))[:100],
            str(data.get("message_zh", ""))[:500],
            str(data.get("message", ""))[:500],
            detail=f"HTTP {status} {str(data.get('detail', ''))[:300]}",
        )

    def probe(self) -> bool:
        """Whether the centre answers its health check within `probe_timeout` (no retries)."""
        try:
            response = self.session.get(
                self.base_url + "/v1/health",
                timeout=(self.probe_timeout, self.probe_timeout),
                stream=True,
                allow_redirects=False,
            )
            response.close()
        except requests.RequestException:
            return False
        return response.status_code == 200

    def fetch_ack(self) -> Ack:
        data = self._request("GET", f"/v1/stations/{self.station_id}/ack")
        try:
            return Ack(
                acked_seq=int(data["acked_seq"]),
                last_hash=str(data.get("last_hash", GENESIS_HASH)),
                highest_seq=int(data.get("highest_seq", 0)),
                rollback=bool(data.get("rollback", False)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise AnswerNotTrusted(f"ack not understood: {str(data)[:200]}") from exc

    def fetch_package(self, venue_id: str) -> bytes:
        """The latest exam package (.ekp) the centre issued for `venue_id` (raw bytes; the
        package's own signature is checked when it is imported)."""
        return bytes(self._request("GET", f"/v1/venues/{venue_id}/package", raw=True))

    def push(self, events: Sequence[Event]) -> dict[str, Any]:
        """Send one signed batch (retried with backoff); the centre's ImportResult as a dict."""
        items = [e.to_dict() for e in events]
        signature = self._keys.signature(canonical_json(items)).hex()
        body = json.dumps({"events": items, "signature": signature}, ensure_ascii=False).encode()
        key = batch_key(self.station_id, events, body)
        return dict(
            self._request("POST", f"/v1/stations/{self.station_id}/events", body=body, key=key)
        )

    def upload_bundle(self, data: bytes) -> dict[str, Any]:
        """Hand a USB bundle (.ekb) to the centre over HTTP; its ImportResult as a dict. The
        bundle is signed by its own station, so a station may carry another's."""
        return dict(
            self._request("POST", "/v1/bundles", body=data, content_type="application/octet-stream")
        )

    # -- a pass ---------------------------------------------------------------------------

    def local_seq(self) -> int:
        if self._last_seq is not None:
            return int(self._last_seq())
        top, after = 0, 0
        while True:
            page = self._read(after, 5000)
            if not page:
                return top
            top = after = page[-1].seq

    def _next_batch(self, after: int) -> list[Event]:
        events = list(self._read(after, self.batch_events))
        size, cut = 0, len(events)
        for i, event in enumerate(events):
            size += len(canonical_json(event.to_dict()))
            if size > self.batch_bytes and i > 0:
                cut = i
                break
        return events[:cut]

    def diverged_from(self, ack: Ack) -> bool:
        """Whether the centre's history at its acked seq is not this station's."""
        if ack.acked_seq == 0:
            return False
        mine = self._read(ack.acked_seq - 1, 1)
        return not mine or mine[0].seq != ack.acked_seq or mine[0].hash != ack.last_hash

    def sync_once(self, cancelled: Callable[[], bool] | None = None) -> PassResult:
        """Push everything the centre does not hold yet, events first, then snapshots.

        Never raises for network trouble. Snapshots are uploaded only while no event waits:
        an event recorded during a snapshot upload is pushed before the next chunk.
        """
        totals = {"batches": 0, "sent_events": 0, "accepted": 0, "duplicates": 0,
                  "quarantined": 0, "refused": 0, "snapshots": 0, "snapshot_bytes": 0}  # fmt: skip
        stop = cancelled or (lambda: False)
        acked, diverged, local = 0, False, 0
        snapshot_error: SyncError | None = None
        more_snapshots = False
        try:
            ack = self.fetch_ack()
            acked = ack.acked_seq
            local = self.local_seq()
            diverged = ack.rollback or self.diverged_from(ack)
            after = acked
            if diverged:
                # Show the centre where the histories part, so it can quarantine and flag;
                # none of it is merged there.
                after = max(0, min(acked, local) - self.batch_events)
            while not stop():
                events = self._next_batch(after)
                if events:
                    answer = self.push(events)
                    totals["batches"] += 1
                    totals["sent_events"] += len(events)
                    for name in ("accepted", "duplicates", "quarantined", "refused"):
                        totals[name] += int(answer.get(name, 0))
                    acked = int(answer.get("acked_seq", acked))
                    diverged = diverged or bool(answer.get("rollback", False))
                    after = events[-1].seq
                    continue
                if self.snapshots is None or snapshot_error is not None:
                    break

                def events_waiting(up_to: int = after) -> bool:
                    return stop() or bool(self._read(up_to, 1))

                try:
                    run = self.snapshots.run(events_waiting)
                except SyncError as exc:
                    snapshot_error = exc
                    more_snapshots = True
                    break
                totals["snapshots"] += run.uploaded
                totals["snapshot_bytes"] += run.bytes_sent
                more_snapshots = run.more
                if not run.more:
                    break
            local = max(local, after)
        except SyncError as exc:
            return self._result(totals, False, diverged, acked, local, exc)
        result = self._result(totals, True, diverged, acked, local, None)
        return replace(
            result,
            snapshots_pending=more_snapshots,
            snapshot_error=str(snapshot_error) if snapshot_error else "",
            snapshot_error_zh=snapshot_error.zh if snapshot_error else "",
        )

    @staticmethod
    def _result(
        totals: dict[str, int],
        ok: bool,
        diverged: bool,
        acked: int,
        local: int,
        error: SyncError | None,
    ) -> PassResult:
        return PassResult(
            ok=ok,
            complete=ok and acked >= local and not diverged,
            diverged=diverged,
            batches=totals["batches"],
            sent_events=totals["sent_events"],
            accepted=totals["accepted"],
            duplicates=totals["duplicates"],
            quarantined=totals["quarantined"],
            refused=totals["refused"],
            acked_seq=acked,
            local_seq=local,
            error=str(error) if error else "",
            error_zh=error.zh if error else "",
            snapshots_uploaded=totals["snapshots"],
            snapshot_bytes=totals["snapshot_bytes"],
        )

    def backlog(self, acked_seq: int, *, limit: int = 200_000) -> tuple[int, int]:
        """(events, bytes) in the outbox after `acked_seq` (bytes as sent, counted to `limit`)."""
        count = size = 0
        after = acked_seq
        while count < limit:
            page = self._read(after, 2000)
            if not page:
                break
            count += len(page)
            size += sum(len(canonical_json(e.to_dict())) for e in page)
            after = page[-1].seq
        return count, size

    def snapshot_backlog(self) -> tuple[int, int]:
        """(count, bytes) of snapshots the centre does not hold yet; (0, 0) without a source."""
        return self.snapshots.source.backlog() if self.snapshots is not None else (0, 0)

    def close(self) -> None:
        self.session.close()
