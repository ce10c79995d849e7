"""The station's background HTTP sync while the window is open: a SyncWorker on its own
thread (never the GUI's), its status delivered to the screens on the GUI thread."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from examkiosk.core.errors import KioskError
from examkiosk.core.station import Station
from examkiosk.core.sync_state import initial_status, load_state, station_sync_client
from examkiosk.ui.ops import Operations
from sync.worker import SyncStatus, SyncWorker

log = logging.getLogger(__name__)


class BackgroundSync(QObject):
    status_changed = Signal(object)  # SyncStatus

    def __init__(self, station: Station, ops: Operations, interval: float = 30.0) -> None:
        super().__init__()
        self.station = station
        self.ops = ops
        self.interval = interval
        self.worker: SyncWorker | None = None

    def start(self) -> bool:
        """Start syncing if the station knows its centre; False (and nothing runs) if not."""
        if self.worker is not None or not load_state(self.station).central_url:
            return False
        try:
            client = station_sync_client(self.station)
        except KioskError as exc:  # a bad saved URL: the admin screen's sync says why
            log.warning("background sync not started: %s", exc)
            return False
        self.worker = SyncWorker(
            client,
            interval=self.interval,
            initial=initial_status(self.station),
            on_status=self._publish,
        ).start()
        log.info("background sync to %s started", client.base_url)
        return True

    def status(self) -> SyncStatus | None:
        return self.worker.status() if self.worker is not None else None

    def force(self) -> None:
        if self.worker is not None:
            self.worker.force_sync()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def _publish(self, status: SyncStatus) -> None:  # on the worker's thread
        self.ops.on_gui_thread(lambda: self.status_changed.emit(status))
