"""Provisioning: turn an empty data directory into a station with its own keys and store."""

from __future__ import annotations

import json
from pathlib import Path

from examkiosk.core import unlock_failures
from examkiosk.core.accounts import Accounts
from examkiosk.core.authz import Person
from examkiosk.core.clock import Clock
from examkiosk.core.errors import KioskError, StoreLocked
from examkiosk.core.station import Station
from examkiosk.store import keys as store_keys
from examkiosk.store.db import Store
from examkiosk.store.layout import DataDir
from sync.crypto import KeyPair, PublicKeys


def provision_station(
    data_dir: Path,
    *,
    station_id: str,
    venue_id: str,
    mode: str,
    central: PublicKeys,
    passphrase: str,
    clock: Clock | None = None,
) -> Station:
    """Create the store, its key slots and the station's signing/encryption keys.

    Refuses a directory that already holds a station: provisioning never overwrites data.
    """
    layout = DataDir(data_dir)
    if layout.store.exists() or layout.keyslots.exists():
        raise KioskError(
            "该数据目录中已有工作站数据，不能重复部署。",
            "This data directory already holds a station; it will not be provisioned again.",
            detail=str(data_dir),
        )
    store_keys.check_passphrase_strength(passphrase)
    data_dir.mkdir(parents=True, exist_ok=True)
    key = store_keys.new_store_key()
    store_keys.write_slots(layout.keyslots, key, passphrase, station_id)
    store = Store.open(layout.store, key, create=True)
    del key
    station_keys = KeyPair.generate()
    with store.transaction() as conn:
        store.set_meta(conn, "station_id", station_id)
        store.set_meta(conn, "venue_id", venue_id)
        store.set_meta(conn, "mode", mode)
        store.set_meta(conn, "station_keys", station_keys.to_bytes().hex())
        store.set_meta(conn, "central_keys", json.dumps(central.to_dict()))
    station = Station(store, clock)
    with store.transaction() as conn:
        station.record(
            conn,
            "station.provisioned",
            {"venue_id": venue_id, "mode": mode, "station_key": station_keys.public().to_dict()},
        )
    return station


def open_station(data_dir: Path, passphrase: str | None, clock: Clock | None = None) -> Station:
    """Open a provisioned station: the OS key store first, then the recovery passphrase.

    A wrong passphrase is noted beside the store (it cannot be written into a locked one)
    and becomes an audit event at the next successful opening."""
    layout = DataDir(data_dir)
    key = store_keys.key_from_os(layout.keyslots) if layout.keyslots.exists() else None
    if key is None:
        if passphrase is None:
            raise StoreLocked(
                "需要考点管理员的恢复口令才能打开本机数据。",
                "The venue administrator's recovery passphrase is needed to open this station.",
            )
        try:
            key = store_keys.key_from_passphrase(layout.keyslots, passphrase)
        except StoreLocked:
            unlock_failures.note(layout, "recovery-passphrase")
            raise
    station = Station(Store.open(layout.store, key), clock)
    unlock_failures.flush(layout, station)
    return station


def open_station_as_staff(
    data_dir: Path,
    staff_number: str,
    password: str,
    clock: Clock | None = None,
    *,
    new_password: str | None = None,
) -> tuple[Station, Person]:
    """Open the station with a member of staff's own password (their key slot) and sign
    them in: the daily way in, so the recovery passphrase stays sealed. StoreLocked for a
    wrong number or password (noted, audited at the next opening); SignInRefused if the
    account is locked or disabled (the store is closed again)."""
    layout = DataDir(data_dir)
    try:
        key = store_keys.key_from_staff(layout.keyslots, staff_number, password)
    except StoreLocked:
        unlock_failures.note(layout, staff_number)
        raise
    station = Station(Store.open(layout.store, key), clock)
    try:
        unlock_failures.flush(layout, station)
        person = Accounts(station).sign_in(
            staff_number, password, new_password=new_password, purpose="station.open"
        )
    except BaseException:
        station.close()
        raise
    return station, person
