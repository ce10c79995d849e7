from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from examkiosk.core.errors import StoreLocked
from examkiosk.store import keys as store_keys
from examkiosk.store import migrations
from examkiosk.store.db import Store
from examkiosk.store.outbox import append_event, iter_events
from sync.events import verify_chain

PASSPHRASE = "correct horse battery staple"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record(store: Store, n: int) -> None:
    for i in range(n):
        with store.transaction() as conn:
            append_event(
                conn,
                station_id="ST1",
                type="test",
                payload={"i": i},
                wall_time="2026-11-22T08:00:00.000+08:00",
                mono_time=float(i),
            )


def test_store_reopens_with_its_key_and_not_with_another(tmp_path: Path) -> None:
    key = store_keys.new_store_key()
    store = Store.open(tmp_path / "s.db", key, create=True)
    with store.transaction() as conn:
        store.set_meta(conn, "station_id", "ST1")
    store.checkpoint()
    store.close()
    before = _digest(tmp_path / "s.db")

    with pytest.raises(StoreLocked) as caught:
        Store.open(tmp_path / "s.db", store_keys.new_store_key())
    assert "nothing was changed" in caught.value.en
    assert _digest(tmp_path / "s.db") == before

    reopened = Store.open(tmp_path / "s.db", key)
    assert reopened.get_meta("station_id") == "ST1"
    reopened.close()


def test_stdlib_sqlite_cannot_read_the_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db", store_keys.new_store_key(), create=True)
    _record(store, 3)
    store.close()
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(tmp_path / "s.db").execute("SELECT * FROM sqlite_master").fetchall()


def test_store_is_durable_by_configuration(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db", store_keys.new_store_key(), create=True)
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    assert store.query("PRAGMA synchronous")[0][0] == 2  # FULL
    assert str(store.query("PRAGMA cipher_version")[0][0]).startswith("4.")
    store.close()


def test_outbox_chain_is_gapless_and_verifiable(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db", store_keys.new_store_key(), create=True)
    _record(store, 25)
    with store.reading() as conn:
        events = list(iter_events(conn, "ST1"))
    assert [e.seq for e in events] == list(range(1, 26))
    assert verify_chain(events, station_id="ST1") == []
    store.close()


def test_a_failed_transaction_leaves_neither_state_nor_event(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db", store_keys.new_store_key(), create=True)
    _record(store, 2)
    with pytest.raises(RuntimeError), store.transaction() as conn:
        store.set_meta(conn, "half", "done")
        append_event(conn, station_id="ST1", type="lost", payload={}, wall_time="x", mono_time=0)
        raise RuntimeError("power cut")
    assert store.get_meta("half") is None
    assert [r[0] for r in store.query("SELECT seq FROM events ORDER BY seq")] == [1, 2]
    _record(store, 1)
    assert [r[0] for r in store.query("SELECT seq FROM events ORDER BY seq")] == [1, 2, 3]
    store.close()


def test_tampering_with_an_event_breaks_the_chain(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db", store_keys.new_store_key(), create=True)
    _record(store, 5)
    with store.transaction() as conn:
        conn.execute("UPDATE events SET payload_json = '{\"i\": 99}' WHERE seq = 3")
    with store.reading() as conn:
        problems = verify_chain(list(iter_events(conn, "ST1")))
    assert [(p.seq, p.problem) for p in problems] == [(3, "bad_hash")]
    store.close()


def test_old_schema_is_upgraded_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = store_keys.new_store_key()
    monkeypatch.setattr(migrations, "STEPS", migrations.STEPS[:1])
    store = Store.open(tmp_path / "s.db", key, create=True)
    _record(store, 1)
    store.close()
    monkeypatch.undo()
    upgraded = Store.open(tmp_path / "s.db", key)
    versions = [r[0] for r in upgraded.query("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, len(migrations.STEPS) + 1))
    assert upgraded.query("SELECT count(*) FROM events")[0][0] == 1
    upgraded.close()


def test_key_slots_open_with_the_passphrase_only(tmp_path: Path) -> None:
    key = store_keys.new_store_key()
    slots = tmp_path / "keyslots.json"
    store_keys.write_slots(slots, key, PASSPHRASE, "ST1")
    assert key.hex() not in slots.read_text()
    assert store_keys.key_from_passphrase(slots, PASSPHRASE) == key
    with pytest.raises(StoreLocked) as caught:
        store_keys.key_from_passphrase(slots, "wrong passphrase!")
    assert "passphrase is wrong" in caught.value.en
    assert slots.stat().st_mode & 0o077 == 0


def test_short_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreLocked):
        store_keys.write_slots(tmp_path / "k.json", store_keys.new_store_key(), "short", "ST1")
    assert not (tmp_path / "k.json").exists()


def test_damaged_key_file_is_a_clear_error(tmp_path: Path) -> None:
    slots = tmp_path / "keyslots.json"
    slots.write_text("{not json")
    with pytest.raises(StoreLocked) as caught:
        store_keys.key_from_passphrase(slots, PASSPHRASE)
    assert "backup" in caught.value.en
