"""The station's encrypted store: SQLCipher 4, WAL, synchronous=FULL, a 256-bit raw key.

All access goes through one `Store` object whose connection is guarded by a lock; the UI
funnels database work through a single worker thread, so the lock is never contended on the
GUI thread. A write is durable when `transaction()` returns.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlcipher3

from examkiosk.core.errors import StoreLocked, StoreWriteFailed
from examkiosk.store import copy, migrations

REQUIRED_CIPHER_MAJOR = 4


def _key_pragma(key: bytes) -> str:
    # The raw-key form skips SQLCipher's own KDF: the key is already 256 random bits.
    return "PRAGMA key = " + '"' + "x'" + key.hex() + "'" + '"'


def _write_failure(exc: BaseException) -> StoreWriteFailed | None:
    """The typed error for SQLite's answers about the disk; None for anything else."""
    text = str(exc).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return StoreWriteFailed("full", str(exc))
    if "readonly" in text or "read-only" in text:
        return StoreWriteFailed("read_only", str(exc))
    if "disk i/o error" in text or "unable to open database file" in text:
        return StoreWriteFailed("io", str(exc))
    return None


class Store:
    def __init__(self, conn: Any, path: Path, key: bytes = b"") -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        # Kept so a staff member's first sign-in can wrap it into their own key slot; it is
        # in this process's memory anyway (SQLCipher holds it), never written or logged.
        self._key = key

    @property
    def key(self) -> bytes:
        return self._key

    @classmethod
    def open(cls, path: Path, key: bytes, *, create: bool = False) -> Store:
        """Open (or with `create`, create) the store; StoreLocked if the key does not fit."""
        if not create and not path.exists():
            raise StoreLocked(
                "找不到本机数据库。请确认数据目录，或先完成考点部署。",
                "The station database was not found. Check the data directory or provision "
                "the station first.",
                detail=str(path),
            )
        fresh = create and not path.exists()
        conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
        try:
            conn.execute(_key_pragma(key))
            if fresh:
                # Private to the station's account; SQLite gives -wal/-shm the same mode.
                conn.execute("PRAGMA user_version").fetchone()
                os.chmod(path, 0o600)
            version = conn.execute("PRAGMA cipher_version").fetchone()
            if not version or not str(version[0]).startswith(f"{REQUIRED_CIPHER_MAJOR}."):
                raise StoreLocked(
                    "加密数据库组件不可用或版本不对，请重新安装 ExamKiosk。",
                    "The encrypted database library is missing or the wrong version; "
                    "reinstall ExamKiosk.",
                    detail=f"cipher_version={version!r}",
                )
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlcipher3.DatabaseError as exc:
                raise StoreLocked(
                    "密钥不正确，无法打开本机数据库；数据未被改动。",
                    "The key does not open this station's database; nothing was changed.",
                    detail=str(path),
                ) from exc
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=10000")
            migrations.migrate(conn)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, key)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A write transaction; committed (and durable) when the block exits normally.

        A disk that refuses the write (full, read-only, I/O error, gone) raises
        StoreWriteFailed after rolling back: nothing of the transaction is kept and
        everything committed before stays as it was.
        """
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlcipher3.OperationalError as exc:
                raise _write_failure(exc) or exc from exc
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlcipher3.Error):
                    # SQLite may have rolled back already after a full disk or I/O error.
                    self._conn.execute("ROLLBACK")
                failure = (
                    _write_failure(exc) if isinstance(exc, sqlcipher3.OperationalError) else None
                )
                if failure is not None:
                    raise failure from exc
                raise

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        with self._lock:
            yield self._conn

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else default

    def set_meta(self, conn: Any, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def integrity_check(self) -> str:
        return str(self.query("PRAGMA integrity_check")[0][0])

    def checkpoint(self) -> None:
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def copy_to(self, target: Path) -> None:
        """Write a consistent copy of the store to `target`, encrypted with the same key.

        Taken on a second connection, so the station keeps writing meanwhile (WAL readers
        never block the writer); see examkiosk.store.copy for why in one step."""
        if not self._key:
            raise RuntimeError("this store was opened without a key to copy with")
        copy.copy_store(self.path, self._key, target)

    def check_file(self, path: Path | None = None) -> copy.StoreCheck:
        """Integrity, cipher and schema facts of the store file (or of a copy of it at
        `path`, encrypted with the same key), read on a second connection."""
        if not self._key:
            raise RuntimeError("this store was opened without a key to check with")
        return copy.check_store(path or self.path, self._key)

    def check_chain(self, station_id: str, path: Path | None = None) -> copy.ChainCheck:
        """The event chain of the store (or of a copy at `path`) verified end to end."""
        if not self._key:
            raise RuntimeError("this store was opened without a key to check with")
        return copy.check_chain(path or self.path, self._key, station_id)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
