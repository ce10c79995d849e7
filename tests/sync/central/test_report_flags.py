"""The centre's report flags, per sitting, how candidates got in and where attempts went:
manual check-ins, check-ins on simulated or unknown devices, decisions against the
recommendation, submissions without a door check-in, attempts moved between stations and
transfers signed by a key the centre does not know.

Real stations of a demo venue record the events (simulated and manual check-ins, a transfer
between two stations); an old station that accepted a forged file is played by a chain
written by hand. Everything reaches the real central service over HTTP on 127.0.0.1 and the
report is read through `examkiosk-central report`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from examkiosk.app.demo_venue import SITTING_ID, VENUE_ID, build_demo_venue, demo_accounts
from examkiosk.core.accounts import Accounts
from examkiosk.core.checkin import CheckInDesk
from examkiosk.core.exam import ExamEngine
from examkiosk.core.face_check import FaceService
from examkiosk.core.provision import open_station
from examkiosk.core.station import Station
from examkiosk.core.transfer import export_attempt, import_attempt
from examkiosk.store.layout import DataDir
from hardware.cards.document import DocumentType, IdentityDocument, PassiveAuth, ReadingMethod
from sync.central.server import BackgroundServer
from sync.crypto import KeyPair
from sync.events import GENESIS_HASH, Event, canonical_json, compute_hash

from .helpers import signed

REPO = Path(__file__).resolve().parents[3]
CAMERA = {"device": "/dev/video0", "name": "USB Camera", "usb_id": "046d:0825", "simulated": False}


def opened(data_dir: Path) -> Station:
    return open_station(data_dir, DataDir(data_dir).demo_passphrase.read_text().strip())


def push(url: str, station_id: str, keys: KeyPair, events: list[Event]) -> None:
    items = [e.to_dict() for e in events]
    body = {"events": items, "signature": keys.signature(canonical_json(items)).hex()}
    # A station request is signed (issue 10): the helper sends it as a station does.
    answer = signed("POST", f"{url}/v1/stations/{station_id}/events", station_id, keys,
                    json.dumps(body).encode())  # fmt: skip
    assert answer.status_code == 200, answer.text


def chain(station_id: str, specs: list[tuple[str, dict[str, Any]]]) -> list[Event]:
    prev, out = GENESIS_HASH, []
    for seq, (kind, payload) in enumerate(specs, 1):
        fields: dict[str, Any] = {
            "station_id": station_id,
            "seq": seq,
            "uuid": f"{station_id}-{seq}",
            "type": kind,
            "wall_time": "2026-11-22T09:00:00+08:00",
            "mono_time": float(seq),
            "payload": payload,
            "prev_hash": prev,
        }
        fields["hash"] = prev = compute_hash(fields)
        out.append(Event.from_dict(fields))
    return out


def document(station: Station, ticket: str, method: ReadingMethod) -> IdentityDocument:
    number, name = station.store.query(
        "SELECT id_number, name FROM candidates WHERE ticket = ?", (ticket,)
    )[0]
    return IdentityDocument(
        doc_type=DocumentType.CN_RESIDENT_ID,
        number=number,
        name=name,
        reading_method=method,
        passive_auth=PassiveAuth.NOT_CHECKED,
    )


def test_the_report_flags_how_candidates_got_in_and_where_attempts_went(tmp_path: Path) -> None:
    door_dir, spare_dir = tmp_path / "door", tmp_path / "spare"
    venue = build_demo_venue(
        door_dir, faces_dir=None, candidates=4, items=4, spare_dirs=(spare_dir,)
    )
    door, central = venue.station, venue.central
    spare = opened(spare_dir)
    try:
        password = demo_accounts(door_dir)["demo-inv1"]
        inv = Accounts(door).sign_in("demo-inv1", password)
        # 0001: typed in by hand, admitted against the "review" recommendation.
        desk = CheckInDesk(door, FaceService(None), CAMERA)
        manual = desk.assess(document(door, "202611220001", ReadingMethod.MANUAL), None, None)
        desk.decide(manual, admit=True, invigilator="demo-inv1", reason="核对", person=inv)
        # 0002: read from the card on a named camera, refused as the station suggested review.
        card = desk.assess(document(door, "202611220002", ReadingMethod.PCSC_APDU), None, None)
        desk.decide(card, admit=False, invigilator="demo-inv1", reason="人证不符", person=inv)
        # 0003: the simulated door of a rehearsal (video file), then moved to the spare.
        video = CheckInDesk(door, FaceService(None), {"device": "file:c3.avi", "simulated": True})
        sim = video.assess(document(door, "202611220003", ReadingMethod.SIMULATED), None, None)
        video.decide(sim, admit=True, invigilator="demo-inv1", reason="演练", person=inv)
        engine = ExamEngine(door)
        attempt = engine.login("202611220003", sim.candidate.id_number)
        eka = tmp_path / "c3.eka"
        export_attempt(engine, attempt.attempt_id, eka, person=inv)
        import_attempt(
            ExamEngine(spare), eka, person=Accounts(spare).sign_in("demo-inv1", password)
        )
        seat = ExamEngine(spare)
        moved = seat.login("202611220003", sim.candidate.id_number)
        seat.submit(moved.attempt_id)

        # A station of an older version that accepted a forged transfer and let 0004 sit.
        old_keys = KeyPair.generate()
        central.register_station("ST-OLD-09", VENUE_ID, old_keys.public())
        c4 = "C00004"
        forged = chain(
            "ST-OLD-09",
            [
                ("package.imported", {"sitting_id": SITTING_ID}),
                (
                    "attempt.transferred_in",
                    {
                        "attempt_id": "A4",
                        "candidate_id": c4,
                        "from_station": "ST-DEMO-01",
                        "from_station_key": "0123456789abcdef",
                        "invigilator": "?",
                    },
                ),
                ("attempt.submitted", {"attempt_id": "A4", "candidate_id": c4}),
            ],
        )
        with BackgroundServer(central, central.unlock(venue.passphrase)) as server:
            for station in (door, spare):
                push(server.url, station.station_id, station.keys(), station.events())
            push(server.url, "ST-OLD-09", old_keys, forged)
    finally:
        spare.close()
        door.close()

    env = {**os.environ, "EXAMKIOSK_CENTRAL_PASSPHRASE": venue.passphrase, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "sync.central.cli", "--home", str(DataDir(door_dir).central)]
    out = subprocess.run([*cmd, "report", "--json"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    sitting = next(s for s in report["sittings"] if s["sitting_id"] == SITTING_ID)
    flags = sitting["flags"]

    def who(kind: str) -> list[str]:
        return sorted(e["candidate_id"] for e in flags[kind]["events"])

    c1, c3 = "C00001", "C00003"
    assert who("manual_checkins") == [c1]
    assert who("device_checkins") == [c3]
    assert flags["device_checkins"]["events"][0]["why"] == "simulated card reader"
    assert who("against_recommendation") == [c1, c3]  # 0002 was refused, as suggested
    assert flags["against_recommendation"]["events"][0]["by"] == "demo-inv1"
    assert who("moved_attempts") == [c3, c4]
    assert who("unknown_key_transfers") == [c4]
    assert who("submitted_without_checkin") == [c4]
    assert any("signed by a key the centre does not know" in p for p in report["problems"])

    text = subprocess.run([*cmd, "report"], capture_output=True, text=True, env=env)
    assert "1 transfers signed by an unknown key" in text.stdout
    assert "2 decisions against the recommendation" in text.stdout
    strict = subprocess.run([*cmd, "report", "--strict"], capture_output=True, env=env)
    assert strict.returncode == 1
