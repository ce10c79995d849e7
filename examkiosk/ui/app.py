"""The Qt side of the composition root: the application, the unlock dialog, the devices
(simulated for the demo, real otherwise) and the window with its three station screens."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from examkiosk.core.accounts import Accounts
from examkiosk.core.authz import Person
from examkiosk.core.checkin import CheckInDesk
from examkiosk.core.face_check import FaceService
from examkiosk.core.provision import open_station, open_station_as_staff
from examkiosk.core.station import Station
from examkiosk.store import keys as store_keys
from examkiosk.store.layout import DataDir
from examkiosk.ui.admin.operations import AutoBackupTimer
from examkiosk.ui.admin.screen import AdminScreen
from examkiosk.ui.background_sync import BackgroundSync
from examkiosk.ui.console_chord import install_console_chord
from examkiosk.ui.door.camera_feed import CameraFeed
from examkiosk.ui.door.screen import DoorScreen, SimulatedDoor
from examkiosk.ui.i18n import error_text
from examkiosk.ui.ops import Operations
from examkiosk.ui.passphrase import PassphraseDialog, PassphraseGuard
from examkiosk.ui.seat_host import seat_screen
from examkiosk.ui.signin import SignInDialog, StaffGuard, StaffSession
from examkiosk.ui.theme import apply_theme
from examkiosk.ui.window import KioskWindow, ModeGuard
from hardware.cards.document import CardReader
from hardware.sim.card_queue import QueueCardReader

log = logging.getLogger(__name__)

KIOSK_SIZE = (1366, 768)


class SharedFace:
    """One FaceService for the door and the package import, loaded on first use (it takes
    a second or two) on whichever worker thread needs it first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._face: FaceService | None = None

    def get(self) -> FaceService:
        with self._lock:
            if self._face is None:
                self._face = FaceService.create()
            return self._face

    def encode(self, photo: bytes) -> bytes | None:
        face = self.get()
        return face.encode(photo) if face.available else None


class CandidateCamera(CameraFeed):
    """The demo's seat camera: shows the simulated clip of whichever candidate's exam is
    open (the seat calls `follow`), as a real seat camera shows the person sitting there."""

    def __init__(self, clip_for: Callable[[str], Path | None]) -> None:
        super().__init__(None)
        self._clip_for = clip_for

    def follow(self, candidate_id: str) -> None:
        clip = self._clip_for(candidate_id)
        self.switch(str(clip) if clip is not None else None)


@dataclass(frozen=True)
class Devices:
    feed: CameraFeed
    reader: CardReader | None
    simulated: SimulatedDoor | None
    # The seat's proctoring camera; None: the same camera as `feed` (one camera per station,
    # its lock serialises the readers).
    seat_camera: Any = None
    # What every check-in records about the door camera (device node / USB id, or a file).
    camera_identity: Any = None

    @property
    def proctor_camera(self) -> Any:
        return self.seat_camera if self.seat_camera is not None else self.feed


def demo_devices(data_dir: Path, station: Station | None = None) -> Devices:
    """The demo's simulated card panel and per-candidate camera clips. With `station`, only
    if its package allows simulation (SimulationRefused, audited, otherwise)."""
    from examkiosk.app.demo_venue import camera_video

    if station is not None:
        from examkiosk.core.simulation import require_simulation

        require_simulation(station, None, "demo devices")

    def clip(candidate_id: str) -> Path | None:
        return camera_video(data_dir, candidate_id)

    return Devices(
        CameraFeed(None),
        None,
        SimulatedDoor(QueueCardReader(), clip),
        CandidateCamera(clip),
        camera_identity={"device": "file:demo-clips", "simulated": True},
    )


def real_devices(station: Station) -> Devices:
    """The devices kept in the station's store (defaults: any PC/SC reader, camera 0;
    EXAMKIOSK_CARD_READER / EXAMKIOSK_CAMERA override it on demo and rehearsal venues only).

    Raises DeviceConfigError for a configuration that is wrong (the message names the key),
    SimulationRefused for simulated devices on a real sitting. A configured `sim` reader
    (rehearsals) gets the simulated-card panel, with the configured camera.
    """
    from examkiosk.app.devices import load_devices, open_card_reader
    from hardware.camera.enumerate import device_identity

    config = load_devices(station)
    camera = config.camera
    identity = device_identity(camera.source)
    feed = CameraFeed(camera.source, size=camera.resolution)
    reader = open_card_reader(config.card_reader)
    if isinstance(reader, QueueCardReader):
        source = Path(camera.source)
        return Devices(
            feed,
            None,
            SimulatedDoor(reader, lambda _candidate_id: source),
            camera_identity=identity,
        )
    return Devices(feed, reader, None, camera_identity=identity)


