"""Approving a seat takeover at the seat: the candidate's attempt is live on another seat
(`TakeoverRequired`), and an invigilator standing here signs in to move it to this one.

The approval is a staff sign-in at the seat itself (the candidate's place, so it always asks,
whoever is signed in elsewhere): 工号 + 密码, Enter approves, Esc cancels. The check runs off
the GUI thread: the sign-in (`seat.takeover`; a refused role is audited) and then the login
with `takeover_by=person`, which the core audits as `audit.seat_takeover` with their name.
The other seat stops saving from then on. Cancelling leaves everything as it was and shows
the refusal at the login page again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from examkiosk.core.accounts import Accounts
from examkiosk.core.attempt import Attempt
from examkiosk.core.attempt_sessions import TakeoverRequired
from examkiosk.core.authz import Person
from examkiosk.core.exam import ExamEngine
from examkiosk.core.station import Station
from examkiosk.ui.i18n import error_text
from examkiosk.ui.ops import Operations
from examkiosk.ui.signin import SignInDialog, sign_in_for


def intro(ticket: str) -> tuple[str, str]:
    return (
        f"准考证号 {ticket} 的作答正在另一座位进行中。如确需改在本座位继续作答，请监考员核实考生"
        "身份后登录批准；批准后原座位立即停止保存作答，本次批准将记录监考员姓名。",
        f"The exam of ticket {ticket} is running at another seat. If the candidate is to "
        "continue at this seat, an invigilator checks who they are and signs in to approve; "
        "the other seat then stops saving at once, and the approval is recorded with the "
        "invigilator's name.",
    )


def ask_takeover(
    parent: QWidget,
    station: Station,
    ops: Operations,
    engine: ExamEngine,
    credentials: tuple[str, str],
    entered: Callable[[Attempt], None],
    refused: Callable[[str], None],
) -> SignInDialog:
    """Open the approval dialog; `entered(attempt)` once approved and moved here,
    `refused(text)` (the refusal, for the login page) when cancelled."""
    ticket, id_number = credentials
    signed_in = sign_in_for(Accounts(station), "seat.takeover")

    def check(number: str, secret: str, new: str | None) -> tuple[Attempt, Person]:
        person = signed_in(number, secret, new)
        return engine.login(ticket, id_number, takeover_by=person), person

    dialog = SignInDialog(
        check, ops, ("在本座位接续作答", "Continue at this seat"), parent, intro=intro(ticket)
    )
    dialog.setObjectName("takeover_dialog")
    dialog.ok.setObjectName("takeover_approve")
    dialog.texts.bind(dialog.ok.setText, "批准在本座位继续", "Approve: continue here")

    def accepted() -> None:
        value: Any = dialog.value
        entered(value[0])

    dialog.accepted.connect(accepted)
    dialog.rejected.connect(lambda: refused(error_text(TakeoverRequired())))
    dialog.open()
    return dialog
