"""The inspection's device lines: card readers, pcscd, the configured camera, the face engine.

Kept in the app layer because the device configuration (devices.json) lives here; each
probe returns findings and never raises (a probe that cannot run is itself a finding).
How much a missing device matters depends on the station's mode: the door needs its camera
and face engine (failure), a seat or admin station does not (warning).
"""

from __future__ import annotations

import sys
import time
from importlib import resources

from examkiosk.app.devices import DeviceConfig, load_devices
from examkiosk.core.inspection import FAILURE, OK, WARNING, Finding, finding
from examkiosk.core.station import Station
from hardware.cards.pcsc_service import pcsc_service_running

CAMERA_FRAMES = 15
SELFTEST_PICTURE = "selftest-face.jpg"


def _serial_port_present(port: str) -> bool:
    from serial.tools import list_ports

    from hardware.cards.serial_find import port_present

    listed = [str(p.device) for p in list_ports.comports()] if sys.platform == "win32" else []
    return port_present(port, listed, sys.platform)


def check_readers(config: DeviceConfig) -> list[Finding]:
    title = ("读卡器", "Card readers")
    kind = config.card_reader.kind
    running = pcsc_service_running()
    start_it = (
        ("插入读卡器后 Windows 会自动启动智能卡服务；也可由管理员执行 sc start SCardSvr。",
         "Plug the reader in: Windows starts its Smart Card service (SCardSvr) for it; or, "
         "as an administrator, `sc start SCardSvr`.")
        if sys.platform == "win32" else
        ("启动服务：systemctl start pcscd（或插入读卡器后由系统自动启动）。",
         "Start it: `systemctl start pcscd` (or plug the reader in; socket activation "
         "starts it).")
    )  # fmt: skip
    pcscd = finding(
        "devices.pcscd", ("PC/SC 服务", "PC/SC service (pcscd)"),
        OK if running or kind != "pcsc" else WARNING,
        "running" if running else "not running",
        ("", "") if running or kind != "pcsc" else start_it,
    )  # fmt: skip
    if kind == "sim":
        return [finding("devices.readers", title, OK, "simulated reader (demo venue)"), pcscd]
    if kind == "gat467":
        port = config.card_reader.options.get("port", "")
        present = _serial_port_present(port)
        return [finding("devices.readers", title, OK if present else WARNING,
                        f"GA/T 467 reader on {port}: {'present' if present else 'NOT FOUND'}",
                        ("", "") if present else ("检查读卡器串口线和电源。",
                                                  "Check the reader's serial cable and power."))]  # fmt: skip
    from hardware.cards.pcsc import list_readers
    from hardware.errors import DeviceError

    no_reader = ("插入读卡器，确认 pcscd 在运行（examkiosk cards list）；必要时使用手工录入。",
                 "Plug in a reader and make sure pcscd runs (`examkiosk cards list`); manual "
                 "entry is the fallback.")  # fmt: skip
    try:
        readers = list_readers()
    except DeviceError as exc:
        return [
            finding("devices.readers", title, WARNING, f"PC/SC unavailable: {exc.en}", no_reader),
            pcscd,
        ]
    if not readers:
        return [finding("devices.readers", title, WARNING, "no reader found", no_reader), pcscd]
    wanted = config.card_reader.options.get("reader", "").lower()
    names = ", ".join(f"{r.name} ({r.state})" for r in readers)
    matched = any(wanted in r.name.lower() and r.state != "unavailable" for r in readers)
    return [finding("devices.readers", title, OK if matched else WARNING, names,
                    ("", "") if matched else no_reader), pcscd]  # fmt: skip


