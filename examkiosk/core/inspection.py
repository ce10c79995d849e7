"""The station's inspection (巡检): each line ok / warning / failure with what to do, and a
verdict. This module holds the checks of the station's own state (store, chain, disk, sync,
clock, backups, logs, security); device checks (readers, pcscd, camera, face engine) are
made by examkiosk.app.inspect_devices and passed in as findings, because device
configuration lives in the app layer.

Every inspection is recorded as an `inspection.done` event with a summary, so the centre
sees when each station was last inspected, and in meta `inspection.last` (the log summary
of the next inspection starts there).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from examkiosk import __version__
from examkiosk.core.authz import Person
from examkiosk.core.station import Station

log = logging.getLogger(__name__)

OK, WARNING, FAILURE = "ok", "warning", "failure"
RANK = {OK: 0, WARNING: 1, FAILURE: 2}
META_LAST = "inspection.last"
MiB = 1024 * 1024


@dataclass(frozen=True)
class Finding:
    key: str  # stable id, e.g. "store.integrity"
    title_zh: str
    title_en: str
    status: str  # ok | warning | failure
    detail: str  # the facts, short
    action_zh: str = ""  # what to do (empty when ok)
    action_en: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Thresholds:
    free_fail_bytes: int = 64 * MiB  # below this (or 2× the store) a backup cannot be taken
    free_warn_bytes: int = 1024 * MiB
    clock_warn_s: float = 60.0
    clock_fail_s: float = 300.0
    backup_warn_age: timedelta = timedelta(hours=24)
    sync_warn_age: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class InspectionReport:
    station_id: str
    venue_id: str
    mode: str
    version: str
    at: str
    data_dir: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    recorded_seq: int | None = None

    @property
    def verdict(self) -> str:
        worst = max((RANK[f.status] for f in self.findings), default=0)
        return {0: OK, 1: WARNING, 2: FAILURE}[worst]

    @property
    def exit_status(self) -> int:
        return 1 if self.verdict == FAILURE else 0

    def counts(self) -> dict[str, int]:
        return {s: sum(f.status == s for f in self.findings) for s in (OK, WARNING, FAILURE)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "station_id": self.station_id,
            "venue_id": self.venue_id,
            "mode": self.mode,
            "version": self.version,
            "at": self.at,
            "data_dir": self.data_dir,
            "verdict": self.verdict,
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
            "recorded_seq": self.recorded_seq,
        }


def finding(key: str, title: tuple[str, str], status: str, detail: str,
            action: tuple[str, str] = ("", "")) -> Finding:  # fmt: skip
    return Finding(key, title[0], title[1], status, detail, action[0], action[1])


# -- checks of the station's own state ---------------------------------------------------


def check_identity(station: Station) -> Finding:
    i = station.identity
    return finding(
        "identity", ("身份与版本", "Identity and version"), OK,
        f"station {i.station_id}, venue {i.venue_id}, mode {i.mode}, ExamKiosk {__version__}",
    )  # fmt: skip


def _free(path: Path) -> int:
    return shutil.disk_usage(path).free


def check_disk(data_dir: Path, store_bytes: int, t: Thresholds) -> list[Finding]:
    """Free space where the store lives and where packages and bundles are written."""
    places = {"store": data_dir}
    for name in ("packages", "bundles"):
        if (data_dir / name).is_dir():
            places[name] = data_dir / name
    seen: set[int] = set()
    out: list[Finding] = []
    for what, path in places.items():
        device = os.stat(path).st_dev
        if device in seen:
            continue
        seen.add(device)
        free = _free(path)
        fail_below = max(t.free_fail_bytes, 2 * store_bytes)
        warn_below = max(t.free_warn_bytes, 10 * store_bytes)
        status = FAILURE if free < fail_below else WARNING if free < warn_below else OK
        out.append(finding(
            f"disk.{what}", ("磁盘空间", "Free disk space"), status,
            f"{path}: {free // MiB} MiB free (store {store_bytes // MiB} MiB)",
            ("" , "") if status == OK else (
                "立即腾出空间（删除旧的导出包和备份），否则无法保存答案和备份。",
                "Free space now (old bundles and backups), or answers and backups cannot "
                "be saved."),
        ))  # fmt: skip
    return out


def check_store(station: Station) -> list[Finding]:
    facts = station.store.check_file()
    title = ("数据库完整性", "Store integrity")
    restore = (
        "停止使用本机：从最近的备份恢复到新数据目录（docs/operations.md，恢复演练），"
        "并通知考试中心。",
        "Stop using this station: restore the latest backup into a new data directory "
        "(docs/operations.md, restore drill) and tell the exam centre.",
    )
    if not facts.opened:
        return [finding("store.integrity", title, FAILURE, f"cannot open: {facts.error}", restore)]
    detail = (
        f"SQLCipher {facts.cipher_version}, schema {facts.schema_version}, "
        f"cipher_integrity_check: {'ok' if not facts.cipher_problems else '; '.join(facts.cipher_problems[:3])}, "
        f"integrity_check: {'; '.join(facts.integrity[:3])}"
    )
    return [finding("store.integrity", title, OK if facts.whole else FAILURE, detail,
                    ("", "") if facts.whole else restore)]  # fmt: skip


def check_chain(station: Station) -> Finding:
    chain = station.store.check_chain(station.station_id)
    title = ("事件链", "Event chain")
    if chain.whole:
        return finding("store.chain", title, OK, f"{chain.events} events, whole from seq 1")
    return finding(
        "store.chain", title, FAILURE, f"{chain.events} events read; " + "; ".join(chain.problems[:3]),
        ("事件链被改动或损坏：保留本机原样，从备份恢复，并通知考试中心核查。",
         "The chain was altered or damaged: keep the station as it is, restore from a "
         "backup and have the exam centre check it."),
    )  # fmt: skip


def _age(iso: str | None, now: datetime) -> timedelta | None:
    if not iso:
        return None
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.astimezone()
    return now - when


def _hours(age: timedelta) -> str:
    return f"{age.total_seconds() / 3600:.1f} h"


def check_sync(station: Station, now: datetime, t: Thresholds) -> Finding:
    """Warn when events have waited for the centre (HTTP acknowledgement or a USB export)
    longer than `sync_warn_age`: a few just recorded are normal."""
    from examkiosk.core.sync_state import load_state, local_seq

    state = load_state(station)
    last = local_seq(station)
    exported = int(state.last_export.get("last_seq", 0)) if state.last_export else 0
    carried = max(state.export_after_seq, exported)
    waiting = station.events(after_seq=carried, limit=1)
    oldest = _age(waiting[0].wall_time, now) if waiting else None
    title = ("与考试中心同步", "Sync with the centre")
    detail = (
        f"centre {state.central_url or 'not set'}, last success {state.last_success or 'never'}, "
        f"acknowledged up to seq {state.acked_seq}, last USB export up to seq {exported}, "
        f"{max(0, last - carried)} events waiting"
        + (f" (oldest {_hours(oldest)})" if oldest is not None else "")
        + (f", last error: {state.last_error}" if state.last_error else "")
    )
    if state.diverged:
        return finding("sync", title, FAILURE, detail + ", DIVERGED from the centre's history",
                       ("考试中心持有本机的另一段历史（从旧备份恢复？）。按 docs/sync.md 的恢复步骤处理。",
                        "The centre holds another history of this station (restored from an "
                        "old backup?). Follow the recovery steps in docs/sync.md."))  # fmt: skip
    if oldest is None or oldest <= t.sync_warn_age:
        return finding("sync", title, OK, detail)
    if not state.central_url:
        return finding("sync", title, WARNING, detail,
                       ("有事件尚未送达考试中心：导出U盘数据包（examkiosk bundle export）。",
                        "Events have not reached the centre: export a USB bundle "
                        "(`examkiosk bundle export`)."))  # fmt: skip
    return finding("sync", title, WARNING, detail,
                   ("检查网络后点“立即同步”，或导出U盘数据包。",
                    "Check the network and press Sync now, or export a USB bundle."))  # fmt: skip


def check_clock(station: Station, t: Thresholds) -> Finding:
    from examkiosk.core.clock_drift import last_centre_clock

    seen = last_centre_clock(station)
    title = ("时钟偏差", "Clock drift")
    if seen is None:
        return finding("clock", title, OK, "not known: no HTTP contact with the centre yet")
    drift = abs(seen.offset_s)
    detail = f"station {seen.offset_s:+.0f} s against the centre at {seen.centre_time}"
    if drift <= t.clock_warn_s:
        return finding("clock", title, OK, detail)
    return finding(
        "clock", title, FAILURE if drift > t.clock_fail_s else WARNING, detail,
        ("校准本机时钟（启用 NTP 或手动设置），校准后再同步一次。计时不受影响，但事件时间会有偏差。",
         "Set the station's clock (enable NTP or set it by hand), then sync once more. "
         "Exam timers are not affected, but event times are off."),
    )  # fmt: skip


def check_backup(station: Station, now: datetime, t: Thresholds) -> Finding:
    from examkiosk.core.backup import last_backup
    from examkiosk.core.backup_schedule import load_schedule

    last = last_backup(station)
    schedule = load_schedule(station)
    title = ("备份", "Backups")
    plan = (f"automatic every {schedule.every_minutes} min into {schedule.folder}, keep "
            f"{schedule.keep}" if schedule else "no automatic backups")  # fmt: skip
    do = ("立即备份：examkiosk backup create --out 第二块磁盘或U盘，并设置自动备份。",
          "Back up now: `examkiosk backup create --out` a second disk or USB drive, and set "
          "automatic backups.")  # fmt: skip
    if last is None:
        return finding("backup", title, WARNING, f"never backed up; {plan}", do)
    age = _age(str(last.get("created_at", "")), now)
    detail = f"last {last.get('created_at')} ({_hours(age) if age else '?'} ago) to {last.get('path')}; {plan}"
    limit = t.backup_warn_age
    if schedule is not None:
        limit = min(limit, timedelta(minutes=3 * schedule.every_minutes))
        if not Path(schedule.folder).is_dir():
            return finding("backup", title, WARNING, detail + "; the folder is missing", do)
    if age is None or age > limit:
        return finding("backup", title, WARNING, detail, do)
    return finding("backup", title, OK, detail)


def check_logs(station: Station, data_dir: Path) -> Finding:
    from examkiosk.core.logs import parse_since, summarise

    since_raw = station.store.get_meta(META_LAST)
    since = parse_since(since_raw) if since_raw else None
    summary = summarise(data_dir, since)
    title = ("日志", "Logs")
    top = "; ".join(f"{n}× {m}" for m, n in summary.top[:3])
    detail = (f"since {since_raw or 'the start'}: {summary.errors} errors, {summary.warnings} "
              f"warnings" + (f" ({top})" if top else ""))  # fmt: skip
    if summary.errors:
        return finding("logs", title, WARNING, detail,
                       ("查看错误：examkiosk logs --level ERROR --since 上次巡检时间。",
                        "Read them: `examkiosk logs --level ERROR --since` the last inspection."))  # fmt: skip
    return finding("logs", title, OK, detail)


def loose_files(modes: Mapping[str, int], platform: str) -> list[str]:
    """Names among `modes` (name -> st_mode) that others than the owner may read or write.
    Empty on Windows, whose st_mode carries only a read-only flag (0o666 or 0o444)."""
    if platform == "win32":
        return []
    return [name for name, mode in modes.items() if mode & 0o077]


def windows_files_finding(data_dir: Path, others: list[str], unreadable: str = "") -> Finding:
    """Windows has no file modes: the finding from the data folder's ACL read back
    (`others`: accounts besides this one and SYSTEM it lets in; `unreadable`: why it could
    not be read). The installer's ACL: the kiosk account and SYSTEM only."""
    title, fix = ("文件权限", "File permissions"), (
        f'以管理员身份执行：icacls "{data_dir}" /inheritance:r /grant:r '
        '"examkiosk:(OI)(CI)M" "*S-1-5-18:(OI)(CI)F"（或重新运行安装程序）。',
        f'As an administrator: icacls "{data_dir}" /inheritance:r /grant:r '
        '"examkiosk:(OI)(CI)M" "*S-1-5-18:(OI)(CI)F" (or run the installer again).')  # fmt: skip
    if unreadable:
        return finding("security.files", title, WARNING, f"data folder ACL unreadable: {unreadable}", fix)  # fmt: skip
    if others:
        return finding("security.files", title, WARNING,
                       f"the data folder is open to: {', '.join(others)}", fix)  # fmt: skip
    return finding("security.files", title, OK, "the data folder: this account and SYSTEM only")


