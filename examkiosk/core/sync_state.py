"""What the station knows about its sync with the centre, kept in its encrypted store.

The centre is the authority on what it holds: its acknowledged seq (`acked_seq`: every event
up to it is committed at the centre) and the snapshots it confirmed. The station keeps the
last word it heard, with the time of the last successful pass, the centre's URL and its CA
file, in the store's `meta` table (keys `sync.*`), each write in one store transaction.

"Not yet acknowledged" means: events after the kept `acked_seq` (all events if the centre
holds another history for this station) and snapshots after the kept snapshot mark. A USB
bundle export does not move these marks: only the centre's answer does, so a stick that is
lost on the way costs nothing. A stale mark is always on the safe side (it makes exports
larger, never smaller), because the mark is only ever set from an answer of the centre.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from examkiosk.core.authz import Person, audit, require
from examkiosk.core.errors import KioskError
from examkiosk.core.station import Station
from examkiosk.store import outbox
from sync.bundle import BundleInfo
from sync.client import PassResult, SyncClient, SyncUnavailable, is_loopback, utc_now_iso
from sync.errors import SyncError
from sync.events import Event, canonical_json
from sync.snapshot_upload import PendingSnapshot
from sync.worker import SyncStatus

log = logging.getLogger(__name__)

KEY_URL = "sync.central_url"
KEY_CA_FILE = "sync.ca_file"
KEY_ACKED_SEQ = "sync.acked_seq"
KEY_SNAPSHOT_MARK = "sync.snapshot_acked"
KEY_LAST_SUCCESS = "sync.last_success"
KEY_LAST_ATTEMPT = "sync.last_attempt"
KEY_LAST_ERROR = "sync.last_error"
KEY_DIVERGED = "sync.diverged"
KEY_LAST_EXPORT = "sync.last_export"
# The development switch: plain http:// to this machine only. Set through save_central,
# recorded as an outbox event, shown on the admin screen.
KEY_PLAIN_HTTP = "sync.dev_plain_http"
EVENT_PLAIN_HTTP = "sync.dev_plain_http"


class NoCentralConfigured(KioskError):
    def __init__(self) -> None:
        super().__init__(
            "本机尚未设置考试中心地址。请使用 --central URL，或运行 "
            "examkiosk sync config --central URL 保存地址。",
            "No exam centre address is set on this station. Pass --central URL, or save one "
            "with `examkiosk sync config --central URL`.",
        )


class BadCentralUrl(KioskError):
    def __init__(self, url: str) -> None:
        super().__init__(
            f"考试中心地址 {url!r} 无效，应类似 https://sync.example.cn:8470 。",
            f"The exam centre address {url!r} is not valid; it should look like "
            "https://sync.example.cn:8470 .",
        )


class InsecureCentralUrl(KioskError):
    def __init__(self, url: str) -> None:
        super().__init__(
            f"考试中心地址 {url} 未使用 HTTPS。请使用 https:// 地址；仅在本机测试时，可对 "
            "127.0.0.1 开启开发开关（--dev-allow-http）。",
            f"The exam centre address {url} does not use HTTPS. Use an https:// address; "
            "only for tests on this machine can plain http to 127.0.0.1 be allowed with the "
            "development switch (--dev-allow-http).",
        )


@dataclass(frozen=True)
class SyncState:
    """The station's persisted view of its sync (see the module docstring)."""

    central_url: str = ""
    ca_file: str = ""
    acked_seq: int = 0
    snapshot_mark: int = 0
    last_success: str | None = None
    last_attempt: str | None = None
    last_error: str = ""
    last_error_zh: str = ""
    diverged: bool = False
    last_export: dict[str, Any] | None = None
    allow_plain_http: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def export_after_seq(self) -> int:
        """Events after this seq are not yet acknowledged. 0 when the centre holds another
        history (a restored station): then nothing of ours counts as acknowledged."""
        return 0 if self.diverged else self.acked_seq


