"""examkiosk-station: the package that dedicates a machine to the kiosk. It builds next to the
program's package, is lintian clean, depends on exactly that program version, and its
maintainer scripts, run against a throwaway root with this machine's systemd units
(`systemctl --root`, through DPKG_ROOT as `dpkg --root` sets it), enable the kiosk and
graphical.target and give back exactly what was there before, never touching station data."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from examkiosk import __version__
from tests.conftest import REPO

UNIT = "examkiosk-kiosk.service"
SYSTEM = Path("etc/systemd/system")
KIOSK_LINK = SYSTEM / "graphical.target.wants" / UNIT
GETTY_LINK = SYSTEM / "getty.target.wants" / "getty@tty1.service"


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed (Makefile APT_PACKAGES lists its package)"
    return path


def _control(deb: Path) -> dict[str, str]:
    text = subprocess.run(
        ["dpkg-deb", "--field", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    return dict(re.findall(r"^([A-Za-z-]+): (.*)$", text, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def scripts(station_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("station-control")
    subprocess.run(["dpkg-deb", "-e", str(station_package), str(folder)], check=True)
    return folder


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A root shaped like a fresh Debian 12 install with examkiosk installed: systemd's units,
    getty@tty1 enabled (as Debian ships it), no default target set in /etc, the kiosk unit the
    examkiosk package ships, and a station store."""
    root = tmp_path / "root"
    (root / "usr/lib/systemd").mkdir(parents=True)
    (root / "lib").symlink_to("usr/lib")
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    shutil.copy(REPO / "installer/debian/systemd" / UNIT, root / "usr/lib/systemd/system" / UNIT)
    (root / GETTY_LINK).parent.mkdir(parents=True)
    (root / GETTY_LINK).symlink_to("/lib/systemd/system/getty@.service")
    store = root / "var/lib/examkiosk"
    store.mkdir(parents=True)
    (store / "station.db").write_bytes(b"encrypted store")
    (store / "keys").mkdir()
    (store / "keys" / "station.key").write_bytes(b"key")
    return root


