"""The invigilator's view of proctoring: the incidents a seat recorded, their snapshots, and
their acknowledgement.

Read from the outbox (`proctor.incident` events), which is where the facts live. The one
write is `acknowledge`: an invigilator's note on an incident, recorded as the audit event
`audit.incident_acknowledged` (naming them and the incident's seq), so the acknowledgement
travels to the centre with the incident and no table besides the outbox holds it.
`examkiosk exam incidents` prints this list; the admin screen's 监考工具 shows it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from examkiosk.core.authz import Person, audit, require
from examkiosk.core.errors import NotFound, Refused
from examkiosk.core.proctoring import INCIDENT_TEXT
from examkiosk.core.station import Station

MAX_NOTE_CHARS = 500
ACKNOWLEDGED = "audit.incident_acknowledged"


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
    acknowledged_at: str = ""
    acknowledged_by: str = ""
    acknowledged_by_name: str = ""
    note: str = ""

    @property
    def acknowledged(self) -> bool:
        return bool(self.acknowledged_at)

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
            "acknowledged_at": self.acknowledged_at,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_by_name": self.acknowledged_by_name,
            "note": self.note,
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
    acknowledged = _acknowledgements(station)
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
                **acknowledged.get(int(seq), {}),
            )
        )
    return found


def _acknowledgements(station: Station) -> dict[int, dict[str, str]]:
    """{incident seq: the Incident fields of its acknowledgement}."""
    found: dict[int, dict[str, str]] = {}
    for at, payload_json in station.store.query(
        "SELECT wall_time, payload_json FROM events WHERE type = ? ORDER BY seq", (ACKNOWLEDGED,)
    ):
        payload = json.loads(payload_json)
        found.setdefault(
            int(payload.get("incident_seq", 0)),
            {
                "acknowledged_at": str(at),
                "acknowledged_by": str(payload.get("by", "")),
                "acknowledged_by_name": str(payload.get("by_name", "")),
                "note": str(payload.get("note", "")),
            },
        )
    return found


def unacknowledged(station: Station) -> int:
    """How many incidents no invigilator has acknowledged yet."""
    rows = station.store.query(
        "SELECT count(*) FROM events i WHERE i.type = 'proctor.incident' AND NOT EXISTS ("
        "SELECT 1 FROM events a WHERE a.type = ? "
        "AND json_extract(a.payload_json, '$.incident_seq') = i.seq)",
        (ACKNOWLEDGED,),
    )
    return int(rows[0][0])


def acknowledge(station: Station, by: Person | None, seq: int, note: str) -> Incident:
    """Record that `by` (a signed-in invigilator: `incident.acknowledge`) has dealt with the
    incident `seq`, with `note` saying how; returns the incident as now listed.

    Refused, changing nothing: no note or one over MAX_NOTE_CHARS, an incident already
    acknowledged (the first word stands). NotFound: no such incident. The check and the
    audit event are one transaction, so two invigilators cannot both acknowledge it."""
    require(by, "incident.acknowledge")
    text = " ".join(note.split())
    if not text:
        raise Refused(
            "请写下处理情况（例如“已到座位核实，是考生本人”）。",
            "Write what was done (e.g. “checked at the seat: it is the candidate”).",
        )
    if len(text) > MAX_NOTE_CHARS:
        raise Refused(
            f"处理说明太长（最多 {MAX_NOTE_CHARS} 字），请精简后再保存。",
            f"The note is too long (at most {MAX_NOTE_CHARS} characters); shorten it.",
        )
    with station.store.transaction() as conn:
        row = conn.execute(
            "SELECT payload_json FROM events WHERE seq = ? AND type = 'proctor.incident'",
            (int(seq),),
        ).fetchone()
        if row is None:
            raise NotFound(
                "找不到该监考事件，请刷新列表。",
                "This incident does not exist; refresh the list.",
                detail=str(seq),
            )
        done = conn.execute(
            "SELECT payload_json FROM events WHERE type = ? "
            "AND json_extract(payload_json, '$.incident_seq') = ?",
            (ACKNOWLEDGED, int(seq)),
        ).fetchone()
        if done is not None:
            earlier = json.loads(done[0])
            who = f"{earlier.get('by_name', '')}（{earlier.get('by', '')}）"
            raise Refused(
                f"该事件已由 {who} 处理，未做改动。",
                f"This incident was already acknowledged by {earlier.get('by_name', '')} "
                f"({earlier.get('by', '')}); nothing was changed.",
            )
        payload = json.loads(row[0])
        audit(
            station,
            conn,
            by,
            "incident_acknowledged",
            {
                "incident_seq": int(seq),
                "attempt_id": str(payload.get("attempt_id", "")),
                "candidate_id": str(payload.get("candidate_id", "")),
                "kind": str(payload.get("kind", "")),
                "note": text,
            },
        )
    return next(i for i in incidents(station) if i.seq == int(seq))


def snapshot_jpeg(station: Station, snapshot_id: int) -> bytes | None:
    """The JPEG of a stored snapshot (for the invigilator to look at), or None."""
    rows = station.store.query("SELECT data FROM snapshots WHERE snapshot_id = ?", (snapshot_id,))
    return bytes(rows[0][0]) if rows else None