def build_window(
    station: Station,
    ops: Operations,
    devices: Devices,
    guard: ModeGuard,
    mode: str | None = None,
    face: SharedFace | None = None,
    background: BackgroundSync | None = None,
    session: StaffSession | None = None,
    idle_lock_ms: int = 0,
) -> KioskWindow:
    shared = face or SharedFace()
    window: KioskWindow

    def door() -> QWidget:
        return DoorScreen(
            station,
            ops,
            lambda: CheckInDesk(station, shared.get(), devices.camera_identity),
            devices.feed,
            devices.reader,
            devices.simulated,
            guard=guard,
        )

    def admin() -> QWidget:
        screen = AdminScreen(station, ops, shared.encode, background=background, guard=guard)
        screen.package_imported.connect(lambda _summary: window.data_changed(screen))
        return screen

    def seat() -> QWidget:
        screen = seat_screen(station, ops)
        attach = getattr(screen, "set_camera", None)  # absent on the placeholder
        if callable(attach):
            attach(devices.proctor_camera, shared.get)
        reader = getattr(screen, "set_card_reader", None)  # issue 11: sign in by card
        if callable(reader):
            reader(devices.simulated.reader if devices.simulated else devices.reader)
        return screen

    window = KioskWindow(
        station.identity,
        {"door": door, "seat": seat, "admin": admin},
        guard,
        mode,
        session=session,
        idle_lock_ms=idle_lock_ms,
    )
    window.resize(*KIOSK_SIZE)
    AutoBackupTimer(station, ops, window)  # issue 12: automatic backups in every mode
    return window


USE_PASSPHRASE = 2  # the start-up sign-in's "use the recovery passphrase" button


def unlock_with_dialog(
    data_dir: Path, ops: Operations, problem: BaseException | None
) -> tuple[Station, Person | None] | None:
    """Open the store at start-up: by a member of staff's own sign-in where anyone has a
    key slot here (the daily way), else — or on request — by the recovery passphrase."""
    if store_keys.has_staff_slots(DataDir(data_dir).keyslots):

        def use_passphrase() -> None:
            staff.done(USE_PASSPHRASE)

        staff = SignInDialog(
            lambda number, password, new: open_station_as_staff(
                data_dir, number, password, new_password=new
            ),
            ops,
            ("打开考点数据", "Open the station"),
            intro=(
                "请工作人员用自己的工号和密码登录以打开本机。",
                "A member of staff signs in with their own number and password to open this "
                "station.",
            ),
            alternative=(("用恢复口令打开", "Use the recovery passphrase"), use_passphrase),
        )
        if problem is not None:
            staff.error.setText(error_text(problem))
            problem = None
        code = staff.exec()
        if code == QDialog.DialogCode.Accepted:
            station, person = staff.value
            return station, person
        if code != USE_PASSPHRASE:
            return None
    dialog = PassphraseDialog(
        lambda passphrase: open_station(data_dir, passphrase),
        ops,
        ("打开考点数据", "Open the station"),
        (
            "请输入考点管理员的恢复口令以打开本机加密数据（仅用于恢复和部署）。",
            "Enter the venue administrator's recovery passphrase to open this station's "
            "encrypted data (for recovery and provisioning).",
        ),
    )
    if problem is not None:
        dialog.show_error(error_text(problem))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.value, None


def run_kiosk(
    data_dir: Path,
    mode: str | None,
    station: Station | None,
    problem: BaseException | None = None,
    simulated: bool = False,
) -> int:
    """Run the window until it closes; 0 when closed normally, 1 if unlocking was cancelled,
    2 if the device configuration is wrong (a message box says which key)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("ExamKiosk")
    apply_theme(app)
    ops = Operations()
    first_person: Person | None = None
    if station is None:
        unlocked = unlock_with_dialog(data_dir, ops, problem)
        if unlocked is not None:
            station, first_person = unlocked
        if station is None:
            ops.shutdown()
            return 1
    # Devices after unlocking: their configuration is inside the encrypted store, and
    # whether simulated ones are allowed depends on the imported package.
    try:
        devices = demo_devices(data_dir, station) if simulated else real_devices(station)
    except Exception as exc:  # a wrong configuration or a refused simulation: say which
        if not hasattr(exc, "zh"):
            raise
        log.error("device configuration: %s", exc)
        QMessageBox.critical(None, "ExamKiosk", error_text(exc))
        ops.shutdown()
        station.close()
        return 2
    layout = DataDir(data_dir)
    demo = (
        layout.demo_passphrase.read_text().strip()
        if simulated and layout.demo_passphrase.exists()
        else None
    )
    background = BackgroundSync(station, ops)
    accounts = Accounts(station)
    session = StaffSession(accounts.any_accounts)
    session.person = first_person  # whoever opened the station is signed in
    guard = StaffGuard(accounts, ops, session, PassphraseGuard(layout.keyslots, ops, demo))
    window = build_window(
        station,
        ops,
        devices,
        guard,
        mode,
        background=background,
        session=session,
        idle_lock_ms=accounts.policy().idle_lock_minutes * 60_000,
    )
    background.start()  # only if the station knows its centre (examkiosk sync config)
    install_console_chord(window, station)  # issue 15: technician console (docs/install.md)
    if simulated:
        window.show()  # the demo runs in a window on the developer's desktop
    else:
        # A real station is a kiosk: full screen, no title bar or window buttons.
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        window.showFullScreen()
    code = app.exec()
    window.shutdown()
    background.stop()
    ops.shutdown()
    devices.feed.close()
    if devices.seat_camera is not None:
        devices.seat_camera.close()
    if devices.reader is not None:
        devices.reader.close()
    station.close()
    return int(code)
