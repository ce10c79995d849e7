"""Proctoring at the seat: snapshots while the candidate sits the exam, and a small camera sign.

`SeatProctoring` takes one snapshot when the exam opens (or resumes) and then at the random
gaps of the attempt's schedule (`core.proctoring`). Each snapshot is two steps off the GUI
thread: grab + face check on a device thread (`ops.run(..., io=True)`), then the record on
the database thread. Nothing here can stop or interrupt the exam: a failure is logged,
recorded as an incident for the invigilator where it concerns the camera, and the next
snapshot is scheduled anyway. The candidate only sees a quiet "camera on" line; incidents
go to the invigilator, never to the candidate's screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from examkiosk.core.face_check import FaceService
from examkiosk.core.proctoring import Observation, Proctor, ProctorResult
from examkiosk.core.station import Station
from examkiosk.ui.i18n import tr
from examkiosk.ui.ops import Operations

log = logging.getLogger(__name__)

GRAB_TIMEOUT_S = 3.0


class SeatCamera(Protocol):
    """What the seat needs from a camera: the newest frame, or None when there is none
    (`examkiosk.ui.door.camera_feed.CameraFeed` is one). It may also offer
    `follow(candidate_id)`, which the seat calls when a candidate's exam opens (the demo's
    simulated camera shows that candidate)."""

    def grab(self, timeout: float) -> Any | None: ...


class CameraIndicator(QLabel):
    """ "● 监考摄像头已开启" in the muted colour: there, but not something to look at."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("camera_indicator")
        self.setProperty("role", "muted")
        self.last: datetime | None = None
        self.working = True
        self.hide()

    def update_state(self, working: bool, at: datetime | None) -> None:
        self.working = working
        self.last = at or self.last
        self.retranslate()

    def retranslate(self) -> None:
        if not self.working:
            # Calm words: the exam goes on, the invigilator has been told.
            self.setText(
                tr("○ 监考摄像头暂无画面（不影响答题）", "○ Exam camera: no picture (keep working)")
            )
        elif self.last is None:
            self.setText(tr("● 监考摄像头已开启", "● Exam camera on"))
        else:
            stamp = self.last.strftime("%H:%M")
            self.setText(
                tr(f"● 监考摄像头已开启 · 抓拍 {stamp}", f"● Exam camera on · snapshot {stamp}")
            )


class SeatProctoring(QObject):
    """Snapshots of the attempt on screen. `start()` when the exam opens, `stop()` when it
    ends; without a camera it does nothing at all."""

    snapshot_recorded = Signal(object)  # ProctorResult

    def __init__(
        self,
        station: Station,
        ops: Operations,
        indicator: CameraIndicator,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.station = station
        self.ops = ops
        self.indicator = indicator
        self.camera: SeatCamera | None = None
        self._face_factory: Callable[[], FaceService] = FaceService.create
        self._face: FaceService | None = None
        self.proctor: Proctor | None = None
        self.index = 0  # the schedule's index of the next snapshot
        self.taken = 0  # snapshots recorded since start()
        self._generation = 0  # bumped by stop(): late results of an old sitting are ignored
        self._busy = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._due)

    def set_camera(
        self, camera: SeatCamera | None, face: Callable[[], FaceService] | None = None
    ) -> None:
        self.camera = camera
        if face is not None:
            self._face_factory = face
            self._face = None

    @property
    def active(self) -> bool:
        return self.proctor is not None

    def start(self, attempt_id: str, candidate_id: str) -> None:
        self.stop()
        if self.camera is None:
            return
        follow = getattr(self.camera, "follow", None)
        generation = self._generation

        def prepare(_job: Any) -> tuple[Proctor, int]:
            if callable(follow):
                follow(candidate_id)
            proctor = Proctor.for_attempt(self.station, self._face_service(), attempt_id)
            return proctor, proctor.taken()

        def ready(result: tuple[Proctor, int]) -> None:
            if generation != self._generation:
                return
            proctor, already = result
            if not proctor.enabled:
                return
            self.proctor = proctor
            # Index 0 (at once) on every opening, so a resumed sitting is checked too; the
            # gaps after it continue the attempt's sequence.
            self.index = already
            self.indicator.update_state(True, None)
            self.indicator.show()
            self.timer.start(0)

        # The face models load on first use (a second or two): a device thread, not the
        # database thread, so answers never wait behind it.
        self.ops.run(
            prepare, ready, lambda exc: log.warning("proctoring not started: %s", exc), io=True
        )

    def stop(self) -> None:
        self._generation += 1
        self.timer.stop()
        self.proctor = None
        self._busy = False
        self.indicator.hide()

    def _face_service(self) -> FaceService:
        if self._face is None:
            self._face = self._face_factory()
        return self._face

    def _schedule_next(self) -> None:
        if self.proctor is None:
            return
        self.index += 1
        self.timer.start(self.proctor.schedule.delay_ms(self.index))

    def _due(self) -> None:
        proctor, camera = self.proctor, self.camera
        if proctor is None or camera is None or self._busy:
            return
        self._busy = True
        generation = self._generation

        def look(_job: Any) -> Observation:
            try:
                frame = camera.grab(GRAB_TIMEOUT_S)
                problem = "" if frame is not None else "no camera source"
            except Exception as exc:  # an unplugged camera: an incident, never a crash
                frame, problem = None, str(getattr(exc, "en", "") or type(exc).__name__)
            return proctor.assess(frame, problem)

        def store(observation: Observation) -> None:
            if generation != self._generation:
                return  # the sitting ended meanwhile
            try:
                self.ops.run(lambda job: proctor.record(observation), recorded, failed)
            except RuntimeError:  # the app is closing
                self._busy = False

        def recorded(result: ProctorResult) -> None:
            if generation != self._generation:
                return
            self._busy = False
            self.taken += 1
            self.indicator.update_state(
                result.incident != "camera_unavailable", self.station.clock.wall()
            )
            self.snapshot_recorded.emit(result)
            self._schedule_next()

        def failed(exc: BaseException) -> None:
            log.warning("proctoring snapshot failed: %s", exc)
            if generation != self._generation:
                return
            self._busy = False
            self._schedule_next()

        try:
            self.ops.run(look, store, failed, io=True)
        except RuntimeError:  # the operations helper was shut down: the app is closing
            self._busy = False
