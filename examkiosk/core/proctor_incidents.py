"""The invigilator's view of proctoring: the incidents a seat recorded, and their snapshots.

Read from the outbox (`proctor.incident` events), which is where the facts live; nothing here
writes. `examkiosk exam incidents` prints this list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from examkiosk.core.proctoring import INCIDENT_TEXT
from examkiosk.core.station import Station


@dataclass(frozen=True)
class Incident:
    """A `proctor.incident` as the invigilator's list shows it."""

    seq: int
    at: str
    attempt_id: str
    candidate_id: str
    ticket: str
    name: str
    seat: str
    kind: str
    distance: float | None
    faces: int
    snapshot_id: int | None
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "attempt_id": self.attempt_id,
            "candidate_id": self.candidate_id,
            "ticket": self.ticket,
            "name": self.name,
            "seat": self.seat,
            "kind": self.kind,
            "distance": self.distance,
            "faces": self.faces,
            "snapshot_id": self.snapshot_id,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


def incidents(station: Station, *, attempt_id: str | None = None) -> list[Incident]:
    """Every proctoring incident recorded on this station, oldest first (one attempt's with
    `attempt_id`). Read from the outbox, which is where the facts live."""
    rows = station.store.query(
        "SELECT seq, wall_time, payload_json FROM events WHERE type = 'proctor.incident' "
        "ORDER BY seq"
    )
    names = {
        str(r[0]): str(r[1])
        for r in station.store.query("SELECT candidate_id, name FROM candidates")
    }
    found: list[Incident] = []
    for seq, at, payload_json in rows:
        payload = json.loads(payload_json)
        if attempt_id is not None and payload.get("attempt_id") != attempt_id:
            continue
        kind = str(payload.get("kind", ""))
        zh, en = INCIDENT_TEXT.get(kind, (kind, kind))
        distance = payload.get("distance")
        snapshot_id = payload.get("snapshot_id")
        candidate_id = str(payload.get("candidate_id", ""))
        found.append(
            Incident(
                seq=int(seq),
                at=str(at),
                attempt_id=str(payload.get("attempt_id", "")),
                candidate_id=candidate_id,
                ticket=str(payload.get("ticket", "")),
                name=names.get(candidate_id, ""),
                seat=str(payload.get("seat", "")),
                kind=kind,
                distance=None if distance is None else float(distance),
                faces=int(payload.get("faces") or 0),
                snapshot_id=None if snapshot_id is None else int(snapshot_id),
                message_zh=str(payload.get("message_zh", zh)),
                message_en=str(payload.get("message_en", en)),
            )
        )
    return found


def snapshot_jpeg(station: Station, snapshot_id: int) -> bytes | None:
    """The JPEG of a stored snapshot (for the invigilator to look at), or None."""
    rows = station.store.query("SELECT data FROM snapshots WHERE snapshot_id = ?", (snapshot_id,))
    return bytes(rows[0][0]) if rows else None
