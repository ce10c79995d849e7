"""考前演练: a headless venue rehearsal through the real core services and simulated devices.

Stages: set up a venue and import its package; check in every candidate (simulated card
reader, simulated camera from video files, face check); sit the exam with scripted answers
and submit; export a USB bundle and verify it; send it to a central service started on
127.0.0.1; compare what arrived with what the station recorded.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from examkiosk.app.demo_venue import DemoVenue, build_demo_venue, camera_video
from examkiosk.core.checkin import CheckInDesk
from examkiosk.core.exam import ExamEngine
from examkiosk.core.export import export_bundle
from examkiosk.core.face_check import LIVENESS_FRAMES, FaceService
from hardware.cards.document import DocumentType, IdentityDocument, ReadingMethod
from hardware.sim.card_queue import QueueCardReader
from sync.bundle import inspect_bundle
from sync.central.server import BackgroundServer
from sync.client import SyncClient
from sync.events import verify_chain

Say = Callable[[str], None]


@dataclass
class Stage:
    name: str
    ok: bool = False
    seconds: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass
class Rehearsal:
    stages: list[Stage] = field(default_factory=list)
    data_dir: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.stages) and all(s.ok for s in self.stages)

    def to_dict(self) -> dict[str, Any]:
        found = {s.name: s.detail for s in self.stages}
        return {
            "ok": self.ok,
            "data_dir": self.data_dir,
            "checkins": found.get("checkin", {}).get("admitted", 0),
            "submissions": found.get("exam", {}).get("submitted", 0),
            "events": found.get("compare", {}),
            "chain_verified": bool(found.get("compare", {}).get("chain_verified")),
            "stages": [
                {
                    "name": s.name,
                    "ok": s.ok,
                    "seconds": round(s.seconds, 2),
                    "detail": s.detail,
                    "error": s.error,
                }
                for s in self.stages
            ],
        }


def _document(entry: dict[str, Any]) -> IdentityDocument:
    return IdentityDocument(
        doc_type=DocumentType.CN_RESIDENT_ID,
        number=str(entry["id_number"]),
        name=str(entry["name"]),
        reading_method=ReadingMethod.SIMULATED,
        birth_date=date.fromisoformat(str(entry["birth_date"])),
        nationality="CHN",
    )


def _grab(video: Path | None) -> tuple[Any, bytes | None, list[Any]]:
    """The camera's view of the candidate: a still for the face check and the snapshot, and
    the frame sequence around it for the blink check."""
    if video is None:
        return None, None, []
    import cv2

    from hardware.camera import open_camera

    with open_camera(str(video)) as camera:
        frames = camera.grab_sequence(LIVENESS_FRAMES, timeout=5.0)
    still = frames[len(frames) // 2].image
    ok, jpeg = cv2.imencode(".jpg", still, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return still, (jpeg.tobytes() if ok else None), frames


def _stage_checkin(venue: DemoVenue, face: FaceService, say: Say) -> dict[str, Any]:
    from examkiosk.app.demo_venue import demo_accounts
    from examkiosk.core.accounts import Accounts
    from examkiosk.core.simulation import require_simulation
    from hardware.camera.enumerate import device_identity

    # The same rule as everywhere: simulated devices only where the package allows them, and
    # a signed-in invigilator decides (the demo venue's throwaway account).
    require_simulation(venue.station, None, "rehearse")
    password = demo_accounts(venue.data_dir)["demo-inv1"]
    person = Accounts(venue.station).sign_in("demo-inv1", password, purpose="door.checkin")
    desk = CheckInDesk(venue.station, face)
    reader = QueueCardReader()
    counts: dict[str, int] = {"admitted": 0}
    faces: dict[str, int] = {}
    liveness: dict[str, int] = {}
    for i, entry in enumerate(venue.roster, start=1):
        reader.present(_document(entry))  # the candidate taps the card
        document = reader.read(timeout=1.0)
        assert document is not None
        video = camera_video(venue.data_dir, str(entry["candidate_id"]))
        desk.camera = device_identity(str(video)) if video else {"device": "none"}
        frame, jpeg, sequence = _grab(video)
        assessment = desk.assess(document, frame, jpeg, sequence)
        for check in assessment.face.checks:
            faces[check.decision] = faces.get(check.decision, 0) + 1
        if assessment.face.liveness:
            key = assessment.face.liveness.decision
            liveness[key] = liveness.get(key, 0) + 1
        desk.decide(
            assessment,
            admit=True,
            invigilator=person.staff_number,
            reason="" if assessment.recommendation == "admit" else "演练：人工核对后放行",
            person=person,
        )
        counts["admitted"] += 1
        say(
            f"  签到 check-in {i}/{len(venue.roster)}: {entry['ticket']} "
            f"{assessment.recommendation}"
        )
    reader.close()
    return {**counts, "face": faces, "liveness": liveness}


def _stage_exam(venue: DemoVenue, say: Say, seed: int = 11) -> dict[str, Any]:
    engine = ExamEngine(venue.station)
    items = engine.items()
    rng = random.Random(seed)
    submitted = answers = 0
    for i, entry in enumerate(venue.roster, start=1):
        attempt = engine.login(str(entry["ticket"]), str(entry["id_number"]))
        for item in items:
            keys = [k for k, _ in item.options]
            choice = list(item.key) if rng.random() < 0.7 else [rng.choice(keys)]
            engine.save_answer(attempt.attempt_id, item.item_id, choice)
            answers += 1
        engine.submit(attempt.attempt_id)
        submitted += 1
        say(f"  作答 exam {i}/{len(venue.roster)}: {entry['ticket']} submitted")
    return {"submitted": submitted, "answers": answers, "items": len(items)}


def rehearse(
    data_dir: Path | None, *, candidates: int, faces_dir: Path | None, say: Say
) -> Rehearsal:
    workdir = data_dir or Path(tempfile.mkdtemp(prefix="examkiosk-rehearsal-"))
    result = Rehearsal(data_dir=str(workdir))
    face = FaceService.create() if faces_dir else FaceService(None)
    state: dict[str, Any] = {}

    def setup() -> dict[str, Any]:
        venue = build_demo_venue(
            workdir,
            faces_dir=faces_dir,
            candidates=candidates,
            face=face,
            sitting_kind="rehearsal",
            progress=lambda _s, d, t: (
                say(f"  导入 import {d}/{t}") if d == t or d % 50 == 0 else None
            ),
        )
        state["venue"] = venue
        return {
            "candidates": venue.imported.candidates,
            "items": venue.imported.items,
            "faces_encoded": venue.imported.faces_encoded,
            "face_check": "available" if face.available else "unavailable (no photos or library)",
        }

    def export() -> dict[str, Any]:
        out = workdir / "bundles" / "rehearsal.ekb"
        out.parent.mkdir(parents=True, exist_ok=True)
        info = export_bundle(state["venue"].station, out)
        checked = inspect_bundle(out)
        state["bundle"] = out
        return {
            "file": str(out),
            "events": checked.event_count,
            "first_seq": checked.first_seq,
            "last_seq": checked.last_seq,
            "snapshots": info.snapshot_count,
            "bytes": checked.size_bytes,
        }

    def central() -> dict[str, Any]:
        venue: DemoVenue = state["venue"]
        station = venue.station
        with BackgroundServer(venue.central, venue.central.unlock(venue.passphrase)) as server:
            url = server.url
            # The rehearsal's own centre on this machine: plain http to loopback, set here
            # for this one client rather than saved on the station (which would record it).
            client = SyncClient(
                url,
                station.station_id,
                station.keys(),
                lambda _after, _limit: [],
                central_keys=station.central_keys(),
                allow_plain_http=True,
                attempts=1,
            )
            try:
                imported = client.upload_bundle(state["bundle"].read_bytes())
            finally:
                client.close()
        # What arrived, read from the central's own database after the service stopped.
        state["report"] = venue.central.report()
        return {"url": url, "import": imported}

    def compare() -> dict[str, Any]:
        station = state["venue"].station
        events = station.events()
        problems = verify_chain(events, station_id=station.station_id)
        report = state["report"]
        row = next(s for s in report["stations"] if s["station_id"] == station.station_id)
        received = row["events"]
        exactly_once = (
            received["count"] == len(events)
            and received["highest_seq"] == events[-1].seq
            and received["contiguous_seq"] == events[-1].seq
            and not row["gaps"]
            and row["quarantined"]["count"] == 0
        )
        detail = {
            "station": len(events),
            "central": received["count"],
            "central_highest_seq": received["highest_seq"],
            "gaps": row["gaps"],
            "quarantined": row["quarantined"]["count"],
            "exactly_once": exactly_once,
            "chain_verified": not problems and not row["rollback"] and not report["problems"],
        }
        if not (exactly_once and detail["chain_verified"]):
            raise RuntimeError(f"central state differs from the station: {detail}")
        return detail

    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("setup", setup),
        ("checkin", lambda: _stage_checkin(state["venue"], face, say)),
        ("exam", lambda: _stage_exam(state["venue"], say)),
        ("export", export),
        ("central", central),
        ("compare", compare),
    ]
    for name, step in steps:
        stage = Stage(name)
        result.stages.append(stage)
        say(f"[{name}] ...")
        started = time.monotonic()
        try:
            stage.detail = step()
            stage.ok = True
        except Exception as exc:  # a rehearsal reports every failure, it never hides one
            stage.error = f"{type(exc).__name__}: {getattr(exc, 'zh', '') or exc}"
        stage.seconds = time.monotonic() - started
        say(f"[{name}] {'通过 OK' if stage.ok else '失败 FAILED: ' + stage.error}")
        if not stage.ok:
            break
    if "venue" in state:
        state["venue"].station.close()
    return result
