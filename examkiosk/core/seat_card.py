"""Sign-in at the seat by tapping the ID card that was checked in at the door.

The card only says *who*: the seat asks the same questions as for a typed ticket and ID
number (`ExamEngine.identify`: the seat lock-out, admitted at the door or moved here), so
a card never opens an attempt that the keyboard would not. What the card adds is the
possession of the document the door checked, so nothing is typed at the seat.

A refused or never-checked-in candidate is sent back to the door with a clear message and
nothing is opened. A simulated card (the demo's and the rehearsal's reader) on a real
sitting is refused and audited, exactly as at the door (core.simulation).

Every seat sign-in, by card or by ticket, is a `seat.signed_in` event naming the method,
so the centre's report tells the two apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examkiosk.core import roster
from examkiosk.core.attempt import Attempt, candidate_by_id
from examkiosk.core.errors import NotFound, Refused
from examkiosk.core.roster import Candidate
from examkiosk.core.simulation import require_simulation
from examkiosk.core.station import Station
from hardware.cards.document import CheckResult, DocumentType, IdentityDocument, ReadingMethod
from hardware.cards.document import PassiveAuth as PA

CARD, TICKET = "card", "ticket"


class GoToDoor(Refused):
    """The card's holder was not admitted at the door: check in there first."""


@dataclass(frozen=True)
class CardSignIn:
    """What a card tap established: the candidate, and how the card was read (recorded
    with the sign-in; never the card number)."""

    candidate: Candidate
    doc_type: str
    reading_method: str
    card_uid: str | None

    def details(self) -> dict[str, Any]:
        return {
            "doc_type": self.doc_type,
            "reading_method": self.reading_method,
            "card_uid": self.card_uid,
        }


def _holder(station: Station, document: IdentityDocument) -> Candidate:
    """The roster entry the card names: by its document number, or, for a plain
    contactless card, by the card the door bound at check-in."""
    if document.doc_type == DocumentType.MANUAL:
        raise Refused("座位不接受手工录入的证件。", "The seat does not accept a typed document.")
    if document.doc_type == DocumentType.CARD_UID:
        rows = station.store.query(
            "SELECT candidate_id FROM checkins WHERE card_uid = ? AND decision = 'admitted'",
            (document.card_uid or "",),
        )
        if not rows or not document.card_uid:
            raise GoToDoor(
                "这张卡没有在入口登记。请用入口核验时使用的证件刷卡，或输入准考证号和证件号码。",
                "This card was not registered at the door. Tap the document you were checked "
                "in with, or type your admission ticket and ID number.",
            )
        return candidate_by_id(station, str(rows[0][0]))
    try:
        return roster.by_id_number(station.store, document.number)
    except NotFound:
        raise GoToDoor(
            "此证件不在本场考试名单中。如果你是本场考生，请先到入口核验身份。",
            "This document is not on this sitting's roster. If you sit this exam, please go "
            "to the door for the identity check first.",
        ) from None


def candidate_for_card(station: Station, engine: Any, document: IdentityDocument) -> CardSignIn:
    """Who may sign in with `document` here; Refused (with zh/en) and nothing opened when
    the card is simulated on a real sitting, tampered, not on the roster, refused or never
    admitted at the door, or its ticket is locked (`engine`: the seat's ExamEngine)."""
    if document.reading_method == ReadingMethod.SIMULATED:
        require_simulation(station, None, "seat card sim")
    if document.passive_auth == PA.FAILED or any(
        c.result == CheckResult.FAILED for c in document.checks
    ):
        raise Refused(
            "证件芯片校验未通过，不能用此卡登录。请举手示意监考员。",
            "The card's chip failed its checks: it cannot be used to sign in. Raise your hand "
            "for the invigilator.",
        )
    holder = _holder(station, document)
    rows = station.store.query(
        "SELECT decision FROM checkins WHERE candidate_id = ?", (holder.candidate_id,)
    )
    if rows and rows[0][0] == "refused":
        raise GoToDoor(
            "你在入口的身份核验未获通过，不能在座位登录。请到入口找监考员处理。",
            "Your identity check at the door was refused, so you cannot sign in at the seat. "
            "Please see the invigilator at the door.",
        )
    # The seat's own rules, as for a typed sign-in: the lock-out, then admitted at the door
    # or moved here from another station (a moved attempt has no check-in on this station).
    candidate: Candidate = engine.identify(holder.ticket, holder.id_number)
    return CardSignIn(
        candidate, document.doc_type.value, document.reading_method.value, document.card_uid
    )


def record_sign_in(
    station: Station, attempt: Attempt, method: str, details: dict[str, Any] | None = None
) -> None:
    """The `seat.signed_in` event: which attempt, by card or by ticket, how the card was
    read."""
    with station.store.transaction() as conn:
        station.record(
            conn,
            "seat.signed_in",
            {
                "attempt_id": attempt.attempt_id,
                "candidate_id": attempt.candidate_id,
                "method": method,
                **(details or {}),
            },
        )
