"""The door station screen: check-in list | live camera and card | verdict and decision.

Flow: the camera's frames are analysed while the candidate stands there (blink, best frame,
its encoding: examkiosk.core.live_face, its own thread); a card (or manual entry) gives an
`IdentityDocument`; `TapCheck` (tap_check.py) looks the candidate up (database thread) and
compares the analysis with the roster and chip photos (face thread); the verdict panel shows
the result; the invigilator's admit/refuse goes to `CheckInDesk.decide`, the list refreshes
and the analysis starts over for the next person.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from examkiosk.core import roster
from examkiosk.core.authz import Person
from examkiosk.core.checkin import Assessment, CheckInDesk
from examkiosk.core.door_overview import door_overview
from examkiosk.core.roster import Candidate
from examkiosk.core.sitting import LateEntry
from examkiosk.core.station import Station
from examkiosk.ui import theme
from examkiosk.ui.door.camera_feed import CameraFeed
from examkiosk.ui.door.camera_view import CameraView
from examkiosk.ui.door.card_watch import CardWatch
from examkiosk.ui.door.manual_entry import ManualEntryDialog
from examkiosk.ui.door.mrz_entry import MrzEntry
from examkiosk.ui.door.overview import DoorOverviewPanel
from examkiosk.ui.door.roster_list import RosterList
from examkiosk.ui.door.sim_card import SimulatedCardPanel, simulated_card
from examkiosk.ui.door.tap_check import TapCheck
from examkiosk.ui.door.verdict import Prepared, VerdictPanel
from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.widgets import Texts, button, card, label
from hardware.cards.document import CardReader, IdentityDocument
from hardware.cards.errors import AccessDenied, BacKeyNeeded
from hardware.cards.mrz import BacKey
from hardware.sim.card_queue import QueueCardReader

LIVE_REFRESH_MS = 10_000


@dataclass(frozen=True)
class SimulatedDoor:
    """The demo's devices: a queue the panel puts cards on, a video per candidate."""

    reader: QueueCardReader
    video_for: Callable[[str], Path | None]


