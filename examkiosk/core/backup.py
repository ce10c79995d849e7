"""Station backups: take one while the station runs, verify one, restore one on new hardware.

A backup (format in examkiosk.core.backup_format) holds the store still encrypted with the
station's key, the key slots (the key wrapped by the recovery passphrase) and the settings
files. Taking one records `backup.started` BEFORE the copy, so the copy holds the event that
describes it and a station restored from its latest backup has nothing the centre has not
seen after it: the restored station continues the same chain. Restoring records
`backup.restored` as the first new event of the restored station.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from examkiosk import __version__
from examkiosk.core import backup_format as fmt
from examkiosk.core.authz import Person
from examkiosk.core.clock import Clock
from examkiosk.core.errors import KioskError, StoreLocked
from examkiosk.core.provision import open_station
from examkiosk.core.station import Station
from examkiosk.store import keys as store_keys
from examkiosk.store.copy import check_chain, check_store
from examkiosk.store.layout import DataDir

META_LAST = "backup.last"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    backup_id: str
    created_at: str
    last_seq: int
    size_bytes: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


def by_fields(person: Person | None) -> dict[str, str]:
    """Who did it, for the event's payload (nobody for automatic backups: their `reason`
    says so, and the schedule was set by a named person)."""
    return person.describe() if person is not None else {}


def _disk_error(where: Path, exc: OSError) -> KioskError:
    return KioskError(
        f"无法写入 {where}（磁盘已满、只读或已拔出）。请换一个位置或腾出空间后重试。",
        f"Cannot write to {where} (full, read-only or removed). Choose another place or "
        "free some space, then try again.",
        detail=str(exc),
    )


def target_path(station_id: str, out: Path, created: str) -> Path:
    if out.is_dir():
        stamp = created[:19].replace("-", "").replace(":", "").replace("T", "-")
        return out / f"{station_id}-{stamp}{fmt.SUFFIX}"
    if not out.parent.is_dir():
        raise KioskError(
            f"文件夹 {out.parent} 不存在。",
            f"The folder {out.parent} does not exist.",
        )
    return out


def create_backup(
    station: Station,
    data_dir: Path,
    out: Path,
    *,
    reason: str = "manual",
    by: Person | None = None,
) -> BackupResult:
    """Copy the running station into a verified backup file at `out` (a file, or a folder
    to name it in). Nothing is left behind on failure but the `backup.started` event."""
    created = station.clock.wall().isoformat(timespec="seconds")
    target = target_path(station.station_id, out, created)
    if target.exists():
        raise KioskError(
            f"{target} 已存在，不会覆盖。", f"{target} exists already; it is not overwritten."
        )
    backup_id = str(uuid.uuid4())
    with station.store.transaction() as conn:
        started = station.record(
            conn,
            "backup.started",
            {"backup_id": backup_id, "file": target.name, "reason": reason, **by_fields(by)},
        )
    layout = DataDir(data_dir)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".ekbak-", dir=target.parent))
    except OSError as exc:
        raise _disk_error(target.parent, exc) from exc
    try:
        copy = staging / fmt.STORE
        station.store.copy_to(copy)
        facts = station.store.check_file(copy)
        if not facts.whole or facts.station_id != station.station_id:
            raise KioskError(
                "备份副本校验失败，本机数据库可能已损坏。请立即运行 examkiosk inspect。",
                "The backup copy failed its check; the station's store may be damaged. "
                "Run `examkiosk inspect` now.",
                detail=f"{facts}",
            )
        files = {fmt.STORE: copy, fmt.KEYSLOTS: layout.keyslots}
        for name in fmt.SETTINGS_FILES:
            if (data_dir / name).is_file():
                files[f"settings/{name}"] = data_dir / name
        manifest = {
            "backup_id": backup_id,
            "station_id": station.station_id,
            "venue_id": station.identity.venue_id,
            "mode": station.identity.mode,
            "created_at": created,
            "reason": reason,
            "program_version": __version__,
            "schema_version": facts.schema_version,
            "cipher_version": facts.cipher_version,
            "started_seq": started.seq,
            "last_seq": facts.last_seq,
            "last_hash": facts.last_hash,
        }
        fmt.write_backup(target, manifest, files)
    except OSError as exc:
        raise _disk_error(target.parent, exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    opened = fmt.read_backup(target)  # what was written is what the manifest says
    result = BackupResult(
        path=target,
        backup_id=backup_id,
        created_at=created,
        last_seq=facts.last_seq,
        size_bytes=opened.size_bytes,
        sha256=opened.sha256,
    )
    with station.store.transaction() as conn:
        station.store.set_meta(conn, META_LAST, json.dumps(result.to_dict()))
    return result


def last_backup(station: Station) -> dict[str, Any] | None:
    """What the station remembers of its last verified backup, or None."""
    raw = station.store.get_meta(META_LAST)
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class BackupReport:
    """A verified backup: its manifest facts, and (with the passphrase) what the store says."""

    path: Path
    manifest: dict[str, Any]
    sha256: str
    size_bytes: int
    opened: bool  # the store inside was opened with the passphrase and checked
    events: int = 0

    def to_dict(self) -> dict[str, Any]:
        keep = ("backup_id", "station_id", "venue_id", "created_at", "last_seq",
                "schema_version", "cipher_version", "program_version", "reason")  # fmt: skip
        return {
            "ok": True,
            "path": str(self.path),
            **{k: self.manifest.get(k) for k in keep},
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "store_opened": self.opened,
            "events": self.events,
        }


def _check_extracted(folder: Path, manifest: dict[str, Any], passphrase: str) -> tuple[bytes, int]:
    """Open the extracted store with the passphrase and check it against the manifest;
    returns the key and the number of events in a whole chain."""
    key = store_keys.key_from_passphrase(folder / fmt.KEYSLOTS, passphrase)
    facts = check_store(folder / fmt.STORE, key)
    station_id = str(manifest.get("station_id", ""))
    if not facts.opened:
        raise StoreLocked(
            "恢复口令无法打开备份中的数据库。",
            "The passphrase does not open the store in the backup.",
        )
    if (
        not facts.whole
        or facts.station_id != station_id
        or facts.last_seq != manifest.get("last_seq")
    ):
        raise fmt.bad("数据库校验失败", "the store inside failed its check", detail=str(facts))
    chain = check_chain(folder / fmt.STORE, key, station_id)
    if not chain.whole:
        raise fmt.bad("事件链不完整", "its event chain is broken", detail="; ".join(chain.problems))
    return key, chain.events


def verify_backup(path: Path, passphrase: str | None = None) -> BackupReport:
    """Check every byte against the manifest; with the passphrase also open the store inside
    (page HMACs, SQLite integrity, the whole event chain). Raises BadBackup / StoreLocked."""
    if passphrase is None:
        opened = fmt.read_backup(path)
        return BackupReport(path, opened.manifest, opened.sha256, opened.size_bytes, False)
    with tempfile.TemporaryDirectory(prefix="ekbak-verify-") as tmp:
        opened = fmt.read_backup(path, Path(tmp))
        _key, events = _check_extracted(Path(tmp), opened.manifest, passphrase)
    return BackupReport(path, opened.manifest, opened.sha256, opened.size_bytes, True, events)


def restore_backup(
    path: Path,
    data_dir: Path,
    passphrase: str,
    clock: Clock | None = None,
    *,
    authorize: Callable[[Station], Person | None] | None = None,
) -> tuple[Station, BackupReport]:
    """Restore into the empty or new `data_dir`, all or nothing; returns the opened station,
    which has recorded `backup.restored`. The key slots are written afresh for this machine
    (passphrase slot, and its OS key store where it has one). `authorize` is asked, with the
    restored station still in its staging folder, who restores (the accounts live in the
    store); if it raises, nothing is restored."""
    if DataDir(data_dir).exists() or (data_dir.is_dir() and any(data_dir.iterdir())):
        raise KioskError(
            f"{data_dir} 不是空文件夹，恢复不会覆盖任何数据。请指定一个新的数据目录。",
            f"{data_dir} is not empty; a restore never overwrites data. Give a new data directory.",
        )
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restoring-", dir=data_dir.parent))
    except OSError as exc:
        raise _disk_error(data_dir.parent, exc) from exc
    try:
        opened = fmt.read_backup(path, staging)
        key, events = _check_extracted(staging, opened.manifest, passphrase)
        store_keys.rewrite_slots_for_this_machine(
            staging / fmt.KEYSLOTS, key, passphrase, opened.station_id
        )
        settings = staging / "settings"
        if settings.is_dir():
            for item in settings.iterdir():
                item.rename(staging / item.name)
            settings.rmdir()
        restored = open_station(staging, passphrase, clock)
        try:
            person = authorize(restored) if authorize is not None else None
            with restored.store.transaction() as conn:
                restored.record(
                    conn,
                    "backup.restored",
                    {
                        "backup_id": opened.manifest.get("backup_id"),
                        "backup_created_at": opened.manifest.get("created_at"),
                        "backup_last_seq": opened.manifest.get("last_seq"),
                        "backup_sha256": opened.sha256,
                        **(person.describe() if person else {}),
                    },
                )
        finally:
            restored.close()
        if data_dir.exists():
            data_dir.rmdir()
        staging.rename(data_dir)
    except OSError as exc:
        raise _disk_error(data_dir.parent, exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report = BackupReport(path, opened.manifest, opened.sha256, opened.size_bytes, True, events)
    return open_station(data_dir, passphrase, clock), report