def _windows_files(data_dir: Path) -> Finding:
    from examkiosk.core.windows_acl import data_folder_others

    try:
        return windows_files_finding(data_dir, data_folder_others(data_dir))
    except OSError as exc:
        return windows_files_finding(data_dir, [], unreadable=str(exc))


def check_security(station: Station, data_dir: Path) -> list[Finding]:
    from examkiosk.core.sync_state import load_state
    from examkiosk.store.layout import DataDir

    out: list[Finding] = []
    url = load_state(station).central_url
    parts = urlsplit(url) if url else None
    local = parts is not None and parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts is None or parts.scheme == "https" or local:
        out.append(finding("security.https", ("传输加密", "HTTPS to the centre"), OK,
                           url or "no centre configured (USB bundles only)"))  # fmt: skip
    else:
        out.append(finding("security.https", ("传输加密", "HTTPS to the centre"), WARNING, url,
                           ("改用 https:// 地址：examkiosk sync config --central https://…",
                            "Use an https:// address: `examkiosk sync config --central https://…`")))  # fmt: skip
    layout = DataDir(data_dir)
    try:
        slots = json.loads(layout.keyslots.read_text()).get("slots", {})
    except (OSError, ValueError):
        slots = {}
    os_store = "os_keyring" in slots
    out.append(finding("security.keystore", ("密钥保管", "Key storage"), OK,
                       "store key wrapped by the recovery passphrase" +
                       ("; also in the OS key store (unattended restart)" if os_store else
                        "; no OS key store: the passphrase is asked at start")))  # fmt: skip
    loose = loose_files(
        {p.name: p.stat().st_mode for p in (layout.keyslots, layout.store) if p.exists()},
        sys.platform,
    )
    if sys.platform == "win32":
        out.append(_windows_files(data_dir))
    elif loose:
        out.append(finding("security.files", ("文件权限", "File permissions"), WARNING,
                           f"readable by others: {', '.join(loose)}",
                           (f"执行 chmod 600 {' '.join(loose)}（在数据目录中）。",
                            f"Run chmod 600 {' '.join(loose)} in the data directory.")))  # fmt: skip
    if layout.demo_passphrase.exists():
        out.append(finding("security.demo", ("演示考点", "Demo venue"), WARNING,
                           "the recovery passphrase is stored beside the data (demo venue)",
                           ("演示考点不得用于正式考试。", "A demo venue must never run a real exam.")))  # fmt: skip
    out.append(check_accounts(station, datetime.now().astimezone()))
    return out


