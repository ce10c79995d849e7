"""The package's systemd units pass `systemd-analyze verify` and the centre's service is
hardened (`systemd-analyze security --offline`), checked inside a root that holds the
unpacked package, this machine's systemd units and cage, so every ExecStart= is resolved
against what the package installs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = ("examkiosk-central.service", "examkiosk-kiosk.service")


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed (Makefile APT_PACKAGES lists its package)"
    return path


@pytest.fixture(scope="module")
def verify_root(unpacked: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("systemd-root")
    (root / "usr" / "lib").mkdir(parents=True)
    (root / "usr" / "bin").mkdir()
    (root / "etc").mkdir()
    (root / "lib").symlink_to("usr/lib")
    (root / "bin").symlink_to("usr/bin")
    shutil.copytree("/usr/lib/systemd", root / "usr/lib/systemd", symlinks=True)
    shutil.copytree("/etc/systemd", root / "etc/systemd", symlinks=True)
    shutil.copy2(_tool("cage"), root / "usr/bin/cage")
    # Hard links: the program folder is half a gigabyte.
    subprocess.run(["cp", "-al", str(unpacked / "opt"), str(root / "opt")], check=True)
    shutil.copytree(unpacked / "usr", root / "usr", symlinks=True, dirs_exist_ok=True)
    shutil.copytree(unpacked / "lib", root / "usr/lib", symlinks=True, dirs_exist_ok=True)
    shutil.copytree(unpacked / "etc", root / "etc", symlinks=True, dirs_exist_ok=True)
    return root


def test_units_pass_systemd_analyze_verify(verify_root: Path) -> None:
    units = [str(verify_root / "usr/lib/systemd/system" / unit) for unit in UNITS]
    result = subprocess.run(
        [_tool("systemd-analyze"), "verify", f"--root={verify_root}", *units],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # verify exits 0 on an unknown key or a bad value and only says so: any word is a failure.
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    assert not result.stdout.strip(), result.stdout


def test_verify_catches_a_mistyped_hardening_setting(verify_root: Path) -> None:
    # The check above means something: the same unit with one typo is reported.
    unit = verify_root / "usr/lib/systemd/system" / UNITS[0]
    broken = verify_root / "etc/systemd/system/examkiosk-central-typo.service"
    broken.write_text(unit.read_text("utf-8").replace("NoNewPrivileges=", "NoNewPrivilegs="))
    try:
        result = subprocess.run(
            [_tool("systemd-analyze"), "verify", f"--root={verify_root}", str(broken)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        broken.unlink()
    assert "Unknown key 'NoNewPrivilegs'" in result.stderr


def test_centre_service_is_hardened(verify_root: Path) -> None:
    unit = verify_root / "usr/lib/systemd/system/examkiosk-central.service"
    text = unit.read_text("utf-8")
    for setting in (
        "User=examkiosk-central",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/examkiosk-central",
        "CapabilityBoundingSet=\n",
    ):
        assert setting in text, setting
    # systemd's own exposure score (0 safest .. 10): at most 2.0, "OK".
    result = subprocess.run(
        [
            _tool("systemd-analyze"),
            "security",
            "--offline=yes",
            f"--root={verify_root}",
            "--threshold=20",
            str(unit),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Overall exposure level for examkiosk-central.service" in result.stdout


def test_kiosk_session_restarts_the_window_and_locks_the_console(verify_root: Path) -> None:
    text = (verify_root / "usr/lib/systemd/system/examkiosk-kiosk.service").read_text("utf-8")
    assert "User=examkiosk" in text and "TTYPath=/dev/tty1" in text
    assert "Restart=always" in text and "Conflicts=getty@tty1.service" in text
    exec_start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    # Without -s cage keeps Ctrl+Alt+Fn from switching to another console.
    assert exec_start.startswith("ExecStart=/usr/bin/cage ") and " -s" not in exec_start
