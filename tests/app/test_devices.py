"""The station's device configuration, kept in its encrypted store: validation with messages
that name the bad key, defaults, the one-time import of an old devices.json, who may change it
(audited with old and new values), overrides on rehearsal venues only, and `devices set` /
`devices show` run as a technician would (a subprocess), with the simulated reader and a
video-file camera on a rehearsal venue."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from examkiosk.app.demo_venue import build_demo_venue, demo_accounts
from examkiosk.app.devices import (
    DeviceConfig,
    DeviceConfigError,
    config_path,
    load_devices,
    parse_devices,
    save_devices,
    stored_devices,
)
from examkiosk.core.authz import NotAllowed, Person
from examkiosk.core.provision import open_station
from examkiosk.core.simulation import SimulationRefused
from examkiosk.core.station import Station
from examkiosk.store.layout import DataDir
from hardware.sim.video import write_video
from tests.conftest import REPO

TECH = Person("demo-tech", "演示技术员", "technician")
INVIGILATOR = Person("demo-inv1", "演示监考员一", "invigilator")


def devices_cli(
    data_dir: Path, *args: str, staff: str | None = "demo-tech", password: str | None = None
) -> subprocess.CompletedProcess[str]:
    # The group as `examkiosk devices ...` once attached to the main command; the module
    # entry point is the same click group, so this runs without the main CLI.
    env = {"PATH": "/usr/bin:/bin", "EXAMKIOSK_LANG": "en", "HOME": str(REPO)}
    if staff is not None:
        env["EXAMKIOSK_STAFF"] = staff
        env["EXAMKIOSK_STAFF_PASSWORD"] = password or demo_accounts(data_dir)[staff]
    return subprocess.run(
        [sys.executable, "-m", "examkiosk.app.cli_devices", *args[:1], "--data-dir", str(data_dir)]
        + list(args[1:]),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
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


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("devices")
    for kind in ("exam", "rehearsal"):
        build_demo_venue(
            root / kind, faces_dir=None, candidates=1, items=3, sitting_kind=kind
        ).station.close()
    return {"exam": root / "exam", "rehearsal": root / "rehearsal"}


@pytest.fixture
def real(templates: dict[str, Path], tmp_path: Path) -> Path:
    """A venue whose package is a real sitting: no simulated devices."""
    return Path(shutil.copytree(templates["exam"], tmp_path / "real"))


@pytest.fixture
def rehearsal(templates: dict[str, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(templates["rehearsal"], tmp_path / "rehearsal"))


def opened(venue: Path) -> Station:
    return open_station(venue, DataDir(venue).demo_passphrase.read_text().strip())


def audited(venue: Path, action: str) -> list[dict[str, Any]]:
    station = opened(venue)
    try:
        return [dict(e.payload) for e in station.events() if e.type == f"audit.{action}"]
    finally:
        station.close()


# -- validation ------------------------------------------------------------------------------


def test_a_new_station_uses_any_pcsc_reader_and_camera_zero(real: Path) -> None:
    station = opened(real)
    try:
        config = load_devices(station, env={})
    finally:
        station.close()
    assert config.card_reader.kind == "pcsc" and dict(config.card_reader.options) == {}
    assert config.camera.source == "0" and config.camera.resolution is None
    assert config == parse_devices({"devices": {}})


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


# -- where it lives and who changes it -------------------------------------------------------


def test_an_old_devices_json_is_imported_once_audited_and_renamed(real: Path) -> None:
    document = {
        "devices": {"card_reader": {"kind": "pcsc", "reader": "ACS"}, "camera": {"source": 2}}
    }
    config_path(real).write_text(json.dumps(document))
    station = opened(real)
    try:
        config = load_devices(station, env={})
        assert (config.card_reader.options["reader"], config.camera.source) == ("ACS", "2")
    finally:
        station.close()
    assert not config_path(real).exists()
    assert (real / "devices.json.imported").exists()
    # Someone drops another file beside the store: the store's configuration wins.
    config_path(real).write_text(json.dumps({"devices": {"camera": {"source": 5}}}))
    station = opened(real)
    try:
        assert load_devices(station, env={}).camera.source == "2"
        assert stored_devices(station).card_reader.options["reader"] == "ACS"
    finally:
        station.close()
    imported = audited(real, "devices_imported")
    assert [i["new"]["camera"] for i in imported] == [{"source": 2}, {"source": 5}]
    assert "kept" not in imported[0] and imported[1]["kept"]["camera"] == {"source": 2}


def test_a_broken_old_file_is_reported_with_its_line_and_left_in_place(real: Path) -> None:
    config_path(real).write_text('{"devices":\n {"camera": }\n}')
    station = opened(real)
    try:
        with pytest.raises(DeviceConfigError) as info:
            load_devices(station, env={})
    finally:
        station.close()
    assert "line 2" in info.value.en and str(config_path(real)) in info.value.en
    assert config_path(real).exists() and audited(real, "devices_imported") == []


def test_only_an_administrator_or_technician_changes_devices_and_it_is_audited(
    real: Path,
) -> None:
    new = parse_devices(
        {"devices": {"card_reader": {"kind": "pcsc", "reader": "ACS", "exchange_timeout": 3}}}
    )
    station = opened(real)
    try:
        for nobody in (None, INVIGILATOR):
            with pytest.raises(NotAllowed):
                save_devices(station, nobody, new)
        assert station.store.get_meta("devices") is None
        save_devices(station, TECH, new)
        assert load_devices(station, env={}) == new
        save_devices(station, TECH, DeviceConfig())
    finally:
        station.close()
    changes = audited(real, "devices.change")
    assert [c["by"] for c in changes] == ["demo-tech", "demo-tech"]
    assert changes[0]["old"] == DeviceConfig().to_json()
    assert changes[0]["new"]["card_reader"] == {
        "kind": "pcsc",
        "reader": "ACS",
        "exchange_timeout": "3",
    }
    assert changes[1]["old"] == changes[0]["new"] and changes[1]["new"] == DeviceConfig().to_json()
    assert not config_path(real).exists()  # nothing in plaintext beside the store


def test_environment_overrides_work_on_a_rehearsal_venue_only(real: Path, rehearsal: Path) -> None:
    env = {"EXAMKIOSK_CAMERA": "/tmp/v.avi", "EXAMKIOSK_CARD_READER": "gat467:/dev/ttyS3"}
    station = opened(rehearsal)
    try:
        save_devices(station, TECH, parse_devices({"devices": {"camera": {"source": 2}}}))
        assert load_devices(station, env={}).camera.source == "2"
        config = load_devices(station, env=env)
        assert config.camera.source == "/tmp/v.avi"
        assert (config.card_reader.kind, dict(config.card_reader.options)) == (
            "gat467",
            {"port": "/dev/ttyS3"},
        )
        assert set(config.overridden) == {"EXAMKIOSK_CAMERA", "EXAMKIOSK_CARD_READER"}
        # the variable's old meaning (a PC/SC reader name) still works
        legacy = load_devices(station, env={"EXAMKIOSK_CARD_READER": "ACS ACR122U"})
        assert (legacy.card_reader.kind, legacy.card_reader.options["reader"]) == (
            "pcsc",
            "ACS ACR122U",
        )
        with pytest.raises(DeviceConfigError, match="EXAMKIOSK_CARD_READER"):
            load_devices(station, env={"EXAMKIOSK_CARD_READER": "gat467"})  # no port
    finally:
        station.close()
    station = opened(real)
    try:
        with pytest.raises(SimulationRefused, match="EXAMKIOSK_CARD_READER"):
            load_devices(station, env={"EXAMKIOSK_CARD_READER": "ACS ACR122U"})
    finally:
        station.close()
    assert [r["what"] for r in audited(real, "simulation_refused")] == [
        "environment EXAMKIOSK_CARD_READER"
    ]


# -- the command line ------------------------------------------------------------------------


def test_set_then_show_with_simulated_reader_and_video_camera(rehearsal: Path, video: Path) -> None:
    done = devices_cli(
        rehearsal, "set", "--card-reader", "sim", "--camera", str(video), "--resolution", "320x240"
    )
    assert done.returncode == 0, done.stderr
    assert "demo-tech" in done.stdout
    assert not config_path(rehearsal).exists()

    shown = devices_cli(rehearsal, "show", "--json", staff=None)
    assert shown.returncode == 0, shown.stderr
    out = json.loads(shown.stdout)
    assert out["devices"] == {
        "card_reader": {"kind": "sim"},
        "camera": {"source": str(video), "resolution": "320x240"},
    }
    assert out["stored_in"] == "station store" and out["overridden_by"] == []
    assert out["camera_connected"] is True  # the video file is there
    assert out["card_reader_connected"] is None  # a simulated reader has nothing to find
    connected = out["connected"]
    assert isinstance(connected["cameras"], list) and isinstance(connected["serial"], list)
    assert isinstance(connected["pcsc"], list) and "pcsc_error" in connected

    text = devices_cli(rehearsal, "show", staff=None)
    assert text.returncode == 0, text.stderr
    assert str(video) in text.stdout and "320x240" in text.stdout and "sim" in text.stdout
    change = audited(rehearsal, "devices.change")[-1]
    assert change["by"] == "demo-tech" and change["new"]["card_reader"] == {"kind": "sim"}


def test_set_keeps_the_camera_when_only_the_reader_changes(rehearsal: Path, video: Path) -> None:
    first = devices_cli(rehearsal, "set", "--card-reader", "sim", "--camera", str(video))
    assert first.returncode == 0, first.stderr
    done = devices_cli(rehearsal, "set", "--card-reader", "pcsc", "--reader", "ACS")
    assert done.returncode == 0, done.stderr
    station = opened(rehearsal)
    try:
        config = load_devices(station, env={})
    finally:
        station.close()
    assert config.camera.source == str(video)
    assert (config.card_reader.kind, dict(config.card_reader.options)) == (
        "pcsc",
        {"reader": "ACS"},
    )


def stored(venue: Path) -> str | None:
    station = opened(venue)
    try:
        return station.store.get_meta("devices")
    finally:
        station.close()


def test_set_refuses_bad_input_or_the_wrong_person_and_changes_nothing(
    rehearsal: Path, video: Path
) -> None:
    first = devices_cli(rehearsal, "set", "--card-reader", "sim", "--camera", str(video))
    assert first.returncode == 0, first.stderr
    before = stored(rehearsal)
    no_port = devices_cli(rehearsal, "set", "--card-reader", "gat467")
    assert no_port.returncode == 2
    assert "devices.card_reader.port" in no_port.stderr and "Traceback" not in no_port.stderr
    missing = devices_cli(
        rehearsal, "set", "--card-reader", "sim", "--camera", str(rehearsal / "nope.avi")
    )
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    size = devices_cli(rehearsal, "set", "--card-reader", "sim", "--resolution", "wide")
    assert size.returncode == 2 and "WIDTHxHEIGHT" in size.stderr
    invigilator = devices_cli(rehearsal, "set", "--card-reader", "pcsc", staff="demo-inv1")
    assert invigilator.returncode == 2 and "technician" in invigilator.stderr
    wrong = devices_cli(rehearsal, "set", "--card-reader", "pcsc", password="Wrong-pass-1")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    nobody = devices_cli(rehearsal, "set", "--card-reader", "pcsc", staff=None)
    assert nobody.returncode == 2 and "sign in" in nobody.stderr
    assert stored(rehearsal) == before
    assert len(audited(rehearsal, "devices.change")) == 1


# -- the kiosk's devices ---------------------------------------------------------------------


def test_kiosk_opens_the_configured_reader_and_camera(rehearsal: Path, video: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from examkiosk.ui.app import real_devices
    from hardware.cards.pcsc import PcscCardReader

    station = opened(rehearsal)
    try:
        save_devices(
            station,
            TECH,
            parse_devices({"devices": {"camera": {"source": str(video), "resolution": "320x240"}}}),
        )
        devices = real_devices(station)
        try:
            assert isinstance(devices.reader, PcscCardReader) and devices.simulated is None
            assert devices.camera_identity == {"device": "file:door.avi", "simulated": True}
            frame = devices.feed.grab(5.0)
            assert frame is not None
            assert frame.image.shape[:2] == (240, 320)  # 640x480 scaled to the configured size
        finally:
            devices.feed.close()
            if devices.reader is not None:
                devices.reader.close()

        save_devices(station, TECH, parse_devices({"devices": {"card_reader": {"kind": "sim"}}}))
        simulated = real_devices(station)
        assert simulated.reader is None and simulated.simulated is not None  # the card panel
        simulated.feed.close()
    finally:
        station.close()
