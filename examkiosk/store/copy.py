"""Copies of the encrypted store for backups, and the facts an inspection reads from a store
file (integrity, cipher and schema versions).

The copy uses SQLite's online backup API through SQLCipher, source and target keyed with the
same raw key, so the pages are re-encrypted page by page and the key never leaves memory.
It runs in ONE step (`pages=-1`): a step-wise backup restarts from the beginning whenever
another connection writes to the source, and a running exam writes every few seconds, so a
step-wise copy might never finish. One step holds a read transaction on a WAL database,
which never blocks the station's writer: answers keep being saved while the copy runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3


def _key_pragma(key: bytes) -> str:
    return "PRAGMA key = " + '"' + "x'" + key.hex() + "'" + '"'


def _connect(path: Path, key: bytes, *, read_only: bool) -> Any:
    if read_only:
        conn = sqlcipher3.connect(
            f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
    else:
        conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(_key_pragma(key))
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def copy_store(source: Path, key: bytes, target: Path) -> None:
    """Copy the store at `source` into the new file `target` (which must not exist)."""
    if target.exists():
        raise FileExistsError(target)
    src = _connect(source, key, read_only=False)
    try:
        dst = _connect(target, key, read_only=False)
        try:
            src.backup(dst, pages=-1)
            # The copy is a standalone file: no -wal beside it to lose on the way.
            dst.execute("PRAGMA journal_mode=DELETE")
        except sqlcipher3.OperationalError as exc:  # a full or vanished target disk
            raise OSError(f"copy to {target} failed: {exc}") from exc
        finally:
            dst.close()
    finally:
        src.close()


@dataclass(frozen=True)
class StoreCheck:
    """What a store file says about itself. `opened` False: the key did not open it."""

    opened: bool
    cipher_version: str = ""
    cipher_problems: tuple[str, ...] = ()
    integrity: tuple[str, ...] = ()  # ("ok",) when whole
    schema_version: int = 0
    station_id: str = ""
    venue_id: str = ""
    last_seq: int = 0
    last_hash: str = ""
    error: str = ""

    @property
    def whole(self) -> bool:
        return self.opened and not self.cipher_problems and self.integrity == ("ok",)


def check_store(path: Path, key: bytes, *, max_problems: int = 20) -> StoreCheck:
    """Open `path` with `key` on its own connection and run SQLCipher's page check
    (`cipher_integrity_check`: every page's HMAC) and SQLite's `integrity_check`."""
    try:
        conn = _connect(path, key, read_only=True)
    except sqlcipher3.Error as exc:
        return StoreCheck(opened=False, error=str(exc))
    try:
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            return StoreCheck(opened=False, error=str(exc))
        version = conn.execute("PRAGMA cipher_version").fetchone()
        try:
            cipher = tuple(
                str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()
            )[:max_problems]
        except sqlcipher3.DatabaseError as exc:
            cipher = (str(exc),)
        try:
            rows = conn.execute(f"PRAGMA integrity_check({int(max_problems)})").fetchall()
            integrity = tuple(str(r[0]) for r in rows)
        except sqlcipher3.DatabaseError as exc:
            integrity = (str(exc),)
        facts: dict[str, Any] = {}
        try:
            schema = conn.execute("SELECT max(version) FROM schema_version").fetchone()
            meta = dict(
                conn.execute(
                    "SELECT key, value FROM meta WHERE key IN ('station_id', 'venue_id')"
                ).fetchall()
            )
            last = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            facts = {
                "schema_version": int(schema[0] or 0),
                "station_id": str(meta.get("station_id", "")),
                "venue_id": str(meta.get("venue_id", "")),
                "last_seq": int(last[0]) if last else 0,
                "last_hash": str(last[1]) if last else "",
            }
        except sqlcipher3.DatabaseError as exc:
            integrity = (*integrity, f"unreadable: {exc}")
        return StoreCheck(
            opened=True,
            cipher_version=str(version[0]) if version else "",
            cipher_problems=cipher,
            integrity=integrity,
            **facts,
        )
    finally:
        conn.close()


@dataclass(frozen=True)
class ChainCheck:
    events: int
    problems: tuple[str, ...]  # "seq N: kind", at most a few

    @property
    def whole(self) -> bool:
        return not self.problems


def check_chain(path: Path, key: bytes, station_id: str, *, batch: int = 5000) -> ChainCheck:
    """Every event's hash and link from seq 1 to the last, read in batches (bounded memory)."""
    from examkiosk.store import outbox
    from sync.events import verify_chain

    conn = _connect(path, key, read_only=True)
    problems: list[str] = []
    count = 0
    prev_hash: str | None = None
    after = 0
    try:
        while True:
            events = list(outbox.iter_events(conn, station_id, after_seq=after, limit=batch))
            if not events:
                break
            if events[0].seq != after + 1:
                problems.append(f"seq {events[0].seq}: gap")
            for problem in verify_chain(events, station_id=station_id, prev_hash=prev_hash):
                problems.append(f"seq {problem.seq}: {problem.problem}")
            count += len(events)
            prev_hash = events[-1].hash
            after = events[-1].seq
            if len(problems) >= 10:
                break
    except sqlcipher3.DatabaseError as exc:
        problems.append(f"unreadable: {exc}")
    finally:
        conn.close()
    return ChainCheck(events=count, problems=tuple(problems[:10]))
