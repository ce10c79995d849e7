"""Check-in at the door: who claims to be here, does the face agree, admit or refuse.

The station recommends; the invigilator decides. Admitting against the recommendation
needs a written reason, and every decision (with its snapshot) is one transaction: the
check-in row, the snapshot and their outbox events commit together or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from examkiosk.core import roster
from examkiosk.core.attempt import current_exam
from examkiosk.core.authz import Person, audit, require
from examkiosk.core.errors import Refused
from examkiosk.core.face_check import FaceResult, FaceService
from examkiosk.core.roster import Candidate
from examkiosk.core.sitting import LateEntry, SittingClock, SittingSettingsError
from examkiosk.core.station import Station
from hardware.cards.document import CheckResult, IdentityDocument, PassiveAuth, ReadingMethod


@dataclass(frozen=True)
class Assessment:
    candidate: Candidate
    document: IdentityDocument
    face: FaceResult
    recommendation: str  # "admit" | "review" | "refuse"
    snapshot_jpeg: bytes | None

    @property
    def manual(self) -> bool:
        return self.document.reading_method == ReadingMethod.MANUAL


@dataclass(frozen=True)
class Lookup:
    """What the store says about a presented document, before any face work."""

    candidate: Candidate
    roster_encoding: bytes | None


def _recommend(face: FaceResult, document: IdentityDocument) -> str:
    """Refuse on any sign of impersonation or forgery; review whatever is not a clean pass.

    A document check is clean when passive authentication passed against the CSCA list (or
    does not apply to this kind of document) and no chip check was left undone; a chip
    that does not offer active or chip authentication is not held against the candidate.
    """
    decisions = {c.decision for c in face.checks}
    liveness = face.liveness.decision if face.liveness else None
    if (
        face.suspects
        or "no_match" in decisions
        or liveness == "not_live"
        or document.passive_auth == PassiveAuth.FAILED
        or any(c.result == CheckResult.FAILED for c in document.checks)
    ):
        return "refuse"
    if (
        document.reading_method == ReadingMethod.MANUAL
        or decisions != {"match"}
        or liveness in ("unsure", "unavailable")
        or document.passive_auth not in (PassiveAuth.PASSED, PassiveAuth.NOT_APPLICABLE)
        or any(c.result == CheckResult.NOT_CHECKED for c in document.checks)
    ):
        return "review"
    return "admit"


class CheckInDesk:
    def __init__(
        self, station: Station, face: FaceService, camera: Mapping[str, Any] | None = None
    ) -> None:
        """`camera`: the door camera's identity (hardware.camera.enumerate.device_identity),
        recorded with every decision; None: no camera, recorded as such."""
        self.station = station
        self.face = face
        self.camera: dict[str, Any] = dict(camera) if camera else {"device": "none"}
        face.load_gallery(roster.face_encodings(station.store))

    def identify(self, document: IdentityDocument) -> Candidate:
        """The roster entry the document names; NotFound / Refused with an actionable text."""
        candidate = roster.by_id_number(self.station.store, document.number)
        rows = self.station.store.query(
            "SELECT decision FROM checkins WHERE candidate_id = ?", (candidate.candidate_id,)
        )
        if rows and rows[0][0] == "admitted":
            raise Refused(
                f"{candidate.name} 已在本场签到入场，请勿重复核验。如有疑问请联系主考。",
                f"{candidate.name} is already checked in for this sitting. If in doubt, call "
                "the chief invigilator.",
            )
        return candidate

    def assess(
        self,
        document: IdentityDocument,
        frame: Any | None,
        snapshot_jpeg: bytes | None,
        sequence: Sequence[Any] = (),
    ) -> Assessment:
        """What the station recommends for this document and live picture.

        `sequence` (camera frames over about 2 s) adds the blink liveness check.
        """
        return self.judge(self.lookup(document), document, frame, snapshot_jpeg, sequence)

    def lookup(self, document: IdentityDocument) -> Lookup:
        """The store half of `assess` (database thread): who the document names, and the
        roster's face encoding. NotFound / Refused as `identify`."""
        candidate = self.identify(document)
        encoding = self.station.store.query(
            "SELECT face_encoding FROM candidates WHERE candidate_id = ?",
            (candidate.candidate_id,),
        )[0][0]
        return Lookup(candidate, bytes(encoding) if encoding else None)

    def judge(
        self,
        lookup: Lookup,
        document: IdentityDocument,
        frame: Any | None,
        snapshot_jpeg: bytes | None,
        sequence: Sequence[Any] = (),
    ) -> Assessment:
        """The face half of `assess`: touches no store, so the door runs it on another
        thread than the database's (a second or so of face work must not hold up the
        roster and the decisions being recorded)."""
        face = self.face.check(
            frame,
            candidate_id=lookup.candidate.candidate_id,
            roster_encoding=lookup.roster_encoding,
            chip_photo=document.photo,
            sequence=sequence,
        )
        return Assessment(
            lookup.candidate, document, face, _recommend(face, document), snapshot_jpeg
        )

    def judge_live(
        self,
        lookup: Lookup,
        document: IdentityDocument,
        state: Any,
        chip: Any,
        snapshot_jpeg: bytes | None,
    ) -> Assessment:
        """`judge` on the camera's running analysis (`LiveFace.take()`) and the chip photo
        encoded at the tap (`FaceService.chip_reference`): comparisons and the 1:N search
        only, milliseconds. Touches no store."""
        face = self.face.check_live(
            state,
            candidate_id=lookup.candidate.candidate_id,
            roster_encoding=lookup.roster_encoding,
            chip=chip,
        )
        return Assessment(
            lookup.candidate, document, face, _recommend(face, document), snapshot_jpeg
        )

    def decide(
        self,
        assessment: Assessment,
        *,
        admit: bool,
        invigilator: str,
        reason: str = "",
        person: Person | None = None,
        override: Person | None = None,
    ) -> int:
        """Record the invigilator's decision; returns the check-in event's seq.

        `person`: the signed-in member of staff who decided (their staff number is the
        event's `by`); the event also says how identity was established and whether the
        decision went against the recommendation, for the centre's report.
        Past the package's late-entry cut-off, admitting raises LateEntry unless `override`
        names a person allowed `checkin.override` (audited with the decision)."""
        reason = reason.strip()
        closes = self.late_entry_closed() if admit else None
        if closes is not None:
            if override is None:
                raise LateEntry(closes)
            require(override, "checkin.override")
            if not reason:
                raise Refused(
                    "迟到入场须填写原因。", "Write the reason for admitting after the cut-off."
                )
        if admit and assessment.recommendation != "admit" and not reason:
            raise Refused(
                "系统不建议直接放行：请填写放行原因（例如已人工核对照片）。",
                "The station does not recommend admitting: write the reason (for example, "
                "photo compared by eye).",
            )
        if not admit and not reason:
            raise Refused("请填写拒绝入场的原因。", "Write the reason for refusing entry.")
        if not invigilator.strip():
            raise Refused("请填写监考员姓名或工号。", "Enter the invigilator's name or number.")
        candidate, document = assessment.candidate, assessment.document
        decision = "admitted" if admit else "refused"
        roster_check = next((c for c in assessment.face.checks if c.reference == "roster"), None)
        with self.station.store.transaction() as conn:
            if closes is not None:
                audit(
                    self.station,
                    conn,
                    override,
                    "checkin.override",
                    {
                        "candidate_id": candidate.candidate_id,
                        "late_entry_closed": closes.isoformat(),
                        "reason": reason,
                    },
                )
            snapshot_seq = None
            if assessment.snapshot_jpeg:
                snapshot_seq = self._store_snapshot(conn, candidate, assessment.snapshot_jpeg)
            conn.execute(
                "INSERT INTO checkins (candidate_id, decision, at, method, doc_type, "
                "reading_method, passive_auth, face_decision, face_distance, reason, "
                "invigilator, card_uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(candidate_id) DO UPDATE SET decision=excluded.decision, "
                "at=excluded.at, method=excluded.method, doc_type=excluded.doc_type, "
                "reading_method=excluded.reading_method, passive_auth=excluded.passive_auth, "
                "face_decision=excluded.face_decision, face_distance=excluded.face_distance, "
                "reason=excluded.reason, invigilator=excluded.invigilator, "
                "card_uid=excluded.card_uid",
                (
                    candidate.candidate_id,
                    decision,
                    self.station.clock.wall().isoformat(),
                    "manual" if assessment.manual else "card",
                    document.doc_type.value,
                    document.reading_method.value,
                    document.passive_auth.value,
                    roster_check.decision if roster_check else "unavailable",
                    roster_check.distance if roster_check else None,
                    reason,
                    invigilator.strip(),
                    document.card_uid,
                ),
            )
            event = self.station.record(
                conn,
                f"checkin.{decision}",
                {
                    "candidate_id": candidate.candidate_id,
                    "ticket": candidate.ticket,
                    "sitting_id": candidate.sitting_id,
                    "method": "manual" if assessment.manual else "card",
                    "doc_type": document.doc_type.value,
                    "reading_method": document.reading_method.value,
                    "passive_auth": document.passive_auth.value,
                    "recommendation": assessment.recommendation,
                    "face": [
                        {"reference": c.reference, "decision": c.decision, "distance": c.distance}
                        for c in assessment.face.checks
                    ],
                    "suspects": [cid for cid, _ in assessment.face.suspects],
                    "liveness": assessment.face.liveness.decision
                    if assessment.face.liveness
                    else "not_checked",
                    "invigilator": invigilator.strip(),
                    "reason": reason,
                    "snapshot_seq": snapshot_seq,
                    **_how_established(assessment, admit, self.camera, person),
                    "face_encoding": [round(v, 6) for v in assessment.face.probe]
                    if assessment.face.probe
                    else None,
                },
            )
        return event.seq

    def late_entry_closed(self) -> datetime | None:
        """When the door stopped admitting (the package's start + late_entry_minutes), if
        that moment has passed; None otherwise. Wrong sitting settings set no cut-off here:
        the seat refuses them with a message naming the setting."""
        settings = current_exam(self.station).get("settings") or {}
        try:
            sitting = SittingClock.from_settings(settings if isinstance(settings, dict) else {})
        except SittingSettingsError:
            return None
        return sitting.late_entry_closes() if sitting.late(self.station.clock.wall()) else None

    def _store_snapshot(self, conn: Any, candidate: Candidate, jpeg: bytes) -> int:
        cursor = conn.execute(
            "INSERT INTO snapshots (kind, candidate_id, taken_at, media_type, data) "
            "VALUES ('checkin', ?, ?, 'image/jpeg', ?)",
            (candidate.candidate_id, self.station.clock.wall().isoformat(), jpeg),
        )
        snapshot_id = int(cursor.lastrowid)
        event = self.station.record(
            conn,
            "snapshot.taken",
            {
                "snapshot_id": snapshot_id,
                "kind": "checkin",
                "candidate_id": candidate.candidate_id,
                "sha256": hashlib.sha256(jpeg).hexdigest(),
                "bytes": len(jpeg),
            },
        )
        conn.execute(
            "UPDATE snapshots SET event_seq = ? WHERE snapshot_id = ?", (event.seq, snapshot_id)
        )
        return event.seq


def _how_established(
    assessment: Assessment, admit: bool, camera: Mapping[str, Any], person: Person | None
) -> dict[str, Any]:
    """The event fields that say how identity was established and who decided: the
    camera's device identity, whether anything in the chain was simulated, the face
    verdict against the roster photo, and whether the decision went against the station."""
    document = assessment.document
    roster_check = next((c for c in assessment.face.checks if c.reference == "roster"), None)
    against = (admit and assessment.recommendation != "admit") or (
        not admit and assessment.recommendation == "admit"
    )
    return {
        "camera": dict(camera),
        "simulated": document.reading_method == ReadingMethod.SIMULATED
        or bool(camera.get("simulated")),
        "face_verdict": roster_check.decision if roster_check else "unavailable",
        "against_recommendation": against,
        "by": person.staff_number if person else "",
        "by_role": person.role if person else "",
    }
