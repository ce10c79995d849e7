"""The Debian package: lintian clean, the right files in the right places, nothing a station
must never get, a downgrade refused, and the unpacked program's window on a real X server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from examkiosk import __version__
from tests.installer.conftest import program_env

OPT = Path("opt/examkiosk")


def _control(unpacked: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in (unpacked / "DEBIAN" / "control").read_text("utf-8").splitlines():
        match = re.match(r"^([A-Za-z-]+): (.*)$", line)
        if match:
            fields[match.group(1)] = match.group(2)
    return fields


@pytest.mark.timeout(900)
def test_package_is_lintian_clean(deb_package: Path) -> None:
    lintian = shutil.which("lintian")
    assert lintian, "lintian is not installed (Makefile APT_PACKAGES has it: run make system-deps)"
    result = subprocess.run(
        [lintian, "--fail-on", "error,warning", "--tag-display-limit", "0", str(deb_package)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    hints = [line for line in result.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    assert result.returncode == 0 and not hints, "\n".join(hints[:40]) or result.stderr[-2000:]


def test_package_is_named_and_described_for_this_version(deb_package: Path, unpacked: Path) -> None:
    assert deb_package.name == f"examkiosk_{__version__}_amd64.deb"
    control = _control(unpacked)
    assert control["Package"] == "examkiosk" and control["Version"] == __version__
    assert control["Architecture"] == "amd64"
    depends = control["Depends"]
    # The readers need the PC/SC daemon; the users are made with adduser.
    assert "pcscd" in depends and "adduser" in depends
    assert "vsmartcard" not in depends and "vpcd" not in depends


def test_program_lives_in_its_release_folder_behind_current(unpacked: Path) -> None:
    release = unpacked / OPT / "releases" / __version__
    assert (release / "examkiosk").is_file() and os.access(release / "examkiosk", os.X_OK)
    assert os.readlink(unpacked / OPT / "current") == f"releases/{__version__}"
    for name in ("examkiosk", "examkiosk-central"):
        assert os.readlink(unpacked / "usr" / "bin" / name) == f"/opt/examkiosk/current/{name}"
    # Data is made by postinst with mode 0700, never shipped (an upgrade must not touch it).
    assert not (unpacked / "var").exists()


def test_package_ships_no_virtual_reader_test_data_or_keys(unpacked: Path) -> None:
    names = [p.relative_to(unpacked).as_posix().lower() for p in unpacked.rglob("*")]
    assert names, "the package is empty"
    bad = [
        n
        for n in names
        if not n.startswith("debian/")
        and (
            "vpcd" in n
            or "vsmartcard" in n
            or "/tests/" in n
            or "testdata" in n
            or "hypothesis" in n
            or "demo-passphrase" in n
            or n.endswith(("keyslots.json", "station.db", ".ekp", ".ekb"))
        )
    ]
    assert bad == []


def test_device_rules_cover_serial_readers_and_cameras(unpacked: Path) -> None:
    rules = (unpacked / "lib/udev/rules.d/60-examkiosk.rules").read_text("utf-8")
    lines = [line for line in rules.splitlines() if line and not line.startswith("#")]
    serial = [line for line in lines if 'SUBSYSTEM=="tty"' in line]
    # CH340, CP210x, FT232, PL2303: the bridges GA/T 467 readers are built on.
    vendors = {re.search(r'ATTRS\{idVendor\}=="(\w+)"', line).group(1) for line in serial}  # type: ignore[union-attr]
    assert {"1a86", "10c4", "0403", "067b"} <= vendors
    assert all('GROUP="dialout"' in line and 'MODE="0660"' in line for line in serial)
    assert any('SUBSYSTEM=="video4linux"' in line and 'GROUP="video"' in line for line in lines)
    postinst = (unpacked / "DEBIAN" / "postinst").read_text("utf-8")
    assert "for group in dialout video plugdev" in postinst


def _preinst(unpacked: Path, dpkg_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(unpacked / "DEBIAN" / "preinst"), *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "DPKG_ROOT": str(dpkg_root)},
    )


def test_preinst_refuses_a_downgrade_and_allows_an_upgrade(unpacked: Path, tmp_path: Path) -> None:
    newer = "99.0.0"
    refused = _preinst(unpacked, tmp_path, "upgrade", newer)
    assert refused.returncode == 1
    assert "refusing to downgrade" in refused.stderr and newer in refused.stderr
    assert _preinst(unpacked, tmp_path, "upgrade", "0.0.1").returncode == 0
    assert _preinst(unpacked, tmp_path, "install").returncode == 0
    assert _preinst(unpacked, tmp_path, "upgrade", __version__).returncode == 0


def test_preinst_refuses_to_go_below_a_release_an_offline_update_installed(
    unpacked: Path, tmp_path: Path
) -> None:
    # dpkg still records the package's own version, but `current` points at a newer release.
    (tmp_path / OPT / "releases" / "99.1.0").mkdir(parents=True)
    (tmp_path / OPT / "current").symlink_to("releases/99.1.0")
    refused = _preinst(unpacked, tmp_path, "upgrade", "0.0.1")
    assert refused.returncode == 1 and "99.1.0" in refused.stderr


def test_purging_the_package_never_deletes_a_store(unpacked: Path, tmp_path: Path) -> None:
    store = tmp_path / "var/lib/examkiosk/station.db"
    central = tmp_path / "var/lib/examkiosk-central/keys.json"
    for path in (store, central):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"data")
    (tmp_path / OPT / "releases" / "0.0.9").mkdir(parents=True)
    (tmp_path / OPT / "current").symlink_to("releases/0.0.9")
    for args in (["remove"], ["purge"]):
        result = subprocess.run(
            ["sh", str(unpacked / "DEBIAN" / "postrm"), *args],
            capture_output=True,
            text=True,
            timeout=30,
            env={"PATH": "/usr/bin:/bin", "DPKG_ROOT": str(tmp_path)},
        )
        assert result.returncode == 0, result.stderr
    assert store.read_bytes() == b"data" and central.read_bytes() == b"data"
    assert "station data kept" in result.stderr
    # Purge takes away program releases an offline update added (not data).
    assert not (tmp_path / OPT).exists()
    code = (unpacked / "DEBIAN" / "postrm").read_text("utf-8")
    assert "deluser" not in code and "userdel" not in code


def test_installed_central_command_reports_its_version(unpacked: Path) -> None:
    central = unpacked / OPT / "current" / "examkiosk-central"
    result = subprocess.run(
        [str(central), "--version"], capture_output=True, text=True, timeout=120, env=program_env()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == __version__
    helped = subprocess.run(
        [str(central), "--help"], capture_output=True, text=True, timeout=120, env=program_env()
    )
    assert "serve" in helped.stdout and "import-bundle" in helped.stdout


@pytest.mark.timeout(600)
def test_installed_window_opens_on_a_real_x_server(unpacked: Path, tmp_path: Path) -> None:
    xvfb_run = shutil.which("xvfb-run")
    assert xvfb_run, "xvfb-run is not installed (Makefile APT_PACKAGES has xvfb)"
    program = unpacked / OPT / "current" / "examkiosk"
    data = tmp_path / "demo"
    setup = subprocess.run(
        [str(program), "demo", "--setup-only", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=300,
        env=program_env(),
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    env = program_env()
    del env["QT_QPA_PLATFORM"]  # xcb on Xvfb: loads the X libraries the package depends on
    window = subprocess.Popen(
        [xvfb_run, "-a", str(program), "demo", "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        time.sleep(12)
        alive = window.poll() is None
    finally:
        os.killpg(window.pid, 15)
        _, err = window.communicate(timeout=30)
    assert alive, err[-3000:]
    assert "Could not load the Qt platform plugin" not in err and "Traceback" not in err


@pytest.mark.timeout(300)
def test_fresh_install_opens_the_set_up_page_on_a_real_x_server(
    unpacked: Path, tmp_path: Path
) -> None:
    xvfb_run = shutil.which("xvfb-run")
    assert xvfb_run and shutil.which("xwininfo"), "xvfb-run/xwininfo missing (make system-deps)"
    program = unpacked / OPT / "current" / "examkiosk"
    fresh = tmp_path / "fresh"
    # Inside one X session: start the program on an empty data directory, wait for a window
    # named "ExamKiosk setup" (the set-up page), report, stop the program.
    script = (
        f'"{program}" run --data-dir "{fresh}" & pid=$!; '
        "for i in $(seq 1 120); do "
        "  if xwininfo -root -tree | grep -q 'ExamKiosk setup'; then echo SETUP-PAGE; break; fi; "
        "  kill -0 $pid 2>/dev/null || { echo ENDED; break; }; sleep 0.5; "
        "done; kill $pid 2>/dev/null; wait $pid 2>/dev/null; true"
    )
    env = program_env()
    del env["QT_QPA_PLATFORM"]
    result = subprocess.run(
        [xvfb_run, "-a", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert "SETUP-PAGE" in result.stdout, result.stdout + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert not (fresh / "station.db").exists()  # nothing is written before the technician acts
