"""Build a demo venue: a demo central (keys, registered station, package) and one station.

Used by `examkiosk demo` and by the rehearsal. The demo central lives in `D/central`, so
`examkiosk-central --home D/central ...` accepts this venue's bundles.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from examkiosk.app import demo_content
from examkiosk.core.face_check import FaceService
from examkiosk.core.package_import import ImportSummary, import_package
from examkiosk.core.provision import provision_station
from examkiosk.core.station import Station
from examkiosk.store.atomic import write_atomic
from examkiosk.store.layout import DataDir
from sync.central.home import CentralHome
from sync.credentials import make_verifier
from sync.package import PackageMeta

VENUE_ID = "V-DEMO-01"
SITTING_ID = "S-2026-1122"
EXAM_ID = "EX-2026-YS-DEMO"

Progress = Callable[[str, int, int], None]

DEMO_ACCOUNTS_FILE = "demo-accounts.json"
DEMO_STAFF: dict[str, tuple[str, str]] = {
    "demo-admin": ("演示管理员", "venue_admin"),
    "demo-inv1": ("演示监考员一", "invigilator"),
    "demo-inv2": ("演示监考员二", "invigilator"),
    "demo-tech": ("演示技术员", "technician"),
}


def demo_accounts(data_dir: Path) -> dict[str, str]:
    """A demo venue's staff numbers and their throwaway passwords ({} if not a demo venue)."""
    path = DataDir(data_dir).root / DEMO_ACCOUNTS_FILE
    if not path.exists():
        return {}
    return {str(k): str(v) for k, v in json.loads(path.read_text()).items()}


@dataclass(frozen=True)
class DemoVenue:
    data_dir: Path
    station: Station
    central: CentralHome
    passphrase: str
    faces: list[demo_content.FacePhotos]
    roster: list[dict[str, object]]
    package_path: Path
    imported: ImportSummary


