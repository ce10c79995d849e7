"""Proctoring snapshots at the seat: the candidate's face, now and then, against check-in.

A `Proctor` serves one attempt. The seat takes a snapshot when the question screen opens and
then at random intervals (bounds from the package settings, drawn reproducibly from the
attempt), and hands each camera frame to `take()`. The live face is compared with the
candidate's check-in snapshot (encoded once; the roster photo's stored encoding when there
is no usable check-in snapshot). Every snapshot is a `snapshots` row (kind "proctor") with
its `proctor.snapshot` event; an absent candidate, a different face, several faces or a
camera that gives no picture add a `proctor.incident` event for the invigilator.

A proctor only ever *records*: it never changes the attempt's state, answers or time, and
it raises nothing a picture can cause, so a camera problem can never stop an exam. Only an
invigilator acts on an incident.

Threads: `assess()` does the face work and touches no store (the seat runs it on a device
thread); `record()` is one short store transaction (the database thread); `take()` is both.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from examkiosk.core.attempt import current_exam
from examkiosk.core.errors import NotFound
from examkiosk.core.face_check import FaceService
from examkiosk.core.station import Station

log = logging.getLogger(__name__)

INCIDENT_KINDS = ("absent", "different_person", "several_faces", "camera_unavailable")
SNAPSHOT_MAX_SIDE = 640  # px: enough for an invigilator to recognise a face, small in the store
JPEG_QUALITY = 80

# What the invigilator reads for each incident kind.
INCIDENT_TEXT: dict[str, tuple[str, str]] = {
    "absent": (
        "抓拍画面中没有考生，请到该座位查看。",
        "No one is in the snapshot. Go and check the seat.",
    ),
    "different_person": (
        "抓拍人脸与入场核验时不一致，请到该座位核对考生身份。",
        "The face in the snapshot does not match the check-in. Check the candidate's identity "
        "at the seat.",
    ),
    "several_faces": (
        "抓拍画面中有多张人脸，请到该座位查看。",
        "Several faces are in the snapshot. Go and check the seat.",
    ),
    "camera_unavailable": (
        "座位摄像头没有画面，请检查摄像头（考试不受影响）。",
        "The seat camera gives no picture. Check the camera (the exam goes on).",
    ),
}


@dataclass(frozen=True)
class ProctorSettings:
    """From the package's `settings`: `proctoring` (on by default), `proctor_min_seconds` and
    `proctor_max_seconds` (bounds of the random gap between snapshots), and
    `proctor_second_face_ratio` (a second face counts when it is at least this fraction of
    the largest face's width: people far behind the seat are not an incident)."""

    enabled: bool = True
    min_interval_s: float = 300.0
    max_interval_s: float = 900.0
    second_face_ratio: float = 0.5

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ProctorSettings:
        def number(key: str, default: float) -> float:
            try:
                return float(settings.get(key, default))
            except (TypeError, ValueError):
                return default

        low = max(5.0, number("proctor_min_seconds", cls.min_interval_s))
        high = max(low, number("proctor_max_seconds", max(low, cls.max_interval_s)))
        ratio = min(1.0, max(0.1, number("proctor_second_face_ratio", cls.second_face_ratio)))
        return cls(bool(settings.get("proctoring", True)), low, high, ratio)

    @classmethod
    def of_station(cls, station: Station) -> ProctorSettings:
        content = current_exam(station)
        settings = content.get("settings")
        return cls.from_settings(settings if isinstance(settings, Mapping) else {})


@dataclass(frozen=True)
class ProctorSchedule:
    """When snapshots are due: the first at once, then random gaps between the bounds.

    Drawn from the attempt (its id and seed), so the same attempt gets the same gaps on every
    run and every station, and candidates cannot predict each other's."""

    attempt_id: str
    seed: int
    min_ms: int
    max_ms: int

    def delay_ms(self, index: int) -> int:
        """Milliseconds to wait before snapshot `index` (0 is the one at start)."""
        if index <= 0:
            return 0
        rng = random.Random(f"{self.attempt_id}:{self.seed}:{index}")
        return rng.randint(self.min_ms, self.max_ms)


@dataclass(frozen=True)
class Observation:
    """What one frame showed, before it is recorded (no store involved)."""

    jpeg: bytes | None
    decision: str  # same_person | unsure | unclear | unchecked | INCIDENT_KINDS
    incident: str | None  # one of INCIDENT_KINDS, or None
    faces: int
    distance: float | None
    reference: str | None  # "checkin" | "roster" | None
    flags: tuple[str, ...] = ()
    problem: str = ""  # why there was no picture (camera error text)


@dataclass(frozen=True)
class ProctorResult:
    """A recorded snapshot. `incident` is set when the invigilator was alerted."""

    snapshot_id: int | None
    snapshot_seq: int
    incident_seq: int | None
    decision: str
    incident: str | None
    faces: int
    distance: float | None
    reference: str | None


def _jpeg(image: Any) -> bytes | None:
    import cv2

    height, width = image.shape[:2]
    scale = min(1.0, SNAPSHOT_MAX_SIDE / max(height, width, 1))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return bytes(data.tobytes()) if ok else None


class Proctor:
    """Snapshots of one attempt. Build with `for_attempt()` on the database thread."""

    def __init__(
        self,
        station: Station,
        face: FaceService,
        *,
        attempt_id: str,
        candidate_id: str,
        seed: int,
        checkin_jpeg: bytes | None,
        roster_encoding: bytes | None,
        settings: ProctorSettings | None = None,
    ) -> None:
        self.station = station
        self.face = face
        self.attempt_id = attempt_id
        self.candidate_id = candidate_id
        self.settings = settings or ProctorSettings.of_station(station)
        self.schedule = ProctorSchedule(
            attempt_id,
            seed,
            round(self.settings.min_interval_s * 1000),
            round(self.settings.max_interval_s * 1000),
        )
        self._checkin_jpeg = checkin_jpeg
        self._roster_encoding = roster_encoding
        self._reference: tuple[str, Any] | None = None
        self._reference_done = False
        self._lock = threading.Lock()

    @classmethod
    def for_attempt(cls, station: Station, face: FaceService, attempt_id: str) -> Proctor:
        """Read what the proctor needs from the store (NotFound for an unknown attempt)."""
        rows = station.store.query(
            "SELECT candidate_id, seed FROM attempts WHERE attempt_id = ?", (attempt_id,)
        )
        if not rows:
            raise NotFound("找不到该作答记录。", "This attempt does not exist.")
        candidate_id, seed = str(rows[0][0]), int(rows[0][1])
        snapshot = station.store.query(
            "SELECT data FROM snapshots WHERE kind = 'checkin' AND candidate_id = ? "
            "ORDER BY snapshot_id DESC LIMIT 1",
            (candidate_id,),
        )
        encoding = station.store.query(
            "SELECT face_encoding FROM candidates WHERE candidate_id = ?", (candidate_id,)
        )
        return cls(
            station,
            face,
            attempt_id=attempt_id,
            candidate_id=candidate_id,
            seed=seed,
            checkin_jpeg=bytes(snapshot[0][0]) if snapshot else None,
            roster_encoding=bytes(encoding[0][0]) if encoding and encoding[0][0] else None,
        )

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def taken(self) -> int:
        """How many snapshots this attempt already has (a resumed seat continues the count)."""
        rows = self.station.store.query(
            "SELECT count(*) FROM events WHERE type = 'proctor.snapshot' "
            "AND json_extract(payload_json, '$.attempt_id') = ?",
            (self.attempt_id,),
        )
        return int(rows[0][0])

    # -- the face work (no store) --

    def reference(self) -> tuple[str, Any] | None:
        """("checkin" | "roster", FaceEncoding) to compare with, encoded once; None if neither
        the check-in snapshot nor the roster photo has a usable face."""
        with self._lock:
            if self._reference_done:
                return self._reference
            engine = self.face.engine
            if engine is not None:
                from hardware.face import FaceEncoding

                if self._checkin_jpeg:
                    try:
                        self._reference = ("checkin", engine.encode_reference(self._checkin_jpeg))
                    except Exception as exc:  # a poor door snapshot: fall back to the roster
                        log.info("check-in snapshot not usable: %s", type(exc).__name__)
                if self._reference is None and self._roster_encoding:
                    try:
                        encoding = FaceEncoding.from_bytes(self._roster_encoding)
                        self._reference = ("roster", encoding)
                    except Exception as exc:
                        log.warning("roster encoding not usable: %s", type(exc).__name__)
            self._reference_done = True
            return self._reference

    def assess(self, frame: Any | None, problem: str = "") -> Observation:
        """Look at one camera frame (a `Frame`, a BGR array, or None when the camera gave no
        picture, with `problem` saying why). Never raises on picture content."""
        image = getattr(frame, "image", frame)
        if image is None or getattr(image, "size", 0) == 0:
            return Observation(
                None,
                "camera_unavailable",
                "camera_unavailable",
                0,
                None,
                None,
                problem=problem or "no picture",
            )
        try:
            jpeg = _jpeg(image)
        except Exception as exc:  # an odd frame from a driver: say so, never crash
            return Observation(
                None,
                "camera_unavailable",
                "camera_unavailable",
                0,
                None,
                None,
                problem=f"{type(exc).__name__}",
            )
        engine = self.face.engine
        if engine is None:
            return Observation(jpeg, "unchecked", None, 0, None, None)
        try:
            analysis = engine.analyze(image)
        except Exception as exc:  # FaceError "unreadable": the camera sent junk
            return Observation(
                jpeg,
                "camera_unavailable",
                "camera_unavailable",
                0,
                None,
                None,
                problem=str(getattr(exc, "en", type(exc).__name__)),
            )
        if analysis.encoding is None or not analysis.faces:
            return Observation(jpeg, "absent", "absent", 0, None, None, analysis.flags)
        largest = analysis.faces[0].width
        faces = 1 + sum(
            1 for b in analysis.faces[1:] if b.width >= self.settings.second_face_ratio * largest
        )
        reference = self.reference()
        distance: float | None = None
        kind: str | None = None
        verdict = "unchecked"
        if reference is not None:
            kind, encoding = reference
            result = engine.compare(analysis.encoding, encoding, kind)
            distance = None if result.distance is None else round(float(result.distance), 4)
            verdict = {
                "match": "same_person",
                "no_match": "different_person",
                "unsure": "unsure",
            }.get(str(getattr(result.decision, "value", result.decision)), "unclear")
        if faces > 1:
            return Observation(
                jpeg, "several_faces", "several_faces", faces, distance, kind, analysis.flags
            )
        incident = "different_person" if verdict == "different_person" else None
        return Observation(jpeg, verdict, incident, faces, distance, kind, analysis.flags)

    # -- recording (one transaction) --

    def record(self, observation: Observation) -> ProctorResult:
        """Store the snapshot and its event, and the incident if there is one, together."""
        wall = self.station.clock.wall().isoformat()
        with self.station.store.transaction() as conn:
            candidate = conn.execute(
                "SELECT ticket, seat FROM candidates WHERE candidate_id = ?",
                (self.candidate_id,),
            ).fetchone()
            ticket, seat = (str(candidate[0]), str(candidate[1])) if candidate else ("", "")
            snapshot_id: int | None = None
            if observation.jpeg:
                cursor = conn.execute(
                    "INSERT INTO snapshots (kind, candidate_id, taken_at, media_type, data) "
                    "VALUES ('proctor', ?, ?, 'image/jpeg', ?)",
                    (self.candidate_id, wall, observation.jpeg),
                )
                snapshot_id = int(cursor.lastrowid)
            common = {
                "attempt_id": self.attempt_id,
                "candidate_id": self.candidate_id,
                "snapshot_id": snapshot_id,
                "faces": observation.faces,
                "distance": observation.distance,
                "reference": observation.reference,
            }
            snapshot = self.station.record(
                conn,
                "proctor.snapshot",
                {
                    **common,
                    "decision": observation.decision,
                    "flags": list(observation.flags),
                    "sha256": hashlib.sha256(observation.jpeg).hexdigest()
                    if observation.jpeg
                    else None,
                    "bytes": len(observation.jpeg) if observation.jpeg else 0,
                    "problem": observation.problem,
                },
            )
            if snapshot_id is not None:
                conn.execute(
                    "UPDATE snapshots SET event_seq = ? WHERE snapshot_id = ?",
                    (snapshot.seq, snapshot_id),
                )
            incident_seq = None
            if observation.incident is not None:
                zh, en = INCIDENT_TEXT[observation.incident]
                incident = self.station.record(
                    conn,
                    "proctor.incident",
                    {
                        **common,
                        "kind": observation.incident,
                        "ticket": ticket,
                        "seat": seat,
                        "snapshot_seq": snapshot.seq,
                        "message_zh": zh,
                        "message_en": en,
                    },
                )
                incident_seq = incident.seq
        return ProctorResult(
            snapshot_id,
            snapshot.seq,
            incident_seq,
            observation.decision,
            observation.incident,
            observation.faces,
            observation.distance,
            observation.reference,
        )

    def take(self, frame: Any | None, problem: str = "") -> ProctorResult:
        """`assess` then `record`: one snapshot, compared and stored."""
        return self.record(self.assess(frame, problem))