def _int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def load_state(station: Station) -> SyncState:
    rows = station.store.query("SELECT key, value FROM meta WHERE key LIKE 'sync.%'")
    meta = {str(k): str(v) for k, v in rows}
    error: dict[str, str] = {}
    export: dict[str, Any] | None = None
    try:
        error = json.loads(meta.get(KEY_LAST_ERROR) or "{}")
        export = json.loads(meta[KEY_LAST_EXPORT]) if KEY_LAST_EXPORT in meta else None
    except ValueError:  # a damaged note must not stop sync; the marks below still count
        log.warning("unreadable sync note in the store; ignored")
    return SyncState(
        central_url=meta.get(KEY_URL, ""),
        ca_file=meta.get(KEY_CA_FILE, ""),
        acked_seq=_int(meta.get(KEY_ACKED_SEQ)),
        snapshot_mark=_int(meta.get(KEY_SNAPSHOT_MARK)),
        last_success=meta.get(KEY_LAST_SUCCESS) or None,
        last_attempt=meta.get(KEY_LAST_ATTEMPT) or None,
        last_error=str(error.get("en", "")) if isinstance(error, dict) else "",
        last_error_zh=str(error.get("zh", "")) if isinstance(error, dict) else "",
        diverged=meta.get(KEY_DIVERGED) == "1",
        last_export=export if isinstance(export, dict) else None,
        allow_plain_http=meta.get(KEY_PLAIN_HTTP) == "1",
    )


def _write(station: Station, values: dict[str, str]) -> None:
    with station.store.transaction() as conn:
        for key, value in values.items():
            station.store.set_meta(conn, key, value)