def check_camera(config: DeviceConfig, mode: str) -> Finding:
    from hardware.camera import open_camera
    from hardware.camera.errors import CameraError

    title = ("摄像头", "Camera")
    needed = mode == "door"
    source = config.camera.source
    try:
        with open_camera(source, first_frame_timeout=5.0) as camera:
            start = time.monotonic()
            frames = camera.grab_sequence(CAMERA_FRAMES, timeout=3.0)
            elapsed = max(1e-6, time.monotonic() - start)
    except CameraError as exc:
        return finding("devices.camera", title, FAILURE if needed else WARNING,
                       f"source {source}: {exc.en}",
                       ("检查摄像头连接，或用 examkiosk devices set --camera 选择正确的摄像头。",
                        "Check the camera's cable, or choose the right one with "
                        "`examkiosk devices set --camera`."))  # fmt: skip
    h, w = frames[-1].image.shape[:2]
    rate = (len(frames) - 1) / elapsed if len(frames) > 1 else 0.0
    wanted = config.camera.resolution
    small = wanted is not None and (w, h) != tuple(wanted)
    slow = rate < 10.0
    status = WARNING if small or slow else OK
    return finding("devices.camera", title, status,
                   f"source {source}: {w}x{h}, {rate:.1f} frames/s over {len(frames)} frames"
                   + (f" (configured {wanted[0]}x{wanted[1]})" if wanted else ""),
                   ("", "") if status == OK else (
                       "画面过慢或分辨率不符：检查 USB 接口（用 USB 3）和摄像头设置。",
                       "Too slow or the wrong size: check the USB port (use USB 3) and the "
                       "camera's settings."))  # fmt: skip


def check_face_engine(mode: str) -> Finding:
    """Encode the bundled picture, and its mirror image, and compare them: one face must be
    found and the two must match."""
    import cv2

    title = ("人脸比对自检", "Face engine self-test")
    needed = mode == "door"
    fix = ("重新安装 ExamKiosk（人脸模型缺失或损坏）；修复前门口改用人工核对。",
           "Reinstall ExamKiosk (face models missing or damaged); until then the door "
           "compares faces by eye.")  # fmt: skip
    try:
        from hardware.face import FaceEngine, face_available
        from hardware.face.images import decode_image

        if not face_available():
            return finding("devices.face", title, FAILURE if needed else WARNING,
                           "face library not available", fix)  # fmt: skip
        data = resources.files("examkiosk.assets").joinpath(SELFTEST_PICTURE).read_bytes()
        engine = FaceEngine()
        start = time.perf_counter()
        reference = engine.encode_reference(data)
        image = decode_image(data)
        mirrored = cv2.imencode(".jpg", cv2.flip(image, 1))[1].tobytes()
        verdict = engine.compare(engine.encode_reference(mirrored), reference, "selftest")
        elapsed = (time.perf_counter() - start) * 1000
    except Exception as exc:  # any failure of the engine is what this line reports
        return finding("devices.face", title, FAILURE if needed else WARNING,
                       f"{type(exc).__name__}: {exc}", fix)  # fmt: skip
    ok = verdict.decision.value == "match"
    return finding("devices.face", title, OK if ok else (FAILURE if needed else WARNING),
                   f"bundled picture: 1 face, mirror image {verdict.decision.value} at distance "
                   f"{verdict.distance:.3f}, {elapsed:.0f} ms", ("", "") if ok else fix)  # fmt: skip


def device_findings(station: Station | None, mode: str) -> list[Finding]:
    """The device lines, for the configuration kept in the station's store (the defaults
    when the store cannot be opened: any PC/SC reader, camera 0)."""
    config = DeviceConfig()
    if station is not None:
        try:
            config = load_devices(station)
        except Exception as exc:  # a bad or refused configuration is a finding, not a crash
            return [finding("devices.config", ("设备配置", "Device configuration"), FAILURE,
                            getattr(exc, "en", str(exc)),
                            ("用 examkiosk devices set 重新设置设备。",
                             "Set the devices again with `examkiosk devices set`."))]  # fmt: skip
    out = check_readers(config)
    if mode != "admin":
        out.append(check_camera(config, mode))
    out.append(check_face_engine(mode))
    return out
