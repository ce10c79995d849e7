"""Applying a signed offline update to this station's program.

The install root (default /opt/examkiosk, or $EXAMKIOSK_INSTALL_ROOT) holds

    releases/<version>/     one folder per release (the PyInstaller build)
    current -> releases/V   what /usr/bin/examkiosk starts
    previous -> releases/U  the release before, kept for one roll-back

On Windows (root %ProgramFiles%\\ExamKiosk) `current` and `previous` are pointer files, a
line "releases/V", because Windows lets only administrators make symbolic links; they are
replaced the same way, by a rename, and the kiosk shell starts the release `current` names.

An update is checked in full before anything changes (centre's signature, kind, product,
platform, newer than what is installed, no attempt in progress), then unpacked beside the
running release, then `current` is switched with one atomic rename. The station's data is
never touched: it lives elsewhere (/var/lib/examkiosk) and its format is migrated by the new
program when it opens it. Releases other than current and previous are removed afterwards.
"""

from __future__ import annotations

import os
import platform
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from examkiosk import __version__
from examkiosk.core.authz import Person, audit
from examkiosk.core.errors import KioskError
from examkiosk.core.station import Station
from sync.portable_files import replace_file
from sync.update import UpdateMeta, UpdateRefused, parse_version, unpack_update, verify_update

INSTALL_ROOT_ENV = "EXAMKIOSK_INSTALL_ROOT"


def this_platform() -> str:
    system = "windows" if sys.platform.startswith("win") else sys.platform
    machine = platform.machine().lower()
    return f"{system}-{ {'x86_64': 'amd64', 'amd64': 'amd64'}.get(machine, machine) }"


def default_install_root() -> Path:
    env = os.environ.get(INSTALL_ROOT_ENV)
    if env:
        return Path(env)
    if sys.platform.startswith("win"):
        return Path(os.environ.get("ProgramFiles", r"C:\Program Files")) / "ExamKiosk"
    return Path("/opt/examkiosk")


POINTER_MAX_BYTES = 256


def release_named_by(pointer: str) -> str | None:
    """The release a pointer file names ("releases/0.2.0", or with a backslash); None for
    anything else, so a damaged pointer never leads outside releases/."""
    parts = pointer.strip().replace("\\", "/").split("/")
    if len(parts) != 2 or parts[0] != "releases" or parts[1] in ("", ".", ".."):
        return None
    return parts[1]