def check_url(url: str, allow_plain_http: bool = False) -> str:
    """The URL without a trailing slash. BadCentralUrl unless it is http(s)://host[:port];
    InsecureCentralUrl for http:// unless to loopback with `allow_plain_http`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise BadCentralUrl(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise BadCentralUrl(url) from None
    if parts.scheme == "http" and not (allow_plain_http and is_loopback(parts.hostname)):
        raise InsecureCentralUrl(url.strip())
    return url.strip().rstrip("/")


def save_central(
    station: Station,
    url: str,
    ca_file: Path | None = None,
    *,
    allow_plain_http: bool | None = None,
    by: Person | None = None,
) -> SyncState:
    """Remember the centre's URL (and the CA file pinning its certificate).

    `allow_plain_http` sets the development switch (None leaves it as it is); changing it
    is recorded as a `sync.dev_plain_http` outbox event in the same transaction, so the
    centre sees it. With `by`, the change must be theirs to make (authz `sync.settings`)
    and is audited with the old and new values, in the same transaction.
    """
    if by is not None:
        require(by, "sync.settings")
    before = load_state(station)
    plain = before.allow_plain_http if allow_plain_http is None else allow_plain_http
    values = {KEY_URL: check_url(url, plain)}
    if ca_file is not None:
        values[KEY_CA_FILE] = str(Path(ca_file).resolve())
    with station.store.transaction() as conn:
        for key, value in values.items():
            station.store.set_meta(conn, key, value)
        if by is not None:
            audit(
                station,
                conn,
                by,
                "sync_settings_changed",
                {
                    "central_url": [before.central_url, values[KEY_URL]],
                    "ca_file": [before.ca_file, values.get(KEY_CA_FILE, before.ca_file)],
                    "dev_plain_http": [before.allow_plain_http, plain],
                },
            )
        if plain != before.allow_plain_http:
            station.store.set_meta(conn, KEY_PLAIN_HTTP, "1" if plain else "0")
            station.record(
                conn, EVENT_PLAIN_HTTP, {"enabled": plain, "central_url": values[KEY_URL]}
            )
    return load_state(station)


def record_ack(station: Station, acked_seq: int, diverged: bool) -> None:
    """Keep what the centre just said it holds (lower than before, too: a centre restored
    from backup holds less, and the next export must include what it lost)."""
    _write(station, {KEY_ACKED_SEQ: str(int(acked_seq)), KEY_DIVERGED: "1" if diverged else "0"})


def record_pass(station: Station, result: PassResult) -> SyncState:
    """Keep the outcome of a sync pass; the marks move only when the centre answered."""
    values = {KEY_LAST_ATTEMPT: utc_now_iso()}
    if result.ok:
        values[KEY_ACKED_SEQ] = str(result.acked_seq)
        values[KEY_DIVERGED] = "1" if result.diverged else "0"
        values[KEY_LAST_SUCCESS] = values[KEY_LAST_ATTEMPT]
    error = (result.error, result.error_zh) if not result.ok else ("", "")
    if result.ok and result.snapshot_error:
        error = (result.snapshot_error, result.snapshot_error_zh)
    values[KEY_LAST_ERROR] = json.dumps({"en": error[0], "zh": error[1]}, ensure_ascii=False)
    _write(station, values)
    return load_state(station)


def record_unreachable(station: Station, error: SyncError) -> None:
    """Note a pass that found the centre unreachable (the marks stay as they are)."""
    _write(
        station,
        {
            KEY_LAST_ATTEMPT: utc_now_iso(),
            KEY_LAST_ERROR: json.dumps({"en": error.en, "zh": error.zh}, ensure_ascii=False),
        },
    )


def record_export(station: Station, info: BundleInfo, path: Path, scope: str) -> None:
    """Note the last USB export (for the status screen); never fails the export itself."""
    note = {
        "at": utc_now_iso(),
        "path": str(path),
        "scope": scope,
        "first_seq": info.first_seq,
        "last_seq": info.last_seq,
        "events": info.event_count,
        "snapshots": info.snapshot_count,
        "sha256": info.sha256,
    }
    try:
        _write(station, {KEY_LAST_EXPORT: json.dumps(note, ensure_ascii=False)})
    except Exception:  # the bundle is written and verified; a note is not worth failing it
        log.warning("could not note the export in the store", exc_info=True)


# -- reading the outbox -------------------------------------------------------------------


def local_seq(station: Station) -> int:
    with station.store.reading() as conn:
        return outbox.last_seq(conn)


def snapshot_name(kind: str, snapshot_id: int) -> str:
    """The name a snapshot travels under, in bundles and over HTTP alike (the centre keys
    snapshots by station and name, so both transports must agree)."""
    return f"{kind}-{snapshot_id}.jpg"


@dataclass(frozen=True)
class Backlog:
    """What the centre has not acknowledged: events (bytes as sent) and snapshots."""

    events: int
    event_bytes: int
    snapshots: int
    snapshot_bytes: int
    local_seq: int


def backlog(station: Station, state: SyncState | None = None) -> Backlog:
    state = state or load_state(station)
    count = size = 0
    after = state.export_after_seq
    while True:
        page = station.events(after_seq=after, limit=2000)
        if not page:
            break
        count += len(page)
        size += sum(len(canonical_json(e.to_dict())) for e in page)
        after = page[-1].seq
    snaps = StationSnapshots(station).backlog()
    return Backlog(count, size, snaps[0], snaps[1], local_seq(station))


class StationSnapshots:
    """The station's snapshots table as a `sync.snapshot_upload.SnapshotSource`."""

    def __init__(self, station: Station) -> None:
        self.station = station

    def _mark(self) -> int:
        return _int(self.station.store.get_meta(KEY_SNAPSHOT_MARK))

    def pending(self, limit: int) -> Sequence[PendingSnapshot]:
        rows = self.station.store.query(
            "SELECT snapshot_id, kind, media_type, length(data), event_seq FROM snapshots "
            "WHERE snapshot_id > ? ORDER BY snapshot_id LIMIT ?",
            (self._mark(), limit),
        )
        return [
            PendingSnapshot(int(r[0]), snapshot_name(r[1], int(r[0])), r[2], int(r[3]), r[4])
            for r in rows
        ]

    def data(self, key: int) -> bytes:
        rows = self.station.store.query("SELECT data FROM snapshots WHERE snapshot_id = ?", (key,))
        return bytes(rows[0][0]) if rows else b""

    def uploaded(self, key: int) -> None:
        with self.station.store.transaction() as conn:
            # Only forward: a slower writer must not move the mark back.
            if key > _int(self.station.store.get_meta(KEY_SNAPSHOT_MARK)):
                self.station.store.set_meta(conn, KEY_SNAPSHOT_MARK, str(key))

    def backlog(self) -> tuple[int, int]:
        row = self.station.store.query(
            "SELECT count(*), coalesce(sum(length(data)), 0) FROM snapshots WHERE snapshot_id > ?",
            (self._mark(),),
        )[0]
        return int(row[0]), int(row[1])