def check_accounts(station: Station, now: datetime) -> Finding:
    """Staff accounts (issue 9): how many, locked out now, passwords past the policy's age,
    never set (enrolment code only), and whether a venue administrator exists."""
    from examkiosk.core.accounts import Accounts
    from sync.credentials import FailureCount, locked_until

    title = ("账号", "Accounts")
    accounts = Accounts(station)
    rows = [r for r in accounts.list() if not r.disabled]
    if not rows:
        return finding("security.accounts", title, WARNING, "no staff accounts on this station",
                       ("导入含工作人员名单的考试包，或用 examkiosk accounts add 添加账号。",
                        "Import the exam package with the staff list, or add accounts with "
                        "`examkiosk accounts add`."))  # fmt: skip
    policy = accounts.policy()
    locked = [r.staff_number for r in rows
              if (until := locked_until(FailureCount(r.failures, _when(r.last_failure_at)),
                                        policy)) is not None and now < until]  # fmt: skip
    expired = [r.staff_number for r in rows
               if r.verifier and policy.expired(_when(r.password_changed_at), now)]  # fmt: skip
    unset = [r.staff_number for r in rows if not r.verifier]
    admins = sum(r.role == "venue_admin" for r in rows)
    detail = (f"{len(rows)} active ({admins} venue administrators); locked out: "
              f"{', '.join(locked) or 'none'}; passwords older than {policy.max_age_days} days: "
              f"{', '.join(expired) or 'none'}; not yet enrolled: {len(unset)}")  # fmt: skip
    if locked or expired or not admins:
        return finding("security.accounts", title, WARNING, detail,
                       ("解锁账号（examkiosk accounts unlock）并请相关人员修改过期密码。",
                        "Unlock the accounts (`examkiosk accounts unlock`) and have those "
                        "people change their expired passwords."))  # fmt: skip
    return finding("security.accounts", title, OK, detail)


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.astimezone()


