"""Builds dist/examkiosk_<version>_amd64.deb and dist/examkiosk-station_<version>_all.deb.

    python installer/build_deb.py --frozen dist/examkiosk --out dist [--version V]
        [--package examkiosk|examkiosk-station]   (default: both, one path per line)

examkiosk is the program, built from the PyInstaller one-folder build; it changes nothing
about how the machine boots (the centre and developers install it too). examkiosk-station
(installer/debian/station/) holds no program: installing it dedicates the machine to the
kiosk (the kiosk unit enabled, graphical.target the default, USB drives mounted for the
window) and removing it gives the machine back.

No debhelper: the tree is laid out here and packed with `dpkg-deb --root-owner-group`.
The program goes to /opt/examkiosk/releases/<version> with /opt/examkiosk/current pointing at
it (a signed offline update adds a release beside it and switches `current`, keeping the
previous one for a roll-back); /usr/bin/examkiosk and /usr/bin/examkiosk-central point
through `current`. The build refuses a tree that holds the virtual reader driver, test data
or demo keys (a safety net behind the spec's excludes).
"""

from __future__ import annotations

import argparse
import fnmatch
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEBIAN = HERE / "debian"
REPO = HERE.parent
PACKAGE = "examkiosk"
STATION = "examkiosk-station"
STATION_DIR = DEBIAN / "station"
OPT = Path("opt/examkiosk")

# Never in a station's install: the vsmartcard virtual reader (it listens on the network),
# test suites and test photos, and anything that looks like a key or a demo venue.
FORBIDDEN = (
    "*vpcd*",
    "*vsmartcard*",
    "*/tests/*",
    "*/testdata/*",
    "*/hypothesis/*",
    "*/_pytest/*",
    "*demo-passphrase*",
    "*keyslots.json",
    "*/keys.json",
    "*station.db",
    "*.ekp",
    "*.ekb",
)


class BuildError(Exception):
    pass


def program_version() -> str:
    text = (REPO / "examkiosk" / "__init__.py").read_text("utf-8")
    match = re.search(r'__version__ = "([^"]+)"', text)
    if not match:
        raise BuildError("examkiosk/__init__.py has no __version__")
    return match.group(1)


def forbidden_files(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):
        rel = "/" + path.relative_to(root).as_posix()
        if any(fnmatch.fnmatch(rel.lower(), pattern) for pattern in FORBIDDEN):
            found.append(rel)
    return sorted(found)


def _gzip_n(source: bytes, target: Path) -> None:
    """gzip -9n: no name, no time stamp, so the package is reproducible (and lintian-clean)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as out:
        out.write(source)


def _install(source: Path, target: Path, mode: int, text: str | None = None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        shutil.copyfile(source, target)
    else:
        target.write_text(text, "utf-8")
    target.chmod(mode)


def _normalise_modes(root: Path) -> None:
    # Wheels and PyInstaller leave group-writable or odd modes; policy wants 0755/0644.
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            (Path(dirpath) / name).chmod(0o755)
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                continue
            # Libraries are loaded with dlopen and need no execute bit (policy: 0644).
            library = name.endswith(".so") or ".so." in name
            executable = path.stat().st_mode & 0o111 and not library
            path.chmod(0o755 if executable else 0o644)
    root.chmod(0o755)


def _changelog(version: str, package: str = PACKAGE) -> bytes:
    return (
        f"{package} ({version}) unstable; urgency=medium\n\n"
        "  * Release built from the ExamKiosk repository; see its git history.\n\n"
        " -- ExamKiosk maintainers <examkiosk@example.org>  Wed, 25 Nov 2026 00:00:00 +0000\n"
    ).encode()


def stage(frozen: Path, version: str, root: Path) -> None:
    """Lay the package's files out under `root` (DEBIAN/ included)."""
    if not (frozen / "examkiosk").is_file():
        raise BuildError(f"{frozen} is not a PyInstaller build (no examkiosk executable)")
    bad = forbidden_files(frozen)
    if bad:
        raise BuildError("the build holds files a station must never get: " + ", ".join(bad[:10]))
    release = root / OPT / "releases" / version
    shutil.copytree(frozen, release, symlinks=True)
    # One executable serves both commands; it looks at the name it was started by.
    (release / "examkiosk-central").unlink(missing_ok=True)
    (release / "examkiosk-central").symlink_to("examkiosk")
    _normalise_modes(root / "opt")
    (root / OPT / "current").symlink_to(f"releases/{version}")
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("examkiosk", "examkiosk-central"):
        (bin_dir / name).symlink_to(f"/{OPT}/current/{name}")

    _install(
        DEBIAN / "udev" / "60-examkiosk.rules", root / "lib/udev/rules.d/60-examkiosk.rules", 0o644
    )
    for unit in ("examkiosk-central.service", "examkiosk-kiosk.service"):
        _install(DEBIAN / "systemd" / unit, root / "lib/systemd/system" / unit, 0o644)
    _install(DEBIAN / "kiosk-after-window", root / "usr/share/examkiosk/kiosk/after-window", 0o755)
    _install(DEBIAN / "pam-examkiosk-kiosk", root / "etc/pam.d/examkiosk-kiosk", 0o644)

    doc = root / "usr/share/doc" / PACKAGE
    _install(DEBIAN / "copyright", doc / "copyright", 0o644)
    _gzip_n(_changelog(version), doc / "changelog.gz")
    _install(REPO / "docs" / "install.md", doc / "install.md", 0o644)
    _install(
        DEBIAN / "nginx" / "examkiosk-central.conf",
        doc / "examples/nginx-examkiosk-central.conf",
        0o644,
    )
    _install(DEBIAN / "central.env", doc / "examples/central.env", 0o644)
    for page in ("examkiosk.1", "examkiosk-central.1"):
        _gzip_n((DEBIAN / "man" / page).read_bytes(), root / "usr/share/man/man1" / f"{page}.gz")
    _install(DEBIAN / "lintian-overrides", root / "usr/share/lintian/overrides" / PACKAGE, 0o644)
    _directory_modes(root)

    _control_files(root, DEBIAN, version, ("preinst", "postinst", "prerm", "postrm"))
    _install(DEBIAN / "conffiles", root / "DEBIAN" / "conffiles", 0o644)