def build_demo_venue(
    data_dir: Path,
    *,
    faces_dir: Path | None,
    candidates: int = 20,
    items: int = 30,
    face: FaceService | None = None,
    progress: Progress | None = None,
    mode: str = "door",
    sitting_kind: str = "demo",
    spare_dirs: tuple[Path, ...] = (),
) -> DemoVenue:
    """A demo venue; `sitting_kind` "exam" builds one that behaves as a real sitting (no
    simulated devices), which tests use to prove the refusals. Each of `spare_dirs` gets a
    spare seat station of the same venue (ST-DEMO-02, ...), registered at the demo central
    and given the same package, for moving attempts between stations."""
    layout = DataDir(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    # A demo venue's passphrase is throwaway and kept beside it so the demo opens
    # unattended; a provisioned venue never stores its passphrase.
    passphrase = secrets.token_urlsafe(18)
    write_atomic(layout.demo_passphrase, passphrase.encode())
    central = CentralHome(layout.central)
    central_public = central.init(passphrase)
    write_atomic(layout.central / "demo-passphrase", passphrase.encode())
    central_keys = central.unlock(passphrase)

    station = provision_station(
        data_dir,
        station_id="ST-DEMO-01",
        venue_id=VENUE_ID,
        mode=mode,
        central=central_public,
        passphrase=passphrase,
    )
    central.register_station(station.station_id, VENUE_ID, station.keys().public())
    spares = []
    for n, spare_dir in enumerate(spare_dirs, start=2):
        spare = provision_station(
            spare_dir,
            station_id=f"ST-DEMO-{n:02d}",
            venue_id=VENUE_ID,
            mode="seat",
            central=central_public,
            passphrase=passphrase,
        )
        write_atomic(DataDir(spare_dir).demo_passphrase, passphrase.encode())
        central.register_station(spare.station_id, VENUE_ID, spare.keys().public())
        spares.append(spare)

    faces = demo_content.face_sets(faces_dir)
    roster = demo_content.roster(candidates, SITTING_ID, faces)
    # Throwaway passwords, kept beside the venue like its passphrase (`make demo` prints them).
    accounts = {number: f"Demo-{secrets.token_urlsafe(9)}#7" for number in DEMO_STAFF}
    for root in (layout.root, *spare_dirs):
        write_atomic(root / DEMO_ACCOUNTS_FILE, json.dumps(accounts, indent=2).encode())
    now = datetime.now().astimezone()
    content = {
        "exam": {
            "exam_id": EXAM_ID,
            "title": "2026年医师资格考试（演示）",
            "sitting_id": SITTING_ID,
            "duration_minutes": 120,
        },
        "duration_minutes": 120,
        # Demo venues run simulated devices; the centre's signature on the package is what
        # lets a station do that (a real sitting says "exam").
        "sitting_kind": sitting_kind,
        "staff": [
            {
                "staff_number": number,
                "name": name,
                "role": role,
                "verifier": make_verifier(accounts[number]),
            }
            for number, (name, role) in DEMO_STAFF.items()
        ],
        "settings": {
            "show_score": False,
            "outage_policy": "pause",
            "pause_limit_minutes": 30,
            # The key seat resume codes are derived from (docs/exam.md); per package.
            "resume_secret": secrets.token_hex(32),
        },
        "roster": roster,
        "paper": demo_content.paper(items),
    }
    meta = PackageMeta(
        exam_id=EXAM_ID,
        version=1,
        venue_id=VENUE_ID,
        sitting_id=SITTING_ID,
        valid_from=(now - timedelta(days=1)).isoformat(),
        valid_until=(now + timedelta(days=30)).isoformat(),
        issued_at=now.isoformat(),
        central_key_id=central_public.key_id,
    )
    package = central.issue_package(
        content, meta, central_keys, [s.keys().public() for s in (station, *spares)]
    )
    package_path = data_dir / "packages" / f"{EXAM_ID}-v1.ekp"
    write_atomic(package_path, package, mode=0o644)

    summary = import_package(
        station,
        package,
        face_encoder=face.encode if face and face.available else None,
        progress=(lambda d, t, _c: progress("import", d, t)) if progress else None,
    )
    for spare in spares:
        import_package(spare, package)
        spare.close()
    _write_camera_videos(layout, roster, faces, face)
    return DemoVenue(data_dir, station, central, passphrase, faces, roster, package_path, summary)


def _write_camera_videos(
    layout: DataDir,
    roster: list[dict[str, object]],
    faces: list[demo_content.FacePhotos],
    face: FaceService | None,
) -> None:
    """One short looping clip per candidate with a photo: what the simulated door camera
    shows, with sensor noise and a blink, so the liveness check sees a living face."""
    if not faces:
        return
    folder = layout.sim / "camera"
    folder.mkdir(parents=True, exist_ok=True)
    for entry, photos in zip(roster, faces, strict=False):
        _write_clip(photos, folder / f"{entry['candidate_id']}.avi", face)


def _write_clip(photos: demo_content.FacePhotos, out: Path, face: FaceService | None) -> None:
    """The first of the identity's other photos whose simulated clip the face engine itself
    reads as a live match: the synthetic blink is not equally convincing on every photo, and
    demo footage that fails for that reason would only mislead."""
    from hardware.sim.video import write_video

    if face is None or face.engine is None:  # no face library: the check is unavailable anyway
        write_video([photos.others[0]], out, fps=10, seconds_per_image=2.0)
        return
    from hardware.sim.blink import blink_video

    engine = face.engine
    reference = engine.encode_reference(photos.roster.read_bytes())
    for photo in photos.others:
        blink_video(photo, out, fps=10, seconds=2.0)
        frames = _read_clip(out)
        live = engine.liveness(frames)
        verdict = engine.verify(frames[len(frames) // 2].image, reference, "roster")
        if str(live.decision.value) == "live" and str(verdict.decision.value) == "match":
            return


def _read_clip(path: Path) -> list[Any]:
    """Every frame of the clip at once (the camera thread would pace them in real time)."""
    import cv2
    import numpy as np

    from hardware.camera import Frame

    capture = cv2.VideoCapture(str(path))
    frames: list[Any] = []
    try:
        while True:
            ok, image = capture.read()
            if not ok:
                return frames
            pixels = np.asarray(image, dtype=np.uint8)
            frames.append(Frame(image=pixels, timestamp=len(frames) / 10, index=len(frames)))
    finally:
        capture.release()


def camera_video(data_dir: Path, candidate_id: str) -> Path | None:
    path = DataDir(data_dir).sim / "camera" / f"{candidate_id}.avi"
    return path if path.exists() else None
