"""A centre fed like exam day: stations at two venues with check-ins (faces, snapshots),
incidents and submissions, sent as signed HTTP batches or applied directly."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from sync.central import package_shelf
from sync.central.home import CentralHome
from sync.crypto import KeyPair
from sync.events import GENESIS_HASH, Event, canonical_json, compute_hash
from tests.sync.central.helpers import signed

SITTING = "S-2026-01"
PASSWORD = "Kf7#mQ2v!Tz9"  # meets the rules: long, 4 classes, not guessable


def jpeg(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (shade, 255 - shade, 128)).save(out, "JPEG")
    return out.getvalue()


def face(rng: np.random.Generator) -> list[float]:
    """A random face encoding; two of them are about 0.9 apart, like different people."""
    v = rng.normal(size=128)
    return [float(x) for x in v / np.linalg.norm(v) * 0.65]


def near(encoding: list[float], rng: np.random.Generator) -> list[float]:
    """The same person seen again: about 0.2 away."""
    return [float(x) for x in np.asarray(encoding) + rng.normal(scale=0.018, size=128)]


@dataclass
class FakeStation:
    """A station's hash chain, built event by event like the real outbox."""

    station_id: str
    venue_id: str
    keys: KeyPair
    events: list[Event] = field(default_factory=list)
    snapshots: list[tuple[str, bytes, int]] = field(default_factory=list)

    def record(self, type: str, payload: dict[str, Any]) -> Event:
        fields: dict[str, Any] = {
            "station_id": self.station_id,
            "seq": len(self.events) + 1,
            "uuid": str(uuid.uuid4()),
            "type": type,
            "wall_time": f"2026-06-01T08:{len(self.events) % 60:02d}:00+08:00",
            "mono_time": float(len(self.events)),
            "payload": payload,
            "prev_hash": self.events[-1].hash if self.events else GENESIS_HASH,
        }
        fields["hash"] = compute_hash(fields)
        event = Event.from_dict(fields)
        self.events.append(event)
        return event

    def checkin(
        self,
        candidate_id: str,
        encoding: list[float] | None,
        *,
        admit: bool = True,
        suspects: tuple[str, ...] = (),
        method: str = "card",
        recommendation: str = "admit",
        shade: int = 100,
    ) -> None:
        snap = self.record(
            "snapshot.taken",
            {"snapshot_id": len(self.snapshots) + 1, "kind": "checkin",
             "candidate_id": candidate_id},
        )  # fmt: skip
        self.snapshots.append((f"checkin-{len(self.snapshots) + 1}.jpg", jpeg(shade), snap.seq))
        self.record(
            "checkin.admitted" if admit else "checkin.refused",
            {
                "candidate_id": candidate_id,
                "ticket": "T" + candidate_id,
                "sitting_id": SITTING,
                "method": method,
                "recommendation": recommendation,
                "suspects": list(suspects),
                "reason": "" if recommendation == "admit" else "compared by eye",
                "invigilator": "INV-1",
                "snapshot_seq": snap.seq,
                "face_encoding": encoding,
            },
        )

    def submit(self, candidate_id: str, answers_sha256: str) -> None:
        self.record(
            "attempt.submitted",
            {"attempt_id": "A" + candidate_id, "candidate_id": candidate_id,
             "answers_sha256": answers_sha256, "answered": 10, "total": 12,
             "sitting_id": SITTING, "reason": "candidate"},
        )  # fmt: skip

    def body(self, events: list[Event]) -> bytes:
        items = [e.to_dict() for e in events]
        return json.dumps(
            {"events": items, "signature": self.keys.signature(canonical_json(items)).hex()}
        ).encode()

    def push(self, url: str, after: int = 0) -> dict[str, Any]:
        answer = signed(  # as a station sends it: signed before the centre reads the body
            "POST",
            f"{url}/v1/stations/{self.station_id}/events",
            self.station_id,
            self.keys,
            self.body(self.events[after:]),
            timeout=20,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def store_snapshots(self, home: CentralHome) -> None:
        for name, data, seq in self.snapshots:
            home.store.put_snapshot(
                self.station_id, name, "image/jpeg", data, hashlib.sha256(data).hexdigest(),
                seq, "http",
            )  # fmt: skip


def register(home: CentralHome, station_id: str, venue_id: str) -> FakeStation:
    keys = KeyPair.generate()
    home.register_station(station_id, venue_id, keys.public())
    return FakeStation(station_id, venue_id, keys)


@dataclass
class ExamDay:
    stations: list[FakeStation]
    hired_gun: tuple[str, str]  # two candidates one person checked in for
    lookalike: str
    receipt: tuple[str, str]  # ticket, receipt code of a submission that arrived


def exam_day(home: CentralHome, url: str | None = None) -> ExamDay:
    """Two venues, three stations; one hired gun across the venues, one look-alike flagged
    at the door, one manual entry, one override, an incident and two submissions."""
    rng = np.random.default_rng(13)
    a1 = register(home, "ST-A1", "V-A")
    a2 = register(home, "ST-A2", "V-A")
    b1 = register(home, "ST-B1", "V-B")
    roster = [{"candidate_id": f"C{i:03d}", "ticket": f"TC{i:03d}", "name": f"考生{i}"}
              for i in range(1, 9)]  # fmt: skip
    for venue in ("V-A", "V-B"):
        package_shelf.put_roster(
            home.store,
            {"venue_id": venue, "sitting_id": SITTING},
            [c for c in roster if (c["candidate_id"] < "C005") == (venue == "V-A")],
        )
    gun = face(rng)
    a1.checkin("C001", gun, shade=10)
    a1.checkin("C002", face(rng), suspects=("C003",), recommendation="refuse", admit=False)
    a2.checkin("C003", face(rng), method="manual", recommendation="review")
    a2.checkin("C004", face(rng), recommendation="review", shade=200)  # admitted: override
    b1.checkin("C005", near(gun, rng), shade=20)  # the same person as C001, other venue
    b1.checkin("C006", None)  # no usable face: nothing to compare
    a1.record(
        "proctor.incident",
        {"candidate_id": "C001", "sitting_id": SITTING, "kind": "second_face", "seat": "12",
         "ticket": "TC001", "snapshot_seq": 1, "message_zh": "画面中有第二张人脸",
         "message_en": "A second face in view"},
    )  # fmt: skip
    b1.record("inspection.done", {"result": "pass", "by": "TECH-1"})
    digest = hashlib.sha256(b"answers of C001").hexdigest()
    a1.submit("C001", digest)
    b1.submit("C005", hashlib.sha256(b"answers of C005").hexdigest())
    for st in (a1, a2, b1):
        if url:
            st.push(url)
        else:
            home.ingest(st.station_id, st.events, "http")
        st.store_snapshots(home)
    return ExamDay([a1, a2, b1], ("C001", "C005"), "C002", ("TC001", digest[:12].upper()))
