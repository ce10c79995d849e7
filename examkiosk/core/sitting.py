"""The sitting's clock: when the room starts and ends, from the package.

Package settings (all optional; without `start` and `end` each candidate's clock runs the
package's duration from their own sign-in, as before):

    "start": "2026-11-22T09:00:00+08:00",   ISO time with its offset
    "end":   "2026-11-22T11:30:00+08:00",   after start
    "common_clock": true,                    the room's clock: a late candidate loses the time
    "late_entry_minutes": 30,                the door admits until start + this
    "extra_minutes": {"C00017": 25},         approved accommodations, per candidate id

With a common clock a candidate who starts at 09:20 for a 09:00–11:30 sitting has until
11:30 (plus any approved extra time); with `common_clock: false` everyone gets the full
duration from their own start, but never before `start`.

The wall clock is the only reference a room's start and end have; remaining time, once an
attempt runs, is still kept on monotonic deltas (timing.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from examkiosk.core.errors import KioskError, Refused

MAX_EXTRA_MINUTES = 24 * 60
MAX_LATE_MINUTES = 24 * 60


class SittingSettingsError(KioskError):
    """The package's start/end settings cannot be used (the message names the setting)."""


class NotStarted(Refused):
    """The sitting has not started yet: the seat shows the rules and a countdown."""

    def __init__(self, start: datetime) -> None:
        super().__init__(
            f"考试尚未开始，开考时间 {start:%H:%M}。请阅读考试须知，开考后即可作答。",
            f"The exam has not started yet; it starts at {start:%H:%M}. Read the rules; "
            "you can begin at the start time.",
            detail=start.isoformat(),
        )
        self.start = start


class SittingOver(Refused):
    def __init__(self, end: datetime) -> None:
        super().__init__(
            f"本场考试已于 {end:%H:%M} 结束，不能再开始作答。请联系监考员。",
            f"This sitting ended at {end:%H:%M}; no attempt can start now. Call the invigilator.",
            detail=end.isoformat(),
        )
        self.end = end


class LateEntry(Refused):
    """Past the door's cut-off: admitting needs an override by a person allowed to."""

    def __init__(self, closes: datetime) -> None:
        super().__init__(
            f"已过入场截止时间 {closes:%H:%M}：放行须由有权限的工作人员授权并填写原因。",
            f"Entry closed at {closes:%H:%M}: admitting needs an authorised member of staff "
            "and a reason.",
            detail=closes.isoformat(),
        )
        self.closes = closes


def _time(settings: Mapping[str, Any], key: str) -> datetime | None:
    raw = settings.get(key)
    if raw in (None, ""):
        return None
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        raise SittingSettingsError(
            f"考试包设置“{key}”不是有效的时间：{raw!s:.40}（应为 ISO 时间，如 2026-11-22T09:00:00+08:00）。",
            f"Package setting '{key}' is not a valid time: {raw!s:.40} (expected ISO, e.g. "
            "2026-11-22T09:00:00+08:00).",
        ) from None
    if value.tzinfo is None:
        raise SittingSettingsError(
            f"考试包设置“{key}”缺少时区（例如 +08:00）：{raw!s:.40}。",
            f"Package setting '{key}' has no time zone (e.g. +08:00): {raw!s:.40}.",
        )
    return value


def _minutes(value: Any, key: str, limit: int) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = -1
    if not 0 <= minutes <= limit or isinstance(value, bool):
        raise SittingSettingsError(
            f"考试包设置“{key}”应为 0 到 {limit} 之间的分钟数：{value!s:.40}。",
            f"Package setting '{key}' must be minutes between 0 and {limit}: {value!s:.40}.",
        )
    return minutes


@dataclass(frozen=True)
class SittingClock:
    start: datetime | None = None
    end: datetime | None = None
    common: bool = True
    late_entry_minutes: int | None = None
    extra_minutes: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SittingClock:
        """Validated; SittingSettingsError names the setting that is wrong."""
        start, end = _time(settings, "start"), _time(settings, "end")
        if (start is None) != (end is None):
            raise SittingSettingsError(
                "考试包设置“start”和“end”须同时给出。",
                "Package settings 'start' and 'end' must be given together.",
            )
        if start is not None and end is not None and end <= start:
            raise SittingSettingsError(
                "考试包设置“end”须晚于“start”。", "Package setting 'end' must be after 'start'."
            )
        late = settings.get("late_entry_minutes")
        extra = settings.get("extra_minutes") or {}
        if not isinstance(extra, Mapping):
            raise SittingSettingsError(
                "考试包设置“extra_minutes”应为 考生编号→分钟数 的对照表。",
                "Package setting 'extra_minutes' must map candidate ids to minutes.",
            )
        common = settings.get("common_clock", True)
        if not isinstance(common, bool):
            raise SittingSettingsError(
                "考试包设置“common_clock”应为 true 或 false。",
                "Package setting 'common_clock' must be true or false.",
            )
        return cls(
            start=start,
            end=end,
            common=common,
            late_entry_minutes=(
                None if late is None else _minutes(late, "late_entry_minutes", MAX_LATE_MINUTES)
            ),
            extra_minutes={
                str(k): _minutes(v, f"extra_minutes.{k}", MAX_EXTRA_MINUTES)
                for k, v in extra.items()
            },
        )

    @property
    def scheduled(self) -> bool:
        return self.start is not None

    def until_start_ms(self, now: datetime) -> int:
        """Milliseconds to the start (0 once started, or with no start set)."""
        if self.start is None:
            return 0
        return max(0, int((self.start - now).total_seconds() * 1000))

    def extra_ms(self, candidate_id: str) -> int:
        return self.extra_minutes.get(candidate_id, 0) * 60_000

    def check_can_start(self, candidate_id: str, now: datetime) -> None:
        """NotStarted before the start; SittingOver once the candidate's end has passed."""
        if self.start is None or self.end is None:
            return
        if now < self.start:
            raise NotStarted(self.start)
        if self.common and now >= self.end + timedelta(milliseconds=self.extra_ms(candidate_id)):
            raise SittingOver(self.end)

    def duration_ms(self, candidate_id: str, now: datetime, package_duration_ms: int) -> int:
        """The time this candidate's attempt gets if it starts `now`: the room's clock
        (to `end`), or the package's duration; plus approved extra time."""
        extra = self.extra_ms(candidate_id)
        if self.start is None or self.end is None or not self.common:
            return package_duration_ms + extra
        begin = max(now, self.start)
        return max(0, int((self.end - begin).total_seconds() * 1000)) + extra

    def late_entry_closes(self) -> datetime | None:
        """When the door stops admitting without an override, if the package says."""
        if self.start is None or self.late_entry_minutes is None:
            return None
        return self.start + timedelta(minutes=self.late_entry_minutes)

    def late(self, now: datetime) -> bool:
        closes = self.late_entry_closes()
        return closes is not None and now > closes