# -- the whole inspection ----------------------------------------------------------------


def _guarded(key: str, check: Callable[[], Finding | list[Finding]]) -> list[Finding]:
    """A check that raises becomes a failure line: the inspection itself never crashes."""
    try:
        result = check()
    except Exception as exc:
        log.warning("inspection check %s raised %s", key, type(exc).__name__, exc_info=True)
        return [finding(key, ("检查出错", "Check failed"), FAILURE, f"{type(exc).__name__}: {exc}",
                        ("联系技术支持并附上日志。", "Call support with the log."))]  # fmt: skip
    return result if isinstance(result, list) else [result]


def inspect_station(
    station: Station | None,
    data_dir: Path,
    *,
    device_findings: Sequence[Finding] = (),
    open_problem: str = "",
    thresholds: Thresholds | None = None,
    now: datetime | None = None,
) -> InspectionReport:
    """Run every check; `station` None means the store could not be opened (`open_problem`
    says why): the report then holds that failure and what can be checked without it."""
    t = thresholds or Thresholds()
    now = now or (station.clock.wall() if station else datetime.now().astimezone())
    findings: list[Finding] = []
    store_bytes = sum(p.stat().st_size for p in data_dir.glob("station.db*") if p.is_file())
    if station is None:
        findings.append(finding(
            "store.open", ("打开数据库", "Opening the store"), FAILURE, open_problem,
            ("用恢复口令重试；仍失败则从最近备份恢复（docs/operations.md）。",
             "Try again with the recovery passphrase; if it still fails, restore the latest "
             "backup (docs/operations.md)."),
        ))  # fmt: skip
    else:
        findings += _guarded("identity", lambda: check_identity(station))
    findings += _guarded("disk", lambda: check_disk(data_dir, store_bytes, t))
    if station is not None:
        findings += _guarded("store.integrity", lambda: check_store(station))
        findings += _guarded("store.chain", lambda: check_chain(station))
        findings += _guarded("sync", lambda: check_sync(station, now, t))
        findings += _guarded("clock", lambda: check_clock(station, t))
        findings += _guarded("backup", lambda: check_backup(station, now, t))
        findings += _guarded("logs", lambda: check_logs(station, data_dir))
        findings += _guarded("security", lambda: check_security(station, data_dir))
    findings += list(device_findings)
    identity = station.identity if station else None
    return InspectionReport(
        station_id=identity.station_id if identity else "",
        venue_id=identity.venue_id if identity else "",
        mode=identity.mode if identity else "",
        version=__version__,
        at=now.isoformat(timespec="microseconds"),
        data_dir=str(data_dir),
        findings=tuple(findings),
    )


def record_inspection(
    station: Station, report: InspectionReport, by: Person | None = None
) -> InspectionReport:
    """The `inspection.done` event (summary only) and the time the next log summary starts
    from. A store too damaged to take the event leaves the report unrecorded (logged)."""
    from dataclasses import replace

    payload = {
        "verdict": report.verdict,
        "counts": report.counts(),
        "failures": [f.key for f in report.findings if f.status == FAILURE],
        "warnings": [f.key for f in report.findings if f.status == WARNING],
        "version": report.version,
        **(by.describe() if by is not None else {}),
    }
    try:
        with station.store.transaction() as conn:
            event = station.record(conn, "inspection.done", payload)
            station.store.set_meta(conn, META_LAST, report.at)
    except Exception as exc:
        log.error("the inspection could not be recorded in the store: %s", type(exc).__name__)
        return report
    return replace(report, recorded_seq=event.seq)
