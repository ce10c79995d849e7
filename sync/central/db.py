"""One small database layer over SQLite (default) and PostgreSQL (by URL).

Both dialects see the same SQL, written with `?` placeholders; PostgreSQL gets them
rewritten to `%s`. A write transaction is exclusive per station: SQLite takes the database
write lock up front (BEGIN IMMEDIATE); on PostgreSQL callers lock the station's row
(`lock_suffix`), so several central processes can serve one database side by side.
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sync.central.errors import DatabaseUnavailable

POOL_SIZE = 8
SQLITE_BUSY_TIMEOUT_S = 30.0


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def sqlite_path(url: str) -> Path:
    """`sqlite:///abs/path`, `sqlite:rel/path` or a plain path -> the file's path."""
    if url.startswith("sqlite:///"):
        return Path("/" + url[len("sqlite:///") :].lstrip("/"))
    if url.startswith("sqlite:"):
        return Path(url[len("sqlite:") :])
    return Path(url)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"


class Tx:
    """One open transaction; the only way code above this module touches SQL."""

    def __init__(self, conn: Any, postgres: bool) -> None:
        self._conn = conn
        self.postgres = postgres

    def _sql(self, sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s") if self.postgres else sql

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self._conn.execute(self._sql(sql), tuple(params))
        return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        cur = self._conn.execute(self._sql(sql), tuple(params))
        row = cur.fetchone() if cur.description else None
        return tuple(row) if row is not None else None

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute a statement; returns the number of rows it changed."""
        cur = self._conn.execute(self._sql(sql), tuple(params))
        return int(cur.rowcount or 0)

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.postgres:
            with self._conn.cursor() as cur:
                cur.executemany(self._sql(sql), rows)
        else:
            self._conn.executemany(sql, rows)

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Bulk insert: COPY on PostgreSQL, executemany on SQLite."""
        if not rows:
            return
        if self.postgres:
            with self._conn.cursor() as cur:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            self._conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )

    @property
    def lock_suffix(self) -> str:
        """Append to a SELECT of the row that serialises writers (no-op on SQLite)."""
        return " FOR UPDATE" if self.postgres else ""


class Database:
    """A small pool of connections to one database; thread-safe."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = is_postgres(url)
        self.kind = "postgresql" if self.postgres else "sqlite"
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue()
        self._created = 0
        self._lock = threading.Lock()
        self._closed = False

    def _connect(self) -> Any:
        try:
            if self.postgres:
                import psycopg

                return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            path = sqlite_path(self.url)
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Readable by the service's user only; SQLite gives its -wal and -shm files the
            # database file's mode, so they follow.
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
            if path.stat().st_mode & 0o077 and path.stat().st_uid == os.geteuid():
                os.chmod(path, 0o600)
            conn = sqlite3.connect(
                str(path),
                isolation_level=None,
                check_same_thread=False,
                timeout=SQLITE_BUSY_TIMEOUT_S,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # An acknowledged event must survive a power cut at the centre too.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            return conn
        except Exception as exc:  # psycopg.OperationalError, sqlite3.Error, OSError
            raise DatabaseUnavailable(redact(self.url), repr(exc)) from exc

    def _acquire(self) -> Any:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._created < POOL_SIZE:
                self._created += 1
                try:
                    return self._connect()
                except BaseException:
                    self._created -= 1
                    raise
        try:
            return self._pool.get(timeout=60)
        except queue.Empty as exc:
            raise DatabaseUnavailable(redact(self.url), "no free connection") from exc

    def _release(self, conn: Any, broken: bool) -> None:
        if broken or self._closed:
            with self._lock:
                self._created -= 1
            try:
                conn.close()
            except Exception:
                pass
            return
        self._pool.put(conn)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """Commit on normal exit, roll back on an exception (which propagates)."""
        conn = self._acquire()
        broken = False
        try:
            if self.postgres:
                with conn.transaction():
                    yield Tx(conn, True)
            else:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield Tx(conn, False)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except Exception as exc:
            broken = self.postgres and bool(getattr(conn, "broken", False) or conn.closed)
            if isinstance(exc, sqlite3.OperationalError) or _is_pg_operational(exc):
                broken = broken or self.postgres
                raise DatabaseUnavailable(redact(self.url), repr(exc)) from exc
            raise
        finally:
            self._release(conn, broken)

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                conn = self._pool.get_nowait()
            except queue.Empty:
                return
            try:
                conn.close()
            except Exception:
                pass


def _is_pg_operational(exc: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.OperationalError)
