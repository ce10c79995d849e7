"""Time as the station sees it: the wall clock for records, the monotonic clock for timers.

Timers never trust the wall clock (an invigilator or NTP can move it); tests inject a clock
whose wall time they move to prove that.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def wall(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    def wall(self) -> datetime:
        return datetime.now(UTC).astimezone()

    def monotonic(self) -> float:
        return time.monotonic()


class ShiftedClock:
    """The system clock with the wall time moved by `offset`: how tests jump the clock."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def wall(self) -> datetime:
        return datetime.now(UTC).astimezone() + self.offset

    def monotonic(self) -> float:
        return time.monotonic()
