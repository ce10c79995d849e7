"""The station's background sync: a thread that runs SyncClient passes, backs off while
the centre is unreachable, and publishes a SyncStatus for the screen."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from sync.client import PassResult, SyncClient, SyncUnavailable, full_jitter, utc_now_iso


@dataclass(frozen=True)
class SyncStatus:
    """What the station shows: online or not, last success, backlog; `syncing` during a pass."""

    online: bool = False
    syncing: bool = False
    last_success: str | None = None
    last_attempt: str | None = None
    acked_seq: int = 0
    local_seq: int = 0
    backlog_events: int = 0
    backlog_bytes: int = 0
    backlog_snapshots: int = 0
    backlog_snapshot_bytes: int = 0
    diverged: bool = False
    last_error: str = ""
    last_error_zh: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SyncWorker:
    """Runs sync passes on its own thread: every `interval` seconds while online, sooner on
    force_sync(), and with full-jitter exponential delays while the centre is unreachable."""

    def __init__(
        self,
        client: SyncClient,
        *,
        interval: float = 30.0,
        retry_base: float = 2.0,
        retry_cap: float = 300.0,
        on_status: Callable[[SyncStatus], None] | None = None,
        rng: random.Random | None = None,
        initial: SyncStatus | None = None,
    ) -> None:
        """`initial`: what the station knew before this worker (its persisted sync state),
        shown until the first pass ends."""
        self.client = client
        self.interval = interval
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self._on_status = on_status
        self._rng = rng or random.Random()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Condition()
        self._status = initial or SyncStatus()
        self._passes = 0
        self._last_result: PassResult | None = None
        self._thread = threading.Thread(target=self._run, name="sync-worker", daemon=True)

    def start(self) -> SyncWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def force_sync(self) -> None:
        """Start a pass now (returns at once; watch status() or use sync_now())."""
        self._wake.set()

    def sync_now(self, timeout: float = 120.0) -> PassResult | None:
        """Force a pass and wait for it; None if it did not finish within `timeout`."""
        with self._lock:
            target = self._passes + 1
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._passes < target:
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return None
                self._lock.wait(left)
            return self._last_result

    def _publish(self, **changes: Any) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)
            status = self._status
        if self._on_status is not None:
            try:
                self._on_status(status)
            except Exception:  # a display problem must never stop sync
                pass

    def _run(self) -> None:
        failures = 0
        delay = 0.0
        while not self._stop.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                break
            self._publish(syncing=True, last_attempt=utc_now_iso())
            if self.client.probe():
                result = self.client.sync_once(cancelled=self._stop.is_set)
            else:
                result = PassResult(
                    ok=False, complete=False, diverged=self._status.diverged, batches=0,
                    sent_events=0, accepted=0, duplicates=0, quarantined=0, refused=0,
                    acked_seq=self._status.acked_seq, local_seq=self._status.local_seq,
                    error=SyncUnavailable("health probe failed").en,
                    error_zh=SyncUnavailable().zh,
                )  # fmt: skip
            try:
                events, size = self.client.backlog(result.acked_seq)
            except Exception:
                events, size = self._status.backlog_events, self._status.backlog_bytes
            try:
                snapshots, snapshot_size = self.client.snapshot_backlog()
            except Exception:
                snapshots = self._status.backlog_snapshots
                snapshot_size = self._status.backlog_snapshot_bytes
            changes: dict[str, Any] = {
                "syncing": False,
                "online": result.ok,
                "acked_seq": result.acked_seq,
                "local_seq": max(result.local_seq, result.acked_seq + events),
                "backlog_events": events,
                "backlog_bytes": size,
                "backlog_snapshots": snapshots,
                "backlog_snapshot_bytes": snapshot_size,
                "diverged": result.diverged,
                "last_error": result.error,
                "last_error_zh": result.error_zh,
            }
            if result.ok:
                failures = 0
                changes["last_success"] = utc_now_iso()
                delay = self.interval
            else:
                failures += 1
                delay = full_jitter(failures, self.retry_base, self.retry_cap, self._rng)
            self._publish(**changes)
            with self._lock:
                self._passes += 1
                self._last_result = result
                self._lock.notify_all()
