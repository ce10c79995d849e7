"""Fixtures of the central service's tests: a throwaway PostgreSQL cluster (session), a
central home per test on SQLite or PostgreSQL, and the HTTP service on 127.0.0.1."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sync.central.home import CentralHome
from sync.central.server import BackgroundServer, free_port
from sync.crypto import KeyPair

PASSPHRASE = "correct horse battery staple"


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Base URL of a PostgreSQL cluster initialised in a temp dir, on 127.0.0.1."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin")
    run_as: list[str] = []
    datadir = Path(tempfile.mkdtemp(prefix="examkiosk-pg-"))
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(datadir, ignore_errors=True)
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL")
        os.chown(datadir, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    pgdata = datadir / "data"
    log = datadir / "server.log"
    try:
        subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(pgdata), "-U", "postgres", "-A", "trust",
             "--no-sync", "-E", "UTF8"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(pgdata), "-l", str(log), "-w", "-t", "60",
             "-o", f"-h 127.0.0.1 -p {port} -k {datadir} -F -c max_connections=200", "start"],
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(datadir, ignore_errors=True)
        pytest.skip(f"could not start a throwaway PostgreSQL: {exc} {detail[-400:]!r}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(pgdata), "-m", "immediate", "stop"],
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(datadir, ignore_errors=True)


def new_pg_database(base: str) -> str:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'central.db'}"
    return new_pg_database(request.getfixturevalue("pg_server"))


@dataclass
class Central:
    home: CentralHome
    keys: KeyPair
    path: Path

    def station(self, station_id: str, venue_id: str = "V1") -> KeyPair:
        keys = KeyPair.generate()
        self.home.register_station(station_id, venue_id, keys.public())
        return keys


@pytest.fixture
def central(tmp_path: Path, db_url: str) -> Iterator[Central]:
    path = tmp_path / "home"
    home = CentralHome(path, db_url)
    home.init(PASSPHRASE)
    keys = home.unlock(PASSPHRASE)
    yield Central(home, keys, path)
    home.close()


@pytest.fixture
def server(central: Central) -> Iterator[BackgroundServer]:
    with BackgroundServer(central.home, central.keys) as srv:
        yield srv