class DoorScreen(QWidget):
    def __init__(
        self,
        station: Station,
        ops: Operations,
        make_desk: Callable[[], CheckInDesk],
        feed: CameraFeed,
        reader: CardReader | None,
        simulated: SimulatedDoor | None = None,
        parent: QWidget | None = None,
        guard: Any = None,
    ) -> None:
        """`guard` (the window's): asked for an authorised person when a decision needs
        one (admitting after the late-entry cut-off, action `checkin.override`)."""
        super().__init__(parent)
        self.setObjectName("screen")
        self.guard = guard
        self.station = station
        self.ops = ops
        self.make_desk = make_desk
        self.feed = feed
        self.reader = simulated.reader if simulated else reader
        self.simulated = simulated
        self.desk: CheckInDesk | None = None
        self.texts = Texts()
        self._working = False
        # When the last verdict was shown and the last decision stored (the benchmark's
        # clock: read without polling the screen).
        self.shown_at = self.stored_at = 0.0

        self.roster = RosterList()
        self.overview = DoorOverviewPanel()
        self.camera = CameraView(feed, ops)
        self.tap = TapCheck(ops, feed, self.camera)
        self.verdict = VerdictPanel()
        # The person signed in at this door decides: their staff number is recorded, no
        # name is typed (the box is there only when no staff session exists, e.g. a test).
        session = getattr(guard, "session", None)
        if session is not None and hasattr(session, "changed"):
            session.changed.connect(self._on_staff_changed)
            self._on_staff_changed(session.person)
        self.verdict.decide_requested.connect(self._decide)
        self.verdict.cleared.connect(self._cleared)
        self.status = QLabel()
        self.status.setObjectName("door_status")
        self.status.setWordWrap(True)
        self.manual = button(
            self.texts, "手工录入证件号码", "Type the ID number", name="manual_entry"
        )
        self.manual.clicked.connect(self.open_manual_entry)
        self.sim_panel: SimulatedCardPanel | None = None
        self.mrz = MrzEntry()
        self.mrz.key_entered.connect(self._key_entered)

        middle = [
            label(self.texts, "实时画面", "Live camera", role="heading"),
            self.camera,
            self.status,
            self.mrz,
        ]
        if simulated is not None:
            self.sim_panel = SimulatedCardPanel()
            self.sim_panel.present_requested.connect(self.present_simulated)
            middle.append(self.sim_panel)
        middle.append(self.manual)
        centre = card(*middle)
        centre.layout().addStretch(1)  # type: ignore[union-attr]
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        # The verdict (three photos side by side) gets the most room: it is what the
        # invigilator decides on.
        left = card(self.overview, self.roster)
        left.layout().setStretch(1, 1)  # type: ignore[union-attr]  # the list takes the height
        layout.addWidget(left, 31)
        layout.addWidget(centre, 23)
        layout.addWidget(card(self.verdict), 46)

        self.watch = CardWatch(self.reader, ops, self) if self.reader is not None else None
        if self.watch is not None:
            self.watch.document_read.connect(self._card_read)
            self.watch.failed.connect(self._reader_failed)
        self._status: tuple[str, str, str] = (
            "正在准备人脸比对……",
            "Preparing the face check…",
            theme.NEUTRAL,
        )
        self._active = False
        # The roster and counters also change without this screen (seats starting and
        # submitting, a second door): refreshed every few seconds while the door is shown.
        self._live = QTimer(self)
        self._live.setInterval(LIVE_REFRESH_MS)
        self._live.timeout.connect(self.refresh)
        self._render_status()
        self.reload()

    # -- lifecycle ----------------------------------------------------------------------
    def reload(self) -> None:
        """(Re)load the desk and the list, e.g. after a new package was imported."""
        self.desk = None
        self.ops.run(lambda job: self.make_desk(), self._desk_ready, self._desk_failed)
        self.refresh()

    def refresh(self) -> None:
        store = self.station.store
        self.ops.run(lambda job: roster.roster_entries(store), self._show_entries)
        self.ops.run(lambda job: door_overview(store), self.overview.show_overview)

    def activate(self) -> None:
        """Start the camera and (once the desk is ready) the card reader."""
        self._active = True
        self._live.start()
        if self.desk is not None:
            self.tap.attach(self.desk.face.engine)
        self.camera.start()
        if self.watch is not None and self.desk is not None:
            self.watch.start()

    def deactivate(self) -> None:
        """Stop polling devices (this mode is left, or the window closes)."""
        self._active = False
        self._live.stop()
        self.camera.stop()
        self.tap.forget()
        if self.watch is not None:
            self.watch.stop()

    def stop(self) -> None:
        """The window closes: also end the face analysis thread."""
        self.deactivate()
        self.tap.close()

    def ready(self) -> bool:
        return self.desk is not None

    def retranslate(self) -> None:
        self.texts.apply()
        self.roster.retranslate()
        self.overview.retranslate()
        self.camera.retranslate()
        self.verdict.retranslate()
        self.mrz.retranslate()
        if self.sim_panel is not None:
            self.sim_panel.retranslate()
        self._render_status()

    # -- check-in flow ------------------------------------------------------------------
    def present_simulated(self, candidate: Candidate, camera_candidate_id: str) -> None:
        """Demo: show the candidate's video on the camera, then put their card on the reader."""
        assert self.simulated is not None
        video = self.simulated.video_for(camera_candidate_id)
        reader = self.simulated.reader
        store = self.station.store

        def chip(photo: bytes | None) -> None:
            # The demo card's chip holds the candidate's roster photo, as a real ID card's
            # chip holds the issuing office's photo.
            card = simulated_card(candidate, photo)
            self.camera.switch_source(
                str(video) if video else None,
                lambda: self.when_seen(lambda: reader.present(card)),
            )

        self.ops.run(lambda job: roster.photo(store, candidate.candidate_id), chip)

    def when_seen(self, then: Callable[[], None], timeout_ms: int = 3000) -> None:
        """Demo: run `then` once the camera has seen the candidate long enough for the
        blink check (as a real candidate steps up, then taps), or after `timeout_ms`."""
        waited = [0]

        def poll() -> None:
            if self.tap.seen() or waited[0] >= timeout_ms:
                then()
                return
            waited[0] += 100
            QTimer.singleShot(100, poll)

        poll()

    def _card_read(self, document: IdentityDocument) -> None:
        self.mrz.dismiss()
        self.check_document(document)

    def _reader_failed(self, exc: BaseException) -> None:
        """A passport the reader cannot open yet: ask for its MRZ data (the card stays put)."""
        self._desk_failed(exc)
        if isinstance(exc, (BacKeyNeeded, AccessDenied)) and self.watch is not None:
            if self.watch.accepts_keys:
                self.mrz.ask()
                if isinstance(exc, AccessDenied):
                    self.mrz.feedback.setText(tr(exc.zh, exc.en))

    def _key_entered(self, key: BacKey) -> None:
        if self.watch is None:
            return
        self._set_status("正在读取护照芯片……", "Reading the passport chip…", theme.NEUTRAL)
        self.watch.supply_key(key)

    def open_manual_entry(self) -> ManualEntryDialog:
        dialog = ManualEntryDialog(self)
        dialog.entered.connect(self.check_document)
        dialog.open()
        return dialog

    def check_document(self, document: IdentityDocument) -> None:
        if self.desk is None or self._working:
            self._set_status(
                "请稍候，上一位考生仍在核验中。",
                "Please wait: the previous check is still running.",
                theme.REVIEW,
            )
            return
        desk = self.desk
        self._working = True
        self.verdict.show_message("正在核验……", "Checking…", theme.NEUTRAL)
        self._set_status(
            "已读取证件，正在比对人脸……", "Card read; comparing the face…", theme.NEUTRAL
        )
        self.tap.run(desk, document, self._assessed, self._assess_failed)

    def _assessed(self, prepared: Prepared) -> None:
        self._working = False
        reason = prepared.assessment.document.extra.get("manual_reason", "")
        self.verdict.show_prepared(prepared)
        self.shown_at = time.perf_counter()
        if reason:
            self.verdict.reason.setText(reason)
        if self.sim_panel is not None:
            self.sim_panel.select(prepared.assessment.candidate.candidate_id)
        self._set_status("请核对后决定放行或拒绝。", "Check, then admit or refuse.", theme.NEUTRAL)

    def _assess_failed(self, exc: BaseException) -> None:
        self._working = False
        self.verdict.show_message(
            getattr(exc, "zh", str(exc)), getattr(exc, "en", str(exc)), theme.REFUSE
        )
        self._set_status(
            "请核对证件后重试，或改用手工录入。",
            "Check the document and try again, or type it by hand.",
            theme.REVIEW,
        )

    def _decide(
        self, admit: bool, invigilator: str, reason: str, override: Person | None = None
    ) -> None:
        prepared = self.verdict.prepared
        if self.desk is None or prepared is None:
            return
        desk = self.desk
        assessment: Assessment = prepared.assessment
        person = self.signed_in()
        if person is not None:
            invigilator = person.staff_number
        self.verdict.set_busy(True)

        def done(_seq: int) -> None:
            self.stored_at = time.perf_counter()
            c = assessment.candidate
            if admit:
                self.verdict.show_message(
                    f"已放行：{c.name}，请到 {c.seat} 号座位",
                    f"Admitted: {c.name}, seat {c.seat}",
                    theme.ADMIT,
                )
            else:
                self.verdict.show_message(
                    f"已记录拒绝入场：{c.name}", f"Refusal recorded: {c.name}", theme.REFUSE
                )
            self._set_status("请下一位考生刷证。", "Next candidate, please.", theme.NEUTRAL)
            self.refresh()
            self.tap.forget()  # whoever the camera sees next is judged on their own frames
            self._cleared()

        def failed(exc: BaseException) -> None:
            self.verdict.set_busy(False)
            self.verdict.show_error(error_text(exc))
            if isinstance(exc, LateEntry) and override is None and self.guard is not None:
                # Past the cut-off: an authorised person signs in; their name is audited.
                self.guard.request(
                    self,
                    ("迟到入场授权", "Late entry override"),
                    lambda person: self._decide(admit, invigilator, reason, person),
                    "checkin.override",
                )

        self.ops.run(
            lambda job: desk.decide(
                assessment,
                admit=admit,
                invigilator=invigilator,
                reason=reason,
                person=person,
                override=override,
            ),
            done,
            failed,
        )

    def _on_staff_changed(self, person: Person | None) -> None:
        self.verdict.invigilator.setVisible(person is None)
        self.verdict.invigilator.setText(person.staff_number if person else "")

    def signed_in(self) -> Person | None:
        """The member of staff signed in at this door (the window's session), if any: the
        decision's event names them."""
        session = getattr(self.guard, "session", None)
        person = getattr(session, "person", None)
        return person if isinstance(person, Person) else None

    def _cleared(self) -> None:
        if self.simulated is not None:
            self.camera.switch_source(None)

    # -- helpers ------------------------------------------------------------------------
    def _desk_ready(self, desk: CheckInDesk) -> None:
        self.desk = desk
        if self._active:
            self.tap.attach(desk.face.engine)
        if self.watch is not None:
            if self._active and not self.watch.running:
                self.watch.start()
            if desk.face.available:
                self._set_status(
                    "请考生刷身份证件（人脸比对已开启）",
                    "Ready for a card (face check on)",
                    theme.NEUTRAL,
                )
            else:
                self._set_status(
                    "请考生刷身份证件（人脸比对不可用，请人工比对照片）",
                    "Ready for a card (no face check: compare photos by eye)",
                    theme.REVIEW,
                )
        else:
            self._set_status(
                "未配置读卡器：请使用手工录入。",
                "No card reader configured: use manual entry.",
                theme.REVIEW,
            )

    def _desk_failed(self, exc: BaseException) -> None:
        self._set_status(getattr(exc, "zh", str(exc)), getattr(exc, "en", str(exc)), theme.REFUSE)

    def _show_entries(self, entries: list[roster.RosterEntry]) -> None:
        self.roster.show_entries(entries)
        if self.sim_panel is not None:
            self.sim_panel.set_candidates(
                [e.candidate for e in entries if e.checkin != "admitted"]
                or [e.candidate for e in entries]
            )

    def _set_status(self, zh: str, en: str, colour: str) -> None:
        self._status = (zh, en, colour)
        self._render_status()

    def _render_status(self) -> None:
        zh, en, colour = self._status
        self.status.setText(tr(zh, en))
        self.status.setStyleSheet(f"color: {colour}; font-weight: bold;")
