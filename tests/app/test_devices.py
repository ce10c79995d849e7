"""The station's device configuration (DATA_DIR/devices.json): validation with messages that
name the bad key, defaults, development overrides, and `devices set` / `devices show` run as
an administrator would (a subprocess), with the simulated reader and a video-file camera."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from examkiosk.app.devices import (
    DeviceConfig,
    DeviceConfigError,
    config_path,
    load_devices,
    parse_devices,
    save_devices,
)
from hardware.sim.video import write_video
from tests.conftest import REPO


def devices_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The group as `examkiosk devices ...` once attached to the main command; the module
    # entry point is the same click group, so this runs without the main CLI.
    return subprocess.run(
        [sys.executable, "-m", "examkiosk.app.cli_devices", *args[:1], "--data-dir", str(data_dir)]
        + list(args[1:]),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "EXAMKIOSK_LANG": "en", "HOME": str(REPO)},
    )


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real MJPG file: 640x480 frames the camera reads through VideoCapture."""
    frames = []
    for i in range(10):
        frame = np.full((480, 640, 3), 40 + i * 10, dtype=np.uint8)
        cv2.circle(frame, (320, 240), 100, (0, 200, 255), -1)
        frames.append(frame)
    return write_video(
        frames, tmp_path_factory.mktemp("camera") / "door.avi", fps=10, seconds_per_image=0.2
    )


# -- validation ------------------------------------------------------------------------------


def test_no_file_means_any_pcsc_reader_and_camera_zero(tmp_path: Path) -> None:
    config = load_devices(tmp_path, env={})
    assert config.card_reader.kind == "pcsc" and dict(config.card_reader.options) == {}
    assert config.camera.source == "0" and config.camera.resolution is None
    assert load_devices(tmp_path, env={}) == parse_devices({"devices": {}})


@pytest.mark.parametrize(
    ("document", "key"),
    [
        ({"devices": {"card_reader": {"kind": "nfc"}}}, "devices.card_reader.kind"),
        ({"devices": {"card_reader": {"kind": "gat467"}}}, "devices.card_reader.port"),
        ({"devices": {"card_reader": {"kind": "pcsc", "port": "x"}}}, "devices.card_reader.port"),
        (
            {"devices": {"card_reader": {"kind": "pcsc", "mrz": "E1,1,2"}}},
            "devices.card_reader.mrz",
        ),
        (
            {
                "devices": {
                    "card_reader": {"kind": "gat467", "port": "/dev/ttyUSB0", "baud": "fast"}
                }
            },
            "devices.card_reader.baud",
        ),
        ({"devices": {"card_reader": {"reader": ["a"]}}}, "devices.card_reader.reader"),
        ({"devices": {"camera": {"source": -1}}}, "devices.camera.source"),
        ({"devices": {"camera": {"source": 0, "resolution": "big"}}}, "devices.camera.resolution"),
        ({"devices": {"camera": {"resolution": "99999x10"}}}, "devices.camera.resolution"),
        ({"devices": {"camera": {"fps": 30}}}, "devices.camera.fps"),
        ({"devices": {"printer": {}}}, "devices.printer"),
        ({"devices": []}, "devices"),
        ([], "(file)"),
    ],
)
def test_a_wrong_setting_is_refused_naming_its_key_in_both_languages(
    document: Any, key: str
) -> None:
    with pytest.raises(DeviceConfigError) as info:
        parse_devices(document, "devices.json")
    assert info.value.key == key
    assert f"“{key}”" in info.value.en and f"“{key}”" in info.value.zh
    assert "examkiosk devices set" in info.value.en


def test_broken_json_is_reported_with_its_line(tmp_path: Path) -> None:
    config_path(tmp_path).write_text('{"devices":\n {"camera": }\n}')
    with pytest.raises(DeviceConfigError) as info:
        load_devices(tmp_path, env={})
    assert "line 2" in info.value.en and str(config_path(tmp_path)) in info.value.en


def test_environment_overrides_the_file_for_development(tmp_path: Path) -> None:
    save_devices(tmp_path, parse_devices({"devices": {"camera": {"source": 2}}}))
    assert load_devices(tmp_path, env={}).camera.source == "2"
    config = load_devices(
        tmp_path,
        env={"EXAMKIOSK_CAMERA": "/tmp/v.avi", "EXAMKIOSK_CARD_READER": "gat467:/dev/ttyS3"},
    )
    assert config.camera.source == "/tmp/v.avi"
    assert (config.card_reader.kind, dict(config.card_reader.options)) == (
        "gat467",
        {"port": "/dev/ttyS3"},
    )
    assert set(config.overridden) == {"EXAMKIOSK_CAMERA", "EXAMKIOSK_CARD_READER"}
    # the variable's old meaning (a PC/SC reader name) still works
    legacy = load_devices(tmp_path, env={"EXAMKIOSK_CARD_READER": "ACS ACR122U"})
    assert (legacy.card_reader.kind, legacy.card_reader.options["reader"]) == (
        "pcsc",
        "ACS ACR122U",
    )
    with pytest.raises(DeviceConfigError, match="EXAMKIOSK_CARD_READER"):
        load_devices(tmp_path, env={"EXAMKIOSK_CARD_READER": "gat467"})  # no port


