"""The station's sync with the centre said in words, for people who do not think in seqs:
"全部结果已送达中心（最后一次 14:05）", "还有 12 条记录未送达，最后一次联系 3 分钟前",
"从未联系过中心".

Pure: `in_words(status, now, configured=...)` reads a `SyncStatus` (stored or live) and
returns the sentence in both languages with its tone, so the admin screen, a test and any
other place say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sync.worker import SyncStatus

OK = "ok"  # everything is at the centre
WAITING = "waiting"  # records wait; nothing is wrong yet
PROBLEM = "problem"  # someone should look
# Records waiting this long after the last contact: someone should look (network, centre).
STALE_SECONDS = 3600


@dataclass(frozen=True)
class SyncWords:
    zh: str
    en: str
    tone: str  # OK, WAITING or PROBLEM


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.astimezone()


def clock_time(when: datetime, now: datetime) -> tuple[str, str]:
    """ "14:05" today, "11月24日 14:05" / "24 Nov 14:05" on another day (local time)."""
    local, today = when.astimezone(), now.astimezone()
    hm = local.strftime("%H:%M")
    if local.date() == today.date():
        return hm, hm
    return f"{local.month}月{local.day}日 {hm}", f"{local.day} {local.strftime('%b')} {hm}"


def ago(when: datetime, now: datetime) -> tuple[str, str]:
    """ "刚刚" / "3 分钟前" / "2 小时前", then the clock time from a day on."""
    seconds = (now - when).total_seconds()
    if seconds < 60:  # also a clock a little behind the centre's: not "in the future"
        return "刚刚", "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} 分钟前", f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} 小时前", f"{hours} hour{'s' if hours != 1 else ''} ago"
    zh, en = clock_time(when, now)
    return zh, en


def _waiting(status: SyncStatus) -> tuple[str, str]:
    """ "12 条记录、3 张抓拍" / "12 records and 3 snapshots" (only what waits)."""
    events, snaps = status.backlog_events, status.backlog_snapshots
    zh, en = [], []
    if events:
        zh.append(f"{events} 条记录")
        en.append(f"{events} record{'s' if events != 1 else ''}")
    if snaps:
        zh.append(f"{snaps} 张抓拍")
        en.append(f"{snaps} snapshot{'s' if snaps != 1 else ''}")
    return "、".join(zh), " and ".join(en)


def in_words(status: SyncStatus, now: datetime, *, configured: bool = True) -> SyncWords:
    """What the station's sync amounts to, in one sentence (see the module docstring)."""
    if status.diverged:
        return SyncWords(
            "中心保存的本机记录与本机不一致，请联系技术人员（docs/sync.md）；本机记录均已保留。",
            "The centre holds another history for this station: call the technician "
            "(docs/sync.md). Every record is kept here.",
            PROBLEM,
        )
    success = _parse(status.last_success)
    attempt = _parse(status.last_attempt)
    waiting_zh, waiting_en = _waiting(status)
    pending = bool(waiting_zh)
    if not configured:
        tail_zh = f"；{waiting_zh}在本机等待送达" if pending else ""
        tail_en = f"; {waiting_en} wait here" if pending else ""
        return SyncWords(
            f"尚未设置考试中心地址{tail_zh}。",
            f"No exam centre address is set{tail_en}.",
            WAITING,
        )
    if success is None:
        tried_zh = tried_en = ""
        if attempt is not None:
            a_zh, a_en = ago(attempt, now)
            tried_zh, tried_en = f"（最后一次尝试 {a_zh}）", f" (last tried {a_en})"
        tail_zh = f"；{waiting_zh}未送达" if pending else ""
        tail_en = f"; {waiting_en} not delivered" if pending else ""
        return SyncWords(
            f"从未联系过中心{tried_zh}{tail_zh}。",
            f"Never in contact with the centre{tried_en}{tail_en}.",
            PROBLEM if attempt is not None else WAITING,
        )
    if not pending:
        at_zh, at_en = clock_time(success, now)
        return SyncWords(
            f"全部结果已送达中心（最后一次 {at_zh}）。",
            f"Everything has reached the centre (last time {at_en}).",
            OK,
        )
    last_zh, last_en = ago(success, now)
    stale = (now - success).total_seconds() > STALE_SECONDS
    return SyncWords(
        f"还有 {waiting_zh}未送达，最后一次联系 {last_zh}。",
        f"{waiting_en[:1].upper()}{waiting_en[1:]} not yet delivered; last contact {last_en}.",
        PROBLEM if stale else WAITING,
    )