@dataclass(frozen=True)
class Installation:
    root: Path
    # Pointer files instead of symlinks for current/previous (the Windows layout).
    pointers: bool = sys.platform == "win32"

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def previous(self) -> Path:
        return self.root / "previous"

    def _target(self, link: Path) -> str | None:
        if not self.pointers:
            try:
                return Path(os.readlink(link)).name
            except OSError:
                return None
        try:
            if link.stat().st_size > POINTER_MAX_BYTES:
                return None
            return release_named_by(link.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return None

    def current_program(self) -> Path | None:
        """The program file of the current release, if there is one."""
        version = self._target(self.current)
        if version is None:
            return None
        program = self.releases / version / ("examkiosk.exe" if self.pointers else "examkiosk")
        return program if program.is_file() else None

    def installed_version(self) -> str:
        """The release `current` points at; the running program's own version otherwise
        (a developer's tree, or a machine installed without the release layout)."""
        return self._target(self.current) or __version__

    def previous_version(self) -> str | None:
        return self._target(self.previous)

    def _point(self, link: Path, version: str) -> None:
        # A link cannot be overwritten in place: make a new one and rename it over the old.
        temporary = self.root / f".{link.name}.{secrets.token_hex(4)}"
        if self.pointers:
            temporary.write_text(f"releases/{version}\n", encoding="utf-8")
        else:
            temporary.symlink_to(f"releases/{version}")
        replace_file(temporary, link)

    def switch_to(self, version: str) -> None:
        """Make `version` current and the release it replaces the previous one."""
        old = self._target(self.current)
        self._point(self.current, version)
        if old and old != version:
            self._point(self.previous, old)

    def prune(self) -> list[str]:
        """Remove every release but current and previous; returns the versions removed."""
        keep = {self._target(self.current), self._target(self.previous)}
        removed = []
        for folder in sorted(self.releases.iterdir()) if self.releases.is_dir() else []:
            if folder.name not in keep:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
        return removed


@dataclass(frozen=True)
class AppliedUpdate:
    previous: str
    installed: str
    sha256: str


def attempts_in_progress(station: Station) -> int:
    return int(
        station.store.query("SELECT count(*) FROM attempts WHERE state = 'in_progress'")[0][0]
    )


def check_update(path: Path, station: Station, install: Installation) -> UpdateMeta:
    """Every check that needs no change: raises (zh/en) if this update must not be applied."""
    if not path.is_file():
        raise KioskError("找不到更新文件。", "The update file was not found.", detail=str(path))
    meta, _info = verify_update(path, station.central_keys())
    if meta.platform != this_platform():
        raise UpdateRefused(
            f"该更新适用于 {meta.platform}，本机为 {this_platform()}。",
            f"This update is for {meta.platform}; this machine is {this_platform()}.",
        )
    installed = install.installed_version()
    if parse_version(meta.version) <= parse_version(installed):
        raise UpdateRefused(
            f"该更新（{meta.version}）不比已安装的版本（{installed}）新，不能安装。",
            f"This update ({meta.version}) is not newer than the installed version "
            f"({installed}); it will not be installed.",
        )
    busy = attempts_in_progress(station)
    if busy:
        raise KioskError(
            f"有 {busy} 份作答正在进行，考试期间不能更新程序。请在本场考试结束后再更新。",
            f"{busy} attempt(s) are in progress: the program cannot be updated during a "
            "sitting. Update after this sitting has ended.",
        )
    return meta


def apply_update(
    path: Path, station: Station, person: Person | None, install: Installation | None = None
) -> AppliedUpdate:
    """Verify and install the update in `path`; see the module docstring for the order.

    Raises SyncError (not signed by the centre, damaged, refused) or KioskError before
    anything changes; an OSError while unpacking leaves the install as it was.
    """
    install = install or Installation(default_install_root())
    meta = check_update(path, station, install)
    before = install.installed_version()
    install.releases.mkdir(parents=True, exist_ok=True)
    incoming = install.releases / f".incoming-{meta.version}-{secrets.token_hex(4)}"
    unpacked = unpack_update(path, station.central_keys(), incoming)
    target = install.releases / meta.version
    if target.exists():  # left by an earlier attempt that never became current
        shutil.rmtree(target)
    os.replace(incoming, target)
    central = target / "examkiosk-central"
    if (target / "examkiosk").is_file() and not central.exists():
        central.symlink_to("examkiosk")  # the package's second command (installer/entry.py)
    install.switch_to(meta.version)
    install.prune()
    sha256 = _sha256(path)
    with station.store.transaction() as conn:
        audit(
            station,
            conn,
            person,
            "update.apply",
            {"from": before, "to": unpacked.version, "sha256": sha256},
        )
    return AppliedUpdate(previous=before, installed=meta.version, sha256=sha256)


def roll_back(station: Station, person: Person, install: Installation | None = None) -> str:
    """Make the previous release current again (once); returns its version."""
    install = install or Installation(default_install_root())
    previous, current = install.previous_version(), install.installed_version()
    if previous is None or not (install.releases / previous).is_dir():
        raise KioskError(
            "没有可以回退到的上一版本。", "There is no previous version to roll back to."
        )
    if attempts_in_progress(station):
        raise KioskError(
            "考试期间不能回退程序版本。", "The program cannot be rolled back during a sitting."
        )
    install.switch_to(previous)
    with station.store.transaction() as conn:
        audit(station, conn, person, "update.rollback", {"from": current, "to": previous})
    return previous


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