def _directory_modes(root: Path) -> None:
    for path in (root / "usr", root / "lib", root / "etc"):
        if not path.exists():
            continue
        path.chmod(0o755)
        for sub in path.rglob("*"):
            if sub.is_dir() and not sub.is_symlink():
                sub.chmod(0o755)


def _control_files(root: Path, source: Path, version: str, scripts: tuple[str, ...]) -> None:
    """DEBIAN/control from source/control.in, and the maintainer scripts (after the files:
    Installed-Size counts what is staged so far)."""
    control_dir = root / "DEBIAN"
    control_dir.mkdir()
    control_dir.chmod(0o755)
    size_kib = sum((p.lstat().st_size + 1023) // 1024 for p in root.rglob("*") if not p.is_dir())
    control = (source / "control.in").read_text("utf-8")
    control = control.replace("@VERSION@", version).replace("@INSTALLED_SIZE@", str(size_kib))
    _install(source / "control.in", control_dir / "control", 0o644, control)
    for script in scripts:
        text = (source / script).read_text("utf-8").replace("@VERSION@", version)
        _install(source / script, control_dir / script, 0o755, text)


def stage_station(version: str, root: Path) -> None:
    """examkiosk-station: the USB mount rule, its docs and the scripts that dedicate the
    machine (postinst) and give it back (postrm)."""
    _install(
        STATION_DIR / "61-examkiosk-station-media.rules",
        root / "lib/udev/rules.d/61-examkiosk-station-media.rules",
        0o644,
    )
    doc = root / "usr/share/doc" / STATION
    _install(DEBIAN / "copyright", doc / "copyright", 0o644)
    _gzip_n(_changelog(version, STATION), doc / "changelog.gz")
    _install(
        STATION_DIR / "lintian-overrides", root / "usr/share/lintian/overrides" / STATION, 0o644
    )
    _directory_modes(root)
    _control_files(root, STATION_DIR, version, ("postinst", "postrm"))


def _pack(root: Path, target: Path, compression: str, level: int | None) -> None:
    command = ["dpkg-deb", "--root-owner-group", f"-Z{compression}"]
    if level is not None:
        command.append(f"-z{level}")
    result = subprocess.run(
        [*command, "--build", str(root), str(target)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BuildError(f"dpkg-deb failed: {result.stderr.strip()}")


def build(
    frozen: Path, out_dir: Path, version: str, compression: str = "xz", level: int | None = None
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{PACKAGE}_{version}_amd64.deb"
    with tempfile.TemporaryDirectory(prefix="ek-deb-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        stage(frozen, version, root)
        _pack(root, target, compression, level)
    return target


def build_station(
    out_dir: Path, version: str, compression: str = "xz", level: int | None = None
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{STATION}_{version}_all.deb"
    with tempfile.TemporaryDirectory(prefix="ek-deb-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        stage_station(version, root)
        _pack(root, target, compression, level)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frozen", type=Path, default=REPO / "dist" / "examkiosk")
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument("--version", default=None)
    # Debian's tools (lintian, older dpkg) accept xz and gzip only; xz is the release's.
    parser.add_argument("--compression", choices=["xz", "gzip"], default="xz")
    parser.add_argument("--level", type=int, choices=range(0, 10), default=None)
    parser.add_argument("--package", choices=[PACKAGE, STATION], default=None)
    args = parser.parse_args(argv)
    version = args.version or program_version()
    try:
        paths = []
        if args.package in (None, PACKAGE):
            paths.append(build(args.frozen, args.out, version, args.compression, args.level))
        if args.package in (None, STATION):
            paths.append(build_station(args.out, version, args.compression, args.level))
    except BuildError as exc:
        print(f"build_deb: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
