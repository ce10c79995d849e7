"""Exam time: the package's settings, the venue's outage policy, and how a gap is counted.

Time runs on `time.monotonic()` deltas persisted as they pass. The wall clock is only used
where nothing else exists: to measure an outage that spanned a reboot (the monotonic clock
restarts with the machine). A wall-clock jump within a boot never changes remaining time; it
is detected by comparing wall and monotonic deltas and audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Re-exported: callers have always imported the boot id from here.
from examkiosk.core.boot_id import boot_id as boot_id
from examkiosk.core.boot_id import same_boot as same_boot

# A wall delta that disagrees with the monotonic delta by more than this is a clock change
# (NTP slews far less; a person or a bad RTC moves it by minutes or hours).
WALL_JUMP_THRESHOLD_MS = 5_000
DEFAULT_WARN_MINUTES = (15, 5)


@dataclass(frozen=True)
class OutagePolicy:
    """What a crash or power cut costs the candidate, set by the venue in the package.

    mode "count": the outage is exam time lost. mode "pause": the clock stops during outages,
    up to `pause_limit_ms` in total per attempt; beyond that, outage time counts.
    An outage longer than `resume_grace_ms` needs an invigilator's resume code.
    """

    mode: str = "pause"
    pause_limit_ms: int = 30 * 60_000
    resume_grace_ms: int = 120_000

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> OutagePolicy:
        mode = str(settings.get("outage_policy", "pause"))
        return cls(
            mode=mode if mode in ("count", "pause") else "pause",
            pause_limit_ms=int(float(settings.get("pause_limit_minutes", 30)) * 60_000),
            resume_grace_ms=int(float(settings.get("resume_grace_seconds", 120)) * 1000),
        )

    def split(self, outage_ms: int, pause_used_ms: int) -> tuple[int, int]:
        """(counted, paused) milliseconds of an outage, given the pause already used."""
        outage_ms = max(0, outage_ms)
        if self.mode == "count":
            return outage_ms, 0
        paused = min(outage_ms, max(0, self.pause_limit_ms - pause_used_ms))
        return outage_ms - paused, paused


@dataclass(frozen=True)
class ExamSettings:
    title: str
    duration_ms: int
    warn_minutes: tuple[int, ...]
    show_score: bool
    policy: OutagePolicy
    exam_id: str = ""

    @classmethod
    def from_package(cls, content: Mapping[str, Any]) -> ExamSettings:
        """From the imported package's exam content (`package_import.current_exam`)."""
        exam = content.get("exam") if isinstance(content.get("exam"), Mapping) else {}
        assert isinstance(exam, Mapping)
        settings = content.get("settings") if isinstance(content.get("settings"), Mapping) else {}
        assert isinstance(settings, Mapping)
        minutes = content.get("duration_minutes", exam.get("duration_minutes", 120))
        warn = settings.get("warn_minutes", DEFAULT_WARN_MINUTES)
        return cls(
            title=str(exam.get("title", content.get("title", ""))),
            duration_ms=int(float(minutes) * 60_000),
            warn_minutes=tuple(sorted({int(w) for w in warn if int(w) > 0}, reverse=True)),
            show_score=bool(settings.get("show_score", False)),
            policy=OutagePolicy.from_settings(settings),
            exam_id=str(exam.get("exam_id", "")),
        )


@dataclass(frozen=True)
class Outage:
    outage_ms: int
    counted_ms: int
    paused_ms: int
    basis: str  # "monotonic" (same boot) | "wall" (across a reboot: the only clock left)


def measure_outage(
    *, same_boot: bool, mono_now: float, last_mono: float, wall_now_ms: int, last_wall_ms: int
) -> tuple[int, str]:
    if same_boot:
        return max(0, round((mono_now - last_mono) * 1000)), "monotonic"
    return max(0, wall_now_ms - last_wall_ms), "wall"


def wall_jump_ms(wall_delta_ms: int, mono_delta_ms: int) -> int | None:
    """How far the wall clock moved beyond the real passage of time, if it jumped."""
    jump = wall_delta_ms - mono_delta_ms
    return jump if abs(jump) > WALL_JUMP_THRESHOLD_MS else None
