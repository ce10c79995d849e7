"""The seat screen: the candidate's whole sitting, from login to receipt.

All engine calls go through `ops.run` (the database thread); this widget only reacts to
their results. Time is persisted by a tick every second; at zero the engine submits and the
receipt shows. Warnings show once per configured mark (e.g. 15 and 5 minutes).

With a camera (`camera=`, or `set_camera()` later), proctoring snapshots run while the exam
is open (`proctor_view.SeatProctoring`); without one the seat works the same, unwatched.

Kiosk behaviour is the hosting window's job (full screen, no window controls, closing
needs an invigilator); `exam_running` tells it when a candidate is mid-exam. See
docs/exam.md for what Qt cannot block.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from examkiosk.core import roster, seat_card
from examkiosk.core.attempt_sessions import TakeoverRequired
from examkiosk.core.exam import Attempt, ExamEngine, SeatState, Tick
from examkiosk.core.exam_errors import AttemptClosed, ResumeCodeRequired, SessionMoved, TimeUp
from examkiosk.core.face_check import FaceService
from examkiosk.core.scoring import Receipt
from examkiosk.core.sitting import NotStarted
from examkiosk.core.station import Station
from examkiosk.ui.i18n import error_text, tr
from examkiosk.ui.ops import Operations
from examkiosk.ui.seat.card_login import (
    READER_PROBLEMS,
    SeatCardWatch,
    SeatSimulatedCard,
    card_problem_text,
)
from examkiosk.ui.seat.login import ConfirmPage, LoginPage, ResumeCodePage
from examkiosk.ui.seat.proctor_view import SeatCamera, SeatProctoring
from examkiosk.ui.seat.question import LOW_TIME_MS, QuestionPage, format_remaining
from examkiosk.ui.seat.review import ReceiptPage, ReviewPage
from examkiosk.ui.seat.rules import RulesPage
from examkiosk.ui.seat.style import DEFAULT_FONT_INDEX, FONT_SIZES, stylesheet
from examkiosk.ui.seat.takeover import ask_takeover
from hardware.cards.document import CardReader, IdentityDocument
from hardware.sim.card_queue import QueueCardReader

TICK_MS = 1000


class SeatScreen(QWidget):
    exam_running_changed = Signal(bool)

    def __init__(
        self,
        station: Station,
        ops: Operations,
        parent: QWidget | None = None,
        camera: SeatCamera | None = None,
        face: Callable[[], FaceService] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("seat")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.station = station
        self.ops = ops
        self.engine = ExamEngine(station)
        self.attempt_id: str | None = None
        self.state: SeatState | None = None
        self.font_index = DEFAULT_FONT_INDEX
        self.high_contrast = False
        self._credentials = ("", "")
        # How the current sign-in was made (seat_card.CARD / TICKET, and how the card was
        # read), recorded with the `seat.signed_in` event once the attempt is entered.
        self._sign_in: tuple[str, dict[str, Any]] = (seat_card.TICKET, {})
        self._active = False
        self.watch: SeatCardWatch | None = None
        self.sim_card: SeatSimulatedCard | None = None
        self._ticking = False
        self._warned: set[int] = set()

        self.login = LoginPage()
        self.confirm = ConfirmPage()
        self.resume = ResumeCodePage()
        self.question = QuestionPage(self.engine, ops)
        self.review = ReviewPage()
        self.receipt = ReceiptPage()
        self.rules = RulesPage()
        self.stack = QStackedWidget()
        for page in (
            self.login,
            self.confirm,
            self.resume,
            self.question,
            self.review,
            self.receipt,
            self.rules,
        ):
            self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.stack)
        self.stack.currentChanged.connect(lambda _index: self._follow_card_watch())

        self.proctoring = SeatProctoring(station, ops, self.question.camera, self)
        self.proctoring.set_camera(camera, face)
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

        self.login.submitted.connect(self._identify)
        self.confirm.confirmed.connect(self._start)
        self.confirm.rejected.connect(lambda: self._to_login(""))
        self.resume.submitted.connect(self._resume_with_code)
        self.resume.cancelled.connect(lambda: self._to_login(""))
        self.rules.started.connect(self._start)
        self.rules.back.connect(lambda: self._to_login(""))
        self.question.review_requested.connect(self._review)
        self.question.time_up.connect(lambda r: self._show_receipt(r, "time_up"))
        self.question.closed.connect(self._closed)
        self.question.font_bigger.clicked.connect(lambda: self.set_font_index(self.font_index + 1))
        self.question.font_smaller.clicked.connect(lambda: self.set_font_index(self.font_index - 1))
        self.question.contrast.clicked.connect(
            lambda: self.set_high_contrast(not self.high_contrast)
        )
        self.review.back.connect(self._back_to_questions)
        self.review.go_to.connect(self._review_go_to)
        self.review.submit.connect(self._submit)
        for keys, action in (
            ("Ctrl+=", lambda: self.set_font_index(self.font_index + 1)),
            ("Ctrl++", lambda: self.set_font_index(self.font_index + 1)),
            ("Ctrl+-", lambda: self.set_font_index(self.font_index - 1)),
            ("Ctrl+H", lambda: self.set_high_contrast(not self.high_contrast)),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)
        self._restyle()
        self.login.reset()

    # -- the window's hooks --

    @property
    def exam_running(self) -> bool:
        """True while a candidate is mid-exam: the window must not close or switch away."""
        return self.attempt_id is not None and self.stack.currentWidget() in (
            self.question,
            self.review,
        )

    def retranslate(self) -> None:
        for page in (
            self.login,
            self.confirm,
            self.resume,
            self.question,
            self.review,
            self.receipt,
            self.rules,
        ):
            page.retranslate()

    def activate(self) -> None:
        self._active = True
        self._follow_card_watch()
        if self.stack.currentWidget() is self.login:
            self.login.ticket.setFocus()

    def deactivate(self) -> None:
        """Seat mode is left: stop reading cards (the door may use the same reader)."""
        self._active = False
        self._follow_card_watch()

    def reload(self) -> None:
        if self.attempt_id is None:  # a new package: only between candidates
            self.engine = ExamEngine(self.station)
            self.question.engine = self.engine

    def stop(self) -> None:
        self.timer.stop()
        self.proctoring.stop()
        self._active = False
        self._follow_card_watch()

    def set_card_reader(self, reader: CardReader | None) -> None:
        """The station's card reader (as configured for the door): candidates sign in by
        tapping their ID card; None: ticket and ID number only."""
        if self.watch is not None:
            self.watch.stop()
            self.watch.deleteLater()
            self.watch = None
        if self.sim_card is not None:
            self.sim_card.deleteLater()
            self.sim_card = None
        if reader is not None:
            self.watch = SeatCardWatch(reader, self.ops, self)
            self.watch.document_read.connect(self._card_read)
            self.watch.failed.connect(self._card_failed)
            # The prompt shows once the reader has answered (a missing reader never does).
            self.watch.reader_answered.connect(lambda: self.login.set_card_state("ready"))
            if isinstance(reader, QueueCardReader):
                self.sim_card = SeatSimulatedCard(reader, self.ops)
                self.layout().addWidget(self.sim_card)
                self.sim_card.load(self.station.store)
        self.login.set_card_state("none")
        self._follow_card_watch()

    def _follow_card_watch(self) -> None:
        """Read cards only while seat mode is active and the login page shows."""
        on_login = self._active and self.stack.currentWidget() is self.login
        if self.sim_card is not None:
            self.sim_card.setVisible(on_login)
        if self.watch is None:
            return
        if on_login and not self.watch.running:
            self.watch.start()
        elif not on_login and self.watch.running:
            self.watch.stop()

    def set_camera(
        self, camera: SeatCamera | None, face: Callable[[], FaceService] | None = None
    ) -> None:
        """The seat camera for proctoring snapshots (and where the face engine comes from);
        takes effect at the next exam opening."""
        self.proctoring.set_camera(camera, face)

    # -- look --

    def set_font_index(self, index: int) -> None:
        self.font_index = max(0, min(len(FONT_SIZES) - 1, index))
        self._restyle()

    def set_high_contrast(self, on: bool) -> None:
        self.high_contrast = on
        self._restyle()

    def _restyle(self) -> None:
        self.setStyleSheet(stylesheet(FONT_SIZES[self.font_index], self.high_contrast))
        self.question.set_high_contrast(self.high_contrast)

    # -- login --

    def _to_login(self, error: str) -> None:
        was_running = self.exam_running
        self.timer.stop()
        self.rules.stop()
        self.proctoring.stop()
        self.attempt_id = None
        self.stack.setCurrentWidget(self.login)
        self.login.reset(error)
        if was_running:
            self.exam_running_changed.emit(False)

    def _card_read(self, document: IdentityDocument) -> None:
        """A card was tapped on the login page: who it belongs to, by the seat's rules."""
        if self.stack.currentWidget() is not self.login or self.login.busy:
            return
        self.login.card_checking()
        station, engine = self.station, self.engine

        def work(_job: Any) -> tuple[seat_card.CardSignIn, bytes | None]:
            found = seat_card.candidate_for_card(station, engine, document)
            return found, roster.photo(station.store, found.candidate.candidate_id)

        def found(result: tuple[seat_card.CardSignIn, bytes | None]) -> None:
            sign_in, photo = result
            candidate = sign_in.candidate
            self._credentials = (candidate.ticket, candidate.id_number)
            self._sign_in = (seat_card.CARD, sign_in.details())
            self.confirm.show_candidate(candidate.name, candidate.ticket, candidate.seat, photo)
            self.stack.setCurrentWidget(self.confirm)

        self.ops.run(work, found, lambda exc: self.login.reset(error_text(exc)))

    def _card_failed(self, exc: BaseException) -> None:
        """The card could not be read (taken away mid-read...): say so; nothing changes.
        No reader (unplugged, pcscd down): the typed way in, without an error."""
        if isinstance(exc, READER_PROBLEMS):
            self.login.set_card_state("unavailable")
            return
        if self.stack.currentWidget() is self.login and not self.login.busy:
            self.login.error.setText(card_problem_text(exc))

    def _identify(self, ticket: str, id_number: str) -> None:
        self._credentials = (ticket, id_number)
        self._sign_in = (seat_card.TICKET, {})

        def work(_job: Any) -> tuple[Any, bytes | None]:
            candidate = self.engine.identify(ticket, id_number)
            return candidate, roster.photo(self.station.store, candidate.candidate_id)

        def found(result: tuple[Any, bytes | None]) -> None:
            candidate, photo = result
            self.confirm.show_candidate(candidate.name, candidate.ticket, candidate.seat, photo)
            self.stack.setCurrentWidget(self.confirm)

        self.ops.run(work, found, lambda exc: self.login.reset(error_text(exc)))

    def _start(self) -> None:
        ticket, id_number = self._credentials
        self.ops.run(
            lambda job: self.engine.login(ticket, id_number), self._entered, self._login_failed
        )

    def _resume_with_code(self, code: str, invigilator: str) -> None:
        ticket, id_number = self._credentials

        def failed(exc: BaseException) -> None:
            self.resume.error.setText(error_text(exc))
            self.resume.go.setEnabled(True)

        self.ops.run(
            lambda job: self.engine.resume_with_code(
                ticket, id_number, code, invigilator=invigilator
            ),
            self._entered,
            failed,
        )

    def _login_failed(self, exc: BaseException) -> None:
        if isinstance(exc, NotStarted):
            # Before the start: 考试须知 and a countdown; the paper opens at the start.
            name = self.confirm.name.text()
            self.rules.show_until(exc.start, self.station.clock.wall(), name)
            self.stack.setCurrentWidget(self.rules)
            return
        if isinstance(exc, ResumeCodeRequired):
            self.resume.ask(error_text(exc), exc.request)
            self.stack.setCurrentWidget(self.resume)
            return
        if isinstance(exc, TakeoverRequired):  # issue 11: an invigilator approves it here
            args = (self.station, self.ops, self.engine, self._credentials)
            self.takeover = ask_takeover(self, *args, self._entered, self._to_login)
            return
        self._to_login(error_text(exc))

    def _entered(self, attempt: Attempt) -> None:
        method, details = self._sign_in
        self.ops.run(lambda job: seat_card.record_sign_in(self.station, attempt, method, details))
        if attempt.state == "submitted":
            self.ops.run(
                lambda job: self.engine.receipt(attempt.attempt_id),
                lambda r: self._show_receipt(r, "") if r else None,
            )
            return
        self.ops.run(
            lambda job: self.engine.seat_state(attempt.attempt_id),
            self._open,
            lambda exc: self._to_login(error_text(exc)),
        )

    def _open(self, state: SeatState) -> None:
        self.state = state
        self.attempt_id = state.attempt.attempt_id
        self._warned = set()
        self.question.load(state)
        self.stack.setCurrentWidget(self.question)
        self.question.view.focus_first()
        self._warn(state.attempt.remaining_ms)
        self.timer.start()
        self.proctoring.start(state.attempt.attempt_id, state.attempt.candidate_id)
        self.exam_running_changed.emit(True)

    # -- time --

    def _tick(self) -> None:
        if self.attempt_id is None or self._ticking:
            return
        self._ticking = True
        attempt_id = self.attempt_id

        def done(tick: Tick) -> None:
            self._ticking = False
            if self.attempt_id != attempt_id:
                return
            self.question.set_remaining(tick.remaining_ms)
            self.review.set_remaining(
                format_remaining(tick.remaining_ms), tick.remaining_ms < LOW_TIME_MS
            )
            self._warn(tick.remaining_ms)
            if tick.receipt is not None:
                self._show_receipt(tick.receipt, "time_up")

        def failed(exc: BaseException) -> None:
            self._ticking = False
            if self.attempt_id != attempt_id:
                return  # a tick that was in flight when the candidate submitted
            if isinstance(exc, TimeUp):
                self._show_receipt(exc.receipt, "time_up")
            elif isinstance(exc, SessionMoved | AttemptClosed):
                self._closed(exc)

        try:
            self.ops.run(lambda job: self.engine.tick(attempt_id), done, failed)
        except RuntimeError:  # the operations helper was shut down: the app is closing
            self._ticking = False
            self.timer.stop()

    def _warn(self, remaining_ms: int) -> None:
        if self.state is None:
            return
        passed = [
            m
            for m in self.state.settings.warn_minutes
            if remaining_ms <= m * 60_000 and m not in self._warned
        ]
        if passed:
            self._warned.update(passed)
            minutes = min(passed)
            self.question.show_warning(
                tr(
                    f"注意：距离考试结束还有不到 {minutes} 分钟。时间到时系统将自动交卷。",
                    f"Note: less than {minutes} minutes left. The exam is submitted automatically "
                    "when time is up.",
                )
            )

    # -- review and submission --

    def _review(self) -> None:
        self.review.show_review(self.question.items, self.question.committed, self.question.flags)
        self.review.set_remaining(
            self.question.remaining.text(), self.question.remaining.property("role") == "timer_low"
        )
        self.stack.setCurrentWidget(self.review)

    def _back_to_questions(self) -> None:
        self.stack.setCurrentWidget(self.question)
        self.question.view.focus_first()

    def _review_go_to(self, n: int) -> None:
        self._back_to_questions()
        self.question.go_to(n)

    def _submit(self) -> None:
        attempt_id = self.attempt_id
        if attempt_id is None:
            return

        def failed(exc: BaseException) -> None:
            if isinstance(exc, TimeUp):
                self._show_receipt(exc.receipt, "time_up")
            else:
                self.review.failed(error_text(exc))

        self.ops.run(
            lambda job: self.engine.submit(attempt_id),
            lambda r: self._show_receipt(r, "candidate"),
            failed,
        )

    def _show_receipt(self, receipt: Receipt, reason: str) -> None:
        self.timer.stop()
        self.proctoring.stop()
        was_running = self.exam_running
        self.attempt_id = None
        if self.review.dialog is not None and self.review.dialog.isVisible():
            self.review.dialog.reject()  # time ran out while the candidate was deciding
        candidate = self.state.candidate if self.state is not None else None
        self.receipt.show_receipt(
            receipt,
            show_score=self.engine.settings().show_score,
            reason=reason,
            name=candidate.name if candidate else "",
            ticket=candidate.ticket if candidate else "",
            at=self.station.clock.wall(),
        )
        self.stack.setCurrentWidget(self.receipt)
        if was_running:
            self.exam_running_changed.emit(False)

    def _closed(self, exc: BaseException) -> None:
        if self.attempt_id is None and self.stack.currentWidget() is self.receipt:
            return  # a save in flight met the submission: the receipt stays
        self._to_login(error_text(exc))