def test_saving_keeps_other_sections_and_round_trips(tmp_path: Path) -> None:
    config_path(tmp_path).write_text(json.dumps({"note": "door 1"}))
    config = parse_devices(
        {"devices": {"card_reader": {"kind": "pcsc", "reader": "ACS", "exchange_timeout": 3}}}
    )
    save_devices(tmp_path, config)
    stored = json.loads(config_path(tmp_path).read_text())
    assert stored["note"] == "door 1"
    assert load_devices(tmp_path, env={}) == config
    assert stored["devices"]["card_reader"] == {
        "kind": "pcsc",
        "reader": "ACS",
        "exchange_timeout": "3",
    }
    assert DeviceConfig().to_json()["camera"] == {"source": 0}


# -- the command line ------------------------------------------------------------------------


def test_set_then_show_with_simulated_reader_and_video_camera(tmp_path: Path, video: Path) -> None:
    done = devices_cli(
        tmp_path, "set", "--card-reader", "sim", "--camera", str(video), "--resolution", "320x240"
    )
    assert done.returncode == 0, done.stderr
    path = config_path(tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # atomic: no leftovers

    shown = devices_cli(tmp_path, "show", "--json")
    assert shown.returncode == 0, shown.stderr
    out = json.loads(shown.stdout)
    assert out["devices"] == {
        "card_reader": {"kind": "sim"},
        "camera": {"source": str(video), "resolution": "320x240"},
    }
    assert out["file_exists"] is True and out["overridden_by"] == []
    assert out["camera_connected"] is True  # the video file is there
    assert out["card_reader_connected"] is None  # a simulated reader has nothing to find
    connected = out["connected"]
    assert isinstance(connected["cameras"], list) and isinstance(connected["serial"], list)
    assert isinstance(connected["pcsc"], list) and "pcsc_error" in connected

    text = devices_cli(tmp_path, "show")
    assert text.returncode == 0, text.stderr
    assert str(video) in text.stdout and "320x240" in text.stdout and "sim" in text.stdout


def test_set_keeps_the_camera_when_only_the_reader_changes(tmp_path: Path, video: Path) -> None:
    assert (
        devices_cli(tmp_path, "set", "--card-reader", "sim", "--camera", str(video)).returncode == 0
    )
    done = devices_cli(tmp_path, "set", "--card-reader", "pcsc", "--reader", "ACS")
    assert done.returncode == 0, done.stderr
    config = load_devices(tmp_path, env={})
    assert config.camera.source == str(video)
    assert (config.card_reader.kind, dict(config.card_reader.options)) == (
        "pcsc",
        {"reader": "ACS"},
    )


def test_set_refuses_bad_input_and_leaves_the_file_as_it_was(tmp_path: Path, video: Path) -> None:
    assert (
        devices_cli(tmp_path, "set", "--card-reader", "sim", "--camera", str(video)).returncode == 0
    )
    before = config_path(tmp_path).read_bytes()
    no_port = devices_cli(tmp_path, "set", "--card-reader", "gat467")
    assert no_port.returncode == 2
    assert "devices.card_reader.port" in no_port.stderr and "Traceback" not in no_port.stderr
    missing = devices_cli(
        tmp_path, "set", "--card-reader", "sim", "--camera", str(tmp_path / "nope.avi")
    )
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    size = devices_cli(tmp_path, "set", "--card-reader", "sim", "--resolution", "wide")
    assert size.returncode == 2 and "WIDTHxHEIGHT" in size.stderr
    assert config_path(tmp_path).read_bytes() == before


def test_show_names_the_bad_key_of_a_hand_edited_file(tmp_path: Path) -> None:
    config_path(tmp_path).write_text(json.dumps({"devices": {"card_reader": {"kind": "usb"}}}))
    shown = devices_cli(tmp_path, "show")
    assert shown.returncode == 2
    assert "devices.card_reader.kind" in shown.stderr and "Traceback" not in shown.stderr


# -- the kiosk's devices ---------------------------------------------------------------------


def test_kiosk_opens_the_configured_reader_and_camera(tmp_path: Path, video: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from examkiosk.ui.app import real_devices
    from hardware.cards.pcsc import PcscCardReader

    save_devices(
        tmp_path,
        parse_devices({"devices": {"camera": {"source": str(video), "resolution": "320x240"}}}),
    )
    devices = real_devices(tmp_path)
    try:
        assert isinstance(devices.reader, PcscCardReader) and devices.simulated is None
        frame = devices.feed.grab(5.0)
        assert frame is not None
        assert frame.image.shape[:2] == (240, 320)  # 640x480 scaled to the configured size
    finally:
        devices.feed.close()
        if devices.reader is not None:
            devices.reader.close()

    save_devices(tmp_path, parse_devices({"devices": {"card_reader": {"kind": "sim"}}}))
    simulated = real_devices(tmp_path)
    assert simulated.reader is None and simulated.simulated is not None  # the card panel
    simulated.feed.close()