def _run(scripts: Path, root: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["sh", str(scripts / script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DPKG_ROOT": str(root)},
    )
    assert result.returncode == 0, f"{script} {' '.join(args)}: {result.stderr}"
    return result


def _systemctl(root: Path, *args: str) -> str:
    result = subprocess.run(
        [_tool("systemctl"), f"--root={root}", *args], capture_output=True, text=True, timeout=60
    )
    return result.stdout.strip()


def _store_intact(root: Path) -> bool:
    store = root / "var/lib/examkiosk"
    return (store / "station.db").read_bytes() == b"encrypted store" and (
        store / "keys" / "station.key"
    ).read_bytes() == b"key"


def test_station_package_is_lintian_clean(station_package: Path) -> None:
    result = subprocess.run(
        [_tool("lintian"), "--fail-on", "error,warning", "--tag-display-limit", "0"]
        + [str(station_package)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    hints = [line for line in result.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    assert result.returncode == 0 and not hints, "\n".join(hints) or result.stderr[-2000:]


def test_station_package_depends_on_this_program_version_and_cage(station_package: Path) -> None:
    assert station_package.name == f"examkiosk-station_{__version__}_all.deb"
    control = _control(station_package)
    assert control["Package"] == "examkiosk-station" and control["Version"] == __version__
    assert control["Architecture"] == "all"
    depends = [d.strip() for d in control["Depends"].split(",")]
    assert f"examkiosk (= {__version__})" in depends and "cage" in depends
    files = subprocess.run(
        ["dpkg-deb", "-c", str(station_package)], capture_output=True, text=True, check=True
    ).stdout
    # No program, no data: a second copy of the program could never match the first.
    assert "opt/" not in files and "var/" not in files


def test_make_dist_builds_both_packages_side_by_side(tmp_path: Path) -> None:
    # A stand-in one-folder build: the packaging, not PyInstaller, is under test here
    # (test_deb.py packs the real build).
    frozen = tmp_path / "frozen"
    frozen.mkdir()
    (frozen / "examkiosk").write_text("#!/bin/sh\necho stand-in\n")
    (frozen / "examkiosk").chmod(0o755)
    out = tmp_path / "dist"
    result = subprocess.run(
        [sys.executable, str(REPO / "installer/build_deb.py"), "--frozen", str(frozen)]
        + ["--out", str(out), "--compression", "gzip", "--level", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    built = sorted(Path(line).name for line in result.stdout.split())
    assert built == [
        f"examkiosk-station_{__version__}_all.deb",
        f"examkiosk_{__version__}_amd64.deb",
    ]
    assert sorted(p.name for p in out.iterdir()) == built


def test_installing_dedicates_the_machine_and_removing_gives_it_back(
    scripts: Path, machine: Path
) -> None:
    assert _systemctl(machine, "get-default") == "graphical.target"  # Debian's vendor default
    _run(scripts, machine, "postinst", "configure", "")
    assert (machine / KIOSK_LINK).is_symlink()
    assert _systemctl(machine, "is-enabled", UNIT) == "enabled"
    assert (machine / SYSTEM / "default.target").is_symlink()
    assert _systemctl(machine, "get-default") == "graphical.target"
    # The unit's Conflicts= takes tty1 from the getty at boot; the getty stays enabled so the
    # technician's console (exit 75) and a removal get tty1's login prompt back.
    assert (machine / GETTY_LINK).is_symlink()

    _run(scripts, machine, "postrm", "remove")
    assert not (machine / KIOSK_LINK).exists() and not (machine / KIOSK_LINK).is_symlink()
    assert _systemctl(machine, "is-enabled", UNIT) == "disabled"
    # Nothing was set in /etc before: no link is left behind, the vendor default applies.
    assert not (machine / SYSTEM / "default.target").is_symlink()
    assert (machine / GETTY_LINK).is_symlink()
    _run(scripts, machine, "postrm", "purge")
    assert not (machine / "var/lib/examkiosk-station").exists()
    assert _store_intact(machine)


def test_removing_restores_the_default_target_set_before(scripts: Path, machine: Path) -> None:
    _systemctl(machine, "set-default", "multi-user.target")
    _run(scripts, machine, "postinst", "configure", "")
    assert _systemctl(machine, "get-default") == "graphical.target"
    _run(scripts, machine, "postrm", "remove")
    assert _systemctl(machine, "get-default") == "multi-user.target"
    assert _store_intact(machine)


def test_an_upgrade_keeps_the_record_of_the_machine_before_dedication(
    scripts: Path, machine: Path
) -> None:
    _systemctl(machine, "set-default", "multi-user.target")
    _run(scripts, machine, "postinst", "configure", "")
    # An upgrade runs postinst again, now on a dedicated machine: it must not record that.
    _run(scripts, machine, "postinst", "configure", "0.0.9")
    _run(scripts, machine, "postrm", "upgrade", __version__)
    _run(scripts, machine, "postrm", "remove")
    assert _systemctl(machine, "get-default") == "multi-user.target"
    assert _systemctl(machine, "is-enabled", UNIT) == "disabled"


def test_an_upgrade_keeps_what_an_administrator_changed_since(scripts: Path, machine: Path) -> None:
    _run(scripts, machine, "postinst", "configure", "")
    _systemctl(machine, "disable", UNIT)
    _run(scripts, machine, "postinst", "configure", "0.0.9")
    assert _systemctl(machine, "is-enabled", UNIT) == "disabled"


def test_installing_again_after_a_removal_dedicates_again(scripts: Path, machine: Path) -> None:
    _run(scripts, machine, "postinst", "configure", "")
    _run(scripts, machine, "postrm", "remove")
    # dpkg passes the removed version while the package is in config-files state.
    _run(scripts, machine, "postinst", "configure", __version__)
    assert _systemctl(machine, "is-enabled", UNIT) == "enabled"
    assert (machine / SYSTEM / "default.target").is_symlink()


def test_a_configure_retried_after_a_failure_keeps_the_first_record(
    scripts: Path, machine: Path
) -> None:
    _systemctl(machine, "set-default", "multi-user.target")
    # The first configure enables the kiosk, then fails (graphical.target unreadable).
    graphical = machine / "usr/lib/systemd/system/graphical.target"
    saved = graphical.read_bytes()
    graphical.unlink()
    failed = subprocess.run(
        ["sh", str(scripts / "postinst"), "configure", ""],
        capture_output=True,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DPKG_ROOT": str(machine)},
    )
    assert failed.returncode != 0
    assert _systemctl(machine, "is-enabled", UNIT) == "enabled"
    graphical.write_bytes(saved)
    _run(scripts, machine, "postinst", "configure", "")  # dpkg --configure -a
    assert _systemctl(machine, "get-default") == "graphical.target"
    _run(scripts, machine, "postrm", "remove")
    assert _systemctl(machine, "is-enabled", UNIT) == "disabled"
    assert _systemctl(machine, "get-default") == "multi-user.target"


def test_a_kiosk_enabled_by_hand_before_stays_enabled(scripts: Path, machine: Path) -> None:
    # The manual route of docs/install.md enabled the unit; removing the package undoes only
    # what the package did.
    _systemctl(machine, "enable", UNIT)
    _run(scripts, machine, "postinst", "configure", "")
    _run(scripts, machine, "postrm", "remove")
    assert _systemctl(machine, "is-enabled", UNIT) == "enabled"


def test_a_default_target_chosen_after_dedication_is_kept(scripts: Path, machine: Path) -> None:
    _run(scripts, machine, "postinst", "configure", "")
    _systemctl(machine, "set-default", "rescue.target")
    _run(scripts, machine, "postrm", "remove")
    assert _systemctl(machine, "get-default") == "rescue.target"
    assert _systemctl(machine, "is-enabled", UNIT) == "disabled"


def test_removal_after_the_kiosk_unit_is_gone_still_drops_its_link(
    scripts: Path, machine: Path
) -> None:
    _run(scripts, machine, "postinst", "configure", "")
    (machine / "usr/lib/systemd/system" / UNIT).unlink()
    _run(scripts, machine, "postrm", "remove")
    assert not (machine / KIOSK_LINK).is_symlink()
    assert _store_intact(machine)


def test_scripts_work_with_plain_systemctl_where_systemd_is_not_running(
    scripts: Path, machine: Path
) -> None:
    # The Debian installer runs postinst chrooted into the new system, where systemd is not
    # running and no DPKG_ROOT is set: plain `systemctl` must work offline there. Here the
    # scripts run without DPKG_ROOT in a private mount namespace whose /etc/systemd/system,
    # /usr/lib/systemd/system and /var/lib are the throwaway root's (SYSTEMD_OFFLINE=1 keeps
    # systemctl away from a running systemd, should this machine have one).
    unshare = _tool("unshare")
    binds = "".join(
        f'mount --bind "{machine}/{path}" "/{path}" && '
        for path in ("etc/systemd/system", "usr/lib/systemd/system", "var/lib")
    )
    script = (
        f'{binds}sh "{scripts}/postinst" configure "" && '
        f"systemctl is-enabled {UNIT} && systemctl get-default && "
        f'sh "{scripts}/postrm" remove && {{ systemctl is-enabled {UNIT} || true; }}'
    )
    result = subprocess.run(
        [unshare, "--mount", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_OFFLINE": "1"},
    )
    assert result.returncode == 0, f"needs root for unshare --mount: {result.stderr}"
    assert result.stdout.split() == ["enabled", "graphical.target", "disabled"], result.stderr
    assert not (machine / KIOSK_LINK).is_symlink()
    assert not (machine / SYSTEM / "default.target").is_symlink()
    assert _store_intact(machine)