# -- the HTTP client of this station ------------------------------------------------------


class StationSyncClient(SyncClient):
    """SyncClient over the station's outbox that keeps each pass's outcome in the store."""

    def __init__(self, station: Station, url: str, ca_file: str | None, **options: Any) -> None:
        self.station = station

        def read(after_seq: int, limit: int) -> list[Event]:
            return station.events(after_seq=after_seq, limit=limit)

        super().__init__(
            url,
            station.station_id,
            station.keys(),
            read,
            last_seq=lambda: local_seq(station),
            central_keys=station.central_keys(),
            allow_plain_http=load_state(station).allow_plain_http,
            ca_file=ca_file or None,
            snapshots=StationSnapshots(station),
            **options,
        )

    def sync_once(self, cancelled: Callable[[], bool] | None = None) -> PassResult:
        result = super().sync_once(cancelled)
        record_pass(self.station, result)
        if self.centre_date:  # issue 12: the clock drift the inspection reports
            from examkiosk.core.clock_drift import record_centre_clock

            record_centre_clock(self.station, self.centre_date)
        return result


def station_sync_client(
    station: Station, url: str | None = None, ca_file: str | Path | None = None, **options: Any
) -> StationSyncClient:
    """The station's SyncClient: reads the outbox through Station.events, uploads its
    snapshots, and records every pass in the store. `url`/`ca_file` default to the saved
    ones; raises NoCentralConfigured when there is none, BadCentralUrl for a bad one."""
    state = load_state(station)
    chosen = url or state.central_url
    if not chosen:
        raise NoCentralConfigured()
    ca = str(ca_file) if ca_file else state.ca_file
    return StationSyncClient(
        station, check_url(chosen, state.allow_plain_http), ca or None, **options
    )


def push_once(
    station: Station, url: str | None = None, ca_file: str | Path | None = None
) -> tuple[str, PassResult]:
    """One sync pass now (events first, then snapshots); returns the centre's URL and the
    recorded result. A centre that does not answer the cheap probe raises SyncUnavailable
    (recorded too) at once instead of minutes of retries: the station keeps everything."""
    client = station_sync_client(station, url, ca_file)
    try:
        if not client.probe():
            unreachable = SyncUnavailable(f"health probe of {client.base_url} failed")
            record_unreachable(station, unreachable)
            raise unreachable
        return client.base_url, client.sync_once()
    finally:
        client.close()


def initial_status(station: Station, state: SyncState | None = None) -> SyncStatus:
    """SyncStatus from what is stored (offline until a probe says otherwise)."""
    state = state or load_state(station)
    pending = backlog(station, state)
    return SyncStatus(
        online=False,
        last_success=state.last_success,
        last_attempt=state.last_attempt,
        acked_seq=state.acked_seq,
        local_seq=pending.local_seq,
        backlog_events=pending.events,
        backlog_bytes=pending.event_bytes,
        backlog_snapshots=pending.snapshots,
        backlog_snapshot_bytes=pending.snapshot_bytes,
        diverged=state.diverged,
        last_error=state.last_error,
        last_error_zh=state.last_error_zh,
    )


def probe_status(station: Station, client: SyncClient) -> SyncStatus:
    """Status now: a cheap probe (short timeout, no retries); when the centre answers, its
    acknowledged seq is asked once and kept, so the backlog is the centre's own view."""
    status = initial_status(station)
    if not client.probe():
        return status
    attempts, client.attempts = client.attempts, 1
    try:
        ack = client.fetch_ack()
    except SyncError as exc:  # reached but refused (unregistered...): online all the same
        log.info("ack not available: %s", exc)
        return replace(status, online=True, last_error=exc.en, last_error_zh=exc.zh)
    finally:
        client.attempts = attempts
    diverged = ack.rollback or client.diverged_from(ack)
    record_ack(station, ack.acked_seq, diverged)
    return replace(initial_status(station), online=True)
