"""Automatic backups during a sitting: every N minutes into a second disk or USB drive,
keeping the newest K of this station's backups there.

The schedule lives in the store's meta table (`backup.schedule`), set by the venue
administrator (`examkiosk backup schedule`, audited as `backup.schedule_set`). `AutoBackup`
is plain, clock-driven logic (`run_if_due(now)`), so the window's timer, a headless service
thread (`AutoBackupThread`) and the tests all drive the same code.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from examkiosk.core import backup_format as fmt
from examkiosk.core.authz import Person
from examkiosk.core.backup import BackupResult, by_fields, create_backup, last_backup
from examkiosk.core.errors import KioskError
from examkiosk.core.station import Station

log = logging.getLogger(__name__)

META_SCHEDULE = "backup.schedule"
MIN_EVERY_MINUTES = 1
MAX_KEEP = 1000


@dataclass(frozen=True)
class BackupSchedule:
    folder: str
    every_minutes: int
    keep: int


def load_schedule(station: Station) -> BackupSchedule | None:
    raw = station.store.get_meta(META_SCHEDULE)
    if not raw:
        return None
    try:
        value = json.loads(raw)
        return BackupSchedule(str(value["folder"]), int(value["every_minutes"]), int(value["keep"]))
    except (ValueError, KeyError, TypeError):
        log.warning("unreadable backup schedule in the store; automatic backups are off")
        return None


def save_schedule(
    station: Station, schedule: BackupSchedule | None, by: Person | None = None
) -> None:
    """Set (or with None, stop) the automatic backups; audited."""
    if schedule is not None:
        if schedule.every_minutes < MIN_EVERY_MINUTES or not 1 <= schedule.keep <= MAX_KEEP:
            raise KioskError(
                f"间隔至少 {MIN_EVERY_MINUTES} 分钟，保留份数 1–{MAX_KEEP}。",
                f"The interval is at least {MIN_EVERY_MINUTES} minute(s); keep 1–{MAX_KEEP}.",
            )
        if not Path(schedule.folder).is_absolute():
            raise KioskError(
                "备份文件夹须为绝对路径。", "The backup folder must be an absolute path."
            )
    with station.store.transaction() as conn:
        if schedule is None:
            conn.execute("DELETE FROM meta WHERE key = ?", (META_SCHEDULE,))
        else:
            station.store.set_meta(conn, META_SCHEDULE, json.dumps(asdict(schedule)))
        station.record(
            conn,
            "backup.schedule_set",
            {"schedule": asdict(schedule) if schedule else None, **by_fields(by)},
        )


def rotate(folder: Path, station_id: str, keep: int) -> list[Path]:
    """Delete this station's oldest backups in `folder` beyond the newest `keep`; returns
    what was deleted. Names carry the time (STATION-YYYYMMDD-HHMMSS.ekbak), so they sort."""
    mine = sorted(folder.glob(f"{station_id}-*{fmt.SUFFIX}"))
    doomed = mine[:-keep] if keep > 0 else mine
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


class AutoBackup:
    """Runs a backup when one is due. `now` is a monotonic time in seconds."""

    def __init__(self, station: Station, data_dir: Path, schedule: BackupSchedule) -> None:
        self.station = station
        self.data_dir = data_dir
        self.schedule = schedule
        self._next: float | None = None
        self.last_error: KioskError | None = None

    def run_if_due(self, now: float) -> BackupResult | None:
        """A backup if the last one (of any kind, as the store remembers it) is older than
        the interval. Reading the store, not this object, makes two timers (the window's
        and the admin screen's, or a restarted window) agree; `now` only paces retries."""
        if self._next is not None and now < self._next:
            return None
        interval = self.schedule.every_minutes * 60
        age = self._last_age()
        if age is not None and age < interval:
            self._next = now + (interval - age)
            return None
        self._next = now + interval
        folder = Path(self.schedule.folder)
        try:
            if not folder.is_dir():
                raise KioskError(
                    f"自动备份文件夹 {folder} 不存在（U 盘未插入？）。",
                    f"The automatic backup folder {folder} does not exist (USB drive not "
                    "plugged in?).",
                )
            result = create_backup(self.station, self.data_dir, folder, reason="automatic")
            rotate(folder, self.station.station_id, self.schedule.keep)
        except KioskError as exc:
            # A missed automatic backup must not stop the exam; it is logged and the next
            # attempt comes at the next interval. The inspection reports the backup's age.
            self.last_error = exc
            log.warning("automatic backup failed: %s", exc.en)
            return None
        self.last_error = None
        return result

    def _last_age(self) -> float | None:
        last = last_backup(self.station)
        try:
            made = datetime.fromisoformat(str(last["created_at"])) if last else None
        except ValueError:
            return None
        if made is None:
            return None
        return (self.station.clock.wall() - made).total_seconds()


class AutoBackupThread:
    """A daemon thread that wakes every `poll` seconds and runs `AutoBackup.run_if_due`."""

    def __init__(
        self,
        auto: AutoBackup,
        *,
        poll: float = 30.0,
        on_result: Callable[[BackupResult], None] | None = None,
    ) -> None:
        self.auto = auto
        self.poll = poll
        self.on_result = on_result
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="auto-backup", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            result = self.auto.run_if_due(time.monotonic())
            if result is not None and self.on_result is not None:
                self.on_result(result)
            self._stop.wait(self.poll)
