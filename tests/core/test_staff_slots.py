"""A member of staff's own password opens the station (their key slot), so the recovery
passphrase stays sealed; wrong tries are audited; a disabled account's slot is gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from examkiosk.core.accounts import Accounts, load_package_staff, parse_package_staff
from examkiosk.core.errors import StoreLocked
from examkiosk.core.provision import open_station, open_station_as_staff
from examkiosk.store import keys
from examkiosk.store.layout import DataDir
from sync.credentials import make_verifier
from tests.core.exam_fixtures import PASSPHRASE, FakeClock, provision_exam_station

INV = ("I001", "Lotus-Bridge#42")
ADMIN = ("A001", "Cedar-Harbor#77")


@pytest.fixture
def data_dir(tmp_path: Path, clock: FakeClock) -> Path:
    station = provision_exam_station(tmp_path / "st", clock)
    entries = parse_package_staff(
        {
            "staff": [
                {"staff_number": n, "name": n, "role": r, "verifier": make_verifier(p)}
                for (n, p), r in ((INV, "invigilator"), (ADMIN, "venue_admin"))
            ]
        }
    )
    with station.store.transaction() as conn:
        load_package_staff(station, conn, entries)
    station.close()
    return tmp_path / "st"


def test_first_sign_in_makes_a_slot_and_then_the_password_opens_the_station(
    data_dir: Path,
) -> None:
    keyslots = DataDir(data_dir).keyslots
    with pytest.raises(StoreLocked):  # nobody has signed in here yet
        open_station_as_staff(data_dir, *INV)
    station = open_station(data_dir, PASSPHRASE)
    Accounts(station).sign_in(*INV)
    station.close()
    assert keys.has_staff_slots(keyslots)
    assert INV[1] not in keyslots.read_text()

    station, person = open_station_as_staff(data_dir, *INV)
    assert person.staff_number == "I001"
    opened = station.events()[-1]
    assert opened.type == "audit.signed_in" and opened.payload["purpose"] == "station.open"
    station.close()


def test_wrong_passwords_are_audited_at_the_next_opening(data_dir: Path) -> None:
    station = open_station(data_dir, PASSPHRASE)
    Accounts(station).sign_in(*INV)
    station.close()
    for _ in range(2):
        with pytest.raises(StoreLocked):
            open_station_as_staff(data_dir, "I001", "Wrong-Guess#1")
    station, _ = open_station_as_staff(data_dir, *INV)
    failed = [e for e in station.events() if e.type == "audit.unlock_failed"]
    assert [e.payload["staff_number"] for e in failed] == ["I001", "I001"]
    station.close()


def test_a_disabled_account_no_longer_opens_the_station(data_dir: Path) -> None:
    station = open_station(data_dir, PASSPHRASE)
    accounts = Accounts(station)
    accounts.sign_in(*INV)
    admin = accounts.sign_in(*ADMIN)
    accounts.set_disabled(admin, "I001", True)
    station.close()
    with pytest.raises(StoreLocked):
        open_station_as_staff(data_dir, *INV)
    station, person = open_station_as_staff(data_dir, *ADMIN)
    assert person.role == "venue_admin"
    station.close()
